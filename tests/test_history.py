"""catalog/history.py on its own: what changed between two versions in an editor's terms (field
labels, choice labels, names rather than ids, "—" for empty), what hung off a record at a time
(names, indications), and what changed since an editor loaded a record."""

import datetime
import html
import io
import re

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from catalog.history import (
    changes_since,
    field_changes,
    history_paused,
    populate_initial_history,
    related_state,
    version_diff,
)
from catalog.models import (
    Condition,
    Indication,
    Source,
    Therapy,
    TherapyClass,
    TherapyName,
)
from tests.helpers import admin_url, make_reviewer, page_text

pytestmark = pytest.mark.django_db

RITUXIMAB_INDICATIONS = (
    "Chronic lymphocytic leukemia, Non-Hodgkin's lymphoma, "
    "Rheumatoid arthritis (when other agents have not worked)"
)


@pytest.fixture
def versioned(db):
    """Every record with its first version, as `manage.py seed` leaves them."""
    populate_initial_history()


def latest(obj):
    return type(obj).history.filter(id=obj.pk).order_by("history_date").last()


def test_the_first_versions_hold_the_records_and_their_sources(versioned):
    rituximab = Therapy.objects.get(slug="rituximab")
    assert rituximab.history.count() == 1
    first = latest(rituximab)
    assert first.name == "Rituximab"
    assert {row.source.slug for row in first.sources.all()} == {
        "drugscom-immunotherapy",
        "fda-label-rituxan",
    }
    assert TherapyName.history.filter(therapy_id=rituximab.pk).count() == 1
    assert Indication.history.filter(therapy_id=rituximab.pk).count() == 3


def test_field_changes_are_labelled_and_shown_as_editors_see_them(versioned):
    rituximab = Therapy.objects.get(slug="rituximab")
    before = latest(rituximab)
    fda = Source.objects.get(slug="fda-label-humira")
    cited = ", ".join(str(source) for source in rituximab.sources.all())
    rituximab.name = "Rituximab (biosimilar)"
    rituximab.therapy_class = TherapyClass.objects.get(slug="interferons")
    rituximab.status = "draft"
    rituximab.mark_reviewed(make_reviewer(), today=datetime.date(2024, 3, 1))
    rituximab.save()
    rituximab.sources.add(fda)
    after = latest(rituximab)

    changes = field_changes(before, after)
    assert changes == [
        ("Status", "Published", "Draft"),
        ("Last reviewed", "—", "2024-03-01"),
        ("Reviewed by", "—", "Jane Doe, MD, rheumatology"),
        ("Name", "Rituximab", "Rituximab (biosimilar)"),
        ("Class", "Monoclonal antibodies", "Interferons"),
        ("Sources", cited, ", ".join(str(s) for s in rituximab.sources.all())),
    ]
    assert "Updated at" not in dict((label, old) for label, old, _ in changes)
    assert field_changes(before, after, excluded=["sources"])[-1][0] == "Class"
    assert field_changes(after, after) == []


def test_version_diff_adds_the_names_and_indications_of_each_version(versioned):
    rituximab = Therapy.objects.get(slug="rituximab")
    before = latest(rituximab)
    rituximab.summary = "A changed summary."
    rituximab.save()
    # Inline rows are saved just after their parent: they belong to its new version.
    TherapyName.objects.create(therapy=rituximab, name="MabThera", kind="brand")
    Indication.objects.create(
        therapy=rituximab,
        condition=Condition.objects.get(slug="lymphoma"),
        qualifier="may-help",
        status="draft",
    )
    after = latest(rituximab)

    changes = version_diff(before, after)
    assert changes[0] == ("Summary", before.summary, "A changed summary.")
    assert changes[1:] == [
        ("Brand names", "Rituxan", "Rituxan, MabThera"),
        (
            "Indications",
            RITUXIMAB_INDICATIONS,
            "Chronic lymphocytic leukemia, Lymphoma (may help) [draft], Non-Hodgkin's lymphoma, "
            "Rheumatoid arthritis (when other agents have not worked)",
        ),
    ]


def without_sections(state):
    return {label: value for label, value in state.items() if not label.startswith("Section “")}


