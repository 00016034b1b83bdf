"""The Checks panel on the change forms (test client, real database): the checks of the saved
record, of the submitted data when the form comes back with errors, and of the form as typed
from the panel's staff-only URL (what static/js/admin/checks.js calls); and the last link check
of each source on the Source changelist (a column, a filter) and change form."""

import re

import pytest
from django.urls import reverse

from catalog.content_checks import reading_grade
from catalog.models import Condition, LinkCheck, Source, Therapy, TherapyClass

from .helpers import admin_url, form_data, make_user, page_text, result_rows

pytestmark = pytest.mark.django_db

DENSE = (
    "Immunomodulatory monoclonal antibodies administered intravenously demonstrate "
    "considerable heterogeneity in pharmacokinetic characteristics across populations."
)


def panel(response):
    """The visible text of the change page's Checks panel."""
    content = response.content.decode()
    found = re.search(r'<details id="checks-panel".*?</details>', content, flags=re.S)
    assert found, "no Checks panel on the page"
    return " ".join(re.sub(r"<[^>]+>", " ", found.group(0)).split())


@pytest.fixture
def rituximab():
    return Therapy.objects.get(slug="rituximab")


def test_the_therapy_change_page_shows_the_checks_of_the_saved_record(admin_client, rituximab):
    response = admin_client.get(admin_url(Therapy, "change", rituximab.pk))
    text = panel(response)
    grade = reading_grade(rituximab.summary)
    assert text.startswith("Checks ")
    assert re.search(r"\d+ words · about \d min to read · \d warnings?", text)
    assert f"Summary {grade:.1f} above 9" in text
    assert f"Summary reads at grade {grade:.1f} — aim for 9 or below" in text
    assert "“Pregnancy and breastfeeding” is empty" in text
    content = response.content.decode()
    assert 'src="/static/js/admin/checks.js"' in content
    assert f'data-checks-url="{reverse("admin:catalog_therapy_checks")}"' in content
    # Before the record's fields: the panel is the first thing in the form.
    assert content.index('id="checks-panel"') < content.index('name="name"')


@pytest.mark.parametrize(
    ("model", "slug"), [(TherapyClass, "anti-tnf-therapy"), (Condition, "rheumatoid-arthritis")]
)
def test_class_and_condition_change_pages_have_the_panel_too(admin_client, model, slug):
    record = model.objects.get(slug=slug)
    text = panel(admin_client.get(admin_url(model, "change", record.pk)))
    assert f"Summary {reading_grade(record.summary):.1f}" in text
    if model is Condition:
        assert "What it is" in text


def test_the_add_page_has_the_panel_of_an_empty_record(admin_client):
    text = panel(admin_client.get(admin_url(Therapy, "add")))
    assert "0 words" in text
    assert "No source cited: add the source this text comes from under Sources." in text


def test_a_form_coming_back_with_errors_shows_the_checks_of_what_was_submitted(
    admin_client, rituximab
):
    url = admin_url(Therapy, "change", rituximab.pk)
    data = form_data(admin_client.get(url))
    data.update(summary=DENSE, name="", sources=[])
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert "This field is required." in page_text(response)  # the name
    text = panel(response)
    assert f"Summary reads at grade {reading_grade(DENSE):.1f} — aim for 9 or below" in text
    assert "No source cited" in text
    assert Therapy.objects.get(pk=rituximab.pk).summary == rituximab.summary  # nothing saved


def test_the_panel_url_computes_the_checks_of_the_form_as_typed(admin_client, rituximab):
    data = form_data(admin_client.get(admin_url(Therapy, "change", rituximab.pk)))
    data["summary"] = "Short and plain."
    data["description"] = ""
    response = admin_client.post(reverse("admin:catalog_therapy_checks"), data)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert "no-store" in response["Cache-Control"]
    text = " ".join(re.sub(r"<[^>]+>", " ", response.content.decode()).split())
    assert text.startswith("Checks ")
    sections = sum(len(s.body.split()) for s in rituximab.sections.all())
    assert f"Words {3 + sections} " in text
    assert "Summary reads at grade" not in text
    assert "<details" not in response.content.decode()  # only the panel's content


