"""Terms a reader may not know ("monoclonal antibody", "anti-TNF", "B cells") linked to their
glossary entry on first use in a text: the names come from the glossary itself (each term and
what it is also called, with its plural), the text is escaped before any link is added (by
markupsafe, as the page templates escape every other value: catalog/templating.py)."""

import functools
import re

from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from markupsafe import escape

from .text import forms_of


@functools.lru_cache(maxsize=16)
def patterns(terms):
    """One regular expression for (slug, names) pairs (a tuple of tuples), longest names
    first (so "monoclonal antibody" wins over "antibody"), and the slug of each lower-cased
    form. Made once per process for each set of terms: a page links terms in several texts,
    and the terms change only when the glossary does."""
    slug_of = {}
    for slug, names in terms:
        for name in names:
            for form in forms_of(name.strip()):
                if form:
                    slug_of.setdefault(escape(form).lower(), slug)
    if not slug_of:
        return None, slug_of
    alternatives = sorted(slug_of, key=len, reverse=True)
    words = "|".join(re.escape(form) for form in alternatives)
    return re.compile(rf"(?<![\w-])({words})(?![\w-])", re.IGNORECASE), slug_of


def link_terms(text, terms, skip=()):
    """`text`, escaped, with the first use of each glossary term linked to its entry (terms
    whose slug is in `skip` are left alone)."""
    pattern, slug_of = patterns(tuple((slug, tuple(names)) for slug, names in terms))
    escaped = escape(text)
    if pattern is None:
        return mark_safe(escaped)
    glossary = reverse("catalog:glossary")
    linked = set(skip)

    def link(match):
        slug = slug_of[match.group(1).lower()]
        if slug in linked:
            return match.group(1)
        linked.add(slug)
        return format_html(
            '<a class="term" href="{}#{}">{}</a>', glossary, slug, mark_safe(match.group(1))
        )

    return mark_safe(pattern.sub(link, escaped))