def test_related_state_of_a_therapy_at_a_time(versioned):
    rituximab = Therapy.objects.get(slug="rituximab")
    then = timezone.now()
    TherapyName.objects.create(therapy=rituximab, name="RTX", kind="abbreviation")
    state = related_state(Therapy, rituximab.pk, then)
    assert without_sections(state) == {
        "Brand names": "Rituxan",
        "Abbreviations": "—",
        "Synonyms": "—",
        "Indications": RITUXIMAB_INDICATIONS,
    }
    # Then its drug-page sections, in the page's order, each with its whole text.
    sections = [label for label in state if label.startswith("Section")]
    assert sections[0] == "Section “What it is and how it works”"
    assert "Section “Before you start”" in sections
    how = rituximab.sections.get(kind="how-given")
    assert state["Section “How it is given”"] == how.body
    how.body = "Given as an infusion."
    how.save()
    later = related_state(Therapy, rituximab.pk, timezone.now())
    assert later["Section “How it is given”"] == "Given as an infusion."
    assert related_state(Therapy, rituximab.pk, timezone.now())["Abbreviations"] == "RTX"
    before_any_version = then - datetime.timedelta(days=1)
    assert set(related_state(Therapy, rituximab.pk, before_any_version).values()) == {"—"}


def test_related_state_of_a_condition_a_class_and_other_records(versioned):
    now = timezone.now()
    crohns = Condition.objects.get(slug="crohns-disease")
    assert without_sections(related_state(Condition, crohns.pk, now)) == {
        "Other names": "Crohns disease",
        "Indications": "Adalimumab, Certolizumab pegol, Infliximab",
    }
    arthritis = Condition.objects.get(slug="rheumatoid-arthritis")
    indications = related_state(Condition, arthritis.pk, now)["Indications"].split(", ")
    assert "Anti-TNF therapy (when conventional drugs fail)" in indications  # a class
    assert "Rituximab (when other agents have not worked)" in indications  # an agent
    interferons = TherapyClass.objects.get(slug="interferons")
    assert related_state(TherapyClass, interferons.pk, now) == {
        "Indications (class level)": "Kaposi's sarcoma (has been used for), Kidney cancer "
        "(has been used for), Leukemia (has been used for), Lymphoma (has been used for), "
        "Melanoma (has been used for)"
    }
    assert related_state(Source, Source.objects.first().pk, now) == {}


def test_changes_since_lists_each_later_version_with_who_when_and_what(
    versioned, django_user_model
):
    therapy_class = TherapyClass.objects.get(slug="interleukins")
    loaded_at = therapy_class.updated_at
    assert changes_since(therapy_class, loaded_at) == []

    therapy_class.summary = "Changed by a script."
    therapy_class.save()
    editor = django_user_model.objects.create_user("editor-jo")
    therapy_class.abbreviation = "ILs"
    therapy_class._history_user = editor  # what django-simple-history's middleware sets
    therapy_class.save()

    (first, second) = changes_since(therapy_class, loaded_at)
    assert first[0] == "a script" and second[0] == "editor-jo"
    assert first[2] == [("Summary", latest_summary_before(therapy_class), "Changed by a script.")]
    assert second[2] == [("Abbreviation", "—", "ILs")]
    assert all(isinstance(when, str) and when for _, when, _ in (first, second))


def latest_summary_before(therapy_class):
    return therapy_class.history.order_by("history_date").first().summary


# --- what an editor reads on the admin's history and compare pages --------------------------


def history_rows(response):
    """The history list's rows as visible text, newest first."""
    table = re.search(r'<table id="change-history".*?</table>', response.content.decode(), re.S)
    rows = re.findall(r"<tr>(.*?)</tr>", table.group(0), re.S)[1:]  # after the header
    return [" ".join(html.unescape(re.sub(r"<[^>]+>", " ", row)).split()) for row in rows]


def test_a_seeded_first_version_reads_created_loaded_from_the_source_article(admin_client):
    with history_paused():  # an empty database, as `seed` finds it on a first deploy
        Therapy.objects.all().delete()
        Source.objects.all().delete()
    call_command("seed", stdout=io.StringIO())
    rituximab = Therapy.objects.get(slug="rituximab")

    (row,) = history_rows(admin_client.get(admin_url(Therapy, "history", rituximab.pk)))
    assert "Created a script Loaded from the source article" in row
    assert "Changed" not in row and "None" not in row
    name = TherapyName.objects.get(therapy=rituximab, name="Rituxan")
    assert name.history.get().history_change_reason == "Loaded from the source article"


