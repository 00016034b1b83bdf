"""How the public pages' filter forms render their fields: Django's own widget templates through
its Jinja2 form renderer (Django ships a Jinja2 copy of each; the same HTML), since rendering
each `<select>` and `<option>` through the Django template engine was a fifth of a list page's
time. A template Django does not ship for Jinja2 (django-filter's widgets) is read by the
Django template engine as before. The admin's forms keep Django's default renderer."""

from django.forms.renderers import BaseRenderer, DjangoTemplates, Jinja2
from django.template import TemplateDoesNotExist


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
