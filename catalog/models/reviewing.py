"""Medical review, as the database and the workflow decide it: when a record is due (its last
review plus its own interval, `ReviewQuerySet`, with the dashboard's buckets and their counts in
one aggregate query), and the review workflow (Wagtail's moderation): an editor submits a record,
a reviewer approves it (recording the review as "Mark as reviewed" does) or sends it back with a
comment. `ReviewWorkflow` holds its state and its rules; who may take each step is
catalog/rights.py's to say."""

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Case, Count, Q, Value, When
from django.utils import timezone

from .rows import RowsQuerySet

__all__ = [
    "APPROVE",
    "DUE_SOON_DAYS",
    "SEND_BACK",
    "SUBMIT",
    "AddDays",
    "ReviewBucket",
    "ReviewQuerySet",
    "ReviewState",
    "ReviewWorkflow",
]

DUE_SOON_DAYS = 30  # "due soon": due within this many days

# The review workflow's steps: an editor submits, a reviewer approves or sends back.
SUBMIT = "submit"
APPROVE = "approve"
SEND_BACK = "send back"


class AddDays(models.Func):
    """A date plus a whole number of days, computed by the database (PostgreSQL adds an integer
    to a date; SQLite has date(d, '+N days'))."""

    output_field = models.DateField()

    def __init__(self, date, days, **extra):
        super().__init__(date, days, **extra)

    def as_sql(self, compiler, connection, **extra_context):
        return super().as_sql(
            compiler, connection, template="(%(expressions)s)", arg_joiner=" + ", **extra_context
        )

    def as_sqlite(self, compiler, connection, **extra_context):
        date, days = (compiler.compile(e) for e in self.get_source_expressions())
        sql = f"date({date[0]}, '+' || {days[0]} || ' days')"
        return sql, (*date[1], *days[1])


DUE_SOON_DAYS = 30


class ReviewState(models.TextChoices):
    """Where a record stands in the review workflow (Wagtail's moderation): submitted by an
    editor and waiting for a reviewer, or sent back with a comment. Approving clears it."""

    NONE = "", "Not submitted"
    AWAITING = "awaiting", "Awaiting review"
    CHANGES_REQUESTED = "changes_requested", "Changes requested"


class ReviewBucket(models.TextChoices):
    """Where a record stands on its medical review, as the dashboard groups them."""

    NEVER = "never", "Never reviewed"
    OVERDUE = "overdue", "Overdue"
    DUE_SOON = "due_soon", "Due soon"
    UP_TO_DATE = "up_to_date", "Up to date"


class ReviewQuerySet(RowsQuerySet):
    """Where records stand on medical review, decided by the database (a record is due on its
    last review date plus its own interval), and in the review workflow; their list rows
    (catalog/models/rows.py)."""

    def with_review_due(self):
        return self.annotate(
            review_due_on=AddDays(models.F("last_reviewed"), models.F("review_interval_days"))
        )

    def never_reviewed(self):
        return self.filter(last_reviewed__isnull=True)

    def review_overdue(self, today=None):
        """Reviewed once, and past the date the next review was due."""
        today = today or timezone.localdate()
        return self.with_review_due().filter(review_due_on__lt=today)

    def review_due_soon(self, today=None, days=DUE_SOON_DAYS):
        """Reviewed, not yet overdue, but due within `days`."""
        today = today or timezone.localdate()
        soon = today + datetime.timedelta(days=days)
        return self.with_review_due().filter(review_due_on__gte=today, review_due_on__lte=soon)

    def review_up_to_date(self, today=None):
        today = today or timezone.localdate()
        return self.with_review_due().filter(review_due_on__gte=today)

    def with_review_bucket(self, today=None, days=DUE_SOON_DAYS):
        """Annotated with `review_due_on` and `review_bucket` (a ReviewBucket value), the same
        rules as the methods above, as one expression the database evaluates."""
        today = today or timezone.localdate()
        soon = today + datetime.timedelta(days=days)
        return self.with_review_due().annotate(
            review_bucket=Case(
                When(last_reviewed__isnull=True, then=Value(ReviewBucket.NEVER)),
                When(review_due_on__lt=today, then=Value(ReviewBucket.OVERDUE)),
                When(review_due_on__lte=soon, then=Value(ReviewBucket.DUE_SOON)),
                default=Value(ReviewBucket.UP_TO_DATE),
                output_field=models.CharField(),
            )
        )

    def review_counts(self, today=None, days=DUE_SOON_DAYS):
        """{ReviewBucket value: count} and {"awaiting": count}, in one aggregate query."""
        annotated = self.with_review_bucket(today, days)
        counts = {
            bucket.value: Count("pk", filter=Q(review_bucket=bucket.value))
            for bucket in ReviewBucket
        }
        counts[ReviewState.AWAITING.value] = Count(
            "pk", filter=Q(review_state=ReviewState.AWAITING)
        )
        return annotated.aggregate(**counts)

    def awaiting_review(self):
        """Submitted and not yet approved or sent back, the longest waiting first."""
        return self.filter(review_state=ReviewState.AWAITING).order_by("submitted_at", "pk")

    def changes_requested(self):
        return self.filter(review_state=ReviewState.CHANGES_REQUESTED)


