"""Public pages, thin: querysets and list rows live on the models, filtering in filters.py,
query-string parsing in params.py, the catalog's version and caching in caching.py.

- lists.py: the filterable list pages (therapies, classes, conditions, glossary);
- details.py: the detail pages and their staff previews;
- pages.py: home and the A-Z index.
"""

from .details import (
    DETAIL_LIST_LIMIT,
    ConditionDetailView,
    ConditionPreview,
    TherapyClassDetailView,
    TherapyClassPreview,
    TherapyDetailView,
    TherapyPreview,
    first_rows,
)
from .lists import (
    ConditionListView,
    FilteredListView,
    GlossaryView,
    TherapyClassListView,
    TherapyListView,
)
from .pages import AZ_LETTERS, AtoZView, HomeView

__all__ = [
    "AZ_LETTERS",
    "DETAIL_LIST_LIMIT",
    "AtoZView",
    "ConditionDetailView",
    "ConditionListView",
    "ConditionPreview",
    "FilteredListView",
    "GlossaryView",
    "HomeView",
    "TherapyClassDetailView",
    "TherapyClassListView",
    "TherapyClassPreview",
    "TherapyDetailView",
    "TherapyListView",
    "TherapyPreview",
    "first_rows",
]
