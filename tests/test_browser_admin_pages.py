"""Every page of the admin in a real browser (Chromium, a superuser): the index, each model's
list, its add form and the first record's history, and the review pages, fit a 1,280 px window
and a 390 px phone without the page scrolling sideways (a wide table may scroll inside its own
box, as Django's admin lets its result lists do), with no CSP violation or script error.

The change forms have their own, closer test (tests/test_browser_admin_forms.py).
"""

import pytest
from playwright.sync_api import expect

from .helpers import PageProblems, h1, log_in_to_admin, scrolls_sideways

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("browser_db"),
]

VIEWPORTS = {
    "1280px": {"viewport": {"width": 1280, "height": 800}},
    "390px": {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True},
}
# Admin pages that are not a model's: the review dashboard and the review queue.
OTHER_PAGES = ["/admin/review/", "/admin/review/queue/"]


def log_in(live_server, page, admin_user):
    browse = PageProblems(page)
    # pytest-django's admin_user has the password "password".
    log_in_to_admin(browse, live_server.url, admin_user.username, "password")
    return browse


def admin_pages(page):
    """The index's links to each model's list and add form (as an editor finds them), and the
    history page of each list's first record."""
    links = page.eval_on_selector_all(
        "#content-main a[href^='/admin/']", "links => links.map(a => a.getAttribute('href'))"
    )
    return ["/admin/", *dict.fromkeys(links)]


@pytest.mark.parametrize("viewport", VIEWPORTS, ids=list(VIEWPORTS))
def test_every_admin_page_fits_the_window_without_sideways_scrolling(
    live_server, new_context, admin_user, viewport
):
    page = new_context(**VIEWPORTS[viewport]).new_page()
    browse = log_in(live_server, page, admin_user)
    pages = admin_pages(page)
    assert "/admin/catalog/therapy/" in pages and "/admin/catalog/therapy/add/" in pages
    visited, too_wide = [], {}
    for path in [*pages, *OTHER_PAGES]:
        browse.goto(f"{live_server.url}{path}")
        visited.append(path)
        if scrolls_sideways(page):
            too_wide[path] = page.evaluate("document.documentElement.scrollWidth")
        if path.endswith("/") and not path.endswith("/add/") and path.count("/") == 4:
            # A model's list: its first record's history page too.
            first = page.locator("#result_list tbody tr th a").first
            if first.count():
                history = first.get_attribute("href").split("?")[0].replace("/change/", "/history/")
                browse.goto(f"{live_server.url}{history}")
                expect(h1(page), history).to_contain_text("Change history")
                visited.append(history)
                if scrolls_sideways(page):
                    too_wide[history] = page.evaluate("document.documentElement.scrollWidth")
    browse.assert_none("the admin's pages")
    assert len(visited) > 20, visited
    assert not too_wide, f"wider than the {viewport} window (px): {too_wide}"
