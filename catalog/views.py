"""Public pages. Thin: querysets and list rows live on the models, filtering in filters.py,
query-string parsing in params.py, the catalog's version and caching in caching.py."""

import string
import unicodedata
from urllib.parse import urlencode

from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import BadRequest
from django.db.models import Q
from django.http import Http404, HttpResponsePermanentRedirect
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.views.generic import DetailView, TemplateView
from django_filters.views import FilterView

from . import filters, params, seo, structured_data
from .models import (
    Condition,
    ConditionCategory,
    GlossaryTerm,
    Indication,
    ModifierRole,
    SearchTerm,
    Section,
    Therapy,
    TherapyClass,
)
from .paging import Paginator, whole_number


def api_query(filterset_class, query):
    """The list page's query string as the API takes it: only the filters' own parameters
    (never `page`), and without blank values. The pages' filter form sends `?q=&ordering=`,
    which the pages accept but the API refuses (blank filters are 400s there)."""
    return urlencode(params.given(query, filterset_class.base_filters))


def api_links(api_url_name, filterset_class, query):
    """The "Download CSV", "Download JSON" (JSON Lines) and "API query" links of a list page:
    the same filters and order, on the matching API endpoint."""
    endpoint = reverse(api_url_name)
    query = api_query(filterset_class, query)

    def url(fmt=None):
        parts = ([query] if query else []) + ([f"format={fmt}"] if fmt else [])
        return f"{endpoint}?{'&'.join(parts)}" if parts else endpoint

    return {"csv": url("csv"), "jsonl": url("jsonl"), "api": url()}


class FilteredListView(FilterView):
    """A filterable, paginated list of published records. Bad filter values or page numbers
    answer 400.

    The template reads list rows (dicts: catalog/models/rows.py) with the keys in `row_keys`
    and nothing more, each row's related records read in its own query, so a page costs the
    same few queries whatever its length: the filters' record lookup (if any), the count, the
    page's keys and its rows (near either end of a long list, the rows alone). Deep pages cost
    what the first ones do (paging.Paginator)."""

    paginate_by = 20
    paginator_class = Paginator
    strict = True
    api_url_name = None  # the API list endpoint with the same filters (`therapy-list`)
    row_keys = ()  # what a row shows

    def records(self):
        model = self.filterset_class._meta.model
        return model.objects.published()

    def get_queryset(self):
        return self.records().rows(*self.row_keys)

    def get_paginator(self, queryset, per_page, **kwargs):
        """Counts are cached under the catalog's version (asked once per request)."""
        version = self.request.catalog_version.changed_at
        return super().get_paginator(queryset, per_page, version=version, **kwargs)

    def paginate_queryset(self, queryset, page_size):
        page = self.request.GET.get(self.page_kwarg, "1")
        if page != "last" and not whole_number(page):
            raise BadRequest(f"“{page[:50]}” is not a page number (1 or more).")
        return super().paginate_queryset(queryset, page_size)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if self.api_url_name:
            context["api_links"] = api_links(
                self.api_url_name, self.filterset_class, self.request.GET
            )
        return context

    def render_to_response(self, context, **response_kwargs):
        if self.filterset.is_bound and not self.filterset.is_valid():
            response_kwargs.setdefault("status", 400)
        return super().render_to_response(context, **response_kwargs)


HOME_LIMIT = 24  # classes, and top-level conditions per category, listed on the home page


class HomeView(TemplateView):
    """The overview: classes and conditions by category, the first HOME_LIMIT of each with a
    link to the full list when there are more (a large catalog has thousands)."""

    template_name = "catalog/home.html"

    def get_context_data(self, **kwargs):
        top = Condition.objects.published().filter(parent=None)
        top = top.rows("slug", "name", "url", "children")
        classes = TherapyClass.objects.published().rows(*TherapyClassListView.row_keys)
        classes, more_classes = first_rows(classes, HOME_LIMIT)
        categories = []
        for value, label in ConditionCategory.choices:
            conditions, more = first_rows(top.filter(category=value), HOME_LIMIT)
            categories.append((label, conditions, value if more else None))
        return super().get_context_data(
            classes=classes,
            more_classes=more_classes,
            roles=ModifierRole.objects.all(),
            categories=categories,
            **kwargs,
        )


DETAIL_LIST_LIMIT = 50


def first_rows(queryset, limit=DETAIL_LIST_LIMIT):
    """The first `limit` rows of a detail page's list, and whether there are more (one query:
    it fetches one row more). A condition with thousands of therapies lists the first ones and
    links to the therapy list, which pages, filters and downloads them all."""
    rows = list(queryset[: limit + 1])
    return rows[:limit], len(rows) > limit


