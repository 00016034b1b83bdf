"""Layout and type in a real browser (Debian's Chromium via Playwright), at 1280 and 390 px: body
text at a readable measure (60 to 75 characters a line on a desktop), the main navigation
marking the current section visibly and for assistive technology, the favicon served and
allowed by the CSP, and nothing scrolling sideways on a phone. Database handling is the
`browser_db` fixture's (tests/conftest.py).
"""

import pytest
from playwright.sync_api import expect

from .helpers import scrolls_sideways

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("browser_db"),
]

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}

# Characters on each rendered line of an element's text (lines told apart by their top edge).
CHARACTERS_PER_LINE = """(element) => {
  const walker = document.createTreeWalker(element, NodeFilter.SHOW_TEXT);
  const lines = new Map();
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    for (let i = 0; i < node.length; i++) {
      const range = document.createRange();
      range.setStart(node, i);
      range.setEnd(node, i + 1);
      const rect = range.getClientRects()[0];
      if (!rect) continue;
      const top = Math.round(rect.top);
      lines.set(top, (lines.get(top) || 0) + 1);
    }
  }
  return [...lines.entries()].sort((a, b) => a[0] - b[0]).map((entry) => entry[1]);
}"""

# Running text on each kind of page: (page, the paragraph measured).
READING = [
    ("/", "main .lead"),
    ("/therapies/rituximab/", "main p:not(table *)"),
    ("/conditions/rheumatoid-arthritis/", "main p:not(table *)"),
    ("/classes/monoclonal-antibodies/", "main p:not(table *)"),
    ("/glossary/", "main dd"),
]


def full_lines(page, selector):
    """Characters per line of the longest matching element, its last (short) line left out."""
    elements = page.locator(selector).all()
    longest = max(elements, key=lambda element: len(element.inner_text()))
    lines = longest.evaluate(CHARACTERS_PER_LINE)
    assert len(lines) >= 3, f"{selector}: too short to measure ({lines})"
    return lines[:-1]


def test_body_text_reads_at_60_to_75_characters_a_line_at_1280_px(live_server, new_context):
    page = new_context(viewport=DESKTOP).new_page()
    for path, selector in READING:
        page.goto(f"{live_server.url}{path}")
        lines = full_lines(page, selector)
        average = sum(lines) / len(lines)
        assert 60 <= average <= 75, f"{path}: {average:.0f} characters a line ({lines})"
        assert max(lines) <= 80, f"{path}: a line of {max(lines)} characters ({lines})"


def test_body_text_fits_a_phone_without_scrolling_sideways(live_server, new_context):
    page = new_context(viewport=PHONE).new_page()
    for path, selector in READING:
        page.goto(f"{live_server.url}{path}")
        assert not scrolls_sideways(page), path
        lines = full_lines(page, selector)
        assert 30 <= sum(lines) / len(lines) <= 60, f"{path}: {lines}"


# (page, the section it belongs to, aria-current: "page" on the section's own page)
SECTIONS = [
    ("/therapies/", "Therapies", "page"),
    ("/therapies/rituximab/", "Therapies", "true"),
    ("/classes/monoclonal-antibodies/", "Classes", "true"),
    ("/conditions/rheumatoid-arthritis/", "Conditions", "true"),
    ("/glossary/", "Glossary", "page"),
    ("/a-z/", "A\u2013Z", "page"),
    ("/matrix/", "Matrix", "page"),
]
STYLE = "a => [getComputedStyle(a).fontWeight, getComputedStyle(a).borderBottomColor]"


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1280", "390"])
def test_main_navigation_marks_the_current_section_for_eyes_and_screen_readers(
    live_server, new_context, viewport
):
    page = new_context(viewport=viewport).new_page()
    for path, section, current in SECTIONS:
        page.goto(f"{live_server.url}{path}")
        nav = page.get_by_role("navigation", name="Main")
        link = nav.get_by_role("link", name=section, exact=True)
        expect(link).to_have_attribute("aria-current", current)
        expect(nav.locator("[aria-current]")).to_have_count(1)
        expect(link).to_be_visible()
        # The current section looks different: bold, over a bar in the accent colour.
        (weight, bar) = link.evaluate(STYLE)
        (plain_weight, plain_bar) = nav.locator("a:not([aria-current])").first.evaluate(STYLE)
        assert int(weight) >= 700 > int(plain_weight), path
        assert bar == "rgb(15, 110, 90)" != plain_bar, path
        expect(nav.get_by_role("link", name="API", exact=True)).to_have_count(0)
        assert not scrolls_sideways(page), path
    page.goto(f"{live_server.url}/")
    expect(page.get_by_role("navigation", name="Main").locator("[aria-current]")).to_have_count(0)
    footer = page.get_by_role("contentinfo")
    expect(footer.get_by_role("link", name="the API", exact=True)).to_be_visible()


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1280", "390"])
def test_the_favicon_is_an_svg_the_csp_allows(live_server, new_context, viewport):
    page = new_context(viewport=viewport).new_page()
    violations = []
    page.on("console", lambda message: violations.append(message.text))
    page.goto(f"{live_server.url}/glossary/")
    href = page.locator('link[rel="icon"]').get_attribute("href")
    assert href.startswith("/static/") and href.endswith(".svg")
    # The icon as the page loads it: an image under the page's own CSP (img-src 'self').
    loaded = page.evaluate(
        """(href) => new Promise((done) => {
             const img = new Image();
             img.onload = () => done(img.naturalWidth > 0);
             img.onerror = () => done(false);
             img.src = href;
           })""",
        href,
    )
    assert loaded, "the favicon did not load as an image"
    reply = page.request.get(f"{live_server.url}{href}")
    assert reply.status == 200
    assert reply.headers["content-type"].startswith("image/svg+xml")
    assert not [text for text in violations if "Content Security Policy" in text]


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1280", "390"])
def test_the_bad_request_page_shows_the_problem_and_a_way_back(live_server, new_context, viewport):
    page = new_context(viewport=viewport).new_page()
    response = page.goto(f"{live_server.url}/a-z/?letter=Q1")
    assert response.status == 400
    expect(page.locator(".problem")).to_have_text(
        "Choose a letter from A to Z, or # for other names."
    )
    page.get_by_role("link", name="open this page without the choices in its address").click()
    expect(page).to_have_url(f"{live_server.url}/a-z/")
    expect(page.locator("h1")).to_have_text("A\u2013Z index")
    assert not scrolls_sideways(page)
