"""The admin's change forms in a real browser (Chromium, logged in as a superuser): the
therapy change page of rituximab fits a 1,280 px window (no sideways scrolling, the Delete box
of each indication on screen) and stays usable on a 390 px phone (the name field and the Save
button reachable without scrolling sideways).

The database set-up (transactional, restored after the module) is the `browser_db` fixture's
(tests/conftest.py).
"""

import re

import pytest
from playwright.sync_api import expect

from catalog.models import (
    Condition,
    GlossaryTerm,
    Indication,
    ModifierRole,
    Source,
    Therapy,
    TherapyClass,
)

from .helpers import PageProblems, h1, log_in_to_admin

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("browser_db"),
]

WIDE = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


def change_page_of_rituximab(live_server, page, admin_user):
    """Log in through the admin's form and open rituximab's change page."""
    browse = PageProblems(page)
    # pytest-django's admin_user has the password "password".
    log_in_to_admin(browse, live_server.url, admin_user.username, "password")
    rituximab = Therapy.objects.get(slug="rituximab")
    browse.goto(f"{live_server.url}/admin/catalog/therapy/{rituximab.pk}/change/")
    expect(h1(page)).to_have_text("Change therapy")
    page.wait_for_load_state("load")  # select2 and the inlines' scripts have run
    browse.assert_none("rituximab's change page")
    return browse


def page_width(page):
    return page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")


# The form's fields and buttons (the ones rendered: not the hidden templates of new inline rows)
# that lie, wholly or partly, outside the window left to right, by name, with the inline's
# own scrolling box counted as off screen.
CONTROLS_OFF_SCREEN = """() => [...document.querySelectorAll(
    '#content-main input:not([type=hidden]), #content-main select, #content-main textarea,'
    + ' #content-main button, #content-main .select2-container')]
  .filter(el => { const r = el.getBoundingClientRect(); return r.width > 0 && r.height > 0 &&
    (r.left < 0 || r.right > window.innerWidth + 0.5); })
  .map(el => el.name || el.previousElementSibling?.name || el.className)"""


def controls_off_screen(page):
    return page.evaluate(CONTROLS_OFF_SCREEN)


def within_the_window(page, locator):
    """Whether the element's box lies inside the window, left to right."""
    box = locator.bounding_box()
    assert box is not None, "not rendered"
    return box["x"] >= 0 and box["x"] + box["width"] <= page.viewport_size["width"]


@pytest.fixture
def wide_page(new_context):
    return new_context(viewport=WIDE).new_page()


@pytest.fixture
def phone_page(new_context):
    return new_context(viewport=PHONE, is_mobile=True, has_touch=True).new_page()


def test_therapy_change_page_fits_a_1280_px_window_with_every_delete_box_on_screen(
    live_server, wide_page, admin_user
):
    page = wide_page
    change_page_of_rituximab(live_server, page, admin_user)
    scroll_width, inner_width = page_width(page)
    assert scroll_width <= inner_width, f"the page is {scroll_width} px wide in {inner_width} px"
    indications = page.locator("#indications-group")
    deletes = indications.locator("input[name$='-DELETE']")
    assert deletes.count() >= 3  # rituximab has several indications
    for i in range(deletes.count()):
        box = deletes.nth(i)
        box.scroll_into_view_if_needed()
        expect(box).to_be_visible()
        assert within_the_window(page, box), f"Delete box {i} is off screen"


def test_therapy_change_page_is_usable_on_a_390_px_phone(live_server, phone_page, admin_user):
    page = phone_page
    change_page_of_rituximab(live_server, page, admin_user)
    name = page.get_by_label("Name:", exact=True)
    expect(name).to_be_visible()
    assert within_the_window(page, name), "the name field is cut"
    expect(name).to_have_value("Rituximab")
    save = page.get_by_role("button", name="Save", exact=True)
    save.scroll_into_view_if_needed()
    expect(save).to_be_visible()
    assert within_the_window(page, save), "the Save button is off screen"
    scroll_width, inner_width = page_width(page)
    assert scroll_width <= inner_width, f"the page is {scroll_width} px wide in {inner_width} px"
    # Every field can be reached without scrolling sideways, the indications' included.
    assert controls_off_screen(page) == []
    # Saving from the phone works and says so.
    save.click()
    expect(page.locator(".messagelist .success")).to_contain_text("was changed successfully")
    expect(page).to_have_url(re.compile(r"/admin/catalog/therapy/$"))


# Every other kind of record's change page, the widest of its kind (most indications, sources).
OTHER_CHANGE_PAGES = [
    ("condition", Condition, {"slug": "rheumatoid-arthritis"}),
    ("therapyclass", TherapyClass, {"slug": "monoclonal-antibodies"}),
    (
        "indication",
        Indication,
        {"therapy__slug": "rituximab", "condition__slug": "rheumatoid-arthritis"},
    ),
    ("source", Source, {}),
    ("glossaryterm", GlossaryTerm, {}),
    ("modifierrole", ModifierRole, {}),
]


@pytest.mark.parametrize("viewport", [WIDE, PHONE], ids=["1280px", "390px"])
def test_every_catalog_change_page_fits_the_window_without_sideways_scrolling(
    live_server, new_context, admin_user, viewport
):
    page = new_context(viewport=viewport).new_page()
    browse = change_page_of_rituximab(live_server, page, admin_user)
    too_wide = {}
    for name, model, lookup in OTHER_CHANGE_PAGES:
        obj = model.objects.filter(**lookup).order_by("pk").first()
        browse.goto(f"{live_server.url}/admin/catalog/{name}/{obj.pk}/change/")
        expect(h1(page)).to_have_text(f"Change {model._meta.verbose_name}")
        page.wait_for_load_state("load")
        scroll_width, inner_width = page_width(page)
        if scroll_width > inner_width:
            too_wide[name] = f"{scroll_width} px"
        elif cut := controls_off_screen(page):
            too_wide[name] = f"fields cut: {', '.join(cut[:5])}"
    browse.assert_none("the change pages")
    assert not too_wide, f"wider than {viewport['width']} px: {too_wide}"
