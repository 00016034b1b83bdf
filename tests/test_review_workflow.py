"""The review workflow (submit, queue, review with what changed, approve or send back), the
review dashboard's buckets and their queries, and the hint staff get on a draft's public URL:
as the model, the rights rule, the admin and the API see them."""

import datetime
import re

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from catalog import rights
from catalog.history import populate_initial_history
from catalog.models import (
    APPROVE,
    SEND_BACK,
    SUBMIT,
    Condition,
    ReviewBucket,
    ReviewState,
    Therapy,
    TherapyClass,
    registry,
)

from .helpers import add_inline_row, admin_url, form_data, make_reviewer, make_user, page_text

QUEUE = "admin:catalog_review_queue"
DASHBOARD = "admin:catalog_review_dashboard"


@pytest.fixture
def editor(db):
    return make_user("edna", "Editors", first_name="Edna", last_name="Ed")


@pytest.fixture
def jane(db):
    """Jane Doe, MD, rheumatology: a reviewer with her profile."""
    return make_reviewer()


@pytest.fixture
def editor_client(editor):
    client = Client()
    client.force_login(editor)
    return client


@pytest.fixture
def reviewer_client(jane):
    client = Client()
    client.force_login(jane.user)
    return client


@pytest.fixture
def history(db):
    """The content as `seed` leaves it: every record has a first version."""
    populate_initial_history()


def review_url(record):
    return reverse("admin:catalog_review_record", args=[record._meta.model_name, record.pk])


def submit_url(record):
    return reverse("admin:catalog_review_submit", args=[record._meta.model_name, record.pk])


def reasons(record):
    return list(
        record.history.order_by("history_date").values_list("history_change_reason", flat=True)
    )


# --- the model's rules and the rights rule ----------------------------------------------------


def test_a_submission_waits_until_approved_or_sent_back_with_a_comment(editor, jane):
    therapy = Therapy.objects.get(slug="rituximab")
    therapy.submit_for_review(editor)
    therapy.save()
    assert therapy.review_state == ReviewState.AWAITING
    assert list(Therapy.objects.awaiting_review()) == [therapy]
    with pytest.raises(ValidationError, match="already awaiting review"):
        therapy.submit_for_review(editor)
    with pytest.raises(ValidationError, match="Say what should change"):
        therapy.send_back(jane, "   ")
    therapy.send_back(jane, "Cite the label.", today=datetime.date(2026, 12, 3))
    therapy.save()
    assert list(Therapy.objects.changes_requested()) == [therapy]
    assert (therapy.review_comment, therapy.sent_back_by, therapy.submitted_by) == (
        "Cite the label.",
        jane,
        None,
    )
    with pytest.raises(ValidationError, match="not awaiting review"):
        therapy.approve(jane)
    therapy.submit_for_review(editor)
    therapy.approve(jane, today=datetime.date(2026, 12, 4))
    # Exactly what "Mark as reviewed" records; the submission and the comment cleared.
    assert (therapy.last_reviewed, therapy.reviewer) == (datetime.date(2026, 12, 4), jane)
    assert (therapy.review_state, therapy.review_comment, therapy.sent_back_by) == ("", "", None)


def test_the_queue_lists_the_longest_waiting_first(editor):
    early = timezone.now() - datetime.timedelta(days=2)
    for slug, when in (("rituximab", timezone.now()), ("adalimumab", early)):
        therapy = Therapy.objects.get(slug=slug)
        therapy.submit_for_review(editor, when=when)
        therapy.save()
    assert [t.slug for t in Therapy.objects.awaiting_review()] == ["adalimumab", "rituximab"]


def test_editors_submit_and_only_reviewers_with_a_profile_decide(editor, jane):
    therapy = Therapy.objects.get(slug="rituximab")
    assert rights.may_take_step(editor, therapy, SUBMIT)
    assert not rights.may_take_step(jane.user, therapy, SUBMIT)  # reviewers do not edit
    therapy.submit_for_review(editor)
    assert rights.review_step_refusal(editor, therapy, APPROVE) == (
        "Only reviewers record a medical review."
    )
    assert rights.may_take_step(jane.user, therapy, APPROVE)
    assert rights.may_take_step(jane.user, therapy, SEND_BACK)
    no_profile = make_user("ray", "Reviewers")
    assert rights.review_step_refusal(no_profile, therapy, APPROVE) == rights.NO_PROFILE
    assert rights.acting_reviewer(jane.user, Therapy) == jane
    assert rights.acting_reviewer(editor, Therapy) is None


