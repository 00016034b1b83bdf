"""The detail pages of therapies, classes and conditions, and their staff previews: published
records only (a renamed record's old URL answers 301), the sections, uses and sources a page
shows, where it sits (its breadcrumb trail, also its schema.org BreadcrumbList), the record's
own API URL, its latest published changes (catalog/changes/), and its schema.org data
(catalog/structured_data.py)."""

import dataclasses

from django.contrib.admin.views.decorators import staff_member_required
from django.db import router
from django.db.models import Case, F, IntegerField, Q, Value, When
from django.db.models.functions import Coalesce
from django.http import Http404, HttpResponsePermanentRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.decorators import method_decorator
from django.views.generic import DetailView

from .. import caching, rights, seo, structured_data
from ..changes import record_changes
from ..models import (
    Condition,
    GlossaryTerm,
    Indication,
    Section,
    Therapy,
    TherapyClass,
    TherapyUse,
    cite,
)
from ..models.compiled import compiled_query
from ..models.planning import OneOf
from ..models.prepared import Keys, KeysIn, Text
from ..models.rows import row_expressions

DETAIL_LIST_LIMIT = 50
# Entries a detail page's "What changed" lists (its own page has them all).
RECENT_CHANGES = 3


def first_rows(queryset, limit=DETAIL_LIST_LIMIT):
    """The first `limit` rows of a detail page's list, and whether there are more (one query:
    it fetches one row more). A condition with thousands of therapies lists the first ones and
    links to the therapy list, which pages, filters and downloads them all."""
    rows = list(queryset[: limit + 1])
    return rows[:limit], len(rows) > limit


