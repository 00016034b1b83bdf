"""How the public pages' filter forms render their fields: Django's own widget templates through
its Jinja2 form renderer (Django ships a Jinja2 copy of each; the same HTML), since rendering
each `<select>` and `<option>` through the Django template engine was a fifth of a list page's
time. A template Django does not ship for Jinja2 (django-filter's widgets) is read by the
Django template engine as before. The admin's forms keep Django's default renderer.

`CommaSeparatedSelectMultiple` is the filters' multiple select; options without results (the
facet counts, catalog/facets.py) that are still selected are shown greyed (`dimmed`)."""

from django import forms
from django.forms.renderers import BaseRenderer, DjangoTemplates, Jinja2
from django.template import TemplateDoesNotExist

from .params import comma_separated


class CommaSeparatedSelectMultiple(forms.SelectMultiple):
    """Reads `?x=a,b&x=c` as [a, b, c]; renders as a plain multiple select (no JavaScript).
    For short fixed lists (categories, actions). `dimmed`: the values of options shown greyed
    (selected, but with no results: their label says "(0)")."""

    dimmed = frozenset()

    def value_from_datadict(self, data, files, name):
        return comma_separated(data, name)

    def create_option(self, name, value, *args, **kwargs):
        option = super().create_option(name, value, *args, **kwargs)
        if str(value) in self.dimmed:
            option["attrs"]["class"] = "facet-empty"
        return option


class FilterFormRenderer(BaseRenderer):
    def __init__(self):
        self.jinja2 = Jinja2()
        self.django = DjangoTemplates()

    def get_template(self, template_name):
        try:
            return self.jinja2.get_template(template_name)
        except TemplateDoesNotExist:
            return self.django.get_template(template_name)


renderer = FilterFormRenderer()
