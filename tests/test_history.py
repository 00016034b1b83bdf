"""catalog/history.py on its own: what changed between two versions in an editor's terms (field
labels, choice labels, names rather than ids, "—" for empty), what hung off a record at a time
(names, indications), and what changed since an editor loaded a record."""

import datetime

import pytest
from django.utils import timezone

from catalog.history import (
    changes_since,
    field_changes,
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
from tests.helpers import make_reviewer

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


def test_related_state_of_a_therapy_at_a_time(versioned):
    rituximab = Therapy.objects.get(slug="rituximab")
    then = timezone.now()
    TherapyName.objects.create(therapy=rituximab, name="RTX", kind="abbreviation")
    assert related_state(Therapy, rituximab.pk, then) == {
        "Brand names": "Rituxan",
        "Abbreviations": "—",
        "Synonyms": "—",
        "Indications": RITUXIMAB_INDICATIONS,
    }
    assert related_state(Therapy, rituximab.pk, timezone.now())["Abbreviations"] == "RTX"
    before_any_version = then - datetime.timedelta(days=1)
    assert set(related_state(Therapy, rituximab.pk, before_any_version).values()) == {"—"}


def test_related_state_of_a_condition_a_class_and_other_records(versioned):
    now = timezone.now()
    crohns = Condition.objects.get(slug="crohns-disease")
    assert related_state(Condition, crohns.pk, now) == {
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