class PublicDetailView(DetailView):
    """A detail page: published records only, unless this is a staff preview."""

    public = True

    def get_queryset(self):
        queryset = self.model.objects.for_display(public=self.public)
        return queryset.published() if self.public else queryset

    def get(self, request, *args, **kwargs):
        """A renamed record's old URL answers 301 to its current one."""
        try:
            return super().get(request, *args, **kwargs)
        except Http404:
            moved = seo.renamed(self.model, kwargs["slug"]) if self.public else None
            if moved is None:
                raise
            return HttpResponsePermanentRedirect(moved.get_absolute_url())

    def indications(self):
        return Indication.objects.for_display().filter(Indication.visible() if self.public else Q())

    def structured_data(self, context):
        """schema.org nodes for the page (see structured_data.py)."""
        raise NotImplementedError

    # The kinds of section the page shows, in page order (Section.THERAPY_KINDS …); () for none.
    section_kinds = ()

    def cited_sources(self, context):
        """Every source the page's content cites: the record's, its sections', and those of the
        uses it lists, each once, in that order."""
        record = self.object
        groups = [record.sources.all()]
        if self.section_kinds:
            groups += [section.sources.all() for section in record.sections.all()]
        for name in ("indications", "agent_indications", "class_indications"):
            groups += [indication.sources.all() for indication in context.get(name) or ()]
        return list({source.pk: source for group in groups for source in group}.values())

    def get_context_data(self, **kwargs):
        context = super().get_context_data(preview=not self.public, **kwargs)
        if self.section_kinds:
            context["sections"] = Section.in_page_order(
                self.object.sections.all(), self.section_kinds
            )
        context["cited_sources"] = self.cited_sources(context)
        context["glossary_terms"] = GlossaryTerm.objects.link_targets()
        context["content_changed_at"] = self.object.content_changed_at()
        context["canonical_url"] = self.request.build_absolute_uri(self.object.get_absolute_url())
        if self.public:
            nodes = self.structured_data(context)
            context["structured_data"] = structured_data.script_content(nodes)
        return context


class TherapyListView(FilteredListView):
    filterset_class = filters.TherapyFilter
    api_url_name = "therapy-list"
    # Name, brand names, class, summary, the conditions it is used for.
    row_keys = ("slug", "name", "url", "brand_names", "therapy_class", "summary", "indications")
    template_name = "catalog/therapy_list.html"


class TherapyDetailView(PublicDetailView):
    model = Therapy
    template_name = "catalog/therapy_detail.html"
    section_kinds = Section.THERAPY_KINDS

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            indications=self.object.indications.all(),
            class_indications=list(
                self.indications().filter(therapy_class=self.object.therapy_class_id)
            ),
            **kwargs,
        )

    def structured_data(self, context):
        return structured_data.therapy(self.request, self.object)


class TherapyClassListView(FilteredListView):
    filterset_class = filters.TherapyClassFilter
    api_url_name = "therapyclass-list"
    row_keys = ("slug", "name", "url", "abbreviation", "action_label", "summary")
    template_name = "catalog/class_list.html"


class TherapyClassDetailView(PublicDetailView):
    model = TherapyClass
    template_name = "catalog/class_detail.html"

    def get_context_data(self, **kwargs):
        therapies = Therapy.objects.filter(therapy_class=self.object)
        therapies = (therapies.published() if self.public else therapies).prefetch_related(
            "other_names"
        )
        shown, more = first_rows(therapies)
        return super().get_context_data(
            therapies=shown,
            therapy_total=therapies.count() if more else None,
            indications=self.indications().filter(therapy_class=self.object),
            **kwargs,
        )

    def structured_data(self, context):
        return structured_data.therapy_class(self.request, self.object, context["therapies"])


class ConditionListView(FilteredListView):
    filterset_class = filters.ConditionFilter
    api_url_name = "condition-list"
    # Name, category, the broader condition it belongs to, summary.
    row_keys = ("slug", "name", "url", "category_label", "parent", "summary")
    template_name = "catalog/condition_list.html"


