"""Counts beside filters (facets): for each option of a filter, how many published records the
list would show with that option and every other filter of the query kept ("Anti-TNF therapy
(5)"), the same for the list pages and the API's `?facets=`.

For facet F the records are those all the query's other filters select, through the list's own
FilterSet (`CatalogFilterSet.filter_queryset(leaving_out=[F])`); then ONE grouped query counts
them per option of F (GROUP BY the option), never one query per option. A list's facet counts
are cached under the catalog's version and the other filters' values (`counts_key`, and the
release): exact, and counted once per version and filtering.

`FACETS` names each FilterSet's facets and how each one counts; `facet_options()` gives each
facet's options ({value, label, count, selected}, as the API writes them) with a count: the
non-zero ones, and every selected one even at zero (a selected value is never silently
dropped). At 100,000 therapies a list with facets has 2,200 options: they are plain dicts
made from the cached rows in one pass.
"""

import hashlib

from django.core.cache import cache
from django.db import models
from django.db.models import Count
from django.http import QueryDict

from . import filters
from .models import Indication, TherapyUse
from .pagecache import release
from .paging import COUNT_TIMEOUT
from .params import comma_separated


class ChoiceFacet:
    """A choice filter on a field of the records or of a to-one relation (the filter's
    `field_name`, or `path`): options in the order of the choices."""

    typed = False

    def __init__(self, path=None):
        self.path = path

    def grouped(self, records, filter_, narrowed=True):
        path = self.path or filter_.field_name
        rows = records.order_by().values(path).annotate(n=Count("pk")).values_list(path, "n")
        return self.labelled(rows, filter_)

    @staticmethod
    def labelled(rows, filter_):
        """(value, its choice's label, count) of grouped (value, count) rows that are choices."""
        choices = dict(filter_.extra["choices"])
        return [(value, str(choices[value]), n) for value, n in rows if value in choices]

    def selected(self, filter_, values):
        choices = dict(filter_.extra["choices"])
        return [(value, str(choices[value])) for value in values]

    def order_key(self, filter_):
        """The facet's order, of (value, label, count) rows: the choices' order."""
        position = {str(value): i for i, (value, _) in enumerate(filter_.extra["choices"])}
        return lambda option: position[option[0]]


class RecordFacet(ChoiceFacet):
    """A typed filter of related records (`path`: a to-one relation of the records): options by
    slug, most results first. Only records the filter accepts (published ones) are options."""

    typed = True

    def grouped(self, records, filter_, narrowed=True):
        path = self.path or filter_.field_name
        rows = (
            records.order_by()
            .filter(**{f"{path}__in": filter_.queryset})
            .values(f"{path}__slug", f"{path}__name")
            .annotate(n=Count("pk"))
            .values_list(f"{path}__slug", f"{path}__name", "n")
        )
        return list(rows)

    def selected(self, filter_, values):
        return [(record.slug, record.name) for record in values]

    def order_key(self, filter_):
        """Most results first, then by name."""
        return lambda option: (-option[2], option[1].casefold(), option[0])


def of_records(uses, records, narrowed):
    """`uses` (of published therapies only) restricted to the therapies of `records`, which
    only other filters (`narrowed`) make fewer than every published therapy: unfiltered, the
    restriction would be a second reading of the therapies' visibility for nothing."""
    return uses.filter(therapy__in=records.order_by().values("pk")) if narrowed else uses


class ConditionUseFacet(RecordFacet):
    """The therapy list's conditions: therapies with a published use for the condition or one
    of its sub-conditions, as the condition filter reads them (`for_conditions()`: the table of
    published uses, which holds each use under the condition's parent too). A live use's
    therapy and condition are published (models/uses.py): every counted condition is one the
    filter accepts."""

    def grouped(self, records, filter_, narrowed=True):
        rows = (
            of_records(TherapyUse.objects.live(), records, narrowed)
            .values("condition__slug", "condition__name")
            .annotate(n=Count("therapy", distinct=True))
            .values_list("condition__slug", "condition__name", "n")
        )
        return list(rows)


