"""The checks of a record's text (catalog/content_checks/checks.py) as the editor reads them in
the change form's Checks panel: word count and reading time, the reading grade of the summary
and of each section (the grade tests/test_readability.py holds the catalog to), and warnings
that say what to do; from the saved record and from the form's data as typed."""

import pytest
import textstat
from django.http import QueryDict

from catalog.content_checks import checks_of, checks_of_form, reading_grade, word_count
from catalog.content_checks.checks import BadInput, Draft
from catalog.models import LinkCheck, Section, Source, Therapy, TherapyClass, TherapyName

pytestmark = pytest.mark.django_db

DENSE = (
    "Immunomodulatory monoclonal antibodies administered intravenously demonstrate "
    "considerable heterogeneity in pharmacokinetic characteristics across populations."
)
PLAIN = "This medicine helps your body fight cancer. You get it in a vein."


@pytest.fixture
def rituximab():
    return Therapy.objects.get(slug="rituximab")


def test_the_grade_is_the_flesch_kincaid_grade_the_content_tests_use():
    assert reading_grade(DENSE) == round(textstat.flesch_kincaid_grade(DENSE), 1)
    assert reading_grade(PLAIN) < 6 < 14 < reading_grade(DENSE)
    assert reading_grade("  ") is None


def test_a_summary_above_grade_nine_is_flagged_with_its_grade_and_what_to_aim_for(rituximab):
    rituximab.summary = DENSE
    grade = round(textstat.flesch_kincaid_grade(DENSE), 1)
    warnings = checks_of(rituximab).warnings
    assert (
        f"Summary reads at grade {grade:.1f} — aim for 9 or below: shorter sentences and "
        "everyday words."
    ) in warnings
    rituximab.summary = PLAIN
    assert not [w for w in checks_of(rituximab).warnings if w.startswith("Summary reads")]


def test_each_section_has_its_grade_and_an_empty_one_is_named(rituximab):
    checks = checks_of(rituximab)
    grades = {grade.label: grade.grade for grade in checks.grades}
    assert list(grades) == ["Summary", *(kind.label for kind in Section.THERAPY_KINDS)]
    how_given = rituximab.sections.get(kind=Section.Kind.HOW_GIVEN)
    assert grades["How it is given"] == reading_grade(how_given.body)
    assert grades["Pregnancy and breastfeeding"] is None  # not written for rituximab
    assert (
        "“Pregnancy and breastfeeding” is empty: the page says “Not yet written”. Write it "
        "under the page's sections, with its source."
    ) in checks.warnings


def test_several_empty_sections_make_one_warning_listing_them(rituximab):
    rituximab.sections.exclude(kind=Section.Kind.HOW_IT_WORKS).delete()
    empty = [w for w in checks_of(rituximab).warnings if "empty" in w]
    assert empty == [
        "6 sections are empty (“How it is given”; “Common side effects”; “Serious side effects "
        "and warnings”; “Before you start”; “Pregnancy and breastfeeding”; “Other brands and "
        "biosimilars”): the page says “Not yet written” for each. Write them under the page's "
        "sections, with their sources."
    ]


def test_word_count_and_reading_time_are_of_the_text_the_page_shows():
    record = TherapyClass.objects.get(slug="anti-tnf-therapy")
    record.summary = "One two three four five."
    record.description = "One two three four five. Six seven."  # the page drops the repeat
    checks = checks_of(record)
    assert (checks.words, checks.minutes) == (7, 1)
    record.description = " ".join(["word"] * 400)
    assert (checks_of(record).words, checks_of(record).minutes) == (405, 3)


def test_a_record_citing_no_source_is_told_to_add_one(rituximab):
    assert not [w for w in checks_of(rituximab).warnings if w.startswith("No source")]
    rituximab.sources.clear()
    assert "No source cited: add the source this text comes from under Sources." in (
        checks_of(rituximab).warnings
    )


