"""`{{ text|glossary_links:glossary_terms }}`: a text with its glossary terms linked on first
use (catalog/glossary_links.py); `glossary_terms` comes from the detail views."""

from django import template

from ..glossary_links import link_terms

register = template.Library()


@register.filter
def glossary_links(text, terms):
    return link_terms(text or "", terms or ())
