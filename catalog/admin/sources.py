"""The sources records cite, in the admin (kept in history; they have no draft status and show
with the records citing them), with their URL's last link check (admin/checks.py)."""

from django.contrib import admin
from django.db import models

from ..models import Source
from .checks import LinkCheckAdminMixin
from .history import HistoryAdmin

__all__ = ["SourceAdmin"]


@admin.register(Source)
class SourceAdmin(LinkCheckAdminMixin, HistoryAdmin):
    list_display = ["title", "publisher", "last_updated", "url"]
    list_filter = ["publisher"]
    search_fields = ["title", "publisher", "slug"]
    prepopulated_fields = {"slug": ["title"]}
    # A URL typed without a scheme is taken as https (Django 6's default; silences the
    # RemovedInDjango60Warning that Django 5.2 raises for forms.URLField).
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
