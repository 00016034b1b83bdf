"""The Checks panel in a real browser (Chromium, logged in as a superuser): typing into
rituximab's summary updates the word count and the summary's grade about a second later,
computed by the server from the form as typed (static/js/admin/checks.js), with no CSP
violation or script error on the way; nothing is saved by it.

The database set-up (transactional, restored after the module) is the `browser_db` fixture's
(tests/conftest.py)."""

import re

import pytest
from playwright.sync_api import expect

from catalog.models import Therapy

from .helpers import PageProblems, log_in_to_admin

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("browser_db"),
]


def test_typing_into_the_summary_updates_the_word_count_with_no_csp_violation(
    live_server, page, admin_user
):
    browse = PageProblems(page)
    # pytest-django's admin_user has the password "password".
    log_in_to_admin(browse, live_server.url, admin_user.username, "password")
    rituximab = Therapy.objects.get(slug="rituximab")
    browse.goto(f"{live_server.url}/admin/catalog/therapy/{rituximab.pk}/change/")
    page.wait_for_load_state("load")
    panel = page.locator("#checks-panel")
    words = panel.locator("[data-check=words]")
    before = int(words.inner_text())
    expect(panel).to_contain_text("Summary reads at grade")

    summary = page.get_by_label("Summary:")
    summary.fill("")
    summary.press_sequentially("It helps your body fight cancer.", delay=20)
    expected = before - len(rituximab.summary.split()) + 6
    expect(words).to_have_text(str(expected), timeout=10_000)
    expect(panel).not_to_contain_text("Summary reads at grade")
    expect(panel.locator(".checks-headline")).to_have_text(
        re.compile(rf"^{expected} words · about \d+ min to read · 1 warning$")
    )
    browse.assert_none("typing into rituximab's summary")
    assert Therapy.objects.get(pk=rituximab.pk).summary == rituximab.summary
