"""Medical review in the admin, on the changelists and change forms: the review filters (when a
record is due; where it stands in the workflow) and column, the *Mark as reviewed* and *Submit
for review* actions, and the change form's review banner. The workflow's own pages (dashboard,
queue, review) are in review_pages.py. What is due is decided by the database (ReviewQuerySet);
who may take a step by catalog/rights.py."""

from django.contrib import admin, messages
from django.urls import reverse

from .. import rights
from ..models import REVIEW, SUBMIT, ReviewBucket, ReviewState
from .publishing import PublishableAdmin

__all__ = [
    "DASHBOARD_URL",
    "QUEUE_URL",
    "SUBMITTED",
    "ReviewFilter",
    "ReviewStateFilter",
    "ReviewedAdmin",
    "approved_reason",
    "review_urls",
    "sent_back_reason",
]

DASHBOARD_URL = "admin:catalog_review_dashboard"
QUEUE_URL = "admin:catalog_review_queue"

# The change reasons the workflow's steps leave in a record's history.
SUBMITTED = "Submitted for review"
MARKED_REVIEWED = "Marked reviewed via admin action"
REASON_LENGTH = 100  # simple-history's history_change_reason column


def approved_reason(profile):
    return f"Approved by {profile.public_name}"[:REASON_LENGTH]


def sent_back_reason(comment):
    reason = f"Sent back: {comment}"
    return reason if len(reason) <= REASON_LENGTH else reason[: REASON_LENGTH - 1] + "…"


def review_urls(obj):
    """The workflow's URLs for one record: submit it, review it."""
    args = [obj._meta.model_name, obj.pk]
    return {
        "submit": reverse("admin:catalog_review_submit", args=args),
        "review": reverse("admin:catalog_review_record", args=args),
    }


class ReviewFilter(admin.SimpleListFilter):
    """When the record's medical review is due, as the dashboard's buckets say."""

    title = "review"
    parameter_name = "review"

    def lookups(self, request, model_admin):
        return [
            ("overdue", ReviewBucket.OVERDUE.label),
            ("due-soon", ReviewBucket.DUE_SOON.label),
            ("up-to-date", ReviewBucket.UP_TO_DATE.label),
            ("never", ReviewBucket.NEVER.label),
        ]

    def queryset(self, request, queryset):
        bucket = {
            "overdue": ReviewBucket.OVERDUE,
            "due-soon": ReviewBucket.DUE_SOON,
            "up-to-date": ReviewBucket.UP_TO_DATE,
            "never": ReviewBucket.NEVER,
        }.get(self.value())
        if bucket is None:
            return queryset
        return queryset.with_review_bucket().filter(review_bucket=bucket)


class ReviewStateFilter(admin.SimpleListFilter):
    """Where the record stands in the review workflow."""

    title = "review workflow"
    parameter_name = "review_state"

    def lookups(self, request, model_admin):
        return [(state.value, state.label) for state in ReviewState if state.value]

    def queryset(self, request, queryset):
        if self.value() in ReviewState.values:
            return queryset.filter(review_state=self.value())
        return queryset


class ReviewedAdmin(PublishableAdmin):
    """A record with a medical review: the review actions, filters and column, the banner on
    its change form, and links to the dashboard and the queue."""

    actions = ["publish", "unpublish", "submit_for_review", "mark_reviewed"]

    def has_review_permission(self, request):
        return rights.may(request.user, self.model, REVIEW)

    def get_list_display(self, request):
        return [*super().get_list_display(request), "review_workflow"]

    def get_list_filter(self, request):
        filters = list(super().get_list_filter(request))
        at = filters.index(ReviewFilter) + 1 if ReviewFilter in filters else len(filters)
        return [*filters[:at], ReviewStateFilter, *filters[at:]]

    @admin.display(description="review workflow", ordering="review_state")
    def review_workflow(self, obj):
        return obj.get_review_state_display() if obj.review_state else "—"

    @admin.action(description="Mark as reviewed", permissions=["review"])
    def mark_reviewed(self, request, queryset):
        profile = rights.acting_reviewer(request.user, self.model)
        if profile is None:
            message = f"{rights.NO_PROFILE} Nothing was marked reviewed."
            self.message_user(request, message, messages.ERROR)
            return

        def change(obj):
            obj.mark_reviewed(profile)

        self.apply(request, queryset, change, MARKED_REVIEWED, "marked reviewed")

    @admin.action(description="Submit for review", permissions=["change"])
    def submit_for_review(self, request, queryset):
        def change(obj):
            if not rights.may_take_step(request.user, obj, SUBMIT):
                return False  # already awaiting review
            obj.submit_for_review(request.user)

        self.apply(request, queryset, change, SUBMITTED, "submitted for review")

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            "review_dashboard_url": reverse(DASHBOARD_URL),
            "review_queue_url": reverse(QUEUE_URL),
            **(extra_context or {}),
        }
        return super().changelist_view(request, extra_context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, object_id) if object_id else None
        if obj is not None:
            extra_context = {"review_banner": self.banner(request, obj), **(extra_context or {})}
        return super().change_view(request, object_id, form_url, extra_context)

    def banner(self, request, obj):
        """What the change form says of the record's review: sent back (by whom, when, the
        comment), or awaiting review (since when, by whom), and the steps the user may take."""
        user = request.user
        urls = review_urls(obj)
        return {
            "record": obj,
            "sent_back_by": obj.sent_back_by if obj.review_comment else None,
            "submit_url": urls["submit"] if rights.may_take_step(user, obj, SUBMIT) else None,
            "review_url": urls["review"] if obj.awaiting_review else None,
            "queue_url": reverse(QUEUE_URL),
        }
