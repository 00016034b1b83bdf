"""Publishing in the admin: the Publish / Unpublish actions, the publication state in words in
the changelists ("Scheduled — goes live 3 Dec 2026, 09:00") with a filter by it, and the fields a
user may not change (catalog/rights.py: the status and the schedule without the publish
permission, the review fields without the review permission) read-only in forms and inlines,
their saved values kept on every save."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import model_ngettext

from .. import rights
from ..models import PUBLISH, SCHEDULE_FIELDS, Publishable
from .history import HistoryAdmin

__all__ = ["LockedFieldsMixin", "PublicationFilter", "PublishableAdmin"]


class LockedFieldsMixin:
    """A form (a ModelAdmin's or an inline's) whose guarded fields the user may not change are
    read-only."""

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        locked = rights.locked_fields(request.user, self.model)
        return fields + [name for name in locked if name not in fields]


class PublicationFilter(admin.SimpleListFilter):
    """Records by where they stand for the public on their own (Publishable.in_state)."""

    title = "status"
    parameter_name = "publication"

    def lookups(self, request, model_admin):
        return [
            ("scheduled", "Scheduled"),
            ("live", "Live"),
            ("expired", "Expired"),
            ("draft", "Draft"),
        ]

    def queryset(self, request, queryset):
        if self.value() in dict(self.lookup_choices):
            return queryset.filter(queryset.model.in_state(self.value()))
        return queryset


class PublishableAdmin(LockedFieldsMixin, HistoryAdmin):
    """A record with a status; the locked fields keep their saved values on every save, a revert
    to an old version included, inline records with a status too. The changelist says the
    state in words where a model's `list_display` names "status", and filters by it where its
    `list_filter` names "status"."""

    actions = ["publish", "unpublish"]
    readonly_fields = ["published_at"]

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        """The schedule's moments in one input each, the browser's date and time picker (the
        admin's split date and time inputs would not compare in a stale save's check)."""
        if db_field.name in SCHEDULE_FIELDS:
            widget = forms.DateTimeInput(
                attrs={"type": "datetime-local", "step": 1}, format="%Y-%m-%dT%H:%M:%S"
            )
            return db_field.formfield(form_class=forms.DateTimeField, widget=widget, **kwargs)
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def get_list_display(self, request):
        return [
            "publication" if name == "status" else name
            for name in super().get_list_display(request)
        ]

    def get_list_filter(self, request):
        return [
            PublicationFilter if name == "status" else name
            for name in super().get_list_filter(request)
        ]

    @admin.display(description="Publication", ordering="status")
    def publication(self, obj):
        return obj.publication_label()

    def has_publish_permission(self, request):
        return rights.may(request.user, self.model, PUBLISH)

    def save_model(self, request, obj, form, change):
        rights.keep_locked_fields(request.user, obj)
        obj.set_status(obj.status)  # dates the first publication; keeps an earlier date
        super().save_model(request, obj, form, change)

    def save_formset(self, request, form, formset, change):
        for inline_form in formset.forms:
            instance = inline_form.instance
            if isinstance(instance, Publishable) and inline_form.has_changed():
                rights.keep_locked_fields(request.user, instance)
                instance.set_status(instance.status)
        super().save_formset(request, form, formset, change)

    def view_on_site(self, obj):
        """Drafts, and records not live yet or expired, open at their staff preview; live
        records at their public page."""
        if obj.schedule_state() == "live" and hasattr(obj, "get_absolute_url"):
            return obj.get_absolute_url()
        if hasattr(obj, "get_preview_url"):
            return obj.get_preview_url()
        return None

    def apply(self, request, queryset, change, reason, verb):
        """`change(obj)` on each selected record (False: nothing to do for it), each saved with
        `reason` in its history; a message counts those changed."""
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