class ReviewWorkflow(models.Model):
    """A record that goes through review: its state, who submitted it and when, and the last
    comment a reviewer sent back. Set only by submit_for_review(), approve(), send_back() and
    mark_reviewed() (which its subclass defines)."""

    review_state = models.CharField(
        max_length=20, choices=ReviewState, default=ReviewState.NONE, blank=True, editable=False
    )
    submitted_at = models.DateTimeField(null=True, blank=True, editable=False)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    review_comment = models.TextField(blank=True, editable=False)
    sent_back_by = models.ForeignKey(
        "catalog.ReviewerProfile",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    sent_back_on = models.DateField(null=True, blank=True, editable=False)

    class Meta:
        abstract = True

    @property
    def awaiting_review(self):
        return self.review_state == ReviewState.AWAITING

    def review_step_refusal(self, step):
        """Why the workflow's `step` (SUBMIT, APPROVE, SEND_BACK) cannot be taken in the
        record's current state, or None."""
        if step == SUBMIT and self.awaiting_review:
            return f"This {self._meta.verbose_name} is already awaiting review."
        if step in (APPROVE, SEND_BACK) and not self.awaiting_review:
            return f"This {self._meta.verbose_name} is not awaiting review."
        return None

    def _check_step(self, step):
        refusal = self.review_step_refusal(step)
        if refusal:
            raise ValidationError(refusal)

    def _clear_submission(self):
        self.review_state = ReviewState.NONE
        self.submitted_at = None
        self.submitted_by = None

    def settle_review(self):
        """A review was recorded: no submission waits, no comment stands."""
        self._clear_submission()
        self.review_comment = ""
        self.sent_back_by = None
        self.sent_back_on = None

    def submit_for_review(self, user, when=None):
        """An editor asks for a review; an earlier reviewer's comment stays until a decision."""
        self._check_step(SUBMIT)
        self.review_state = ReviewState.AWAITING
        self.submitted_at = when or timezone.now()
        self.submitted_by = user

    def approve(self, profile, today=None):
        """The reviewer approves: a review recorded exactly as mark_reviewed() records it, the
        submission and any earlier comment cleared."""
        self._check_step(APPROVE)
        self.mark_reviewed(profile, today)

    def send_back(self, profile, comment, today=None):
        """The reviewer asks for changes, saying which (a comment is required)."""
        self._check_step(SEND_BACK)
        comment = (comment or "").strip()
        if not comment:
            raise ValidationError(
                {"comment": "Say what should change: the editor reads this comment."}
            )
        self._clear_submission()
        self.review_state = ReviewState.CHANGES_REQUESTED
        self.review_comment = comment
        self.sent_back_by = profile
        self.sent_back_on = today or timezone.localdate()
