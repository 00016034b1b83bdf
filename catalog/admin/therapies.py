"""Therapy classes and therapies in the admin, a therapy's other names inline."""

from django.contrib import admin

from ..models import Therapy, TherapyClass, TherapyName
from ..transfer.admin import TransferMixin
from ..transfer.resources import TherapyNameResource, TherapyResource
from .checks import ChecksMixin
from .forms import TopDownFormMixin, top_down_fieldsets
from .indications import ClassIndicationInline, TherapyIndicationInline
from .review import ReviewedAdmin, ReviewFilter
from .sections import TherapySectionInline

__all__ = ["TherapyAdmin", "TherapyClassAdmin"]


class TherapyNameInline(admin.TabularInline):
    model = TherapyName
    extra = 1


@admin.register(TherapyClass)
class TherapyClassAdmin(ChecksMixin, TopDownFormMixin, ReviewedAdmin):
    list_display = ["name", "abbreviation", "action", "status", "last_reviewed"]
    list_filter = ["status", ReviewFilter, "action", "last_reviewed"]
    search_fields = ["name", "abbreviation", "summary"]
    fieldsets = top_down_fieldsets("name", "abbreviation", "action", "summary", "description")
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["sources"]
    inlines = [ClassIndicationInline]


@admin.register(Therapy)
class TherapyAdmin(TransferMixin, ChecksMixin, TopDownFormMixin, ReviewedAdmin):
    resource_classes = [TherapyResource, TherapyNameResource]
    list_display = ["name", "therapy_class", "brand_name_list", "status", "last_reviewed"]
    list_filter = [
        "status",
        ReviewFilter,
        "therapy_class",
        "therapy_class__action",
        "last_reviewed",
    ]
    list_select_related = ["therapy_class"]
    search_fields = ["name", "slug", "other_names__name", "summary"]
    fieldsets = top_down_fieldsets("name", "therapy_class", "summary", "description")
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["therapy_class", "sources"]
    inlines = [TherapySectionInline, TherapyNameInline, TherapyIndicationInline]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("other_names")

    @admin.display(description="brand names")
    def brand_name_list(self, obj):
        return ", ".join(obj.brand_names)
