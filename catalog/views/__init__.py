"""Public pages, thin: querysets and list rows live on the models, filtering in filters.py,
query-string parsing in params.py, the catalog's version and caching in caching.py.

- lists.py: the filterable list pages (therapies, classes, conditions, glossary);
- details.py: the detail pages and their staff previews;
- pages.py: home and the A-Z index;
- changes.py: a record's "What changed" page, "What's new" and its Atom feed.
"""

from .changes import (
    ConditionChangesView,
    TherapyChangesView,
    TherapyClassChangesView,
    WhatsNewFeed,
    WhatsNewView,
)
from .details import (
    DETAIL_LIST_LIMIT,
    RECENT_CHANGES,
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
    "RECENT_CHANGES",
    "AtoZView",
    "ConditionChangesView",
    "ConditionDetailView",
    "ConditionListView",
    "ConditionPreview",
    "FilteredListView",
    "GlossaryView",
    "HomeView",
    "TherapyChangesView",
    "TherapyClassChangesView",
    "TherapyClassDetailView",
    "TherapyClassListView",
    "TherapyClassPreview",
    "TherapyDetailView",
    "TherapyListView",
    "TherapyPreview",
    "WhatsNewFeed",
    "WhatsNewView",
    "first_rows",
]
