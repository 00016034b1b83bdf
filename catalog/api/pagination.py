"""Page numbers for browsing, cursors for bulk reads; both in one envelope with `meta`."""

import functools
from base64 import b64decode
from urllib import parse

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import pagination
from rest_framework.exceptions import ValidationError

from .. import facets
from ..filters import applied_filters
from ..paging import Paginator, cached_count, whole_number

LICENSE = "CC BY 4.0 for the site's own text; cited sources keep their own terms."
DISCLAIMER = (
    "Not medical advice. General information summarised from the cited sources; "
    "talk to a doctor or pharmacist about any treatment."
)


def invalid(parameter, reason):
    return ValidationError({parameter: [reason]})


# The response's `facets` (catalog/facets.py), only when `?facets=` asks.
FACETS_SCHEMA = {
    "type": "object",
    "description": "With `?facets=` only: for each facet asked, its options with results (and "
    "every selected one, even without), each with how many published records the list would "
    "hold with that option instead of the filter's own value, the other filters kept. Choices "
    "in their order; records (classes, conditions) most results first.",
    "additionalProperties": {
        "type": "array",
        "items": {
            "type": "object",
            "required": ["value", "label", "count", "selected"],
            "properties": {
                "value": {"type": "string", "description": "As the filter takes it (a slug)."},
                "label": {"type": "string"},
                "count": {"type": "integer", "minimum": 0},
                "selected": {"type": "boolean", "description": "Given in this query."},
            },
        },
    },
    "example": {
        "therapy_class": [
            {
                "value": "anti-tnf-therapy",
                "label": "Anti-TNF therapy",
                "count": 5,
                "selected": False,
            }
        ]
    },
}


class CursorPagination(pagination.CursorPagination):
    page_size_query_param = "page_size"
    max_page_size = 100

    def decode_cursor(self, request):
        # DRF's decoding skips what is not base64 (`%00`, `!!!!` would start over) and takes
        # any position; only cursors shaped like the ones it makes are accepted here.
        encoded = request.query_params.get(self.cursor_query_param)
        if encoded:
            try:
                text = b64decode(encoded, validate=True).decode("ascii")
                tokens = parse.parse_qs(text, keep_blank_values=True, strict_parsing=True)
            except ValueError:  # binascii.Error and UnicodeError are ValueErrors
                tokens = {}
            positions = tokens.get("p", [])
            if not tokens or set(tokens) - {"o", "r", "p"} or any("\x00" in p for p in positions):
                raise invalid(self.cursor_query_param, "Invalid cursor.")
        try:
            return super().decode_cursor(request)
        except pagination.NotFound as error:
            raise invalid(self.cursor_query_param, "Invalid cursor.") from error

    def paginate_queryset(self, queryset, request, view=None):
        try:
            return super().paginate_queryset(queryset, request, view)
        except (ValueError, TypeError, DjangoValidationError) as error:
            # A position of the wrong type for the ordering field (`p=abc` against a number).
            raise invalid(self.cursor_query_param, "Invalid cursor.") from error


