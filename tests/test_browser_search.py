"""Search in a real browser (Debian's Chromium via Playwright): the type-ahead as an ARIA
combobox with JavaScript, the plain form without it, and the print stylesheet of a detail page.
Database handling is the `browser_db` fixture's (tests/conftest.py: transactional tests, content
loaded before each, the database restored after the module).
"""

import re

import pytest
from playwright.sync_api import expect

from .helpers import PageProblems, scrolls_sideways

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("browser_db"),
]


def header_search(page):
    return page.get_by_role("combobox", name="Search")


def test_typeahead_suggests_and_keyboard_chooses(live_server, page, browse):
    browse.goto(f"{live_server.url}/")
    box = header_search(page)
    expect(box).to_have_attribute("aria-expanded", "false")
    box.press_sequentially("ritu", delay=30)
    listbox = page.get_by_role("listbox", name="Search: suggestions")
    expect(listbox).to_be_visible()
    options = listbox.get_by_role("option")
    expect(options.first).to_contain_text("Rituximab")
    expect(options.first).to_contain_text("Name starts with your search")
    expect(box).to_have_attribute("aria-expanded", "true")
    expect(page.get_by_role("status").filter(has_text="suggestion")).to_have_count(1)

    box.press("ArrowDown")
    expect(options.first).to_have_attribute("aria-selected", "true")
    first_id = options.first.get_attribute("id")
    expect(box).to_have_attribute("aria-activedescendant", first_id)
    box.press("Escape")
    expect(listbox).to_be_hidden()
    expect(box).to_have_attribute("aria-expanded", "false")

    box.press("End")
    box.press_sequentially("x", delay=30)  # "ritux"
    expect(options.first).to_contain_text("Rituximab")
    box.press("ArrowDown")
    box.press("Enter")
    expect(page).to_have_url(f"{live_server.url}/therapies/rituximab/")
    expect(page.locator("h1")).to_have_text("Rituximab (Rituxan)")
    browse.assert_none("type-ahead to a therapy")


def test_typeahead_brand_name_by_click_says_why(live_server, page, browse):
    browse.goto(f"{live_server.url}/conditions/")
    header_search(page).press_sequentially("actem", delay=30)
    option = page.get_by_role("option").filter(has_text="Actemra is a brand name of Tocilizumab")
    expect(option).to_be_visible()
    option.click()
    expect(page).to_have_url(f"{live_server.url}/therapies/tocilizumab/")
    browse.assert_none("type-ahead by brand name")


def test_enter_without_choosing_runs_the_full_search(live_server, page, browse):
    browse.goto(f"{live_server.url}/")
    box = header_search(page)
    box.press_sequentially("crohns", delay=30)
    expect(page.get_by_role("option").first).to_contain_text("Crohn's disease")
    box.press("Enter")
    expect(page).to_have_url(re.compile(r"/search/\?q=crohns$"))
    expect(page.locator(".results h3 a").first).to_have_text("Crohn's disease")
    browse.assert_none("search results page")


def test_search_works_without_javascript(live_server, new_context):
    page = new_context(java_script_enabled=False).new_page()
    plain = PageProblems(page, javascript=False)
    plain.goto(f"{live_server.url}/")
    box = page.get_by_role("searchbox", name="Search")  # no combobox role without the script
    box.fill("Rituxan")
    box.press("Enter")
    expect(page).to_have_url(re.compile(r"/search/\?q=Rituxan$"))
    first = page.locator(".result").first
    expect(first.locator("h3 a")).to_have_text("Rituximab")
    expect(first).to_contain_text("Rituxan is a brand name of Rituximab")
    expect(page.get_by_role("listbox")).to_have_count(0)
    plain.assert_none("search without JavaScript")


def test_misspelling_in_the_browser(live_server, page, browse):
    browse.goto(f"{live_server.url}/search/?q=tocilizumb")
    first = page.locator(".result").first
    expect(first.locator("h3 a")).to_have_text("Tocilizumab")
    expect(first).to_contain_text("Spelled like Tocilizumab")
    browse.assert_none("misspelt search")


def visible(page, selector):
    return page.locator(selector).first.is_visible()


def test_print_stylesheet_keeps_content_and_drops_navigation(live_server, page, browse):
    browse.goto(f"{live_server.url}/therapies/rituximab/")
    assert visible(page, ".site-header nav") and visible(page, ".site-search")
    page.emulate_media(media="print")
    for chrome in [".site-header nav", ".site-search", ".skip-link"]:
        assert not visible(page, chrome), f"{chrome} is printed"
    expect(page.locator("h1")).to_have_text("Rituximab (Rituxan)")
    expect(page.locator("main")).to_contain_text("Rituxan")
    expect(page.locator("main table").first).to_be_visible()
    expect(page.locator(".disclaimer").first).to_be_visible()  # the medical disclaimer prints
    # Links to sources print their address, since paper cannot be clicked.
    source_link = page.locator('main a[href^="http"]').first
    after = source_link.evaluate("a => getComputedStyle(a, '::after').content")
    assert source_link.get_attribute("href") in after
    pdf = page.pdf(format="A4")
    assert pdf.startswith(b"%PDF") and len(pdf) > 10_000
    page.emulate_media(media="screen")
    assert visible(page, ".site-header nav")
    browse.assert_none("print preview")


