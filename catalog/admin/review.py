"""Medical review in the admin: the changelists' review filter, the *Mark as reviewed* action,
and the dashboard of records due for review (its URL is the admin site's, immunosite/admin.py).
Review state is decided by the database (ReviewQuerySet): nothing is computed row by row here."""

from django.contrib import admin, messages
from django.core.exceptions import ObjectDoesNotExist
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.views.generic import TemplateView

from .. import rights
from ..models import REVIEW, registry
from .publishing import PublishableAdmin

__all__ = ["ReviewDashboard", "ReviewFilter", "ReviewedAdmin", "due_for_review"]

DASHBOARD_URL = "admin:catalog_review_dashboard"


def due_for_review(queryset, today=None):
    """The records never reviewed, or whose review was due before `today`, with the date it was
    due (`review_due_on`, None when never reviewed)."""
    return queryset.with_review_due().never_reviewed() | queryset.review_overdue(today)


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
        """The never reviewed count as overdue, as on the dashboard."""
        if self.value() == "never":
            return queryset.never_reviewed()
        if self.value() == "overdue":
            return due_for_review(queryset)
        if self.value() == "up-to-date":
            return queryset.review_up_to_date()
        return queryset


class ReviewedAdmin(PublishableAdmin):
    """A record with a medical review: the review action, and a link to the dashboard."""

    actions = ["publish", "unpublish", "mark_reviewed"]

    def has_review_permission(self, request):
        return rights.may(request.user, self.model, REVIEW)

    @admin.action(description="Mark as reviewed", permissions=["review"])
    def mark_reviewed(self, request, queryset):
        try:
            profile = request.user.reviewer_profile
        except ObjectDoesNotExist:
            self.message_user(
                request,
                "A review names its reviewer: ask an administrator for a reviewer profile (your "
                "full name, credential and specialty) first. Nothing was marked reviewed.",
                messages.ERROR,
            )
            return

        def change(obj):
            obj.mark_reviewed(profile)

        self.apply(request, queryset, change, "Marked reviewed via admin action", "marked reviewed")

    def changelist_view(self, request, extra_context=None):
        extra_context = {"review_dashboard_url": reverse(DASHBOARD_URL), **(extra_context or {})}
        return super().changelist_view(request, extra_context)


class ReviewDashboard(TemplateView):
    """Therapies, classes and conditions due for review (never reviewed first, then the longest
    overdue), each model the user may view in one query, with links to their change pages."""

    site = None  # the admin site serving it (as_view(site=...))
    template_name = "admin/catalog/review_dashboard.html"
    fields = [
        "pk",
        "name",
        "status",
        "last_reviewed",
        *(f"reviewer__{name}" for name in ("full_name", "credential", "specialty")),
    ]

    def get_context_data(self, **kwargs):
        today = timezone.localdate()
        sections = []
        for model in registry.reviewed_models():
            model_admin = self.site.get_model_admin(model)
            if not model_admin.has_view_permission(self.request):
                continue
            due = due_for_review(model.objects.select_related("reviewer").only(*self.fields), today)
            due = due.order_by(F("review_due_on").asc(nulls_first=True), "name", "pk")
            change = f"{self.site.name}:{model._meta.app_label}_{model._meta.model_name}_change"
            rows = [(obj, reverse(change, args=[obj.pk])) for obj in due]
            sections.append({"opts": model._meta, "rows": rows})
        return {
            **super().get_context_data(**kwargs),
            **self.site.each_context(self.request),
            "title": "Due for review",
            "sections": sections,
            "today": today,
        }
