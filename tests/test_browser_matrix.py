"""The matrix in a real browser (Debian's Chromium via Playwright), as a visitor sees it: at
1280 px its first screen shows filled cells and its heading whole; its headers stick while the
table scrolls inside its region (the header rows at the top, the condition column and the
corner at the left, opaque, category labels in view sideways); at 390 px a list per condition
replaces the table and nothing scrolls sideways. What the page holds: tests/test_matrix.py.
Database handling is the `browser_db` fixture's (tests/conftest.py).
"""

import pytest
from playwright.sync_api import expect

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("browser_db"),
]

# The table's cells that show on screen: inside the viewport and inside the scrolling region's
# visible part (not hidden under its sticky headers), each as [filled, text].
VISIBLE_CELLS = """
() => {
  const region = document.querySelector(".matrix-scroll").getBoundingClientRect();
  const head = document.querySelector(".matrix thead").getBoundingClientRect();
  const column = document.querySelector(".matrix tbody th[scope=row]").getBoundingClientRect();
  const top = Math.max(0, region.top, head.bottom), left = Math.max(region.left, column.right);
  const bottom = Math.min(innerHeight, region.bottom), right = Math.min(innerWidth, region.right);
  return [...document.querySelectorAll(".matrix tbody td")]
    .filter((td) => {
      const r = td.getBoundingClientRect();
      const across = r.right > left + 20 && r.left < right - 20;
      return across && r.bottom > top + 20 && r.top < bottom - 20;
    })
    .map((td) => [td.querySelector(".use") !== null, td.innerText.trim()]);
}
"""

# What is painted at the middle of an element: the element itself (or inside it), or what.
TOPMOST_AT_CENTRE = """
(element) => {
  const r = element.getBoundingClientRect();
  const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
  if (hit === null) return "off screen";
  return element.contains(hit) ? "itself" : `${hit.tagName} ${hit.textContent.slice(0, 40)}`;
}
"""

OPAQUE_BACKGROUND = """
(element) => {
  const colour = getComputedStyle(element).backgroundColor;
  const alpha = colour.startsWith("rgba") ? Number(colour.split(",")[3].replace(")", "")) : 1;
  return alpha === 1 ? "opaque" : colour;
}
"""


def wide_page(new_context, live_server):
    page = new_context(viewport={"width": 1280, "height": 800}).new_page()
    page.goto(f"{live_server.url}/matrix/")
    return page


def box(locator):
    b = locator.bounding_box()
    return round(b["x"]), round(b["y"])


def test_first_screen_at_1280_shows_filled_cells_and_the_whole_heading(live_server, new_context):
    page = wide_page(new_context, live_server)
    cells = page.evaluate(VISIBLE_CELLS)
    filled = [text for is_filled, text in cells if is_filled]
    assert len(cells) >= 10, cells
    assert len(filled) >= 3, f"the first screen shows {len(cells)} cells, filled: {filled}"
    assert any(text.startswith("Class-level") for text in filled), filled
    assert any(text.startswith("Agent-level") for text in filled), filled
    # The table's name is a heading above the region, whole and on the first screen.
    heading = page.get_by_role("heading", name="Therapies used for each condition")
    expect(heading).to_be_in_viewport(ratio=1)
    assert heading.evaluate("h => h.scrollWidth <= h.clientWidth")
    expect(page.get_by_role("table", name="Therapies used for each condition")).to_be_visible()
    # The legend says what the cells mean.
    legend = page.get_by_role("region", name="How to read it")
    expect(legend).to_contain_text("The source names this therapy itself for the condition.")
    expect(page.locator(".matrix-list")).to_be_hidden()


