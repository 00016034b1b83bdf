"""WCAG 2.2 AA, checked by axe-core in Chromium, on every public page type.

axe-core comes from the npm registry, pinned in package.json / package-lock.json (`make install`
runs `npm ci`). Without node_modules/axe-core the accessibility test is skipped locally, and
fails when the environment variable CI is set.

The site's Content-Security-Policy forbids inline scripts, so `page.add_script_tag(content=...)`
(an inline <script> element) would be blocked. axe is evaluated with `page.evaluate()` instead:
Playwright runs it through the DevTools protocol, which a page's CSP does not govern, and no
element is added to the page. The CSP itself is checked by tests/test_browser.py, unchanged.

That no page scrolls sideways is tests/test_browser_layout.py's; screenshots: `make screenshots`.

Database handling is the `browser_db` fixture's (tests/conftest.py: transactional tests,
content loaded before each, the database restored after the module).
"""

import os
from pathlib import Path

import pytest
from django.conf import settings

from .helpers import PAGE_TYPES

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("browser_db"),
]

AXE_PATH = Path(settings.BASE_DIR) / "node_modules" / "axe-core" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]

AXE_RUN = """
(tags) => axe.run(document, {runOnly: {type: "tag", values: tags}}).then((results) =>
  results.violations.map((v) => ({
    id: v.id,
    impact: v.impact,
    help: v.help,
    targets: v.nodes.map((n) => n.target.join(" ")),
  }))
)
"""

# Every page type (tests/helpers.py PAGE_TYPES, which the markup checks share), and states of
# them a visitor meets: two filters, the best match, a near miss, a generic 400.
PAGES = [pytest.param(path, status, id=name) for name, (path, status) in PAGE_TYPES.items()]
PAGES += [
    pytest.param(
        "/therapies/?condition=rheumatoid-arthritis&therapy_class=monoclonal-antibodies",
        200,
        id="therapies-two-filters",
    ),
    pytest.param(
        "/therapies/?therapy_class=interleukins&condition=rheumatoid-arthritis&action=enhances",
        200,
        id="therapies-selected-options-without-results",  # greyed "(0)" options (facets)
    ),
    pytest.param("/classes/interferons/", 200, id="class-without-agents"),
    pytest.param("/search/?q=Rituxan", 200, id="search-best-match"),
    pytest.param("/search/?q=humria", 200, id="search-did-you-mean"),
    pytest.param("/therapies/?condition=rheumatoid+arthritus", 400, id="near-miss"),
    pytest.param("/a-z/?letter=Q1", 400, id="400-generic"),
]


@pytest.fixture(scope="module")
def axe_source():
    if not AXE_PATH.exists():
        message = f"{AXE_PATH} is missing: run `npm ci --no-audit --no-fund` (or `make install`)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return AXE_PATH.read_text(encoding="utf-8")


@pytest.mark.parametrize(("path", "status"), PAGES)
def test_page_has_no_wcag_violations(live_server, page, axe_source, path, status):
    response = page.goto(live_server.url + path)
    assert response.status == status, path
    page.wait_for_load_state("load")
    page.evaluate(axe_source)
    violations = page.evaluate(AXE_RUN, WCAG_TAGS)
    assert not violations, f"{path}: axe-core violations:\n" + "\n".join(
        f"- {v['id']} ({v['impact']}): {v['help']}\n    " + "\n    ".join(v["targets"])
        for v in violations
    )


def test_open_typeahead_has_no_wcag_violations(live_server, page, axe_source):
    """The header search with its suggestions open (the combobox and its listbox)."""
    page.goto(live_server.url + "/")
    page.get_by_role("combobox", name="Search").press_sequentially("inter", delay=30)
    page.get_by_role("option").first.wait_for()
    page.get_by_role("combobox", name="Search").press("ArrowDown")
    page.evaluate(axe_source)
    violations = page.evaluate(AXE_RUN, WCAG_TAGS)
    assert not violations, "open type-ahead: axe-core violations:\n" + "\n".join(
        f"- {v['id']} ({v['impact']}): {v['help']}\n    " + "\n    ".join(v["targets"])
        for v in violations
    )


@pytest.mark.parametrize(
    "path", ["/therapies/rituximab/", "/therapies/rituximab/changes/", "/whats-new/"]
)
def test_pages_of_what_changed_with_entries_have_no_wcag_violations(
    live_server, page, axe_source, path
):
    """The pages with entries (the content is loaded without versions, so PAGES shows them
    empty): the first versions as `manage.py seed` records them, then a brand name added."""
    from catalog.history import SEEDED, populate_initial_history
    from catalog.models import Therapy, TherapyName

    populate_initial_history(SEEDED)
    therapy = Therapy.objects.get(slug="rituximab")
    therapy.summary += " More."
    therapy.save()
    TherapyName.objects.create(therapy=therapy, name="MabThera", kind="brand")
    response = page.goto(live_server.url + path)
    assert response.status == 200, path
    assert page.get_by_role("listitem").filter(has_text="first published").count() >= 1
    page.evaluate(axe_source)
    violations = page.evaluate(AXE_RUN, WCAG_TAGS)
    assert not violations, f"{path}: axe-core violations:\n" + "\n".join(
        f"- {v['id']} ({v['impact']}): {v['help']}\n    " + "\n    ".join(v["targets"])
        for v in violations
    )
