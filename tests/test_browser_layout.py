"""The layout of every public page type in Chromium, on a phone (390 px) and on a desktop
(1280 px): no page scrolls sideways, and on the desktop the body text keeps a readable measure
(at most about 80 characters a line; the aim is 60 to 75).

The measure of a paragraph is its content width divided by the average width of a character
of its own text in its own font (canvas measureText): the number of characters of that text
that fit on one line. Each page's widest paragraph of running text in <main> is measured
(paragraphs shorter than a line are not body text). Every page is checked before the test
fails, and the message names each page that failed and why.
"""

import pytest

from .helpers import PAGE_TYPES

pytestmark = [
    pytest.mark.browser,
    pytest.mark.once,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("browser_db"),
]

WIDTHS = [390, 1280]
MAX_MEASURE = 80  # characters a line

# The elements that stick out to the right, for the failure message.
WIDER_THAN_VIEWPORT = """
() => [...document.body.querySelectorAll("*")]
  .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1)
  .filter((e) => !e.parentElement
    || e.parentElement.getBoundingClientRect().right <= window.innerWidth + 1)
  .slice(0, 5)
  .map((e) => `<${e.tagName.toLowerCase()} class="${e.className}"> `
    + `(right edge at ${Math.round(e.getBoundingClientRect().right)} px)`)
"""

# Characters a line of each paragraph of running text in <main> that is wider than its line:
# its content width / the average width of its own characters in its font.
MEASURES = """
() => {
  const context = document.createElement("canvas").getContext("2d");
  return [...document.querySelectorAll("main p")]
    .filter((p) => p.offsetParent !== null)
    .map((p) => {
      const style = getComputedStyle(p);
      const text = p.textContent.replace(/\\s+/g, " ").trim();
      context.font = `${style.fontStyle} ${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
      const average = context.measureText(text).width / Math.max(text.length, 1);
      const width = p.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
      return {text: text.slice(0, 60), width, characters: width / average,
              wraps: context.measureText(text).width > width};
    })
    .filter((m) => m.wraps && m.text.length >= 40);
}
"""


def open_page(page, live_server, name):
    path, status = PAGE_TYPES[name]
    response = page.goto(live_server.url + path)
    assert response.status == status, f"{path}: {response.status}"
    page.wait_for_load_state("load")
    return path


@pytest.mark.parametrize("width", WIDTHS)
def test_no_page_scrolls_sideways(live_server, new_context, width):
    page = new_context(viewport={"width": width, "height": 900}).new_page()
    failures = []
    for name in PAGE_TYPES:
        path = open_page(page, live_server, name)
        scroll_width, inner_width = page.evaluate(
            "[document.documentElement.scrollWidth, window.innerWidth]"
        )
        if scroll_width > inner_width:
            failures.append(
                f"{path} is {scroll_width} px wide in a {inner_width} px window: "
                + ", ".join(page.evaluate(WIDER_THAN_VIEWPORT))
            )
    assert not failures, f"At {width} px:\n- " + "\n- ".join(failures)


def test_body_text_keeps_a_readable_measure_on_a_desktop(live_server, new_context):
    page = new_context(viewport={"width": 1280, "height": 900}).new_page()
    failures, measured = [], 0
    for name in PAGE_TYPES:
        path = open_page(page, live_server, name)
        measures = page.evaluate(MEASURES)
        if not measures:
            continue
        measured += 1
        widest = max(measures, key=lambda m: m["characters"])
        if widest["characters"] > MAX_MEASURE:
            failures.append(
                f"{path}: about {round(widest['characters'])} characters a line "
                f"({round(widest['width'])} px) in “{widest['text']}…”"
            )
    assert measured >= 5, f"only {measured} pages have a paragraph of running text to measure"
    assert not failures, f"Lines longer than {MAX_MEASURE} characters at 1280 px:\n- " + (
        "\n- ".join(failures)
    )