def test_headers_stay_in_place_and_opaque_while_the_table_scrolls(live_server, new_context):
    page = wide_page(new_context, live_server)
    region = page.locator(".matrix-scroll")
    corner = page.get_by_role("columnheader", name="Condition", exact=True)
    condition = page.locator(".matrix tbody th[scope=row]").filter(has_text="Kidney cancer")
    category = page.locator(".matrix .section th").get_by_text("Cancer", exact=True)
    therapy = page.locator(".matrix thead th[scope=col] a").filter(has_text="Interleukin-2")
    region.scroll_into_view_if_needed()
    before = {
        "corner": box(corner),
        "condition": box(condition),
        "category": box(category),
        "corner pixels": corner.screenshot(),
        "condition pixels": condition.screenshot(),
    }
    therapy_x = box(therapy)[0]
    header_row = page.locator(".matrix thead tr").last
    header_y = box(header_row)[1]

    region.evaluate("r => { r.scrollLeft = 700; }")  # sideways, past a few therapies
    assert region.evaluate("r => r.scrollLeft") == 700
    assert box(therapy)[0] < therapy_x - 600  # the cells moved …
    assert box(corner) == before["corner"]  # … the corner did not
    assert box(condition) == before["condition"]
    assert box(category) == before["category"]  # the category label stays in view
    # Opaque: the same pixels as before, with no cell text showing through them.
    assert corner.screenshot() == before["corner pixels"]
    assert condition.screenshot() == before["condition pixels"]
    for element in (corner, condition, page.locator(".matrix thead th[scope=colgroup]").first):
        assert element.evaluate(OPAQUE_BACKGROUND) == "opaque"
    for element in (corner, condition, category):
        assert element.evaluate(TOPMOST_AT_CENTRE) == "itself"

    region.evaluate("r => { r.scrollTop = 600; }")  # and down
    assert region.evaluate("r => r.scrollTop") == 600
    assert box(corner) == before["corner"]  # the corner stays in both directions
    assert corner.evaluate(TOPMOST_AT_CENTRE) == "itself"
    assert box(header_row)[1] == header_y  # the header rows stick at the top
    assert header_row.evaluate(TOPMOST_AT_CENTRE) == "itself"
    # A row header below the header rows is at the left edge, under the corner.
    rows = page.locator(".matrix tbody th[scope=row]")
    visible = [
        rows.nth(i)
        for i in range(rows.count())
        if rows.nth(i).evaluate(TOPMOST_AT_CENTRE) == "itself"
    ]
    assert visible, "no condition name is visible after scrolling down"
    assert all(box(row)[0] == before["condition"][0] for row in visible)


def test_phone_gets_a_list_per_condition_and_no_sideways_scrolling(live_server, new_context):
    page = new_context(viewport={"width": 390, "height": 800}).new_page()
    page.goto(f"{live_server.url}/matrix/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    expect(page.locator(".matrix-scroll")).to_be_hidden()
    listing = page.locator(".matrix-list")
    expect(listing).to_be_visible()
    heading = listing.get_by_role("heading", name="Rheumatoid arthritis", exact=True)
    expect(heading).to_be_visible()
    uses = heading.locator("xpath=following-sibling::ul[1]/li")
    expect(uses.first).to_have_text(
        "Anti-TNF therapy (the whole class) — Class-level, when conventional drugs fail "
        "(Drugs.com counts it among the most effective treatments)"
    )
    expect(uses.filter(has_text="Adalimumab (Humira)")).to_have_text(
        "Adalimumab (Humira) — Agent-level (Moderately to severely active, adults)"
    )
    expect(listing.get_by_role("link", name="Adalimumab (Humira)").first).to_have_attribute(
        "href", "/therapies/adalimumab/"
    )
    no_use = listing.get_by_role("heading", name="Multiple sclerosis", exact=True)
    expect(no_use.locator("xpath=following-sibling::p[1]")).to_have_text(
        "No use among these therapies."
    )
    # Every item fits the screen: nothing inside the list is wider than the page.
    widest = listing.evaluate(
        "l => Math.max(...[...l.querySelectorAll('*')].map((e) => e.getBoundingClientRect().right))"
    )
    assert widest <= 390
