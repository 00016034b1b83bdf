"""The public pages' templates (catalog/jinja2/): Django's Jinja2 backend, with what they use
of Django.

Rendering the pages through the Django template engine was the largest part of a list page's
time (about 45% at 100,000 therapies: ~2,400 variable lookups and node renders for 20 rows);
Jinja2 compiles a template to Python once. Autoescaping stays on, so every value is escaped
unless it is already safe HTML (Django's `mark_safe` and Jinja2's `Markup` both count).

What the templates call, each the Django function itself, so the output is the same:
- `url(name, *args)`, `static(path)`, `querystring(page=…)` (Django's `{% querystring %}`:
  the request's query string with these changed, `None` removing one);
- `nav_links(request)` (catalog/navigation.py) and `canonical_link()`;
- filters `date`, `floatformat`, `pluralize`, `truncatewords`, `linebreaks` (Django's), and
  `glossary_links(terms)` (catalog/glossary_links.py).
A name the context lacks renders as nothing, as in Django's templates (`ChainableUndefined`).
The admin's templates (templates/) stay on the Django template engine.
"""

from types import SimpleNamespace
from urllib.parse import urlencode

from django.template import defaultfilters, defaulttags
from django.templatetags.static import static
from django.urls import reverse
from django.utils.html import linebreaks as html_linebreaks
from django.utils.timezone import template_localtime
from jinja2 import Environment, pass_context
from markupsafe import Markup

from . import navigation
from .glossary_links import link_terms


def url(name, *args, **kwargs):
    return reverse(name, args=args or None, kwargs=kwargs or None)


@pass_context
def querystring(context, **changes):
    """Django's `{% querystring %}`: the current query string with `changes` applied."""
    return defaulttags.querystring(SimpleNamespace(request=context["request"]), **changes)


@pass_context
def canonical_link(context):
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


def date(value, arg=None):
    """Django's `date` filter, in the current time zone as Django's templates show it."""
    return defaultfilters.date(template_localtime(value), arg)


def linebreaks(value):
    """Paragraphs and `<br>` for the text's line breaks; the text escaped unless it is HTML."""
    return Markup(html_linebreaks(value, autoescape=not hasattr(value, "__html__")))


def glossary_links(text, terms):
    return Markup(link_terms(text or "", terms or ()))


def environment(**options):
    env = Environment(**options)
    env.globals.update(
        url=url,
        static=static,
        querystring=querystring,
        nav_links=navigation.links,
        canonical_link=canonical_link,
    )
    env.filters.update(
        date=date,
        floatformat=defaultfilters.floatformat,
        pluralize=defaultfilters.pluralize,
        truncatewords=defaultfilters.truncatewords,
        linebreaks=linebreaks,
        glossary_links=glossary_links,
    )
    return env