def test_a_revert_or_a_form_keeps_the_review_workflow_state(editor, history):
    """No form, revert or API write sets the workflow's fields: only its steps do."""
    therapy = Therapy.objects.get(slug="rituximab")
    old = therapy.history.earliest().instance  # the version an editor would revert to
    therapy.submit_for_review(editor)
    therapy.save()
    rights.keep_locked_fields(editor, old)
    assert (old.review_state, old.submitted_by) == (ReviewState.AWAITING, editor)


# --- the admin: submit, queue, review, send back, submit again, approve ------------------------


def edit_rituximab(client, **changes):
    therapy = Therapy.objects.get(slug="rituximab")
    url = admin_url(Therapy, "change", therapy.pk)
    data = form_data(client.get(url))
    names = changes.pop("names", [])
    data.update(changes)
    for name in names:
        add_inline_row(data, "other_names", name=name, kind="brand")
    response = client.post(url, data)
    assert response.status_code == 302, page_text(response)
    return therapy


@pytest.mark.slow
def test_an_editor_submits_a_reviewer_sends_back_then_approves(
    editor_client, reviewer_client, history, jane
):
    therapy = Therapy.objects.get(slug="rituximab")
    summary = therapy.summary
    edit_rituximab(
        editor_client,
        summary=summary.replace("monoclonal antibody", "monoclonal antibody against CD20"),
        names=["Ruxience"],
    )
    change_url = admin_url(Therapy, "change", therapy.pk)
    form = editor_client.get(change_url).content.decode()
    assert f'action="{submit_url(therapy)}"' in form and "Submit for review" in form

    response = editor_client.post(submit_url(therapy), follow=True)
    assert "Rituximab was submitted for review." in page_text(response)
    assert "Awaiting review since" in page_text(response)

    queue = reviewer_client.get(reverse(QUEUE))
    text = page_text(queue)
    assert "Awaiting review (1)" in text
    assert re.search(r"Rituximab therapy Published Edna Ed \w", text), text
    assert f'href="{review_url(therapy)}"' in queue.content.decode()

    review = reviewer_client.get(review_url(therapy))
    content = review.content.decode()
    assert "What changed since it was created" in page_text(review)
    assert "monoclonal <ins>antibody against CD20.</ins>" in content  # the history's word diff
    assert "Brand names:" in page_text(review) and "<ins>Rituxan, Ruxience</ins>" in content
    assert "Review state" not in page_text(review)  # the workflow's own fields are left out

    empty = reviewer_client.post(review_url(therapy), {"decision": "send_back", "comment": " "})
    assert empty.status_code == 400
    assert "Say what should change: the editor reads this comment." in page_text(empty)
    assert Therapy.objects.get(pk=therapy.pk).review_state == ReviewState.AWAITING

    sent = reviewer_client.post(
        review_url(therapy),
        {"decision": "send_back", "comment": "Say which label says CD20."},
        follow=True,
    )
    assert "Rituximab sent back to its editor." in page_text(sent)
    assert "Awaiting review (0)" in page_text(sent)

    today = timezone.localdate()
    banner = page_text(editor_client.get(change_url))
    assert (
        f"Sent back by Jane Doe, MD, rheumatology on {today:%-d %B %Y}: Say which label says "
        "CD20." in banner
    )
    changelist = editor_client.get(
        admin_url(Therapy, "changelist"), {"review_state": "changes_requested"}
    )
    rows = page_text(changelist)
    assert "Rituximab" in rows and "Changes requested" in rows and "Adalimumab" not in rows

    editor_client.post(submit_url(therapy))
    approved = reviewer_client.post(review_url(therapy), {"decision": "approve"}, follow=True)
    assert "Rituximab approved." in page_text(approved)
    therapy.refresh_from_db()
    assert (therapy.last_reviewed, therapy.reviewer, therapy.review_state) == (today, jane, "")
    assert "Sent back" not in page_text(editor_client.get(change_url))
    page = Client().get(therapy.get_absolute_url())
    assert f"Medically reviewed by Jane Doe, MD, rheumatology — {today:%-d %B %Y}" in page_text(
        page
    )
    assert reasons(therapy)[-5:] == [
        None,
        "Submitted for review",
        "Sent back: Say which label says CD20.",
        "Submitted for review",
        "Approved by Jane Doe, MD, rheumatology",
    ]
    history_page = page_text(editor_client.get(admin_url(Therapy, "history", therapy.pk)))
    assert "Approved by Jane Doe, MD, rheumatology" in history_page

    # The next review shows only what changed since this one.
    edit_rituximab(editor_client, summary=therapy.summary + " Given by infusion.")
    editor_client.post(submit_url(therapy))
    again = reviewer_client.get(review_url(therapy))
    assert "What changed since the review of" in page_text(again)
    assert "<ins>Given by infusion.</ins>" in again.content.decode()
    assert "against CD20.</ins>" not in again.content.decode()