class ConditionCategoryFacet(ChoiceFacet):
    """The therapy list's condition categories: therapies with a published indication for a
    condition of the category, as the category filter reads them. A published agent-level
    indication's therapy is published (`Indication.visible()`); a class-level one has none,
    which COUNT(DISTINCT therapy) leaves out."""

    def grouped(self, records, filter_, narrowed=True):
        rows = (
            of_records(Indication.objects.published(), records, narrowed)
            .values("condition__category")
            .annotate(n=Count("therapy", distinct=True))
            .values_list("condition__category", "n")
        )
        return self.labelled(rows, filter_)


# Each FilterSet's facets, in the order the API documents them.
FACETS = {
    filters.TherapyFilter: {
        "therapy_class": RecordFacet(),
        "condition": ConditionUseFacet(),
        "condition_category": ConditionCategoryFacet(),
        "action": ChoiceFacet(),
    },
    filters.TherapyClassFilter: {"action": ChoiceFacet()},
    filters.ConditionFilter: {"category": ChoiceFacet()},
}


# The lists whose typed facets' suggestions carry counts (`/search/suggest/?list=`).
LISTS = {"therapies": filters.TherapyFilter}
MAX_WITHIN = 2000  # characters of the list's query a suggestion's counts are for


def list_name(filterset_class):
    return next((name for name, cls in LISTS.items() if cls is filterset_class), None)


def names(filterset_class):
    """The facets a FilterSet offers ([] for none)."""
    return list(FACETS.get(filterset_class, {}))


class UnknownFacet(ValueError):
    """`?facets=` naming a facet the list does not have (the message names those it has)."""


def requested(filterset_class, query):
    """The facet names `?facets=a,b` (repeated keys too) asks for, in the order given, or
    UnknownFacet."""
    known = names(filterset_class)
    wanted = list(dict.fromkeys(comma_separated(query, "facets")))
    unknown = [name for name in wanted if name not in known]
    if unknown or not wanted:
        available = ", ".join(known) or "none on this list"
        given = ", ".join(f"“{name[:50]}”" for name in unknown) or "(none given)"
        raise UnknownFacet(f"Unknown facet(s): {given}. Available: {available}.")
    return wanted


def facet_options(filterset, version, wanted=None, top=None):
    """{facet: [{value, label, count, selected}]} for a valid (or unbound) FilterSet, for the
    facets `wanted` (default: all its facets), of published records only: each facet's counts
    cached under the catalog's version `version` (None: not cached) and the values of the
    other filters (`counts_key`); those not cached yet counted in one grouped query each.
    `top`: a typed facet's first `top` options only, then any selected further down (what a
    list page shows of thousands)."""
    declared = FACETS.get(type(filterset), {})
    wanted = list(declared) if wanted is None else wanted
    keys = {name: counts_key(filterset, name, version) for name in wanted}
    found = cache.get_many([key for key in keys.values() if key])
    fresh = {}
    grouped = {}
    for name in wanted:
        key = keys[name]
        if key in found:
            grouped[name] = found[key]
            continue
        # Drafts are never counted, even for editors: the model's published records, whoever
        # asks (a list's own queryset holds at least those).
        base = filterset._meta.model.objects.published()
        records = filterset.filter_queryset(base, leaving_out=[name])
        facet, filter_ = declared[name], filterset.filters[name]
        grouped[name] = counted(facet, filter_, facet.grouped(records, filter_, narrows(filterset)))
        if key:
            fresh[key] = grouped[name]
    if fresh:
        cache.set_many(fresh, COUNT_TIMEOUT)
    data = filterset.form.cleaned_data if filterset.is_bound else {}
    return {
        name: options(
            declared[name],
            filterset.filters[name],
            grouped[name],
            data.get(name),
            top if declared[name].typed else None,
        )
        for name in wanted
    }


