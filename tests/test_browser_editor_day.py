"""An editor's and a reviewer's day end to end in a real browser (Chromium, the production CSP):
the editor writes a new therapy as a draft with a section, reads the Checks panel, submits it
for review; the reviewer approves it from the queue; the editor schedules it to go live, and the
public page appears at that moment and not before (the clock moved with time-machine, which the
live server's thread reads too); then the editor imports its brand names from a CSV with one bad
row, fixes the row and imports again. No CSP violation, JavaScript or console error on the way.

The database set-up (transactional, restored after the module) is the `browser_db` fixture's
(tests/conftest.py).
"""

import datetime

import pytest
import time_machine
from django.utils import timezone
from playwright.sync_api import expect

from catalog.models import Therapy, TherapyName

from .helpers import PageProblems, h1, log_in_to_admin, make_reviewer, make_user

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("browser_db"),
]

NAME = "Examplimab"
SUMMARY = "Examplimab is a test medicine. It is made to show how an editor works."
SECTION = "It is given as a drip into a vein. A nurse gives it in a clinic."
BAD_NAMES = "therapy,name,kind\nexamplimab,Examplix,brand\nexamplimabb,Exampliva,brand\n"
FIXED_NAMES = "therapy,name,kind\nexamplimab,Examplix,brand\nexamplimab,Exampliva,brand\n"


def log_in(browse, site, username):
    log_in_to_admin(browse, site, username, "x")  # tests/helpers.py make_user


def choose(page, field, typed, option, within=None):
    """Pick `option` in an autocomplete (select2) field by typing, as an editor does."""
    (within or page).locator(f".field-{field} .select2-selection").click()
    page.locator(".select2-container--open .select2-search__field").fill(typed)
    page.locator(".select2-results__option", has_text=option).click()


def upload(page, text):
    page.get_by_label("Resource").select_option(
        label="Other names (brand names, abbreviations, synonyms)"
    )
    page.get_by_label("Format").select_option(label="csv")
    page.get_by_label("File to import").set_input_files(
        {"name": "examplimab-names.csv", "mimeType": "text/csv", "buffer": text.encode()}
    )
    page.get_by_role("button", name="Submit").click()


