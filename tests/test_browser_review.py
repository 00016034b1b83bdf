"""A reviewer's path through the review queue in a real browser (Chromium, under the production
CSP): an editor changes rituximab and submits it; the reviewer opens the queue from the admin
index, reads what changed, sends it back (first without a comment, which is refused), the
editor reads the comment on the change form and submits again, the reviewer approves, and the
public page names the reviewer. No CSP violation, JavaScript or console error on the way.

The database set-up (transactional, restored after the module) is the `browser_db` fixture's
(tests/conftest.py).
"""

import re

import pytest
from django.contrib.auth.models import Group, Permission
from playwright.sync_api import expect

from catalog.history import populate_initial_history
from catalog.models import ReviewerProfile, Therapy

from .helpers import PageProblems, log_in_to_admin, scrolls_sideways

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("browser_db"),
]

PASSWORD = "Long-enough-pw-1"
COMMENT = "Say which label names CD20."


def make_staff(django_user_model, username, group, codenames, **extra):
    """A staff user in `group`, with the group's rights as the data migrations set them (the
    flush between transactional tests may have removed the groups)."""
    members, _ = Group.objects.get_or_create(name=group)
    members.permissions.set(
        Permission.objects.filter(content_type__app_label="catalog", codename__regex=codenames)
    )
    user = django_user_model.objects.create_user(
        username, f"{username}@example.com", PASSWORD, is_staff=True, **extra
    )
    user.groups.add(members)
    return user


def log_in(browse, site, username):
    log_in_to_admin(browse, site, username, PASSWORD)


def test_a_reviewer_sends_back_then_approves_through_the_queue(
    live_server, page, new_context, django_user_model
):
    site = live_server.url
    populate_initial_history()  # as `seed` leaves the content: a first version of each record
    make_staff(
        django_user_model, "edna", "Editors", r"^(add|change|view|publish)_", first_name="Edna"
    )
    jane = make_staff(django_user_model, "jane", "Reviewers", r"^(view|review)_")
    ReviewerProfile.objects.create(
        user=jane, full_name="Jane Doe", credential="MD", specialty="rheumatology"
    )
    rituximab = Therapy.objects.get(slug="rituximab")
    change_url = f"{site}/admin/catalog/therapy/{rituximab.pk}/change/"
    editor = PageProblems(page)
    reviewer_page = new_context().new_page()
    reviewer = PageProblems(reviewer_page)

    # --- the editor changes the summary and submits it ------------------------------------------
    log_in(editor, site, "edna")
    editor.goto(change_url)
    summary = page.get_by_label("Summary:")
    summary.fill(rituximab.summary.replace("monoclonal antibody", "monoclonal antibody to CD20"))
    page.get_by_role("button", name="Save and continue editing").click()
    expect(page.locator(".messagelist .success")).to_contain_text("was changed successfully")
    page.locator("#review-banner").get_by_role("button", name="Submit for review").click()
    expect(page.locator(".messagelist .success")).to_contain_text("submitted for review")
    expect(page.locator("#review-banner")).to_contain_text("Awaiting review since")
    editor.assert_none("editor submits")

    # --- the reviewer opens the queue from the admin index and sends it back ---------------------
    log_in(reviewer, site, "jane")
    reviewer_page.get_by_role("link", name="Review queue").click()
    queue = reviewer_page.locator("#review-queue")
    expect(queue.locator("caption")).to_have_text("Awaiting review (1)")
    row = queue.locator("tbody tr", has_text="Rituximab")
    expect(row).to_contain_text("Edna")
    row.get_by_role("link", name="Review now").click()
    expect(reviewer_page.locator("#changes ins")).to_have_text(["antibody to CD20."])
    reviewer.expect_status(reviewer_page.url, 400)  # a send-back without a comment is refused
    reviewer_page.get_by_role("button", name="Send back").click()
    expect(reviewer_page.locator(".errorlist")).to_contain_text("Say what should change")
    reviewer_page.get_by_label("Comment (required to send back)").fill(COMMENT)
    reviewer_page.get_by_role("button", name="Send back").click()
    expect(reviewer_page.locator(".messagelist .success")).to_contain_text("sent back")
    expect(reviewer_page.locator("#review-queue caption")).to_have_text("Awaiting review (0)")
    reviewer.assert_none("reviewer sends back")

    # --- the editor reads the comment and submits again; the reviewer approves -------------------
    editor.goto(change_url)
    banner = page.locator("#review-banner")
    expect(banner).to_contain_text(
        re.compile(rf"Sent back by Jane Doe, MD, rheumatology on .*: {COMMENT}")
    )
    banner.get_by_role("button", name="Submit for review").click()
    expect(page.locator(".messagelist .success")).to_contain_text("submitted for review")
    editor.assert_none("editor submits again")

    reviewer.goto(f"{site}/admin/review/queue/")
    reviewer_page.locator("#review-queue tbody tr", has_text="Rituximab").get_by_role(
        "link", name="Review now"
    ).click()
    review_page = reviewer_page.url
    reviewer_page.get_by_role("button", name="Approve").click()
    expect(reviewer_page.locator(".messagelist .success")).to_contain_text("Rituximab approved.")
    reviewer.assert_none("reviewer approves")

    # The workflow's pages fit a desktop window and a phone without scrolling sideways.
    for width, height in ((1280, 800), (390, 844)):
        reviewer_page.set_viewport_size({"width": width, "height": height})
        for path in ("/admin/review/", "/admin/review/queue/", review_page.removeprefix(site)):
            reviewer.goto(f"{site}{path}")
            assert not scrolls_sideways(reviewer_page), (path, width)
    reviewer.assert_none("the review pages at 1280 and 390 px")

    public_page = new_context(java_script_enabled=False).new_page()
    public = PageProblems(public_page, javascript=False)
    public.goto(f"{site}/therapies/rituximab/")
    expect(public_page.locator(".review-line")).to_contain_text(
        "Medically reviewed by Jane Doe, MD, rheumatology"
    )
    public.assert_none("public page")
