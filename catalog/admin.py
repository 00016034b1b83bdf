from django.contrib import admin
from django.db import models

from .models import (
    Condition,
    ConditionName,
    GlossaryTerm,
    Indication,
    ModifierRole,
    Source,
    Therapy,
    TherapyClass,
    TherapyName,
)

admin.site.site_header = "immunosite administration"
admin.site.site_title = "immunosite admin"
admin.site.index_title = "Content"


class IndicationInline(admin.TabularInline):
    model = Indication
    extra = 0
    autocomplete_fields = ["therapy", "therapy_class", "condition", "sources"]
    fields = ["therapy", "therapy_class", "condition", "qualifier", "note", "sources"]


class TherapyIndicationInline(IndicationInline):
    fields = ["condition", "qualifier", "note", "sources"]
    verbose_name = "indication"
    verbose_name_plural = "indications (agent level)"


class ClassIndicationInline(IndicationInline):
    fields = ["condition", "qualifier", "note", "sources"]
    verbose_name = "indication"
    verbose_name_plural = "indications (class level: the whole class)"


class ConditionIndicationInline(IndicationInline):
    fields = ["therapy", "therapy_class", "qualifier", "note", "sources"]


class TherapyNameInline(admin.TabularInline):
    model = TherapyName
    extra = 1


class ConditionNameInline(admin.TabularInline):
    model = ConditionName
    extra = 1


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    list_display = ["title", "publisher", "last_updated", "url"]
    list_filter = ["publisher"]
    search_fields = ["title", "publisher", "slug"]
    prepopulated_fields = {"slug": ["title"]}
    # A URL typed without a scheme is taken as https (Django 6's default; silences the
    # RemovedInDjango60Warning that Django 5.2 raises for forms.URLField).
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}


@admin.register(TherapyClass)
class TherapyClassAdmin(admin.ModelAdmin):
    list_display = ["name", "abbreviation", "action", "last_reviewed"]
    list_filter = ["action", "last_reviewed"]
    search_fields = ["name", "abbreviation", "summary"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["sources"]
    inlines = [ClassIndicationInline]


@admin.register(Therapy)
class TherapyAdmin(admin.ModelAdmin):
    list_display = ["name", "therapy_class", "brand_name_list", "last_reviewed"]
    list_filter = ["therapy_class", "therapy_class__action", "last_reviewed"]
    list_select_related = ["therapy_class"]
    search_fields = ["name", "slug", "other_names__name", "summary"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["therapy_class", "sources"]
    inlines = [TherapyNameInline, TherapyIndicationInline]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("other_names")

    @admin.display(description="brand names")
    def brand_name_list(self, obj):
        return ", ".join(obj.brand_names)


@admin.register(Condition)
class ConditionAdmin(admin.ModelAdmin):
    list_display = ["name", "category", "parent", "last_reviewed"]
    list_filter = ["category", ("parent", admin.RelatedOnlyFieldListFilter), "last_reviewed"]
    list_select_related = ["parent"]
    search_fields = ["name", "slug", "other_names__name", "summary"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["parent", "sources"]
    inlines = [ConditionNameInline, ConditionIndicationInline]


@admin.register(Indication)
class IndicationAdmin(admin.ModelAdmin):
    list_display = ["condition", "therapy", "therapy_class", "qualifier", "note"]
    list_filter = ["qualifier", "therapy_class", "condition__category"]
    list_select_related = ["condition", "therapy", "therapy_class"]
    search_fields = ["condition__name", "therapy__name", "therapy_class__name", "note"]
    autocomplete_fields = ["therapy", "therapy_class", "condition", "sources"]


@admin.register(ModifierRole)
class ModifierRoleAdmin(admin.ModelAdmin):
    list_display = ["position", "title"]
    list_display_links = ["title"]
    search_fields = ["title", "explanation"]
    prepopulated_fields = {"slug": ["title"]}
    autocomplete_fields = ["sources"]


@admin.register(GlossaryTerm)
class GlossaryTermAdmin(admin.ModelAdmin):
    list_display = ["term", "also_called"]
    search_fields = ["term", "also_called", "definition"]
    prepopulated_fields = {"slug": ["term"]}
    autocomplete_fields = ["sources"]
