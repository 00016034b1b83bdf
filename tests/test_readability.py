"""Plain language: the Flesch-Kincaid grade (textstat, through catalog/content_checks: the grade
the admin's Checks panel shows) of every summary the public reads and of every section of the
drug and condition pages. The median of the summaries stays at grade 9 or below (MedlinePlus
aims for 6 to 8); the report prints the median of each and the ten hardest."""

import statistics

import pytest

from catalog.content_checks import reading_grade
from catalog.models import Condition, Section, Therapy, TherapyClass

pytestmark = pytest.mark.django_db

MAX_MEDIAN_SUMMARY_GRADE = 9


def grades(texts):
    return sorted(((reading_grade(text), name) for name, text in texts), reverse=True)


def report(title, graded):
    median = statistics.median(grade for grade, _ in graded)
    worst = "\n".join(f"  {grade:5.1f}  {name}" for grade, name in graded[:10])
    return median, f"{title}: median grade {median:.1f} of {len(graded)}; the hardest ten:\n{worst}"


def test_summaries_and_sections_read_at_grade_nine_or_below(capsys):
    summaries = grades(
        (f"{model.__name__} {record.slug}", record.summary)
        for model in (Therapy, TherapyClass, Condition)
        for record in model.objects.published()
    )
    sections = grades(
        (str(section), section.body)
        for section in Section.objects.select_related("therapy", "condition")
    )
    median, summary_report = report("Summaries", summaries)
    _, section_report = report("Sections", sections)
    with capsys.disabled():
        print(f"\n{summary_report}\n{section_report}")
    assert len(summaries) >= 25 and len(sections) >= 30
    assert median <= MAX_MEDIAN_SUMMARY_GRADE, summary_report


def test_the_measure_tells_plain_from_dense_text():
    """The control: the library grades a dense sentence well above a plain one."""
    plain = "This medicine helps your body fight cancer. You get it in a vein."
    dense = (
        "Immunomodulatory monoclonal antibodies administered intravenously demonstrate "
        "considerable heterogeneity in pharmacokinetic characteristics across populations."
    )
    assert reading_grade(plain) < 6 < 14 < reading_grade(dense)
