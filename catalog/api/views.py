"""API viewsets: the same querysets, list rows and FilterSets as the public pages; editors also
write therapies, therapy classes and conditions through EditableViewSet (If-Match and ETags:
catalog/versions.py). What the schema says of each operation: docs.py."""

import functools

from django.db import transaction
from django.utils.cache import patch_vary_headers
from django_filters import utils
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import mixins, permissions, routers, viewsets
from rest_framework.exceptions import APIException, MethodNotAllowed, ValidationError
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BrowsableAPIRenderer
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.views import APIView

from accounts.authentication import ExplainRefusedTokens

from .. import caching, facets, filters, params, versions
from ..models import (
    Condition,
    GlossaryTerm,
    Indication,
    ModifierRole,
    SearchTerm,
    Source,
    Therapy,
    TherapyClass,
)
from . import docs, serializers
from .exports import EXPORT_RENDERERS, stream_export
from .facets import FacetsMixin
from .renderers import JSONRenderer

API_VERSION = "1.0.0"
BLANK = "Empty: give a value, or leave the parameter out."


class ContentNegotiation(DefaultContentNegotiation):
    """An unknown `format=` is a 400 naming the formats there are (DRF would answer 404)."""

    def filter_renderers(self, renderers, format):
        matching = [r for r in renderers if r.format == format]
        if not matching:
            known = ", ".join(sorted(r.format for r in renderers))
            raise ValidationError({"format": [f"Unknown format “{format}”. Use one of: {known}."]})
        return matching


def suggest(name, known):
    guess = params.closest(name, sorted(known))
    if guess:
        return f"Unknown parameter. Did you mean `{guess[0]}`?"
    return f"Unknown parameter. Known parameters: {', '.join(sorted(known))}."


class FilterBackend(DjangoFilterBackend):
    """The FilterSets as the pages use them; a near miss (catalog/filter_text.py) also gives the
    problem a `suggestions` member: each suggested name with this query's URL using it."""

    def filter_queryset(self, request, queryset, view):
        filterset = self.get_filterset(request, queryset, view)
        view.filterset = filterset  # the facets count with it (api/facets.py)
        if filterset is None or filterset.is_valid():
            return queryset if filterset is None else filterset.qs
        error = utils.translate_validation(filterset.errors)
        query = request.query_params
        error.suggestions = [
            {
                "name": name,
                "value": suggestion,
                "url": request.build_absolute_uri(
                    f"{request.path}?{params.replaced(query, name, value, suggestion)}"
                ),
            }
            for name, value, suggestions, _ in getattr(filterset.form, "suggestions", [])
            for suggestion in suggestions
        ]
        raise error


class CachingHeadersMixin(ExplainRefusedTokens):
    """Last-Modified and Cache-Control on successful reads, GET and HEAD alike (the policies:
    catalog/caching.py; the ETag is the record's on details, see catalog/versions.py; elsewhere
    ConditionalGetMiddleware hashes the body, and it answers the 304s); an unknown `format=` is
    a 400; a refused token is a 401 where a read needs a login."""

    content_negotiation_class = ContentNegotiation

    def initial(self, request, *args, **kwargs):
        # A method this URL does not have is a 405 (with `Allow`) before credentials are asked.
        if not hasattr(self, request.method.lower()):
            raise MethodNotAllowed(request.method)
        super().initial(request, *args, **kwargs)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if request.method in ("GET", "HEAD") and response.status_code == 200:
            caching.set_last_modified(response, request.catalog_version.changed_at)
            if request.user.is_authenticated:
                caching.keep_private(response)
            else:
                caching.share_briefly(response)
            patch_vary_headers(response, ["Accept", "Cookie", "Authorization"])
        return response


