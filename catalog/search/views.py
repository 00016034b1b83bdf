"""The search pages: `/search/?q=` (the best match, then results grouped by type; when nothing
matches, spellings to try and the classes and conditions to browse) and the type-ahead's
`/search/suggest/?q=` (JSON). Thin: the text is checked here, found and ranked by ranking.py."""

from django.core.exceptions import BadRequest
from django.http import JsonResponse
from django.urls import reverse
from django.views.generic import TemplateView

from .. import caching, facets
from ..models import Condition, TherapyClass
from .ranking import GROUP_KEYS, search

MAX_QUERY_LENGTH = 100
MAX_SUGGESTIONS = 8
BROWSE_LIMIT = 24  # classes and top-level conditions offered when nothing matches


def query_text(request):
    text = request.GET.get("q", "").strip()
    if len(text) > MAX_QUERY_LENGTH:
        raise BadRequest(f"Searches are limited to {MAX_QUERY_LENGTH} characters.")
    return text


class SearchView(TemplateView):
    """`/search/?q=`: the form and a hint when `q` is empty; 400 when it is too long."""

    template_name = "catalog/search.html"

    def get_context_data(self, **kwargs):
        text = query_text(self.request)
        results = search(text) if text else None
        if results is not None and not results.groups:
            kwargs["browse"] = browse()
        return super().get_context_data(
            query=text,
            results=results,
            max_length=MAX_QUERY_LENGTH,
            breadcrumbs=[("Home", reverse("catalog:home")), ("Search", reverse("catalog:search"))],
            **kwargs,
        )


def browse():
    """What to browse when nothing matches: (heading, records, list URL, whether there are
    more) for the published classes and top-level conditions, the first BROWSE_LIMIT of each
    A-Z (two queries)."""
    lists = [
        ("Classes of therapy", TherapyClass.objects.published(), "catalog:class-list"),
        ("Conditions", Condition.objects.published().filter(parent=None), "catalog:condition-list"),
    ]
    shown = []
    for heading, records, url_name in lists:
        records = list(records.order_by("name").only("slug", "name")[: BROWSE_LIMIT + 1])
        more = len(records) > BROWSE_LIMIT
        shown.append((heading, records[:BROWSE_LIMIT], reverse(url_name), more))
    return shown


def suggest(request):
    """`/search/suggest/?q=ritux[&type=therapy]`: the type-ahead's suggestions as JSON, best
    first: label, why it matched, type, slug and URL. A list's typed filter adds
    `list=therapies&facet=therapy_class&within=<the form's query>`: then each suggestion of
    that kind has its `count` beside it too, as the list would count it (catalog/facets.py)."""
    try:
        text = query_text(request)
    except BadRequest as error:  # the type-ahead reads JSON, errors included
        return JsonResponse({"detail": str(error)}, status=400)
    kinds = [k for k in request.GET.get("type", "").split(",") if k.strip()]
    unknown = [k for k in kinds if k not in GROUP_KEYS]
    if unknown:
        return JsonResponse(
            {
                "detail": f"Unknown type {unknown[0]!r}: choose from {', '.join(GROUP_KEYS)}.",
            },
            status=400,
        )
    counts, counted = {}, None
    if "list" in request.GET:  # a list's typed filter: each suggestion with its count
        try:
            counts, counted = facets.suggestion_counts(
                request.GET["list"],
                request.GET.get("facet", ""),
                request.GET.get("within", ""),
                request.catalog_version.stamp,
            )
        except facets.UnknownFacet as error:
            return JsonResponse({"detail": str(error)}, status=400)
    suggestions = []
    if text:
        results = search(text, groups=kinds or None, limit=MAX_SUGGESTIONS, count=False)
        suggestions = [
            {"label": r.title, "why": r.why, "type": r.group, "slug": r.slug, "url": r.url}
            | ({"count": counts.get(r.slug, 0)} if r.group == counted else {})
            for r in results.best(MAX_SUGGESTIONS)
        ]
    response = JsonResponse({"query": text, "suggestions": suggestions})
    caching.share_briefly(response)
    return response
