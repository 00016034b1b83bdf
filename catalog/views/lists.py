"""The filterable, paginated list pages (therapies, classes, conditions, glossary): what a list
shows in words ("7 therapies for Rheumatoid arthritis"), its answers to bad input (a misspelled
parameter, a near miss, a page that is not a number) and the "Use this data" links to the same
list in the API. Filtering lives in catalog/filters.py, list rows on the models
(catalog/models/rows.py)."""

import functools
from urllib.parse import urlencode

from django.urls import reverse
from django_filters.views import FilterView

from .. import facets, filters, params
from ..models import GlossaryTerm, ModifierRole
from ..paging import Paginator, whole_number


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
    answer 400 on the list page itself; a misspelled parameter is named with the one it was
    probably meant to be, and the rest of the query still applies (200).

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
    title = ""  # the list's name ("Therapies"): its heading unfiltered, and its breadcrumb
    nouns = ("record", "records")  # one, several: "7 therapies for …"
    page_error = None
    typed_options = 8  # a typed filter's options listed with their counts, most results first

    def records(self):
        model = self.filterset_class._meta.model
        return model.objects.published()

    def get_queryset(self):
        """The records; a page reads only its own rows, by their keys (`get_paginator`)."""
        return self.records()

    def get_paginator(self, queryset, per_page, **kwargs):
        """Counts are cached under the catalog's version (asked once per request); a page's
        rows are read by their keys (`rows_of()`)."""
        version = self.request.catalog_version.stamp
        model = self.filterset_class._meta.model
        read_rows = functools.partial(model.objects.rows_of, keys=self.row_keys)
        return super().get_paginator(
            queryset, per_page, version=version, read_rows=read_rows, **kwargs
        )

    def paginate_queryset(self, queryset, page_size):
        """A page of the list; none for filters to correct (whatever the page asked, the form
        says what is wrong) or for a page that is not a number (said where the pages are, with
        a link to the first: both 400s)."""
        page = self.request.GET.get(self.page_kwarg, "1")
        invalid = self.filterset.is_bound and not self.filterset.is_valid()
        if not invalid and page != "last" and not whole_number(page):
            self.page_error = f"“{page[:50]}” is not a page number."
        if invalid or self.page_error:
            return self.get_paginator(queryset, page_size), None, [], False
        return super().paginate_queryset(queryset, page_size)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        query = self.request.GET
        if self.api_url_name:
            context["api_links"] = api_links(self.api_url_name, self.filterset_class, query)
        context["heading"] = self.heading(context["paginator"])
        if self.title:
            home = ("Home", reverse("catalog:home"))
            context["breadcrumbs"] = [home, (self.title, self.request.path)]
        applied = filters.applied_filters(self.filterset_class, query)
        context["active_filters"] = sum(  # "Filter results (2 active)"
            1 for name, values in applied.items() if name != "ordering" and "".join(values).strip()
        )
        known = {*self.filterset_class.base_filters, self.page_kwarg}
        context["unknown_parameters"] = [
            (name, guess, f"?{params.renamed(query, name, guess)}" if guess else None)
            for name, guess in params.unknown(query, known)
        ]
        context["filter_errors"] = self.filter_errors()
        context["page_error"] = self.page_error
        context["facets"] = self.show_facets()
        return context

    def show_facets(self):
        """The counts beside the filters' options (catalog/facets.py), for a valid filtering,
        on the filter form: a select's options read "Autoimmune (5)", those without results
        left out unless selected (then greyed, "(0)"); a typed filter lists its options with
        the most results under it (`facet_options` of the form's field), each a link to the
        list with that option alone. Returns {facet: [{value, label, count, selected}]}."""
        filterset = self.filterset
        declared = facets.FACETS.get(type(filterset), {})
        if not declared or (filterset.is_bound and not filterset.is_valid()):
            return {}
        version = self.request.catalog_version.stamp
        found = facets.facet_options(filterset, version, top=self.typed_options)
        form, query = filterset.form, self.request.GET
        for name, options in found.items():
            field = form.fields[name]
            if declared[name].typed:
                if facets.list_name(type(filterset)):  # the type-ahead's suggestions count too
                    field.widget.attrs["data-suggest-list"] = facets.list_name(type(filterset))
                # The first options, then any selected further down: in the facet's order.
                field.facet_options = [
                    {**o, "url": f"?{params.with_value(query, name, o['value'])}"} for o in options
                ]
                continue
            field.choices = [(o["value"], f"{o['label']} ({o['count']:,})") for o in options]
            field.widget.dimmed = frozenset(o["value"] for o in options if not o["count"])
        return found

    def filter_errors(self):
        """The form's errors as the page lists them: (field id, label, message, [(suggested
        name, the same list with it instead)]), the suggestions linked ("Did you mean …?")."""
        form, query = self.filterset.form, self.request.GET
        if not form.errors:
            return []
        suggested = {
            name: (value, names, message)
            for name, value, names, message in (getattr(form, "suggestions", []))
        }
        found = []
        for field in form:
            if field.name in suggested:
                value, names, message = suggested[field.name]
                links = [(n, f"?{params.replaced(query, field.name, value, n)}") for n in names]
                found.append((field.id_for_label, field.label, message, links))
                continue
            found += [(field.id_for_label, field.label, error, []) for error in field.errors]
        found += [(None, None, error, []) for error in form.non_field_errors()]
        return found

    def heading(self, paginator):
        """What the list shows: "7 therapies for Rheumatoid arthritis", "Therapies (29)"
        unfiltered; the count is the paginator's (no other query)."""
        filterset = self.filterset
        if filterset.is_bound and not filterset.is_valid():
            return self.title
        count = paginator.count if paginator else len(self.object_list)
        phrases = filterset.described(several=count != 1) if filterset.is_bound else []
        if not phrases:
            return f"{self.title} ({count:,})"
        noun = self.nouns[0] if count == 1 else self.nouns[1]
        return " ".join([f"{count:,}", noun, *phrases])

    def render_to_response(self, context, **response_kwargs):
        invalid = self.filterset.is_bound and not self.filterset.is_valid()
        if invalid or self.page_error:
            response_kwargs.setdefault("status", 400)
        return super().render_to_response(context, **response_kwargs)


