"""The review workflow's pages (their URLs are the admin site's, immunosite/admin.py):

- the dashboard (`/admin/review/`): records overdue, due soon and never reviewed, each bucket's
  count computed by the database (one aggregate query per kind of record, one more for its rows);
- the queue (`/admin/review/queue/`): records submitted for review, the longest waiting first;
- a record's review (`/admin/review/<model>/<id>/`): what changed since its last review (or since
  it was created), read from its history with the history pages' word differences, and the
  reviewer's *Approve* / *Send back* (a comment required);
- *Submit for review* (`/admin/review/<model>/<id>/submit/`, POST), the change form's button.

Who may take which step is catalog/rights.py's rule; the steps themselves are the model's."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import router, transaction
from django.db.models import F
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View

from .. import rights
from ..history import version_contents, version_diff
from ..history_rows import marked_changes
from ..models import APPROVE, DUE_SOON_DAYS, SEND_BACK, SUBMIT, ReviewBucket, registry
from .review import (
    MARKED_REVIEWED,
    QUEUE_URL,
    SUBMITTED,
    approved_reason,
    review_urls,
    sent_back_reason,
)

__all__ = ["RecordReview", "ReviewDashboard", "ReviewQueue", "SubmitForReview"]

# The dashboard's buckets, most urgent first.
BUCKETS = (ReviewBucket.OVERDUE, ReviewBucket.DUE_SOON, ReviewBucket.NEVER)


class AdminPage(View):
    """A page of the admin site (as_view(site=...)), with its context."""

    site = None

    def change_url(self, obj):
        return reverse(f"{self.site.name}:catalog_{obj._meta.model_name}_change", args=[obj.pk])

    def render(self, template, title, status=200, **context):
        context = {**self.site.each_context(self.request), "title": title, **context}
        return TemplateResponse(self.request, template, context, status=status)

    def viewable_models(self):
        return [
            model
            for model in registry.reviewed_models()
            if self.site.get_model_admin(model).has_view_permission(self.request)
        ]

    def record(self, model_name, pk):
        """The record under review, if the user may view it (else 404)."""
        for model in self.viewable_models():
            if model._meta.model_name == model_name:
                record = model.objects.filter(pk=pk).first()
                if record is not None:
                    return record
        raise Http404("No such record.")


class ReviewDashboard(AdminPage):
    """Therapies, classes and conditions overdue, due soon and never reviewed, with each
    bucket's count, links to each record and to its next step in the workflow."""

    fields = [
        "pk",
        "name",
        "status",
        "last_reviewed",
        "review_interval_days",
        "review_state",
        *(f"reviewer__{name}" for name in ("full_name", "credential", "specialty")),
    ]

    def get(self, request):
        today = timezone.localdate()
        counts = dict.fromkeys(BUCKETS, 0)
        rows = {bucket: [] for bucket in BUCKETS}
        for model in self.viewable_models():
            for bucket, count in model.objects.review_counts(today).items():
                if bucket in counts:
                    counts[bucket] += count
            due = (
                model.objects.select_related("reviewer")
                .only(*self.fields)
                .with_review_bucket(today)
                .filter(review_bucket__in=BUCKETS)
                .order_by(F("review_due_on").asc(nulls_first=True), "name", "pk")
            )
            for obj in due:
                rows[obj.review_bucket].append(self.row(obj))
        buckets = [
            {
                "key": bucket.value,
                "label": bucket.label,
                "count": counts[bucket],
                "rows": rows[bucket],
            }
            for bucket in BUCKETS
        ]
        return self.render(
            "admin/catalog/review_dashboard.html",
            "Due for review",
            buckets=buckets,
            today=today,
            due_soon_days=DUE_SOON_DAYS,
            queue_url=reverse(QUEUE_URL),
        )

    def row(self, obj):
        urls = review_urls(obj)
        may_submit = rights.may_take_step(self.request.user, obj, SUBMIT)
        return {
            "obj": obj,
            "kind": obj._meta.verbose_name,
            "url": self.change_url(obj),
            "review_url": urls["review"] if obj.awaiting_review else None,
            "submit_url": urls["submit"] if may_submit else None,
        }


class ReviewQueue(AdminPage):
    """The records submitted for review, the longest waiting first, with who submitted them
    and when: one query per kind of record."""

    def get(self, request):
        entries = []
        for model in self.viewable_models():
            waiting = model.objects.awaiting_review().select_related("submitted_by")
            for obj in waiting.only("pk", "name", "status", "submitted_at", "submitted_by"):
                entries.append(
                    {
                        "obj": obj,
                        "kind": obj._meta.verbose_name,
                        "url": self.change_url(obj),
                        "review_url": review_urls(obj)["review"],
                    }
                )
        entries.sort(key=lambda entry: (entry["obj"].submitted_at, entry["kind"]))
        return self.render(
            "admin/catalog/review_queue.html",
            f"Awaiting review ({len(entries)})",
            entries=entries,
            dashboard_url=reverse("admin:catalog_review_dashboard"),
        )


