"""Reference content in the admin: the roles of biological response modifiers and the glossary
(kept in history; they have no draft status)."""

from django.contrib import admin

from ..models import GlossaryTerm, ModifierRole
from .history import HistoryAdmin

__all__ = ["GlossaryTermAdmin", "ModifierRoleAdmin"]


@admin.register(ModifierRole)
class ModifierRoleAdmin(HistoryAdmin):
    list_display = ["position", "title"]
    list_display_links = ["title"]
    search_fields = ["title", "explanation"]
    prepopulated_fields = {"slug": ["title"]}
    autocomplete_fields = ["sources"]


@admin.register(GlossaryTerm)
class GlossaryTermAdmin(HistoryAdmin):
    list_display = ["term", "also_called"]
    search_fields = ["term", "also_called", "definition"]
    prepopulated_fields = {"slug": ["term"]}
    autocomplete_fields = ["sources"]
