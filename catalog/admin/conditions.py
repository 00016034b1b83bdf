"""Conditions in the admin, with their other names and the therapies used for them inline."""

from django.contrib import admin

from ..models import Condition, ConditionName
from ..transfer.admin import TransferMixin
from ..transfer.resources import ConditionResource
from .checks import ChecksMixin
from .forms import TopDownFormMixin, top_down_fieldsets
from .indications import ConditionIndicationInline
from .review import ReviewedAdmin, ReviewFilter
from .sections import ConditionSectionInline

__all__ = ["ConditionAdmin"]


class ConditionNameInline(admin.TabularInline):
    model = ConditionName
    extra = 1


@admin.register(Condition)
class ConditionAdmin(TransferMixin, ChecksMixin, TopDownFormMixin, ReviewedAdmin):
    resource_classes = [ConditionResource]
    list_display = ["name", "category", "parent", "status", "last_reviewed"]
    list_filter = [
        "status",
        ReviewFilter,
        "category",
        ("parent", admin.RelatedOnlyFieldListFilter),
        "last_reviewed",
    ]
    list_select_related = ["parent"]
    search_fields = ["name", "slug", "other_names__name", "summary"]
    fieldsets = top_down_fieldsets("name", "category", "parent", "summary")
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["parent", "sources"]
    inlines = [ConditionSectionInline, ConditionNameInline, ConditionIndicationInline]