class PublicDetailView(DetailView):
    """A detail page: published records only, unless this is a staff preview."""

    public = True
    # The list the record belongs to, as (name, URL name) for the breadcrumb trail.
    list_page = None
    # The URL name of the record's own API resource ("Read the same data as JSON").
    api_url_name = None

    def records(self):
        """The records with what their pages show (the model's `for_page()`)."""
        return self.model.objects.for_page(public=self.public)

    def get_queryset(self):
        queryset = self.records().annotate(content_changed=self.model.content_changed())
        return queryset.published() if self.public else queryset

    def get_object(self, queryset=None):
        """The record of the slug: on a public page, with SQL compiled once per process and
        kind of page (models/compiled.py), a preview as DetailView reads it."""
        if not self.public or queryset is not None:
            return super().get_object(queryset)
        alias = router.db_for_read(self.model)

        def build():
            records = self.get_queryset().using(alias)
            return records.filter(slug=Text(0))[:1]

        prefetch = getattr(self.model.objects.all(), "page_prefetch", ())
        found = compiled_query((type(self), alias), build, prefetch)(self.kwargs["slug"])
        if not found:
            raise Http404(f"No {self.model._meta.verbose_name} found matching the query")
        return found[0]

    def get(self, request, *args, **kwargs):
        """A renamed record's old URL answers 301 to its current one; staff opening a draft's
        public URL get the 404 with links to its preview and its change page."""
        try:
            return super().get(request, *args, **kwargs)
        except Http404:
            if not self.public:
                raise
            moved = seo.renamed(self.model, kwargs["slug"])
            if moved is not None:
                return HttpResponsePermanentRedirect(moved.get_absolute_url())
            if rights.may_preview(request.user):
                draft = self.model.objects.filter(slug=kwargs["slug"]).first()
                if draft is not None:
                    return self.draft_not_found(request, draft)
            raise

    def draft_not_found(self, request, draft):
        """The site's 404, with (for staff only) where the draft can be seen; never shared by
        a cache (the page cache stores only 200s, and never for a session: pagecache.py)."""
        meta = draft._meta
        hint = {
            "kind": meta.verbose_name,
            "preview_url": draft.get_preview_url(),
            "admin_url": reverse(
                f"admin:{meta.app_label}_{meta.model_name}_change", args=[draft.pk]
            ),
        }
        context = {"request_path": request.path, "draft_hint": hint}
        response = render(request, "404.html", context, status=404)
        caching.keep_private(response)
        patch_vary_headers(response, ["Cookie"])
        return response

    def indications(self):
        return Indication.objects.for_page().filter(Indication.visible() if self.public else Q())

    def structured_data(self, context):
        """schema.org nodes for the page (see structured_data.py)."""
        raise NotImplementedError

    def parent_crumbs(self):
        """(name, path) pairs between the record's list and the record (its class, its parent)."""
        return []

    def breadcrumbs(self):
        """Home, the record's list, its parents, the record: the page's trail, and its
        schema.org BreadcrumbList. A preview ends at itself."""
        record = self.object
        name, url_name = self.list_page
        here = record.get_absolute_url() if self.public else self.request.path
        return [
            ("Home", reverse("catalog:home")),
            (name, reverse(url_name)),
            *self.parent_crumbs(),
            (record.name, here),
        ]

    # The kinds of section the page shows, in page order (Section.THERAPY_KINDS …); () for none.
    section_kinds = ()

    def cited_sources(self, context):
        """Every source the page's content cites: the record's, its sections', and those of the
        uses it lists, each once, in that order. Each of them gets its own (`cited`), all read
        in one query."""
        record = self.object
        citing = [record]
        if self.section_kinds:
            citing += list(record.sections.all())
        for name in ("indications", "agent_indications", "class_indications"):
            citing += list(context.get(name) or ())
        cite(citing)
        return list({source.pk: source for item in citing for source in item.cited}.values())

    def recent_changes(self):
        """The record's latest published changes ("What changed"), kept under the catalog's
        version: read from the histories once per version (5 queries for a therapy), not on
        every request. Kept without the record, which the page has already."""
        record = self.object
        label = record._meta.label_lower

        def compute():
            entries = record_changes(record, limit=RECENT_CHANGES)
            return [dataclasses.replace(entry, record=None) for entry in entries]

        found = caching.cached_for_version(
            self.request, "recent-changes", compute, label, record.pk
        )
        return [dataclasses.replace(entry, record=record) for entry in found]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(preview=not self.public, **kwargs)
        if self.section_kinds:
            context["sections"] = Section.in_page_order(
                self.object.sections.all(), self.section_kinds
            )
        context["cited_sources"] = self.cited_sources(context)
        context["glossary_terms"] = caching.cached_for_version(
            self.request, "glossary-link-targets", GlossaryTerm.objects.link_targets
        )
        context["content_changed_at"] = self.object.content_changed
        context["canonical_url"] = self.request.build_absolute_uri(self.object.get_absolute_url())
        context["api_url"] = reverse(self.api_url_name, args=[self.object.slug])
        context["breadcrumbs"] = self.breadcrumbs()
        if self.public:
            context["recent_changes"] = self.recent_changes()
            context["changes_url"] = self.object.get_changes_url()
            nodes = self.structured_data(context)
            context["structured_data"] = structured_data.script_content(nodes)
        return context


class TherapyDetailView(PublicDetailView):
    model = Therapy
    template_name = "catalog/therapy_detail.html"
    section_kinds = Section.THERAPY_KINDS
    list_page = ("Therapies", "catalog:therapy-list")
    api_url_name = "therapy-detail"

    def parent_crumbs(self):
        therapy_class = self.object.therapy_class
        return [(therapy_class.name, therapy_class.get_absolute_url())]

    def get_context_data(self, **kwargs):
        # The therapy's own uses and its class's, in one query (and one for their sources).
        therapy = self.object

        def build():
            return self.indications().filter(
                KeysIn("therapy_id", 0) | KeysIn("therapy_class_id", 1)
            )

        uses = compiled_query(("therapy-uses", self.public), build)(
            [therapy.pk], [therapy.therapy_class_id]
        )
        return super().get_context_data(
            indications=[use for use in uses if use.therapy_id == therapy.pk],
            class_indications=[use for use in uses if use.therapy_id is None],
            **kwargs,
        )

    def structured_data(self, context):
        return structured_data.therapy(self.request, self.object, context["breadcrumbs"])


