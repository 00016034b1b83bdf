"""The checks in the admin: the *Checks* panel of the therapy, class and condition change forms
(`ChecksMixin`: the checks of what the form holds, and a staff-only URL that computes them again
from the form as typed, which static/js/admin/checks.js calls), and the last link check of each
source on the Source changelist (a column and a filter) and change form (`LinkCheckAdminMixin`).
What is checked is catalog/content_checks/'s; this module only shows it."""

from django import forms
from django.contrib import admin
from django.http import HttpResponseBadRequest, HttpResponseForbidden, HttpResponseNotAllowed
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html

from ..content_checks import BadInput, checks_of, checks_of_form
from ..models import LinkCheck, LinkState, status_in_words

__all__ = ["ChecksMixin", "LinkCheckAdminMixin", "LinkFilter"]

PANEL_TEMPLATE = "admin/catalog/includes/checks_panel.html"


class ChecksMixin:
    """A change form with the *Checks* panel (templates/admin/catalog/top_down_change_form.html
    shows it): the checks of the saved record, or of the submitted data when the form comes
    back with errors; with JavaScript, recomputed as the editor types."""

    @property
    def media(self):
        return super().media + forms.Media(
            js=["js/admin/checks.js"], css={"all": ["css/admin/checks.css"]}
        )

    def checks_url_name(self):
        return f"{self.opts.app_label}_{self.opts.model_name}_checks"

    def get_urls(self):
        view = self.admin_site.admin_view(self.checks_view)
        return [path("checks/", view, name=self.checks_url_name()), *super().get_urls()]

    def render_change_form(self, request, context, *args, **kwargs):
        obj, form = kwargs.get("obj"), context["adminform"].form
        try:
            checks = checks_of_form(self.model, form.data) if form.is_bound else None
        except BadInput as error:  # an altered form: the form's own errors say the rest
            checks, context["checks_error"] = None, str(error)
        if checks is None and "checks_error" not in context:
            checks = checks_of(obj if obj is not None else self.model())
        context["checks"] = checks
        context["checks_url"] = reverse(f"{self.admin_site.name}:{self.checks_url_name()}")
        return super().render_change_form(request, context, *args, **kwargs)

    def checks_view(self, request):
        """The panel's content for the change form's data as POSTed (staff only: the admin
        site's login; then the right to view or change this kind of record)."""
        if request.method != "POST":
            response = HttpResponseNotAllowed(
                ["POST"], "POST the change form's fields to get their checks."
            )
            response["Content-Type"] = "text/plain; charset=utf-8"
            return response
        if not self.has_view_or_change_permission(request):
            return HttpResponseForbidden(
                f"You may not view {self.opts.verbose_name_plural}, so their checks are not shown.",
                content_type="text/plain; charset=utf-8",
            )
        try:
            checks = checks_of_form(self.model, request.POST)
        except BadInput as error:
            return HttpResponseBadRequest(str(error), content_type="text/plain; charset=utf-8")
        response = TemplateResponse(request, PANEL_TEMPLATE, {"checks": checks})
        response["Cache-Control"] = "private, no-store"
        return response


def checked_on(when):
    return date_format(timezone.localtime(when), "j F Y, H:i")


class LinkFilter(admin.SimpleListFilter):
    title = "link"
    parameter_name = "link"

    def lookups(self, request, model_admin):
        return LinkState.choices

    def queryset(self, request, queryset):
        if self.value() in LinkState.values:
            return LinkCheck.objects.sources_in_state(queryset, self.value())
        return queryset


class LinkCheckAdminMixin:
    """Sources with their URL's last link check (`manage.py check_links`), read in the same
    query as the sources: a *link* column and filter on the changelist, and the check in full,
    read-only, on the change form."""

    def get_queryset(self, request):
        return LinkCheck.objects.annotate_sources(super().get_queryset(request))

    def get_list_display(self, request):
        return [*super().get_list_display(request), "link_check"]

    def get_list_filter(self, request):
        return [*super().get_list_filter(request), LinkFilter]

    def get_readonly_fields(self, request, obj=None):
        return [*super().get_readonly_fields(request, obj), "last_link_check"]

    @admin.display(description="link", ordering="link_ok")
    def link_check(self, source):
        if source.link_ok is None:
            return "never checked"
        if source.link_ok:
            return f"ok ({source.link_status})"
        return f"broken: {source.link_error}"

    @admin.display(description="last link check")
    def last_link_check(self, source):
        if getattr(source, "link_ok", None) is None:
            return "Never checked: `manage.py check_links` checks every source's URL."
        if source.link_ok:
            outcome = f"OK: {status_in_words(source.link_status)}"
        else:
            outcome = f"Broken: {source.link_error}"
        text = format_html("{} (checked {})", outcome, checked_on(source.link_checked_at))
        if source.link_final_url and source.link_final_url != source.url:
            text = format_html("{}; redirected to {}", text, source.link_final_url)
        return text