def test_an_editor_writes_a_draft_a_reviewer_approves_it_and_it_goes_live_on_schedule(
    live_server, page, new_context
):
    site = live_server.url
    make_user("edna", "Editors", first_name="Edna")
    make_reviewer("jane")
    editor = PageProblems(page)
    reviewer_page = new_context().new_page()
    reviewer = PageProblems(reviewer_page)
    public_page = new_context(java_script_enabled=False).new_page()
    public = PageProblems(public_page, javascript=False)

    # --- the editor writes a draft with a section and reads the checks -----------------------
    log_in(editor, site, "edna")
    editor.goto(f"{site}/admin/catalog/therapy/add/")
    page.get_by_label("Name:", exact=True).fill(NAME)
    choose(page, "therapy_class", "Monoclonal", "Monoclonal antibodies")
    page.get_by_label("Summary:").fill(SUMMARY)
    page.locator("#sections-group .add-row a").click()  # "Add another Section of …"
    section = page.locator("#sections-group .inline-related:not(.empty-form)").last
    section.get_by_label("Kind:").select_option(label="How it is given")
    section.get_by_label("Body:").fill(SECTION)
    panel = page.locator("#checks-panel")
    expect(panel).to_contain_text("No source cited", timeout=10_000)  # checked as typed
    expect(panel).to_contain_text("“How it is given” cites no source")
    choose(page, "sources", "Immunotherapy", "Immunotherapy", within=section)
    choose(
        page,
        "sources",
        "Immunotherapy",
        "Immunotherapy",
        within=page.get_by_role("group", name="Sources", exact=True),
    )
    expect(panel).not_to_contain_text("No source cited", timeout=10_000)
    page.get_by_role("button", name="Save and continue editing").click()
    expect(page.locator(".messagelist .success")).to_contain_text("was added successfully")
    examplimab = Therapy.objects.get(name=NAME)
    assert examplimab.slug == "examplimab" and examplimab.status == "draft"
    expect(panel).to_contain_text("6 sections are empty")
    expect(panel.locator(".checks-headline")).to_contain_text(" words · about 1 min to read")
    editor.assert_none("the editor writes the draft")
    public.goto(f"{site}/therapies/examplimab/", status=404)  # a draft: not public

    # --- submitted, then approved from the reviewer's queue -------------------------------------
    page.locator("#review-banner").get_by_role("button", name="Submit for review").click()
    expect(page.locator(".messagelist .success")).to_contain_text("submitted for review")
    log_in(reviewer, site, "jane")
    reviewer_page.get_by_role("link", name="Review queue").click()
    row = reviewer_page.locator("#review-queue tbody tr", has_text=NAME)
    expect(row).to_contain_text("Edna")
    row.get_by_role("link", name="Review now").click()
    expect(reviewer_page.locator("#review-contents")).to_contain_text(SUMMARY)
    expect(reviewer_page.locator("#review-contents")).to_contain_text(SECTION)
    reviewer_page.get_by_role("button", name="Approve").click()
    expect(reviewer_page.locator(".messagelist .success")).to_contain_text(f"{NAME} approved.")
    reviewer.assert_none("the reviewer approves")

    # --- scheduled to go live in two minutes: not a second before, on time after ---------------
    go_live = (timezone.now() + datetime.timedelta(minutes=2)).replace(microsecond=0)
    editor.goto(f"{site}/admin/catalog/therapy/{examplimab.pk}/change/")
    publication = page.get_by_role("group", name="Publication and review")
    publication.get_by_label("Status:").select_option(label="Published")
    publication.get_by_label("Go live at:").fill(go_live.strftime("%Y-%m-%dT%H:%M:%S"))
    page.get_by_role("button", name="Save and continue editing").click()
    expect(page.locator(".messagelist .success")).to_contain_text("was changed successfully")
    editor.goto(f"{site}/admin/catalog/therapy/?q={NAME}")
    expect(page.locator("#result_list")).to_contain_text("Scheduled — goes live")
    editor.assert_none("the editor schedules it")

    with time_machine.travel(go_live - datetime.timedelta(seconds=1), tick=False):
        public.goto(f"{site}/therapies/examplimab/", status=404)
        public.goto(f"{site}/therapies/?q=examplimab")
        expect(public_page.locator("main")).not_to_contain_text(NAME)
    with time_machine.travel(go_live, tick=False):
        public.goto(f"{site}/therapies/examplimab/")
        expect(h1(public_page)).to_contain_text(NAME)
        expect(public_page.locator("main")).to_contain_text("drip into a vein")
        expect(public_page.locator(".review-line")).to_contain_text(
            "Medically reviewed by Jane Doe, MD, rheumatology"
        )
        public.goto(f"{site}/therapies/?q=examplimab")
        expect(public_page.locator("main")).to_contain_text(NAME)
    public.assert_none("the public pages around the go-live moment")

    # --- brand names imported from a CSV with one bad row, fixed, imported again ----------------
    editor.goto(f"{site}/admin/catalog/therapy/")
    page.get_by_role("link", name="Import").click()
    upload(page, BAD_NAMES)
    expect(page.locator(".import-problems li")).to_have_text(
        ["Row 3, therapy: no therapy with the address “examplimabb”"]
    )
    assert not TherapyName.objects.filter(therapy=examplimab).exists()
    upload(page, FIXED_NAMES)
    expect(page.locator(".import-summary")).to_have_text("2 new, 0 changed, 0 unchanged.")
    page.get_by_role("button", name="Confirm import").click()
    expect(page.locator(".messagelist .success")).to_contain_text("Import finished")
    editor.assert_none("the editor imports the brand names")
    assert set(Therapy.objects.get(pk=examplimab.pk).brand_names) == {"Examplix", "Exampliva"}
