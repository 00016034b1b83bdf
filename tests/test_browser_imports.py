"""The admin's bulk import in a real browser (Chromium), as an editor does it: a CSV of brand
names with one bad row, whose preview names the row and writes nothing; the fixed file
imported and confirmed; the export page too; zero CSP violations, JavaScript or console errors
on every page (the library's pages included).

The database set-up (transactional, restored after the module) is the `browser_db` fixture's
(tests/conftest.py).
"""

import pytest
from playwright.sync_api import expect

from catalog.models import Therapy, TherapyName

from .helpers import PageProblems, h1, log_in_to_admin, make_user

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("browser_db"),
]

HEADINGS = "therapy,name,kind\n"
BAD = HEADINGS + "rituximab,Truxima,brand\nrituximab,Ruxience,brand\nrituxinab,Riabni,brand\n"
FIXED = BAD.replace("rituxinab", "rituximab")


def upload(page, text):
    page.get_by_label("Resource").select_option(
        label="Other names (brand names, abbreviations, synonyms)"
    )
    page.get_by_label("File to import").set_input_files(
        {"name": "biosimilars.csv", "mimeType": "text/csv", "buffer": text.encode()}
    )
    expect(page.get_by_label("Format")).to_have_value("0")  # guessed from the file's name: CSV
    page.get_by_role("button", name="Submit").click()


def test_an_editor_imports_names_with_one_bad_row_fixes_it_and_imports_again(live_server, page):
    make_user("ed", "Editors")
    browse = PageProblems(page)
    log_in_to_admin(browse, live_server.url, "ed", "x")
    browse.goto(f"{live_server.url}/admin/catalog/therapy/")
    page.get_by_role("link", name="Import").click()
    expect(h1(page)).to_have_text("Import")
    browse.assert_none("the import page")

    upload(page, BAD)
    expect(page.get_by_role("heading", name="Nothing was imported: 1 problem")).to_be_visible()
    expect(page.locator(".import-problems li")).to_have_text(
        ["Row 4, therapy: no therapy with the address “rituxinab”"]
    )
    expect(page.get_by_role("button", name="Confirm import")).to_have_count(0)
    browse.assert_none("the preview with a bad row")
    assert not TherapyName.objects.filter(name="Truxima").exists()

    upload(page, FIXED)
    expect(page.locator(".import-summary")).to_have_text("3 new, 0 changed, 0 unchanged.")
    preview = page.locator("table.import-preview tbody tr")
    expect(preview).to_have_count(3)
    expect(preview.first).to_contain_text("New")
    browse.assert_none("the preview")
    page.get_by_role("button", name="Confirm import").click()
    expect(page.locator(".messagelist .success")).to_contain_text("Import finished")
    browse.assert_none("the changelist after the import")
    rituximab = Therapy.objects.get(slug="rituximab")
    assert {"Truxima", "Ruxience", "Riabni"} <= set(rituximab.brand_names)
    reasons = set(
        TherapyName.history.filter(name__in=["Truxima", "Ruxience", "Riabni"]).values_list(
            "history_change_reason", flat=True
        )
    )
    assert reasons == {"Imported from biosimilars.csv"}

    page.get_by_role("link", name="Export").click()
    expect(h1(page)).to_have_text("Export")
    browse.assert_none("the export page")