def test_filter_input_typeahead_fills_in_the_records_name(live_server, page, browse):
    browse.goto(f"{live_server.url}/therapies/")
    condition = page.get_by_role("combobox", name="Condition")
    condition.press_sequentially("rheum", delay=30)
    option = page.get_by_role("option").filter(has_text="Rheumatoid arthritis")
    expect(option).to_be_visible()
    condition.press("ArrowDown")
    condition.press("Enter")  # chooses the suggestion: fills its name, does not submit
    expect(condition).to_have_value("Rheumatoid arthritis")
    expect(page).to_have_url(f"{live_server.url}/therapies/")
    page.get_by_role("button", name="Apply filters").click()
    expect(page).to_have_url(re.compile(r"[?&]condition=Rheumatoid\+arthritis(&|$)"))
    names = page.locator(".results h3 a").all_inner_texts()
    assert {"Rituximab", "Tocilizumab"} <= set(names)
    assert "Trastuzumab" not in names
    browse.assert_none("filter type-ahead")


def test_a_filters_suggestions_say_how_many_results_each_gives(live_server, page, browse):
    """With the form's other filters as they stand (a category chosen, not applied yet)."""
    browse.goto(f"{live_server.url}/therapies/?condition_category=autoimmune-inflammatory")
    therapy_class = page.get_by_role("combobox", name="Class")
    therapy_class.press_sequentially("anti", delay=30)
    option = page.get_by_role("option").filter(has_text="Anti-TNF therapy")
    expect(option).to_contain_text("Anti-TNF therapy (5)")
    therapy_class.fill("")
    page.get_by_role("listbox", name="Condition category").select_option("cancer")
    therapy_class.press_sequentially("anti", delay=30)
    expect(option).to_contain_text("Anti-TNF therapy (0)")  # none for cancer: greyed
    expect(option).to_have_class("facet-empty")
    option.click()
    expect(therapy_class).to_have_value("Anti-TNF therapy")  # the name, not the count
    browse.assert_none("filter type-ahead with counts")


@pytest.mark.parametrize("width", [390, 1280])
def test_best_match_leads_the_results_on_a_phone_and_a_desktop(live_server, new_context, width):
    page = new_context(viewport={"width": width, "height": 800}).new_page()
    problems = PageProblems(page)
    problems.goto(f"{live_server.url}/search/?q=Rituxan")
    best = page.get_by_role("region", name="Best match")
    expect(best).to_be_visible()
    expect(best.get_by_role("heading", level=3)).to_have_text("Rituximab")
    expect(best).to_contain_text("Therapy")
    expect(best).to_contain_text("Rituxan is a brand name of Rituximab")
    # It comes before the groups of results, and on a phone within the first screen.
    box = best.bounding_box()
    assert box["y"] < page.locator(".search-group").first.bounding_box()["y"]
    assert box["y"] + box["height"] <= 800, box
    assert not scrolls_sideways(page), f"/search/?q=Rituxan scrolls sideways at {width} px"
    best.get_by_role("link", name="Rituximab").click()
    expect(page).to_have_url(f"{live_server.url}/therapies/rituximab/")
    problems.assert_none(f"best match at {width} px")


def test_no_results_suggest_a_spelling_and_things_to_browse_on_a_phone(live_server, new_context):
    page = new_context(viewport={"width": 390, "height": 800}).new_page()
    problems = PageProblems(page)
    problems.goto(f"{live_server.url}/search/?q=humria")
    expect(page.get_by_role("heading", name="No results for “humria”")).to_be_visible()
    expect(page.locator(".did-you-mean")).to_have_text("Did you mean Humira?")
    expect(page.get_by_role("heading", name="Classes of therapy")).to_be_visible()
    expect(page.get_by_role("link", name="Monoclonal antibodies")).to_be_visible()
    expect(page.get_by_role("link", name="Rheumatoid arthritis")).to_be_visible()
    assert not scrolls_sideways(page), "the no-results page scrolls sideways at 390 px"
    page.get_by_role("link", name="Humira").click()
    expect(page).to_have_url(re.compile(r"/search/\?q=Humira$"))
    best = page.get_by_role("region", name="Best match")
    expect(best).to_contain_text("Humira is a brand name of Adalimumab")
    page.go_back()
    page.get_by_role("link", name="Rheumatoid arthritis").click()
    expect(page.locator("h1")).to_have_text("Rheumatoid arthritis")
    problems.assert_none("no results at 390 px")
