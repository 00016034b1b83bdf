"""The editors' admin. Every content admin keeps a history and refuses saves based on an
outdated copy (catalog/admin_history.py), and offers publish / unpublish / mark-reviewed actions
to those holding the permission, whose fields are read-only to the others (catalog/rights.py)."""

from django.contrib import admin, messages
from django.contrib.admin.utils import model_ngettext
from django.db import models
from django.db.models import F, Q
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone

from . import rights
from .admin_history import HistoryAdmin
from .models import (
    PUBLISH,
    REVIEW,
    Condition,
    ConditionName,
    GlossaryTerm,
    Indication,
    ModifierRole,
    Source,
    Therapy,
    TherapyClass,
    TherapyName,
    registry,
)

admin.site.site_header = "immunosite administration"
admin.site.site_title = "immunosite admin"
admin.site.index_title = "Content"


# --- publishing and review ---------------------------------------------------------------------


class ReviewFilter(admin.SimpleListFilter):
    title = "review"
    parameter_name = "review"

    def lookups(self, request, model_admin):
        return [
            ("overdue", "Overdue"),
            ("up-to-date", "Up to date"),
            ("never", "Never reviewed"),
        ]

    def queryset(self, request, queryset):
        """Decided by the database (ReviewQuerySet); "overdue" counts the never reviewed too."""
        if self.value() == "never":
            return queryset.never_reviewed()
        if self.value() == "overdue":
            today = timezone.localdate()
            return queryset.with_review_due().filter(
                Q(last_reviewed__isnull=True) | Q(review_due_on__lt=today)
            )
        if self.value() == "up-to-date":
            return queryset.review_up_to_date()
        return queryset


class PublishableAdmin(HistoryAdmin):
    """Fields the user may not change (catalog/rights.py: the status without the publish
    permission, the review fields without the review permission) are read-only in the form and
    keep their saved values on every save, a revert to an old version included."""

    actions = ["publish", "unpublish"]
    readonly_fields = ["published_at"]

    def has_publish_permission(self, request):
        return rights.may(request.user, self.model, PUBLISH)

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        locked = rights.locked_fields(request.user, self.model)
        return fields + [name for name in locked if name not in fields]

    def save_model(self, request, obj, form, change):
        rights.keep_locked_fields(request.user, obj)
        obj.set_status(obj.status)  # dates the first publication; keeps an earlier date
        super().save_model(request, obj, form, change)

    def save_formset(self, request, form, formset, change):
        for inline_form in formset.forms:
            instance = inline_form.instance
            if isinstance(instance, Indication) and inline_form.has_changed():
                rights.keep_locked_fields(request.user, instance)
                instance.set_status(instance.status)
        super().save_formset(request, form, formset, change)

    def view_on_site(self, obj):
        """Drafts open at their staff preview; published records at their public page."""
        if obj.is_published and hasattr(obj, "get_absolute_url"):
            return obj.get_absolute_url()
        if hasattr(obj, "get_preview_url"):
            return obj.get_preview_url()
        return None

    def apply(self, request, queryset, change, reason, verb):
        count = 0
        for obj in queryset:
            if change(obj) is False:
                continue
            obj._change_reason = reason
            obj._history_user = request.user
            obj.save()
            count += 1
        self.message_user(
            request, f"{count} {model_ngettext(self.opts, count)} {verb}.", messages.SUCCESS
        )

    @admin.action(description="Publish", permissions=["publish"])
    def publish(self, request, queryset):
        def change(obj):
            if obj.is_published:
                return False
            obj.publish()

        self.apply(request, queryset, change, "Published via admin action", "published")

    @admin.action(description="Unpublish", permissions=["publish"])
    def unpublish(self, request, queryset):
        def change(obj):
            if not obj.is_published:
                return False
            obj.unpublish()

        self.apply(request, queryset, change, "Unpublished via admin action", "unpublished")


class ReviewedAdmin(PublishableAdmin):
    actions = ["publish", "unpublish", "mark_reviewed"]

    def has_review_permission(self, request):
        return rights.may(request.user, self.model, REVIEW)

    @admin.action(description="Mark as reviewed", permissions=["review"])
    def mark_reviewed(self, request, queryset):
        reviewer = request.user.get_full_name() or request.user.get_username()

        def change(obj):
            obj.mark_reviewed(obj.reviewed_by or reviewer)

        self.apply(request, queryset, change, "Marked reviewed via admin action", "marked reviewed")

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            "review_dashboard_url": reverse("admin:catalog_review_dashboard"),
            **(extra_context or {}),
        }
        return super().changelist_view(request, extra_context)


