"""The list pages in Chromium, without JavaScript, as a visitor on a phone (390 px) and on a
desktop (1280 px) sees them: the results come first on a phone, the filters folded away in a
<details> whose summary counts the active filters; on a desktop the filters are a sidebar,
open without a click. Nothing scrolls sideways."""

import pytest
from playwright.sync_api import expect

from .helpers import PageProblems, h1, scrolls_sideways

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("browser_db"),
]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}


def open_list(live_server, new_context, viewport, path):
    page = new_context(java_script_enabled=False, viewport=viewport).new_page()
    browse = PageProblems(page, javascript=False)
    browse.goto(f"{live_server.url}{path}")
    return page, browse


def first_result_top(page):
    return page.locator(".results .result").first.bounding_box()["y"]


def test_on_a_phone_the_results_come_first_and_the_filters_fold_away(live_server, new_context):
    page, browse = open_list(live_server, new_context, PHONE, "/therapies/?condition=RA")
    expect(h1(page)).to_have_text("7 therapies for Rheumatoid arthritis")
    assert first_result_top(page) < PHONE["height"] - 100  # the first result in the first screen
    condition = page.get_by_label("Condition", exact=True)
    expect(condition).to_be_hidden()
    summary = page.locator("summary", has_text="Filter results")
    expect(summary).to_have_text("Filter results (1 active)")
    summary.click()  # a <details>: no JavaScript needed
    expect(condition).to_be_visible()
    expect(condition).to_have_value("Rheumatoid arthritis")  # the name, not what was typed
    assert not scrolls_sideways(page)
    browse.assert_none("therapy list on a phone")


def test_on_a_desktop_the_filters_are_an_open_sidebar(live_server, new_context):
    page, browse = open_list(live_server, new_context, DESKTOP, "/therapies/?condition=RA")
    condition = page.get_by_label("Condition", exact=True)
    expect(condition).to_be_visible()
    expect(condition).to_have_value("Rheumatoid arthritis")
    expect(page.locator("summary", has_text="Filter results")).to_be_hidden()
    assert first_result_top(page) < DESKTOP["height"] / 2
    filters_box = page.locator("form.filters").bounding_box()
    results_box = page.locator(".results").bounding_box()
    assert filters_box["x"] + filters_box["width"] <= results_box["x"]  # side by side
    # Applying a filter from the sidebar works without JavaScript.
    page.get_by_label("Class", exact=True).fill("anti-TNF therapy")
    page.get_by_role("button", name="Apply filters").click()
    expect(h1(page)).to_have_text("5 therapies in Anti-TNF therapy for Rheumatoid arthritis")
    assert not scrolls_sideways(page)
    browse.assert_none("therapy list on a desktop")


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["390", "1280"])
def test_a_near_miss_opens_the_filters_with_a_link_to_the_corrected_list(
    live_server, new_context, viewport
):
    page = new_context(java_script_enabled=False, viewport=viewport).new_page()
    response = page.goto(f"{live_server.url}/therapies/?condition=rheumatoid+arthritus")
    assert response.status == 400
    errors = page.locator(".form-errors")
    expect(errors).to_be_visible()  # the filters open by themselves, phone or not
    expect(errors).to_contain_text("No condition called “rheumatoid arthritus”.")
    errors.get_by_role("link", name="Rheumatoid arthritis").click()
    expect(h1(page)).to_have_text("7 therapies for Rheumatoid arthritis")
    assert not scrolls_sideways(page)
