"""{% canonical_url %}: the page's canonical absolute URL."""

from urllib.parse import urlencode

from django import template

register = template.Library()


@register.simple_tag(takes_context=True)
def canonical_url(context):
    """The view's `canonical_url` when it gives one (detail pages: no query string); otherwise
    this URL without its `page` parameter (list pages keep their filters). Empty when there
    is no request (error pages rendered without one)."""
    if context.get("canonical_url"):
        return context["canonical_url"]
    request = context.get("request")
    if request is None:
        return ""
    params = [(k, v) for k, values in request.GET.lists() if k != "page" for v in values]
    query = urlencode(params)
    return request.build_absolute_uri(request.path + (f"?{query}" if query else ""))