def test_the_panel_url_refuses_visitors_and_staff_without_the_right(client, rituximab):
    url = reverse("admin:catalog_therapy_checks")
    anonymous = client.post(url, {"summary": "x"})
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith(reverse("admin:login"))
    client.force_login(make_user("outsider"))  # staff, in no group: no right to therapies
    refused = client.post(url, {"summary": "x"})
    assert refused.status_code == 403
    assert refused.content.decode() == (
        "You may not view therapies, so their checks are not shown."
    )


def test_the_panel_url_refuses_bad_input_with_a_message(admin_client):
    url = reverse("admin:catalog_therapy_checks")
    bad = admin_client.post(url, {"summary": "x", "sources": "abc"})
    assert (bad.status_code, bad.content.decode()) == (
        400,
        "sources: “abc” is not the id of a source.",
    )
    empty = admin_client.post(url, {})
    assert (empty.status_code, empty.content.decode()) == (
        400,
        "Send the change form's fields: there is no summary.",
    )
    get = admin_client.get(url)
    assert (get.status_code, get.content.decode(), get["Allow"]) == (
        405,
        "POST the change form's fields to get their checks.",
        "POST",
    )


def test_the_panel_url_needs_the_csrf_token(rituximab):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(make_user("boss", is_superuser=True))
    response = client.post(reverse("admin:catalog_therapy_checks"), {"summary": "x"})
    assert response.status_code == 403
    assert "CSRF" in page_text(response)


# --- link checks on the sources -----------------------------------------------------------------


@pytest.fixture
def checked():
    """Two sources checked: one broken, one ok; the others never checked."""
    broken = Source.objects.get(slug="fda-label-rituxan")
    ok = Source.objects.get(slug="drugscom-immunotherapy")
    LinkCheck.objects.create(
        url=broken.url,
        checked_at="2026-11-30T06:15Z",
        status=404,
        ok=False,
        error="404 Not Found",
    )
    LinkCheck.objects.create(
        url=ok.url,
        checked_at="2026-11-30T06:16Z",
        status=200,
        ok=True,
        error="",
        final_url=ok.url.replace("http:", "https:") + "#moved",
    )
    return broken, ok


def test_the_source_changelist_shows_each_link_check_and_filters_on_it(admin_client, checked):
    broken, ok = checked
    url = admin_url(Source, "changelist")
    rows = result_rows(admin_client.get(url))
    assert any(
        row.startswith(broken.title) and row.endswith("broken: 404 Not Found") for row in rows
    )
    assert any(row.startswith(ok.title) and row.endswith("ok (200)") for row in rows)
    assert sum(row.endswith("never checked") for row in rows) == len(rows) - 2
    filters = page_text(admin_client.get(url))
    assert "By link All broken ok never checked" in filters
    assert [r.split(" ")[0] for r in result_rows(admin_client.get(url, {"link": "broken"}))] == [
        broken.title.split(" ")[0]
    ]
    assert len(result_rows(admin_client.get(url, {"link": "ok"}))) == 1
    never = result_rows(admin_client.get(url, {"link": "never"}))
    assert len(never) == Source.objects.count() - 2


def test_the_source_change_form_shows_the_last_check_read_only(admin_client, checked):
    broken, ok = checked
    text = page_text(admin_client.get(admin_url(Source, "change", broken.pk)))
    assert "Last link check: Broken: 404 Not Found (checked 30 November 2026, 06:15)" in text
    text = page_text(admin_client.get(admin_url(Source, "change", ok.pk)))
    assert f"OK: 200 OK (checked 30 November 2026, 06:16); redirected to {ok.url}" in text
    other = Source.objects.exclude(pk__in=[broken.pk, ok.pk]).first()
    text = page_text(admin_client.get(admin_url(Source, "change", other.pk)))
    assert "Never checked: `manage.py check_links` checks every source's URL." in text


def test_a_broken_link_is_a_warning_on_the_records_citing_the_source(
    admin_client, checked, rituximab
):
    broken, _ = checked
    text = panel(admin_client.get(admin_url(Therapy, "change", rituximab.pk)))
    assert (
        f"Source “{broken.title}” did not answer at the last link check (30 November 2026, "
        "06:15): 404 Not Found."
    ) in text
