"""A real browser — Debian's Chromium driven by Playwright — against the live server.

1. Every page type (public pages, a 404, the browsable API, Swagger UI and the admin) renders
   under the production Content-Security-Policy with no CSP violation, no JavaScript error and
   no failed request, and something shows that it rendered and that its JavaScript ran.
2. With JavaScript turned off, the therapy filter form works and pagination keeps the filters.

The live server reads the database from another thread, so these tests are transactional: the
database is flushed after each one. The `browser_db` fixture (tests/conftest.py) loads the
site's content before each test and puts the database back as it was before this module
(content, the Editors group, content types…) for the tests that run after it. pytest does not
always run these tests last: pytest-playwright parametrizes them with a session-scoped
`browser_name`, and pytest groups tests by it. (`serialized_rollback` cannot do this job: once
Playwright's sync API runs, Django hands the test code a new connection object, without the
serialized data.)
"""

import re

import pytest
from playwright.sync_api import expect

from catalog.models import Therapy

from .helpers import PageProblems, h1, result_names

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("browser_db"),
]


def lists_therapies(*names):
    def check(page):
        expect(page.locator(".results h3 a")).to_have_text(list(names))

    return check


def mentions(text):
    def check(page):
        expect(page.locator("main")).to_contain_text(text)

    return check


def api_response(text):
    def check(page):
        expect(page.locator(".response-info")).to_contain_text(text)

    return check


def drf_filters_modal_opens(page):
    """The filter button (inline style, allowed by its hash) opens Bootstrap's modal: DRF's
    jQuery and Bootstrap ran."""
    expect(page.locator(".response-info")).to_contain_text('"rituximab"')
    page.get_by_role("button", name="Filters").click()
    expect(page.locator("#filtersModal")).to_be_visible()


def swagger_ui_calls_the_api(page):
    """Swagger UI's scripts ran (its start-up script is a separate URL, not inline): it
    fetched the schema, lists the operations, and "Try it out" calls the API."""
    expect(page.locator(".info .title")).to_contain_text("immunosite API")
    operation = page.locator("#operations-therapies-therapies_list")
    expect(operation.locator('[data-path="/api/v1/therapies/"]')).to_be_visible()
    operation.locator(".opblock-summary-control").click()
    operation.get_by_role("button", name="Try it out").click()
    operation.get_by_role("button", name="Execute").click()
    expect(operation.locator(".live-responses-table .response-col_status").last).to_have_text("200")
    expect(operation.locator(".live-responses-table")).to_contain_text("rituximab")


PUBLIC_PAGES = [
    pytest.param("/", 200, "What is immunotherapy?", None, id="home"),
    pytest.param("/therapies/", 200, "Therapies (9)", mentions("Trastuzumab"), id="therapies"),
    pytest.param(
        "/therapies/?condition=rheumatoid-arthritis&therapy_class=monoclonal-antibodies",
        200,
        "2 therapies in Monoclonal antibodies for Rheumatoid arthritis",
        lists_therapies("Rituximab", "Tocilizumab"),
        id="therapies-filtered",
    ),
    pytest.param(
        "/therapies/rituximab/", 200, "Rituximab (Rituxan)", mentions("Rituxan"), id="therapy"
    ),
    pytest.param("/classes/", 200, "Classes of therapy (5)", mentions("Interferons"), id="classes"),
    pytest.param("/classes/interferons/", 200, "Interferons", None, id="class"),
    pytest.param("/conditions/", 200, "Conditions (15)", mentions("Leukemia"), id="conditions"),
    pytest.param(
        "/conditions/leukemia/", 200, "Leukemia", mentions("Chronic lymphocytic"), id="condition"
    ),
    pytest.param("/glossary/", 200, "Glossary", mentions("Antigen"), id="glossary"),
    pytest.param("/a-z/", 200, "A\u2013Z index", mentions("Rituxan, see"), id="a-z"),
    pytest.param("/matrix/", 200, "Therapies and conditions", mentions("Class-level"), id="matrix"),
    pytest.param(
        "/search/?q=ritux", 200, "Search", mentions("Name starts with your search"), id="search"
    ),
    pytest.param("/no-such-page/", 404, "Page not found", None, id="404"),
    pytest.param("/api/v1/", 200, "Api Root", api_response("/api/v1/therapies/"), id="api-root"),
    pytest.param("/api/v1/therapies/", 200, "Therapy List", drf_filters_modal_opens, id="api"),
    pytest.param("/api/v1/docs/", 200, None, swagger_ui_calls_the_api, id="swagger-ui"),
]


@pytest.mark.parametrize(("path", "status", "heading", "check"), PUBLIC_PAGES)
def test_public_page_renders_under_the_csp(live_server, browse, path, status, heading, check):
    browse.goto(live_server.url + path, status)
    if heading:
        expect(h1(browse.page)).to_have_text(heading)
    if check:
        check(browse.page)
    browse.assert_none(path)