class CatalogAPIMixin(FacetsMixin, CachingHeadersMixin):
    """Strict parameters, field selection, exports and caching headers for every resource."""

    lookup_field = "slug"
    filter_backends = [FilterBackend]
    # Slugs only (as the pages' <slug:…> URLs): any other path is a 404 before a query is
    # made (PostgreSQL refuses a NUL in a query: `/therapies/%00/` was a 500).
    lookup_value_regex = "[-a-zA-Z0-9_]+"
    filterset_class = None
    # Cursor walks follow the pages' default order where that is a unique, non-null field
    # (set per viewset); anything else needs a field a cursor can hold, such as the slug.
    cursor_ordering = ("slug",)
    renderer_classes = [JSONRenderer, BrowsableAPIRenderer, *EXPORT_RENDERERS]
    detail_parameters = frozenset({"format", "fields"})
    list_parameters = frozenset({"page", "page_size", "cursor"})

    def get_queryset(self):
        """The records this request may read (`visible_records`). The permission check reads
        its model, the rows and the list filter it (each filter makes a new queryset): one
        queryset serves them all."""
        return self.visible_records

    @functools.cached_property
    def visible_records(self):
        """The public sees published records only; editors who may change a model see all.
        Lists (pages, cursor pages and exports) read the model's list rows instead of records
        (see `list`): no prefetching. Built once per request (the visibility rule's
        expressions took a sixth of an API list's time when built for each caller)."""
        if self.action == "list":
            queryset = self.queryset.model._default_manager.all()
        else:
            queryset = super().get_queryset()
        model = queryset.model
        if not hasattr(queryset, "published"):
            return queryset
        opts = model._meta
        if self.request.user.has_perm(f"{opts.app_label}.change_{opts.model_name}"):
            return queryset
        return queryset.published()

    def known_parameters(self):
        known = set(self.detail_parameters)
        if self.action == "list":
            known |= self.list_parameters
            if self.filterset_class:
                known |= set(self.filterset_class.base_filters)
            if facets.names(self.filterset_class):
                known.add("facets")
        return known

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        known = self.known_parameters()
        unknown = {
            name: [suggest(name, known)] for name in request.query_params if name not in known
        }
        if unknown:
            raise ValidationError(unknown)
        blank = {name: [BLANK] for name in self.blank_parameters(request)}
        if blank:
            raise ValidationError(blank)

    def blank_parameters(self, request):
        """Filters and `format` given with no value at all (`?category=`, `?ordering=`,
        `?therapy=,`: catalog/params.py): the schema allows only real values there, so these
        are 400s rather than silently ignored. The search text `q` may be empty (it then
        matches everything). (The pages' filter forms send `?q=&ordering=`; the pages accept
        that.)"""
        filterset = self.filterset_class if self.action == "list" else None
        checked = {"format", "facets"} | {
            name
            for name, filter_ in (filterset.base_filters.items() if filterset else [])
            if not isinstance(filter_, filters.TextSearchFilter)
        }
        query = request.query_params
        return [name for name in query if name in checked and params.is_blank(query, name)]

    def requested_fields(self):
        raw = self.request.query_params.get("fields")
        if raw is None:
            return None
        wanted = params.parts(raw)
        available = self.get_serializer_class()().fields
        unknown = [name for name in wanted if name not in available]
        if unknown or not wanted:
            raise ValidationError(
                {
                    "fields": [
                        f"Unknown field(s): {', '.join(unknown) or '(none given)'}. "
                        f"Available: {', '.join(available)}."
                    ]
                }
            )
        return wanted

    def get_serializer(self, *args, **kwargs):
        serializer = super().get_serializer(*args, **kwargs)
        wanted = self.requested_fields()
        if wanted:
            target = getattr(serializer, "child", serializer)
            for name in list(target.fields):
                if name not in wanted:
                    target.fields.pop(name)
        return serializer

    def record_etag(self, record, written=False):
        """The ETag of `record` as this request asks for it (see catalog/versions.py): at the
        version the request read, or, after a write, at the version it made."""
        request = self.request
        return versions.record_etag(
            record,
            request.accepted_media_type,
            request.query_params.get("fields", ""),
            request.user.pk,
            stamp=None if written else (request.catalog_version.stamp or ""),
        )

    def list_keys(self, keys):
        """These row keys, and the one a cursor's position is read from."""
        return (*keys, self.cursor_ordering[0].lstrip("-"))

    def list_rows(self, keys):
        """The filtered list as rows (catalog/models/rows.py) with these keys, and the one a
        cursor's position is read from."""
        return self.filter_queryset(self.get_queryset()).rows(*self.list_keys(keys))

    def row_representation(self):
        """What each list row becomes: the serializer's fields (those `fields=` asks for)."""
        serializer_class = self.get_serializer_class()
        return serializers.RowRepresentation(
            serializer_class, self.requested_fields(), self.request
        )

    def page_keys(self):
        return self.list_keys(serializers.row_keys(self.serializer_class))

    def as_rows(self, records):
        """The filtered records as a page's rows (a cursor page reads them so)."""
        return records.rows(*self.page_keys())

    def read_rows(self, pks):
        """A page's rows from its keys (`rows_of()`): what `as_rows()` holds for them. A page
        (not a cursor page) counts and finds its keys on the records themselves, without the
        rows' expressions, and reads only its own rows."""
        return self.get_queryset().model.objects.rows_of(pks, self.page_keys())

    def list(self, request, *args, **kwargs):
        """A page, a cursor page or an export of list rows, each made an item by
        `RowRepresentation`: what the detail gives each record, field by field."""
        renderer = request.accepted_renderer
        wanted = self.requested_facets()
        if isinstance(renderer, EXPORT_RENDERERS):
            # `fields` and the paging parameters are checked before streaming starts (exports
            # use none of the latter, but never ignore them).
            represent = self.row_representation()
            self.paginator.check_parameters(request)
            return stream_export(self, self.list_rows(represent.keys), represent, renderer)
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        represent = self.row_representation()
        response = self.get_paginated_response([represent(row) for row in page])
        if wanted:
            response.data["facets"] = self.facet_counts(wanted)
        return response