def test_a_sent_back_comment_needs_a_decision_and_a_reviewer(editor_client, editor, jane):
    therapy = Therapy.objects.get(slug="rituximab")
    therapy.submit_for_review(editor)
    therapy.save()
    # An editor may read the review page but not decide.
    page = editor_client.get(review_url(therapy))
    assert "Only reviewers record a medical review." in page_text(page)
    assert "Approve" not in page_text(page)
    refused = editor_client.post(review_url(therapy), {"decision": "approve"})
    assert refused.status_code == 403
    assert Therapy.objects.get(pk=therapy.pk).last_reviewed is None


def test_submit_for_review_from_the_changelist_action(editor_client, history):
    ids = [t.pk for t in Therapy.objects.filter(slug__in=["rituximab", "adalimumab"])]
    response = editor_client.post(
        admin_url(Therapy, "changelist"),
        {"action": "submit_for_review", "_selected_action": ids, "index": "0"},
        follow=True,
    )
    assert "2 therapies submitted for review." in page_text(response)
    listed = editor_client.get(admin_url(Therapy, "changelist"), {"review_state": "awaiting"})
    text = page_text(listed)
    assert "Adalimumab" in text and "Rituximab" in text and "Awaiting review" in text
    assert "Tocilizumab" not in text
    assert reasons(Therapy.objects.get(slug="rituximab"))[-1] == "Submitted for review"


def test_reviewers_do_not_submit(reviewer_client):
    therapy = Therapy.objects.get(slug="rituximab")
    assert reviewer_client.post(submit_url(therapy)).status_code == 403
    assert Therapy.objects.get(pk=therapy.pk).review_state == ""


def test_the_queue_is_linked_from_the_index_the_dashboard_and_changelists(reviewer_client):
    queue = f'href="{reverse(QUEUE)}"'
    for url in (reverse("admin:index"), reverse(DASHBOARD), admin_url(Condition, "changelist")):
        assert queue in reviewer_client.get(url).content.decode(), url


def test_the_api_shows_the_review_state_read_only(client, editor):
    therapy = Therapy.objects.get(slug="rituximab")
    therapy.submit_for_review(editor)
    therapy.save()
    detail = client.get("/api/v1/therapies/rituximab/").json()
    assert detail["review_state"] == "awaiting"
    listed = client.get("/api/v1/therapies/", {"q": "rituximab"}).json()["results"]
    assert [row["review_state"] for row in listed if row["slug"] == "rituximab"] == ["awaiting"]


# --- the dashboard ------------------------------------------------------------------------------


def dashboard_bucket(response, key):
    """The rows' cells of one bucket of the dashboard: name, kind, status, last reviewed,
    due, reviewed by, next step."""
    section = re.search(
        rf'<div class="module review-table" id="bucket-{key}">(.*?)</div>',
        response.content.decode(),
        re.S,
    )
    assert section, key
    rows = re.findall(r"<tr>\s*(<th scope=\"row\">.*?)</tr>", section.group(1), re.S)
    return [
        [" ".join(re.sub(r"<[^>]+>", " ", cell).split()) for cell in re.split(r"</t[hd]>", row)][
            :-1
        ]
        for row in rows
    ]