class SendBackForm(forms.Form):
    comment = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4, "class": "vLargeTextField"}),
        required=False,  # the model says why an empty one is refused
        help_text="What should change: the editor sees this on the record's change form.",
    )


def review_base(record):
    """The version of `record` its last review approved (the version that recorded it), or
    its first version if it was never reviewed; with the latest version."""
    history = record.history.order_by("-history_date", "-history_id")
    latest = history.first()
    if latest is None:
        return None, None
    if record.last_reviewed is None:
        return history.last(), latest
    reviewed = (record.last_reviewed, record.reviewer_id)
    base_id = latest.history_id
    versions = history.values_list(
        "history_id", "last_reviewed", "reviewer_id", "history_change_reason"
    )
    for history_id, last_reviewed, reviewer_id, reason in versions:
        if (last_reviewed, reviewer_id) != reviewed:
            break  # before the review
        base_id = history_id
        if reason and (reason.startswith("Approved by") or reason == MARKED_REVIEWED):
            break  # the version the review recorded
    return history.get(history_id=base_id), latest


class RecordReview(AdminPage):
    """One record's review: what changed since the last review, and the decision."""

    def get(self, request, model_name, pk):
        return self.page(self.record(model_name, pk), SendBackForm())

    def page(self, record, form, status=200):
        base, latest = review_base(record)
        excluded = [*record.WORKFLOW_FIELDS, "updated_at"]
        changes = version_diff(base, latest, excluded) if base and base != latest else []
        # Never reviewed: all it says is new to a review, not only what changed since created.
        unreviewed = latest is not None and record.last_reviewed is None
        contents = version_contents(latest, excluded) if unreviewed else []
        user = self.request.user
        return self.render(
            "admin/catalog/review_record.html",
            f"Review {record}",
            status=status,
            record=record,
            opts=record._meta,
            base=base,
            changes=marked_changes(changes),
            contents=contents,
            form=form,
            change_url=self.change_url(record),
            preview_url=record.get_preview_url(),
            history_url=reverse(
                f"{self.site.name}:catalog_{record._meta.model_name}_history", args=[record.pk]
            ),
            may_decide=rights.may_take_step(user, record, APPROVE),
            refusal=rights.review_step_refusal(user, record, APPROVE),
            queue_url=reverse(QUEUE_URL),
        )

    def post(self, request, model_name, pk):
        record = self.record(model_name, pk)
        decision = request.POST.get("decision")
        step = {"approve": APPROVE, "send_back": SEND_BACK}.get(decision)
        if step is None:
            form = SendBackForm(request.POST)
            form.is_valid()
            form.add_error(None, "Choose Approve or Send back.")
            return self.page(record, form, status=400)
        form = SendBackForm(request.POST)
        form.is_valid()
        model = type(record)
        with transaction.atomic(using=router.db_for_write(model)):
            record = model.objects.select_for_update().get(pk=record.pk)
            profile = rights.acting_reviewer(request.user, model)
            refusal = rights.review_step_refusal(request.user, record, step)
            if refusal and profile is None:
                raise PermissionDenied(refusal)
            if refusal:  # decided meanwhile (by another reviewer)
                messages.error(request, refusal)
                return redirect(QUEUE_URL)
            try:
                if step == APPROVE:
                    record.approve(profile)
                    reason = approved_reason(profile)
                else:
                    record.send_back(profile, form.cleaned_data["comment"])
                    reason = sent_back_reason(record.review_comment)
            except ValidationError as error:
                for field, errors in error.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
                return self.page(record, form, status=400)
            save_step(request, record, reason)
        verb = "approved" if step == APPROVE else "sent back to its editor"
        messages.success(request, f"{record} {verb}.")
        return redirect(QUEUE_URL)


def save_step(request, record, reason):
    """Save a workflow step with its change reason and who took it in the record's history."""
    record._change_reason = reason
    record._history_user = request.user
    record.save()


class SubmitForReview(AdminPage):
    """The change form's and dashboard's *Submit for review* (POST)."""

    def get(self, request, model_name, pk):
        return HttpResponseNotAllowed(["POST"])

    def post(self, request, model_name, pk):
        record = self.record(model_name, pk)
        refusal = rights.review_step_refusal(request.user, record, SUBMIT)
        if refusal and not rights.may_submit(request.user, type(record)):
            raise PermissionDenied(refusal)
        if refusal:
            messages.error(request, refusal)
        else:
            record.submit_for_review(request.user)
            save_step(request, record, SUBMITTED)
            messages.success(request, f"{record} was submitted for review.")
        back = request.POST.get("next", "")
        if not url_has_allowed_host_and_scheme(back, {request.get_host()}):
            back = self.change_url(record)
        return redirect(back)
