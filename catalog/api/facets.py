"""The API lists' `?facets=`: which facets a request asks for (a 400 naming the list's facets
for an unknown one) and their counts, the same the list page shows beside its filters
(catalog/facets.py)."""

from rest_framework.exceptions import ValidationError

from .. import facets
from .exports import EXPORT_RENDERERS


class FacetsMixin:
    """For CatalogAPIMixin: `requested_facets()` before a list is read, `facet_counts()` for
    the response's `facets`, counted with the FilterSet the list was filtered with
    (`self.filterset`, kept by the filter backend)."""

    def requested_facets(self):
        """The facets `?facets=` asks for, [] without it; a 400 naming the list's facets for an
        unknown one, and for a download (which has no pages to count beside)."""
        query = self.request.query_params
        if "facets" not in query:
            return []
        if isinstance(self.request.accepted_renderer, EXPORT_RENDERERS):
            raise ValidationError(
                {"facets": ["Downloads hold rows only: leave `facets` out, or ask a page."]}
            )
        try:
            return facets.requested(self.filterset_class, query)
        except facets.UnknownFacet as error:
            raise ValidationError({"facets": [str(error)]}) from error

    def facet_counts(self, wanted):
        """{facet: [{value, label, count, selected}]} for the list's query."""
        return facets.facet_options(self.filterset, self.request.catalog_version.stamp, wanted)