def review_dashboard(request):
    """Therapies, classes and conditions due for review, with links to their change pages."""
    today = timezone.localdate()
    sections = []
    for model in registry.reviewed_models():
        model_admin = admin.site.get_model_admin(model)
        if not model_admin.has_view_permission(request):
            continue
        fields = ["pk", "name", "status", "last_reviewed", "review_interval_days", "reviewed_by"]
        records = model.objects.only(*fields).with_review_due()
        due = records.filter(Q(last_reviewed__isnull=True) | Q(review_due_on__lt=today))
        due = due.order_by(F("review_due_on").asc(nulls_first=True), "name")
        rows = [
            (obj, reverse(f"admin:catalog_{model._meta.model_name}_change", args=[obj.pk]))
            for obj in due
        ]
        sections.append({"opts": model._meta, "rows": rows})
    context = {
        **admin.site.each_context(request),
        "title": "Due for review",
        "sections": sections,
        "today": today,
    }
    return TemplateResponse(request, "admin/catalog/review_dashboard.html", context)


class IndicationInline(admin.TabularInline):
    """Indications on their therapy's, class's or condition's page, each with its own status
    (a published indication shows once both its ends are published)."""

    model = Indication
    extra = 0
    autocomplete_fields = ["therapy", "therapy_class", "condition", "sources"]
    fields = ["therapy", "therapy_class", "condition", "qualifier", "note", "sources", "status"]

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        locked = rights.locked_fields(request.user, Indication)
        return fields + [name for name in locked if name not in fields]


class TherapyIndicationInline(IndicationInline):
    fields = ["condition", "qualifier", "note", "sources", "status"]
    verbose_name = "indication"
    verbose_name_plural = "indications (agent level)"


class ClassIndicationInline(IndicationInline):
    fields = ["condition", "qualifier", "note", "sources", "status"]
    verbose_name = "indication"
    verbose_name_plural = "indications (class level: the whole class)"


class ConditionIndicationInline(IndicationInline):
    fields = ["therapy", "therapy_class", "qualifier", "note", "sources", "status"]


class TherapyNameInline(admin.TabularInline):
    model = TherapyName
    extra = 1


class ConditionNameInline(admin.TabularInline):
    model = ConditionName
    extra = 1


@admin.register(Source)
class SourceAdmin(HistoryAdmin):
    list_display = ["title", "publisher", "last_updated", "url"]
    list_filter = ["publisher"]
    search_fields = ["title", "publisher", "slug"]
    prepopulated_fields = {"slug": ["title"]}
    # A URL typed without a scheme is taken as https (Django 6's default; silences the
    # RemovedInDjango60Warning that Django 5.2 raises for forms.URLField).
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}


@admin.register(TherapyClass)
class TherapyClassAdmin(ReviewedAdmin):
    list_display = ["name", "abbreviation", "action", "status", "last_reviewed"]
    list_filter = ["status", ReviewFilter, "action", "last_reviewed"]
    search_fields = ["name", "abbreviation", "summary"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["sources"]
    inlines = [ClassIndicationInline]


@admin.register(Therapy)
class TherapyAdmin(ReviewedAdmin):
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
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["therapy_class", "sources"]
    inlines = [TherapyNameInline, TherapyIndicationInline]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("other_names")

    def get_urls(self):
        dashboard = path(
            "review/",
            self.admin_site.admin_view(review_dashboard),
            name="catalog_review_dashboard",
        )
        return [dashboard, *super().get_urls()]

    @admin.display(description="brand names")
    def brand_name_list(self, obj):
        return ", ".join(obj.brand_names)


@admin.register(Condition)
class ConditionAdmin(ReviewedAdmin):
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
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["parent", "sources"]
    inlines = [ConditionNameInline, ConditionIndicationInline]


@admin.register(Indication)
class IndicationAdmin(PublishableAdmin):
    list_display = ["condition", "therapy", "therapy_class", "qualifier", "note", "status"]
    list_filter = ["status", "qualifier", "therapy_class", "condition__category"]
    list_select_related = ["condition", "therapy", "therapy_class"]
    search_fields = ["condition__name", "therapy__name", "therapy_class__name", "note"]
    autocomplete_fields = ["therapy", "therapy_class", "condition", "sources"]


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
