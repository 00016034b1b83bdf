"""The API lists' `?facets=`: which facets a request asks for (a 400 naming the list's facets
for an unknown one) and their counts, the same the list page shows beside its filters
(catalog/facets.py). Each facet's options are written as JSON once per catalog version and
query (`facets.options_key`) and cached so: at 100,000 therapies a list's facets hold 2,200
options, and making and writing them on every request cost a quarter of the list's time."""

import orjson
from django.core.cache import cache
from rest_framework.exceptions import ValidationError

from .. import facets
from ..paging import COUNT_TIMEOUT
from .exports import EXPORT_RENDERERS
from .renderers import OPTIONS, Written


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
        """{facet: [{value, label, count, selected}]} for the list's query, each facet's
        options as JSON written once for the catalog's version and the query (`Written`)."""
        version = self.request.catalog_version.stamp
        if version is None:  # an empty catalog: nothing is cached
            return facets.facet_options(self.filterset, version, wanted)
        keys = {name: facets.options_key(self.filterset, name, version) for name in wanted}
        written = cache.get_many(list(keys.values()))
        missing = [name for name in wanted if keys[name] not in written]
        if missing:
            found = facets.facet_options(self.filterset, version, missing)
            fresh = {keys[name]: orjson.dumps(found[name], option=OPTIONS) for name in missing}
            cache.set_many(fresh, COUNT_TIMEOUT)
            written.update(fresh)
        return {name: Written(written[keys[name]]) for name in wanted}
