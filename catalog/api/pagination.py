"""Page numbers for browsing, cursors for bulk reads; both in one envelope with `meta`."""

from rest_framework import pagination
from rest_framework.exceptions import ValidationError

from ..filters import applied_filters
from ..models import catalog_last_modified

LICENSE = "CC BY 4.0 for the site's own text; cited sources keep their own terms."
DISCLAIMER = (
    "Not medical advice. General information summarised from the cited sources; "
    "talk to a doctor or pharmacist about any treatment."
)


def invalid(parameter, reason):
    return ValidationError({parameter: [reason]})


class CursorPagination(pagination.CursorPagination):
    page_size_query_param = "page_size"
    max_page_size = 100

    def decode_cursor(self, request):
        try:
            return super().decode_cursor(request)
        except pagination.NotFound as error:
            raise invalid(self.cursor_query_param, "Invalid cursor.") from error


class PageNumberPagination(pagination.PageNumberPagination):
    """`page` and `page_size` (1 to 100); `cursor` (empty to start) switches to cursor
    pagination, ordered by the view's `cursor_ordering`. Bad values are 400s."""

    page_size_query_param = "page_size"
    max_page_size = 100
    cursor_query_param = "cursor"

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        if not raw.isdigit() or not 1 <= int(raw) <= self.max_page_size:
            raise invalid(
                self.page_size_query_param,
                f"Must be a whole number from 1 to {self.max_page_size}.",
            )
        return int(raw)

    def paginate_queryset(self, queryset, request, view=None):
        self.view = view
        self.request = request
        self.cursor = None
        params = request.query_params
        if self.cursor_query_param in params:
            if self.page_query_param in params:
                raise invalid(self.cursor_query_param, "Use either `cursor` or `page`, not both.")
            if "ordering" in params:
                raise invalid(
                    "ordering",
                    "Cursor pagination has its own stable order; drop `ordering` or use `page`.",
                )
            self.cursor = CursorPagination()
            self.cursor.ordering = view.cursor_ordering
            self.cursor.page_size = self.get_page_size(request)
            self.count = queryset.count()
            return self.cursor.paginate_queryset(queryset, request, view)
        raw = params.get(self.page_query_param)
        if raw is not None and raw not in self.last_page_strings and not raw.isdigit():
            raise invalid(self.page_query_param, "Must be a whole number.")
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
        last_updated = catalog_last_modified()
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
                "count": {"type": "integer", "example": 9},
                "next": {"type": "string", "nullable": True, "format": "uri"},
                "previous": {"type": "string", "nullable": True, "format": "uri"},
                "results": schema,
                "meta": {
                    "type": "object",
                    "required": ["last_updated", "license", "disclaimer", "filters"],
                    "properties": {
                        "last_updated": {"type": "string", "format": "date-time", "nullable": True},
                        "license": {"type": "string"},
                        "disclaimer": {"type": "string"},
                        "filters": {
                            "type": "object",
                            "description": "The filters applied, as given.",
                            "additionalProperties": {"type": "array", "items": {"type": "string"}},
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