class PageNumberPagination(pagination.PageNumberPagination):
    """`page` and `page_size` (1 to 100); `cursor` (empty to start) switches to cursor
    pagination, ordered by the view's `cursor_ordering`. Bad values are 400s. Deep pages cost
    what the first ones do (paging.Paginator)."""

    django_paginator_class = Paginator
    page_size_query_param = "page_size"
    max_page_size = 100
    cursor_query_param = "cursor"

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        number = whole_number(raw)
        if number is None or not 1 <= number <= self.max_page_size:
            raise invalid(
                self.page_size_query_param,
                f"Must be a whole number from 1 to {self.max_page_size}.",
            )
        return number

    def check_parameters(self, request):
        """400 for bad `page`, `page_size` or `cursor` values and combinations. Also called for
        exports, which have every row and so use none of them, but refuse bad values alike."""
        params = request.query_params
        self.get_page_size(request)
        if self.cursor_query_param in params:
            if self.page_query_param in params:
                raise invalid(self.cursor_query_param, "Use either `cursor` or `page`, not both.")
            if "ordering" in params:
                raise invalid(
                    "ordering",
                    "Cursor pagination has its own stable order; drop `ordering` or use `page`.",
                )
            CursorPagination().decode_cursor(request)
        raw = params.get(self.page_query_param)
        if raw is not None and raw not in self.last_page_strings and not whole_number(raw):
            raise invalid(self.page_query_param, "Must be a whole number, 1 or more.")

    def paginate_queryset(self, queryset, request, view=None):
        self.view = view
        self.request = request
        self.cursor = None
        self.check_parameters(request)
        if self.cursor_query_param in request.query_params:
            self.cursor = CursorPagination()
            self.cursor.ordering = view.cursor_ordering
            self.cursor.page_size = self.get_page_size(request)
            self.count = cached_count(queryset, request.catalog_version.stamp)
            return self.cursor.paginate_queryset(view.as_rows(queryset), request, view)
        version = request.catalog_version.stamp  # counts are cached under it
        self.django_paginator_class = functools.partial(
            Paginator, version=version, read_rows=getattr(view, "read_rows", None)
        )
        return super().paginate_queryset(queryset, request, view)

    def get_paginated_response(self, data):
        if self.cursor:
            count, links = (
                self.count,
                (self.cursor.get_next_link(), self.cursor.get_previous_link()),
            )
        else:
            count, links = (
                self.page.paginator.count,
                (self.get_next_link(), self.get_previous_link()),
            )
        return pagination.Response(
            {
                "count": count,
                "next": links[0],
                "previous": links[1],
                "results": data,
                "meta": self.get_meta(),
            }
        )

    def get_meta(self):
        last_updated = self.request.catalog_version.changed_at
        filterset = self.view.filterset_class
        params = self.request.query_params
        return {
            "last_updated": last_updated.isoformat() if last_updated else None,
            "license": LICENSE,
            "disclaimer": DISCLAIMER,
            "filters": applied_filters(filterset, params) if filterset else {},
        }

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "required": ["count", "next", "previous", "results", "meta"],
            "properties": {
                "count": {
                    "type": "integer",
                    "example": 1,
                    "description": "How many records match, on every page.",
                },
                "next": {
                    "type": "string",
                    "nullable": True,
                    "format": "uri",
                    "example": None,
                    "description": "The next page (or cursor page); null on the last.",
                },
                "previous": {
                    "type": "string",
                    "nullable": True,
                    "format": "uri",
                    "example": None,
                    "description": "The previous page; null on the first.",
                },
                "results": schema,
                "facets": FACETS_SCHEMA,
                "meta": {
                    "type": "object",
                    "required": ["last_updated", "license", "disclaimer", "filters"],
                    "properties": {
                        "last_updated": {
                            "type": "string",
                            "format": "date-time",
                            "nullable": True,
                            "example": "2026-12-01T11:01:13+00:00",
                            "description": "When any record last changed.",
                        },
                        "license": {"type": "string", "example": LICENSE},
                        "disclaimer": {"type": "string", "example": DISCLAIMER},
                        "filters": {
                            "type": "object",
                            "description": "The filters applied, as given.",
                            "additionalProperties": {"type": "array", "items": {"type": "string"}},
                            "example": {},
                        },
                    },
                },
            },
        }

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"].update({"minimum": 1, "maximum": self.max_page_size})
            if parameter["name"] == self.page_query_param:
                parameter["schema"].update({"minimum": 1})
        facet_names = facets.names(getattr(view, "filterset_class", None))
        if facet_names:
            choice = f"({'|'.join(facet_names)})"
            parameters.append(
                {
                    "name": "facets",
                    "required": False,
                    "in": "query",
                    "description": "Counts beside the filters: for each option of these "
                    "filters, how many published records the list would hold with that option "
                    "instead, every other filter kept (the list page shows the same). "
                    f"Comma-separated, any of: {', '.join(facet_names)}. An unknown name is a "
                    "400 naming them; downloads refuse it. The counts are in `facets`.",
                    "schema": {"type": "string", "pattern": f"^{choice}(,{choice})*$"},
                }
            )
        parameters.append(
            {
                "name": self.cursor_query_param,
                "required": False,
                "in": "query",
                "description": "Cursor pagination for bulk reads: give it empty to start, "
                "then follow `next`. Not combinable with `page` or `ordering`.",
                "schema": {"type": "string"},
            }
        )
        return parameters