def test_the_dashboard_separates_never_reviewed_due_soon_and_overdue(
    reviewer_client, jane, make_catalog, django_assert_num_queries
):
    today = timezone.localdate()
    for slug, days_ago in (("rituximab", 350), ("tocilizumab", 400), ("adalimumab", 10)):
        therapy = Therapy.objects.get(slug=slug)
        therapy.mark_reviewed(jane, today=today - datetime.timedelta(days=days_ago))
        therapy.save()
    never = sum(m.objects.never_reviewed().count() for m in registry.reviewed_models())
    url = reverse(DASHBOARD)
    # The session, the user, two for their permissions, then per kind of record one aggregate
    # query for the counts and one for the rows, whatever the catalog's size.
    expected = 4 + 2 * len(registry.reviewed_models())
    with django_assert_num_queries(expected):
        response = reviewer_client.get(url)
    text = page_text(response)
    assert f"Never reviewed ({never})" in text
    assert "Due soon (1)" in text and "Overdue (1)" in text
    due_soon = dashboard_bucket(response, "due_soon")
    assert [row[:3] for row in due_soon] == [["Rituximab", "therapy", "Published"]]
    overdue = dashboard_bucket(response, "overdue")
    assert overdue[0][0] == "Tocilizumab" and overdue[0][5] == "Jane Doe, MD, rheumatology"
    names = [row[0] for row in dashboard_bucket(response, "never")]
    assert "Adalimumab" not in names + [r[0] for r in overdue + due_soon]  # up to date
    assert "Infliximab" in names and "Interferons" in names and "Melanoma" in names
    # Each row: the record's change page, and its next step (reviewers do not submit).
    tocilizumab = Therapy.objects.get(slug="tocilizumab")
    assert f'href="{admin_url(Therapy, "change", tocilizumab.pk)}"' in response.content.decode()

    make_catalog(60)
    with django_assert_num_queries(expected):
        larger = reviewer_client.get(url)
    assert f"Never reviewed ({never})" not in page_text(larger)


def test_dashboard_rows_offer_submit_and_review_now(editor_client, editor):
    therapy = Therapy.objects.get(slug="rituximab")
    therapy.submit_for_review(editor)
    therapy.save()
    response = editor_client.get(reverse(DASHBOARD))
    content = response.content.decode()
    assert f'<a href="{review_url(therapy)}">Review now</a>' in content
    adalimumab = Therapy.objects.get(slug="adalimumab")
    assert f'action="{submit_url(adalimumab)}"' in content
    submitted = editor_client.post(
        submit_url(adalimumab), {"next": reverse(DASHBOARD)}, follow=True
    )
    assert submitted.redirect_chain[-1][0] == reverse(DASHBOARD)
    assert f'<a href="{review_url(adalimumab)}">Review now</a>' in submitted.content.decode()


def test_review_counts_are_one_aggregate_query(jane, django_assert_num_queries):
    today = timezone.localdate()
    TherapyClass.objects.filter(slug="interferons").update(
        last_reviewed=today - datetime.timedelta(days=380), reviewer=jane
    )
    with django_assert_num_queries(1):
        counts = TherapyClass.objects.review_counts(today)
    assert counts[ReviewBucket.OVERDUE] == 1
    assert counts[ReviewBucket.NEVER] == TherapyClass.objects.count() - 1
    assert counts[ReviewBucket.DUE_SOON] == counts[ReviewBucket.UP_TO_DATE] == 0


# --- a draft's public URL -----------------------------------------------------------------------


def test_staff_get_a_hint_on_a_drafts_public_url_and_the_public_the_plain_404(editor_client):
    therapy = Therapy.objects.get(slug="rituximab")
    Therapy.objects.filter(pk=therapy.pk).update(status="draft")
    url = therapy.get_absolute_url()
    anonymous = Client()
    for _ in range(2):  # a second request would be a cached copy, if one were stored
        plain = anonymous.get(url)
        assert plain.status_code == 404
        assert "Page not found" in page_text(plain)
        assert "draft" not in page_text(plain) and "/preview/" not in plain.content.decode()
        staff = editor_client.get(url)
        assert staff.status_code == 404
        assert (
            "This therapy is a draft, so the public cannot see it: preview it / edit it in the "
            "admin" in page_text(staff)
        )
        content = staff.content.decode()
        assert f'href="{therapy.get_preview_url()}"' in content
        assert f'href="{admin_url(Therapy, "change", therapy.pk)}"' in content
        assert "private" in staff["Cache-Control"]
    # A slug no record has: the plain 404 for staff too.
    missing = editor_client.get("/therapies/no-such-therapy/")
    assert missing.status_code == 404 and "is a draft" not in page_text(missing)


def test_a_first_review_shows_all_the_record_says_not_only_what_changed(history, reviewer_client):
    """A record an editor has just written has no change since it was created to show: its
    first review lists every part of it (summary, sections' text aside, names, indications)."""
    therapy = Therapy.objects.get(slug="rituximab")
    assert therapy.last_reviewed is None
    review = reviewer_client.get(review_url(therapy))
    contents = review.content.decode().split('id="review-contents"')[1].split("</div>")[0]
    assert "All it says now: a first review reads every part" in page_text(review)
    assert therapy.summary.split(".")[0] in contents
    assert "<dt>Brand names</dt><dd>Rituxan</dd>" in contents
    assert "<dt>Class</dt><dd>Monoclonal antibodies</dd>" in contents
    assert "Review state" not in contents and "Updated at" not in contents