def test_admin_works_under_the_csp(live_server, browse, django_user_model):
    page = browse.page
    admin = f"{live_server.url}/admin/"
    django_user_model.objects.create_superuser("chief", "chief@example.com", "Long-enough-pw-1")

    browse.goto(admin)  # not logged in: redirected to the login form
    expect(page).to_have_url(re.compile(r"/admin/login/\?next=/admin/$"))
    expect(page.locator("#site-name")).to_have_text("immunosite administration")
    browse.assert_none("login page")

    page.get_by_label("Username").fill("chief")
    page.get_by_label("Password").fill("Long-enough-pw-1")
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(admin)
    expect(h1(page)).to_have_text("Content")
    # The production cookie flags, which Chromium accepts from http://localhost.
    cookies = {cookie["name"]: cookie for cookie in page.context.cookies()}
    assert cookies["sessionid"]["secure"] and cookies["sessionid"]["httpOnly"]
    browse.assert_none("admin index")

    page.locator("#content-main").get_by_role("link", name="Therapies", exact=True).click()
    expect(h1(page)).to_have_text("Select therapy to change")
    page.wait_for_load_state()  # the admin's scripts start on "load"
    count = Therapy.objects.count()
    page.locator("#action-toggle").check()  # actions.js counts the selection
    expect(page.locator(".action-counter")).to_have_text(f"{count} of {count} selected")
    browse.assert_none("therapy changelist")

    page.get_by_role("link", name="Rituximab", exact=True).click()
    expect(h1(page)).to_have_text("Change therapy")
    page.wait_for_load_state()
    # select2 replaced the autocomplete select: the admin's JavaScript ran.
    therapy_class = page.locator(".field-therapy_class .select2-container")
    expect(therapy_class).to_have_text(re.compile("Monoclonal antibodies"))
    therapy_class.locator(".select2-selection").click()
    page.locator(".select2-container--open .select2-search__field").fill("interf")
    expect(page.locator(".select2-results__option", has_text="Interferons")).to_be_visible()
    page.keyboard.press("Escape")
    indications = page.locator("#indications-group")
    expect(indications).to_contain_text("Rheumatoid arthritis")
    rows = indications.locator(".dynamic-indications")
    before = rows.count()
    indications.get_by_role("button", name="Add another Indication").click()
    expect(rows).to_have_count(before + 1)
    expect(rows.last.locator(".field-condition .select2-container")).to_be_visible()
    expect(page.locator("#other_names-group")).to_contain_text("Rituxan")
    browse.assert_none("therapy change page")

    browse.goto(f"{admin}catalog/indication/add/")
    expect(h1(page)).to_have_text("Add indication")
    for field in ("therapy", "therapy_class", "condition", "sources"):
        expect(page.locator(f".field-{field} .select2-container")).to_be_visible()
    browse.assert_none("indication add page")

    page.get_by_role("button", name="Log out").click()
    expect(h1(page)).to_have_text("Logged out")
    browse.assert_none("logged out page")
    browse.goto(admin)
    expect(page).to_have_url(re.compile(r"/admin/login/"))
    browse.assert_none("login page after logging out")


def test_therapy_filters_work_without_javascript(live_server, new_context, make_catalog):
    make_catalog(25)  # 25 therapies of "synth class" for "synth parent" and "synth child"
    page = new_context(java_script_enabled=False).new_page()
    browse = PageProblems(page, javascript=False)
    browse.goto(f"{live_server.url}/therapies/")

    # Conditions and classes are typed (there can be thousands): a name works without JS.
    condition = page.get_by_label("Condition", exact=True)
    condition.fill("Rheumatoid arthritis")
    page.get_by_role("button", name="Apply filters").click()
    expect(page).to_have_url(re.compile(r"[?&]condition=Rheumatoid\+arthritis(&|$)"))
    expect(condition).to_have_value("Rheumatoid arthritis")
    page.wait_for_load_state()
    names = result_names(page)
    assert {"Rituximab", "Tocilizumab"} <= set(names)
    assert "Trastuzumab" not in names
    for used_for in page.locator(".results .result").all_inner_texts():
        assert "Rheumatoid arthritis" in used_for
    browse.assert_none("filtered by condition")

    # Two filters and a second page: the pagination links keep the filters.
    condition.fill("synth-parent")
    page.get_by_label("Class", exact=True).fill("synth-class")
    page.get_by_role("button", name="Apply filters").click()
    expect(page.locator(".pagination")).to_contain_text("Page 1 of 2")
    first_page = result_names(page)
    assert len(first_page) == 20
    page.get_by_role("link", name="Next").click()
    expect(page.locator(".pagination")).to_contain_text("Page 2 of 2")
    query = page.url.split("?", 1)[1]
    assert {"page=2", "condition=synth-parent", "therapy_class=synth-class"} <= set(
        query.split("&")
    )
    second_page = result_names(page)
    assert len(second_page) == 5
    assert sorted(first_page + second_page) == [f"synth therapy {i:05d}" for i in range(25)]
    expect(condition).to_have_value("synth parent")  # the condition's name, not the slug
    browse.assert_none("second page")