class ConditionDetailView(PublicDetailView):
    model = Condition
    template_name = "catalog/condition_detail.html"
    section_kinds = Section.CONDITION_KINDS

    def get_context_data(self, **kwargs):
        indications = self.indications().filter(
            condition__in=Condition.objects.matching([self.object])
        )
        # The therapy list counts them; counting here too would cost as much as the page.
        agents, more = first_rows(indications.filter(therapy__isnull=False))
        return super().get_context_data(
            agent_indications=agents,
            more_agents=more,
            class_indications=list(indications.filter(therapy_class__isnull=False)),
            **kwargs,
        )

    def structured_data(self, context):
        return structured_data.condition(
            self.request,
            self.object,
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


class GlossaryView(FilteredListView):
    filterset_class = filters.GlossaryFilter
    api_url_name = "glossaryterm-list"
    row_keys = ("slug", "term", "definition", "also_called", "sources")
    template_name = "catalog/glossary.html"
    paginate_by = 100

    def records(self):
        return GlossaryTerm.objects.all()

    def get_context_data(self, **kwargs):
        return super().get_context_data(roles=ModifierRole.objects.all(), **kwargs)


def initial(name):
    """The A-Z letter a name is filed under: its first letter without accents, else "#"."""
    first = unicodedata.normalize("NFKD", name.strip()[:1]).encode("ascii", "ignore").decode()
    first = first.upper()
    return first if first in string.ascii_uppercase else "#"


def sort_key(name):
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return (text.casefold(), name)


AZ_ONE_PAGE_LIMIT = 2000  # names; beyond, the index shows one letter per page
AZ_PAGE_SIZE = 500
AZ_LETTERS = [*string.ascii_uppercase, "#"]


class AtoZView(TemplateView):
    """Published therapies and conditions A to Z, with their other names as "see" entries, all
    read from the search index (`SearchTerm`: every name of every record).

    Up to AZ_ONE_PAGE_LIMIT names, the whole index on one page (two queries). Beyond, one
    letter per page (`?letter=B`, `#` for names that start with a digit or another script),
    AZ_PAGE_SIZE names to a page in the order of their normalised names (an index range per
    letter)."""

    template_name = "catalog/a_z.html"

    def chosen_letter(self):
        letter = self.request.GET.get("letter", "").strip().upper()
        if letter and letter not in AZ_LETTERS:
            raise BadRequest("Choose a letter from A to Z, or # for other names.")
        return letter

    @staticmethod
    def names():
        visible = Therapy.visible("therapy__") | Condition.visible("condition__")
        return SearchTerm.objects.filter(visible).select_related("therapy", "condition")

    @staticmethod
    def entry(term):
        return {
            "name": term.name,
            "target": term.therapy or term.condition,
            "kind": "therapy" if term.therapy_id else "condition",
            "see": bool(term.relation),
        }

    def one_letter(self, letter):
        names = self.names()
        if letter == "#":
            names = names.exclude(key__regex=r"^[a-z]")
        else:
            low = letter.lower()
            names = names.filter(key__gte=low, key__lt=chr(ord(low) + 1))
        number = whole_number(self.request.GET.get("page", "1"))
        if not number:
            raise BadRequest("The page must be a whole number from 1.")
        version = self.request.catalog_version.changed_at
        paginator = Paginator(names.order_by("key", "pk"), AZ_PAGE_SIZE, version=version)
        if number > 1 and number > paginator.num_pages:
            raise Http404("There is no such page.")
        page = paginator.page(number)
        entries = [self.entry(term) for term in page.object_list]
        anchor = letter if letter != "#" else "other"
        return {
            "by_letter": True,
            "letter": letter,
            "letters": [(c, c if c != "#" else "other", True) for c in AZ_LETTERS],
            "groups": [(letter, anchor, entries)] if entries else [],
            "page_obj": page,
            "paginator": paginator,
            "is_paginated": page.has_other_pages(),
        }

    def get_context_data(self, **kwargs):
        letter = self.chosen_letter()
        names = SearchTerm.objects.filter(Q(therapy__isnull=False) | Q(condition__isnull=False))
        if names[AZ_ONE_PAGE_LIMIT : AZ_ONE_PAGE_LIMIT + 1].exists():
            return super().get_context_data(**self.one_letter(letter or "A"), **kwargs)
        groups = {}
        entries = (self.entry(term) for term in self.names())
        for entry in sorted(entries, key=lambda e: sort_key(e["name"])):
            groups.setdefault(initial(entry["name"]), []).append(entry)
        letters = list(string.ascii_uppercase) + (["#"] if "#" in groups else [])
        return super().get_context_data(
            letters=[
                (letter, letter if letter != "#" else "other", letter in groups)
                for letter in letters
            ],
            groups=[
                (letter, letter if letter != "#" else "other", groups[letter])
                for letter in letters
                if letter in groups
            ],
            **kwargs,
        )
