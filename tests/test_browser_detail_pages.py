"""Drug and condition pages in a real browser (Debian's Chromium via Playwright), on a phone
(390 px) and a desktop (1280 px): the title with the brand names, the order a reader meets the
page in, the trail, no sideways scrolling, and each use of a condition as a block of labelled
cells on a phone. Database handling is the `browser_db` fixture's (tests/conftest.py).
"""

import pytest
from playwright.sync_api import expect

from .helpers import PageProblems

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("browser_db"),
]

# What a cell shows before its text (its label, from site.css on a phone), and how it is laid out.
CELL_LAYOUT = """
(cell) => ({
  display: getComputedStyle(cell).display,
  label: getComputedStyle(cell, "::before").content,
})
"""


def phone_or_desktop(new_context, width):
    page = new_context(viewport={"width": width, "height": 800}).new_page()
    return page, PageProblems(page)


def assert_no_sideways_scrolling(page, width):
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= width + 1, f"{page.url} scrolls sideways at {width} px"


@pytest.mark.parametrize("width", [390, 1280])
def test_drug_page_reads_title_review_summary_sections_uses_sources(
    live_server, new_context, width
):
    page, browse = phone_or_desktop(new_context, width)
    browse.goto(f"{live_server.url}/therapies/rituximab/")
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_text("Rituximab (Rituxan)")
    box = heading.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= width  # the title fits the screen
    trail = page.get_by_role("navigation", name="Breadcrumb")
    expect(trail.get_by_role("link")).to_have_text(
        ["Home", "Therapies", "Monoclonal antibodies", "Rituximab"]
    )
    expect(trail.get_by_role("link", name="Rituximab")).to_have_attribute("aria-current", "page")

    # Top to bottom: title, review line, summary, contents, uses, sources.
    tops = [
        page.locator(selector).first.bounding_box()["y"]
        for selector in ("h1", ".review-line", ".lead", ".contents", "#uses", "#sources")
    ]
    assert tops == sorted(tops)

    # The contents list takes the reader to the uses.
    page.locator(".contents").get_by_role("link", name="What it is used for").click()
    expect(page).to_have_url(f"{live_server.url}/therapies/rituximab/#uses")
    expect(page.get_by_role("heading", name="What it is used for")).to_be_in_viewport()

    assert_no_sideways_scrolling(page, width)
    json_link = page.get_by_role("link", name="Read the same data as JSON")
    expect(json_link).to_have_attribute("href", "/api/v1/therapies/rituximab/")
    browse.assert_none(f"drug page at {width} px")


@pytest.mark.parametrize("width", [390, 1280])
def test_condition_page_lists_each_therapy_with_labelled_cells_on_a_phone(
    live_server, new_context, width
):
    page, browse = phone_or_desktop(new_context, width)
    browse.goto(f"{live_server.url}/conditions/rheumatoid-arthritis/")
    what_it_is = page.get_by_role("heading", name="What it is")
    uses = page.get_by_role("heading", name="Therapies used for Rheumatoid arthritis")
    assert what_it_is.bounding_box()["y"] < uses.bounding_box()["y"]

    table = page.get_by_role("table", name="Therapies used for Rheumatoid arthritis")
    row = table.get_by_role("row").filter(has=page.get_by_role("link", name="Rituximab"))
    expect(row).to_have_count(1)
    brands = row.locator('td[data-label="Brand names"]')
    expect(brands).to_have_text("Rituxan")
    layout = brands.evaluate(CELL_LAYOUT)
    if width == 390:
        # A block per use, each cell under its label: nothing to scroll sideways.
        assert layout == {"display": "block", "label": '"Brand names: "'}
        cells = row.locator("td")
        lefts = {round(cells.nth(i).bounding_box()["x"]) for i in range(cells.count())}
        assert len(lefts) == 1  # stacked, not side by side
    else:
        assert layout["display"] == "table-cell" and layout["label"] == "none"
    assert_no_sideways_scrolling(page, width)

    # A use's evidence is its full citation further down the page.
    row.get_by_role("link", name="Genentech, Inc.; label on DailyMed").first.click()
    citation = page.locator("#source-fda-label-rituxan")
    expect(citation).to_be_in_viewport()
    expect(citation).to_contain_text("RITUXAN (rituximab) injection")
    browse.assert_none(f"condition page at {width} px")
