"""The search pages: `/search/?q=` (results grouped by type) and the type-ahead's
`/search/suggest/?q=` (JSON). Thin: the text is checked here, found and ranked by ranking.py."""

from django.core.exceptions import BadRequest
from django.http import JsonResponse
from django.views.generic import TemplateView

from .. import caching
from .ranking import GROUP_KEYS, search

MAX_QUERY_LENGTH = 100
MAX_SUGGESTIONS = 8


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
        return super().get_context_data(
            query=text,
            results=search(text) if text else None,
            max_length=MAX_QUERY_LENGTH,
            **kwargs,
        )


def suggest(request):
    """`/search/suggest/?q=ritux[&type=therapy]`: the type-ahead's suggestions as JSON, best
    first: label, why it matched, type, slug and URL."""
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
    suggestions = []
    if text:
        results = search(text, groups=kinds or None, limit=MAX_SUGGESTIONS, count=False)
        suggestions = [
            {"label": r.title, "why": r.why, "type": r.group, "slug": r.slug, "url": r.url}
            for r in results.best(MAX_SUGGESTIONS)
        ]
    response = JsonResponse({"query": text, "suggestions": suggestions})
    caching.share_briefly(response)
    return response