class RetrieveWithETagMixin(mixins.RetrieveModelMixin):
    """A record's GET and HEAD carry its ETag (catalog/versions.py), not a hash of the body."""

    def retrieve(self, request, *args, **kwargs):
        record = self.get_object()
        etag = self.record_etag(record)
        return Response(self.get_serializer(record).data, headers={"ETag": etag})


class CatalogViewSet(RetrieveWithETagMixin, CatalogAPIMixin, viewsets.ReadOnlyModelViewSet):
    pass


class EditableViewSet(RetrieveWithETagMixin, CatalogAPIMixin, viewsets.ModelViewSet):
    """Editors write through the API by their Django model permissions. Changing or deleting
    needs `If-Match` with the record's current ETag: 428 without it, 412 when the record itself
    changed since (no lost updates; see catalog/versions.py). A write answers with the ETag the
    next GET would give."""

    permission_classes = [permissions.DjangoModelPermissionsOrAnonReadOnly]

    def check_precondition(self, instance):
        given = self.request.headers.get("If-Match")
        if not given:
            raise PreconditionRequired()
        if not versions.if_match_allows(given, instance):
            raise PreconditionFailed()

    def locked(self, instance):
        """The record as it is now, locked until the write commits (no race between the
        If-Match check and the save)."""
        return self.get_queryset().select_for_update(of=("self",)).get(pk=instance.pk)

    def create(self, request, *args, **kwargs):
        return self.with_etag(super().create(request, *args, **kwargs))

    def update(self, request, *args, **kwargs):
        return self.with_etag(super().update(request, *args, **kwargs))

    def with_etag(self, response):
        """The written record's new ETag (read after the write committed)."""
        response["ETag"] = self.record_etag(self.written, written=True)
        return response

    def perform_create(self, serializer):
        with transaction.atomic():
            self.written = serializer.save()
            SearchTerm.objects.index([self.written])

    def perform_update(self, serializer):
        with transaction.atomic():
            self.check_precondition(self.locked(serializer.instance))
            self.written = serializer.save()
            SearchTerm.objects.index([self.written])

    def perform_destroy(self, instance):
        with transaction.atomic():
            self.check_precondition(self.locked(instance))
            instance.delete()