def counts_key(filterset, name, version):
    """The cache key of facet `name`'s counts: the FilterSet, the catalog's version (None: not
    cached), and the values (as the form cleaned them) of every other filter but the sort.
    Exact, as the filters select by those values alone and every write to the catalog moves
    the version; made without building or compiling the facet's query (four facets' queries
    took longer to compile for their keys than the list took to answer). The release too: a
    deploy that changes how a facet counts never reads the previous one's counts from a cache
    that outlived it (Redis)."""
    if version is None:
        return None
    data = filterset.form.cleaned_data if filterset.is_bound else {}
    given = sorted(
        (field, key_value(value))
        for field, value in data.items()
        if field != name and not isinstance(filterset.filters[field], filters.OrderingFilter)
    )
    described = repr((type(filterset).__qualname__, name, str(version), given))
    return f"facet:{release()}:{name}:{hashlib.sha256(described.encode()).hexdigest()}"


def options_key(filterset, name, version):
    """The cache key of facet `name`'s options as a response writes them: its counts' key
    (`counts_key`) and the facet's own values, which it marks selected."""
    data = filterset.form.cleaned_data if filterset.is_bound else {}
    own = hashlib.sha256(repr(key_value(data.get(name))).encode()).hexdigest()
    return f"{counts_key(filterset, name, version)}:options:{own}"


def key_value(value):
    """A cleaned filter value as text for a cache key: records by primary key, lists in order."""
    if isinstance(value, models.Model):
        return f"pk={value.pk}"
    if isinstance(value, models.QuerySet | list | tuple):
        return tuple(key_value(item) for item in value)
    return repr(value)


def narrows(filterset):
    """Whether the filters the FilterSet just applied (`applying`) select fewer records than
    all: any of them given a value, the sort aside."""
    return any(
        value and not isinstance(filterset.filters[name], filters.OrderingFilter)
        for name, value in filterset.applying.items()
    )


def counted(facet, filter_, rows):
    """The grouped (value, label, count) rows with results, values as text, in the facet's
    order: what is cached, so that a request only marks the selected options."""
    rows = [(str(value), label, n) for value, label, n in rows if n]
    return sorted(rows, key=facet.order_key(filter_))


def options(facet, filter_, grouped, values, top=None):
    """The options with results (`grouped`, as `counted` made them), and the selected ones
    (`values`, as the form cleaned them) even without, in the facet's order; `top`: the first
    `top` of them, then the selected ones further down."""
    selected = {str(value): label for value, label in facet.selected(filter_, values or [])}
    rows = grouped
    if selected:
        shown = {value for value, _label, _n in grouped if value in selected}
        missing = [(value, label, 0) for value, label in selected.items() if value not in shown]
        if missing:
            rows = sorted(grouped + missing, key=facet.order_key(filter_))
    if top is not None:
        rows = rows[:top] + [row for row in rows[top:] if row[0] in selected]
    return [{"value": value, "label": label, "count": n, "selected": value in selected}
            for value, label, n in rows]  # fmt: skip


def suggestion_counts(listed, facet, within, version):
    """For the type-ahead of a list's typed filter: ({slug: count} of the facet's options, the
    records' search group ("class")), for the list `listed` ("therapies") with its other
    filters as in the query string `within` (the form as it stands). UnknownFacet for a list
    or facet there is not or an over-long `within`; no counts ({}, None) while the form's
    other filters need correcting (the page says what)."""
    filterset_class = LISTS.get(listed)
    if filterset_class is None:
        raise UnknownFacet(f"Unknown list “{listed[:50]}”. Available: {', '.join(LISTS)}.")
    declared = FACETS[filterset_class]
    typed = [name for name in declared if declared[name].typed]
    if facet not in typed:
        raise UnknownFacet(f"Unknown facet “{facet[:50]}”. Available: {', '.join(typed)}.")
    if len(within) > MAX_WITHIN:
        raise UnknownFacet(f"The list's query is limited to {MAX_WITHIN} characters.")
    data = QueryDict(within, mutable=True)
    data.pop(facet, None)
    model = filterset_class._meta.model
    filterset = filterset_class(data, queryset=model.objects.published())
    if not filterset.is_valid():
        return {}, None
    group = filterset.filters[facet].queryset.model.search_group[0]
    found = facet_options(filterset, version, [facet])[facet]
    return {option["value"]: option["count"] for option in found}, group