class TherapyListView(FilteredListView):
    filterset_class = filters.TherapyFilter
    api_url_name = "therapy-list"
    # Name, brand names, class, summary, the conditions it is used for.
    row_keys = ("slug", "name", "url", "brand_names", "therapy_class", "summary", "indications")
    template_name = "catalog/therapy_list.html"
    title = "Therapies"
    nouns = ("therapy", "therapies")


class TherapyClassListView(FilteredListView):
    filterset_class = filters.TherapyClassFilter
    api_url_name = "therapyclass-list"
    row_keys = ("slug", "name", "url", "abbreviation", "action_label", "summary")
    template_name = "catalog/class_list.html"
    title = "Classes of therapy"
    nouns = ("class of therapy", "classes of therapy")


class ConditionListView(FilteredListView):
    filterset_class = filters.ConditionFilter
    api_url_name = "condition-list"
    # Name, category, the broader condition it belongs to, summary.
    row_keys = ("slug", "name", "url", "category_label", "parent", "summary")
    template_name = "catalog/condition_list.html"
    title = "Conditions"
    nouns = ("condition", "conditions")


class GlossaryView(FilteredListView):
    filterset_class = filters.GlossaryFilter
    api_url_name = "glossaryterm-list"
    row_keys = ("slug", "term", "definition", "also_called", "sources")
    template_name = "catalog/glossary.html"
    paginate_by = 100

    def records(self):
        return GlossaryTerm.objects.all()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(
            roles=ModifierRole.objects.all(),
            breadcrumbs=[("Home", reverse("catalog:home")), ("Glossary", self.request.path)],
            **kwargs,
        )
        # Each term with the records it explains ("Monoclonal antibody": the class), one query.
        terms = list(context["object_list"])
        explained = GlossaryTerm.objects.records_explained(terms)
        context["object_list"] = [{**t, "explains": explained.get(t["slug"], [])} for t in terms]
        return context