class PreconditionRequired(APIException):
    status_code = 428
    default_detail = "Send If-Match with the ETag from your last GET of this record."
    default_code = "precondition_required"


class PreconditionFailed(APIException):
    status_code = 412
    default_detail = (
        "The record changed since you read it (If-Match does not name its current ETag). GET "
        "it again, reapply your change, and send the new ETag in If-Match."
    )
    default_code = "precondition_failed"


@docs.THERAPIES
class TherapyViewSet(EditableViewSet):
    """Individual agents, with their class, names and agent-level indications."""

    queryset = Therapy.objects.for_display()
    serializer_class = serializers.TherapySerializer
    filterset_class = filters.TherapyFilter
    cursor_ordering = ("name",)


@docs.THERAPY_CLASSES
class TherapyClassViewSet(EditableViewSet):
    """Classes of therapy and how each acts on the immune system."""

    queryset = TherapyClass.objects.for_display()
    serializer_class = serializers.TherapyClassSerializer
    filterset_class = filters.TherapyClassFilter
    cursor_ordering = ("name",)


@docs.CONDITIONS
class ConditionViewSet(EditableViewSet):
    """Conditions, with their category and place in the hierarchy."""

    queryset = Condition.objects.for_display()
    serializer_class = serializers.ConditionSerializer
    filterset_class = filters.ConditionFilter
    cursor_ordering = ("name",)


@docs.INDICATIONS
class IndicationViewSet(CatalogAPIMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """A therapy or a therapy class used for a condition, with the source's qualifier.

    List only: an indication is identified by its therapy (or class) and condition,
    which are filters here, and it has no database id in this API.
    """

    queryset = Indication.objects.for_display()
    serializer_class = serializers.IndicationSerializer
    filterset_class = filters.IndicationFilter
    cursor_ordering = ("pk",)


@docs.SOURCES
class SourceViewSet(CatalogViewSet):
    """The citations every record refers to by slug."""

    queryset = Source.objects.all()
    serializer_class = serializers.SourceSerializer
    cursor_ordering = ("title", "slug")


@docs.MODIFIER_ROLES
class ModifierRoleViewSet(CatalogViewSet):
    """The roles biological response modifiers can play in fighting cancer."""

    queryset = ModifierRole.objects.prefetch_related("sources")
    serializer_class = serializers.ModifierRoleSerializer
    cursor_ordering = ("position",)


@docs.GLOSSARY
class GlossaryTermViewSet(CatalogViewSet):
    """Terms the site uses, defined."""

    queryset = GlossaryTerm.objects.prefetch_related("sources")
    serializer_class = serializers.GlossaryTermSerializer
    filterset_class = filters.GlossaryFilter
    cursor_ordering = ("term",)


class VersionView(CachingHeadersMixin, APIView):
    """The API version and when the data last changed."""

    @docs.VERSION
    def get(self, request):
        unknown = {n: [suggest(n, {"format"})] for n in request.query_params if n != "format"}
        if unknown:
            raise ValidationError(unknown)
        changed_at = request.catalog_version.changed_at
        return Response({"api_version": API_VERSION, "data_last_updated": changed_at})


class APIRootView(CachingHeadersMixin, routers.APIRootView):
    """The API's endpoints, with its schema, docs and version."""

    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        for name, url_name in [
            ("schema", "schema"),
            ("docs", "api-docs"),
            ("version", "api-version"),
            ("me", "api-me"),
            ("changes", "api-changes"),
        ]:
            response.data[name] = reverse(url_name, request=request)
        return response