def test_a_name_listed_twice_as_search_compares_names_is_flagged(rituximab):
    TherapyName.objects.create(therapy=rituximab, name="RITUXAN", kind=TherapyName.Kind.BRAND)
    TherapyName.objects.create(therapy=rituximab, name="Ritux-an", kind=TherapyName.Kind.SYNONYM)
    TherapyName.objects.create(therapy=rituximab, name="Rituximab", kind="abbreviation")
    warnings = checks_of(Therapy.objects.get(pk=rituximab.pk)).warnings
    assert (
        "“RITUXAN” is listed 3 times (“RITUXAN”, brand name; “Rituxan”, brand name; "
        "“Ritux-an”, synonym): delete the extra one under Other names."
    ) in warnings
    assert (
        "“Rituximab” is listed twice (“Rituximab”, the therapy's name; “Rituximab”, "
        "abbreviation): delete the extra one under Other names."
    ) in warnings


def test_a_cited_source_whose_url_did_not_answer_says_when_and_what_came_back(rituximab):
    source = rituximab.sources.get(slug="fda-label-rituxan")
    LinkCheck.objects.create(
        url=source.url,
        checked_at="2026-11-30T06:15:00Z",
        status=404,
        ok=False,
        error="404 Not Found",
    )
    warnings = checks_of(rituximab).warnings
    assert (
        f"Source “{source.title}” did not answer at the last link check (30 November 2026, "
        f"06:15): 404 Not Found. Correct its URL ({source.url}) on the source's page, or cite "
        "another source."
    ) in warnings
    LinkCheck.objects.filter(url=source.url).update(ok=True, status=200, error="")
    assert not [w for w in checks_of(rituximab).warnings if "link check" in w]


def form(**fields):
    data = QueryDict(mutable=True)
    for key, value in fields.items():
        data.setlist(key.replace("__", "-"), value if isinstance(value, list) else [value])
    return data


def test_the_checks_of_a_form_read_the_text_as_typed_and_skip_deleted_rows():
    source = Source.objects.first()
    data = form(
        name="Newmab",
        summary=PLAIN,
        description="",
        sources=[str(source.pk)],
        sections__TOTAL_FORMS="2",
        sections__0__kind="how-given",
        sections__0__body="You get it in a vein.",
        sections__0__sources=[str(source.pk)],
        sections__1__kind="pregnancy-breastfeeding",
        sections__1__body="Ask your doctor.",
        sections__1__DELETE="on",
        other_names__TOTAL_FORMS="2",
        other_names__0__name="Newmab",
        other_names__0__kind="brand",
        other_names__1__name="",
    )
    checks = checks_of_form(Therapy, data)
    assert checks.words == word_count(PLAIN) + 6
    grades = {grade.label: grade.grade for grade in checks.grades}
    assert grades["How it is given"] == reading_grade("You get it in a vein.")
    assert grades["Pregnancy and breastfeeding"] is None  # marked for deletion
    assert (
        "“Newmab” is listed twice (“Newmab”, the therapy's name; “Newmab”, brand name): "
        "delete the extra one under Other names."
    ) in checks.warnings
    assert not [w for w in checks.warnings if w.startswith("No source")]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"name": "x"}, "Send the change form's fields: there is no summary."),
        ({"summary": "x", "sources": "abc"}, "sources: “abc” is not the id of a source."),
        (
            {"summary": "x", "sections__TOTAL_FORMS": "many"},
            "sections-TOTAL_FORMS: “many” is not a number of rows.",
        ),
        (
            {"summary": "x", "sections__TOTAL_FORMS": "100000"},
            "sections-TOTAL_FORMS: between 0 and 1000 rows, not 100000.",
        ),
    ],
)
def test_form_data_the_checks_cannot_read_is_refused_naming_the_field(fields, message):
    with pytest.raises(BadInput) as refused:
        checks_of_form(Therapy, form(**fields))
    assert str(refused.value) == message


def test_a_new_record_has_checks_before_anything_is_typed():
    checks = checks_of(Therapy())
    assert checks.words == 0
    assert "No source cited: add the source this text comes from under Sources." in (
        checks.warnings
    )
    assert Draft.of(Therapy()).sections == {}