class TherapyClassDetailView(PublicDetailView):
    model = TherapyClass
    template_name = "catalog/class_detail.html"
    list_page = ("Classes", "catalog:class-list")
    api_url_name = "therapyclass-detail"

    def get_context_data(self, **kwargs):
        therapies = Therapy.objects.filter(therapy_class=self.object)
        therapies = (therapies.published() if self.public else therapies).prefetch_related(
            "other_names"
        )
        shown, more = first_rows(therapies)
        if more and self.public:  # kept under the catalog's version, as the lists' counts are
            total = caching.cached_for_version(
                self.request, "class-therapies", therapies.count, self.object.pk
            )
        else:
            total = therapies.count() if more else None
        return super().get_context_data(
            therapies=shown,
            therapy_total=total,
            indications=self.indications().filter(therapy_class=self.object),
            **kwargs,
        )

    def structured_data(self, context):
        return structured_data.therapy_class(
            self.request, self.object, context["breadcrumbs"], context["therapies"]
        )


class ConditionDetailView(PublicDetailView):
    model = Condition
    template_name = "catalog/condition_detail.html"
    section_kinds = Section.CONDITION_KINDS
    list_page = ("Conditions", "catalog:condition-list")
    api_url_name = "condition-detail"

    def parent_crumbs(self):
        parent = self.object.parent
        return [(parent.name, parent.get_absolute_url())] if parent else []

    def uses(self, conditions, through_therapies=False):
        """The uses for `conditions` (records, or `Keys(n)` in a compiled query) and their
        sub-conditions, in one table: the whole-class ones first (they are few), then each
        therapy's, by name; with each therapy's class, and its brand names in the same query
        (`brand_names`, as the therapy's list rows declare them). `through_therapies`: the
        caller keeps those of a few therapies, which the database reads first (not every use
        of a busy condition)."""
        conditions = Condition.objects.matching(conditions).values("pk")
        among = OneOf("condition_id", conditions, use_index=not through_therapies)
        uses = self.indications().filter(among)
        whole_class_first = Case(
            When(therapy__isnull=True, then=Value(0)), default=Value(1), output_field=IntegerField()
        )
        brands = row_expressions(Therapy, ["brand_names"], "therapy__")["brand_names"]
        return (
            uses.select_related("therapy__therapy_class")
            .annotate(brand_names=brands)
            .order_by(
                whole_class_first,
                Coalesce(F("therapy__name"), F("therapy_class__name")),
                "condition__name",
            )
        )

    def first_uses(self, limit=DETAIL_LIST_LIMIT):
        """The first `limit` uses in the table's order, and whether there are more. On the
        public page: the whole-class uses, then those of the first therapies by name among the
        ones the table of published uses (models/uses.py) lists for the condition, an index
        range; sorting every use of a busy condition to take the first 50 took 250 ms at
        100,000 therapies. Each therapy listed there has a use here, so the first `limit`
        uses are the same. A preview (drafts too) sorts them all."""
        if not self.public:
            return first_rows(self.uses([self.object]), limit)

        def build():
            # One query: the therapies of the first limit + 1 published uses by therapy name,
            # as a subquery (an index range). Their uses alone are more than `limit`.
            therapies = TherapyUse.objects.first_therapies(Keys(0), limit + 1)
            shown = Q(therapy__isnull=True) | OneOf("therapy_id", therapies)
            return self.uses(Keys(0), through_therapies=True).filter(shown)[: limit + 1]

        found = compiled_query(("condition-uses", limit), build)([self.object.pk])
        return found[:limit], len(found) > limit

    def get_context_data(self, **kwargs):
        # The first rows only: a condition may have thousands of uses, which the therapy list
        # pages; counting them here too would cost as much as the page.
        uses, more = self.first_uses()
        return super().get_context_data(
            class_indications=[use for use in uses if use.therapy_class_id],
            agent_indications=[use for use in uses if use.therapy_id],
            uses_shown=len(uses),
            more_agents=more,
            **kwargs,
        )

    def structured_data(self, context):
        return structured_data.condition(
            self.request,
            self.object,
            context["breadcrumbs"],
            context["agent_indications"],
            context["class_indications"],
        )


class PreviewMixin:
    """Staff see drafts exactly as the public will, before publishing."""

    public = False

    @method_decorator(staff_member_required)
    def dispatch(self, request, *args, **kwargs):
        return super().dispatch(request, *args, **kwargs)


class TherapyPreview(PreviewMixin, TherapyDetailView):
    pass


class TherapyClassPreview(PreviewMixin, TherapyClassDetailView):
    pass


class ConditionPreview(PreviewMixin, ConditionDetailView):
    pass