LONG_SUMMARY = (
    "A monoclonal antibody against CD20 on B cells, used for lymphomas, chronic lymphocytic "
    "leukemia and, when other agents have not worked, rheumatoid arthritis."
)


def test_history_and_compare_show_the_whole_text_with_the_changed_words_marked(
    admin_client, versioned
):
    rituximab = Therapy.objects.get(slug="rituximab")
    rituximab.summary = LONG_SUMMARY
    rituximab.save()
    before = latest(rituximab)
    rituximab.summary = LONG_SUMMARY.replace("A monoclonal", "A chimeric <IgG1> monoclonal")
    rituximab.save()
    after = latest(rituximab)

    page = admin_client.get(admin_url(Therapy, "history", rituximab.pk))
    compared = admin_client.get(
        admin_url(Therapy, "history_compare", rituximab.pk),
        {"old": before.pk, "new": after.pk},
    )
    for response in (page, compared):
        content = response.content.decode()
        assert "A <ins>chimeric &lt;IgG1&gt;</ins> monoclonal" in content
        assert "chars]" not in content
        text = page_text(response)
        assert f"Summary: {LONG_SUMMARY} → {rituximab.summary}" in text
    assert "<del>" not in compared.content.decode()  # nothing removed from this summary

    rituximab.summary = "An antibody against CD20."
    rituximab.save()
    newest = history_rows(admin_client.get(admin_url(Therapy, "history", rituximab.pk)))[0]
    assert f"Summary: {after.summary} → An antibody against CD20." in newest
    content = admin_client.get(admin_url(Therapy, "history", rituximab.pk)).content.decode()
    assert "<del>A chimeric &lt;IgG1&gt; monoclonal</del> antibody against" in content
    assert "<ins>An</ins> antibody against <ins>CD20.</ins>" in content


def test_name_and_indication_changes_are_listed_in_the_version_they_were_saved_with(
    admin_client, versioned
):
    rituximab = Therapy.objects.get(slug="rituximab")
    rituximab.summary = "Brand name and use added."
    rituximab.save()  # the admin saves the record, then its inline rows
    name = TherapyName.objects.create(therapy=rituximab, name="MabThera", kind="brand")
    Indication.objects.create(
        therapy=rituximab,
        condition=Condition.objects.get(slug="lymphoma"),
        qualifier="may-help",
        status="draft",
    )
    url = admin_url(Therapy, "history", rituximab.pk)
    rows = history_rows(admin_client.get(url))
    assert "Brand name added: MabThera" in rows[0]
    assert "Indication added: Lymphoma (may help) [draft]" in rows[0]
    assert "MabThera" not in rows[1]  # the seeded version: Rituxan only
    assert "Brand name added: Rituxan" in rows[1]
    lymphoma = Condition.objects.get(slug="lymphoma")  # not saved since: its first version
    (condition_row,) = history_rows(admin_client.get(admin_url(Condition, "history", lymphoma.pk)))
    assert "Indication added: Rituximab (may help) [draft]" in condition_row

    rituximab.summary = "Brand name renamed."
    rituximab.save()
    name.name = "Mabthera"
    name.save()
    name.delete()
    rows = history_rows(admin_client.get(url))
    assert "Brand name changed: MabThera → Mabthera" in rows[0]
    assert "Brand name removed: Mabthera" in rows[0]
    assert "Brand name changed" not in rows[1]

    # Queries do not grow with the number of child changes.
    with CaptureQueriesContext(connection) as few:
        admin_client.get(url)
    for number in range(10):
        TherapyName.objects.create(therapy=rituximab, name=f"Brand {number}", kind="brand")
    with CaptureQueriesContext(connection) as many:
        response = admin_client.get(url)
    assert "Brand name added: Brand 9" in history_rows(response)[0]
    assert len(many.captured_queries) == len(few.captured_queries)


def test_a_version_saved_without_a_reason_reads_a_dash_not_none(admin_client, versioned):
    rituximab = Therapy.objects.get(slug="rituximab")
    rituximab.summary = LONG_SUMMARY
    rituximab.save()  # no change reason given
    newest = history_rows(admin_client.get(admin_url(Therapy, "history", rituximab.pk)))[0]
    assert "None" not in newest
    assert re.search(r"Changed a script — Summary:", newest), newest
