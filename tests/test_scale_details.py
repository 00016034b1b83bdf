"""Detail pages of records with thousands of related rows stay small: they list the first
DETAIL_LIST_LIMIT and link to the paginated, filterable list that has them all."""

import re

import pytest

from catalog.views import DETAIL_LIST_LIMIT

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("size", [DETAIL_LIST_LIMIT // 2 - 5, DETAIL_LIST_LIMIT + 30])
def test_condition_with_many_therapies_lists_the_first_and_links_to_all(
    client, make_catalog, django_assert_max_num_queries, size
):
    make_catalog(size)  # every synthetic therapy is used for "synth parent" and "synth child"
    # 15: with the condition's sections, the glossary's terms (linked on first use) and its
    # "What changed" (5: its versions, the sources they cite, and the versions of its other
    # names, uses and sections); its latest version ("Last updated") is read with it.
    with django_assert_max_num_queries(15):
        response = client.get("/conditions/synth-parent/")
    html = response.content.decode()
    table = html.split('id="agent-indications"')[1].split("</table>")[0]
    names = re.findall(r"synth therapy \d{5}", table)
    if size > DETAIL_LIST_LIMIT:
        # The first uses by therapy name (each for the parent and its sub-condition), as
        # sorting all of them gives: read from the table of published uses (a page of
        # therapies), not by sorting every use.
        first = [f"synth therapy {i:05d}" for i in range(DETAIL_LIST_LIMIT // 2) for _ in "pc"]
        assert names == first
        assert "See every therapy used for synth parent" in html
        assert 'href="/therapies/?condition=synth-parent"' in html
    else:
        assert len(names) == 2 * size  # each therapy for the parent and for its sub-condition
        assert "See every therapy" not in html


@pytest.mark.parametrize("size", [DETAIL_LIST_LIMIT, DETAIL_LIST_LIMIT + 1, 300])
def test_class_with_many_therapies_lists_the_first_with_the_total(
    client, make_catalog, django_assert_max_num_queries, size
):
    make_catalog(size)
    # 11: with its "What changed" (2: its versions and those of its uses).
    with django_assert_max_num_queries(11):
        response = client.get("/classes/synth-class/")
    html = response.content.decode()
    section = html.split('id="therapies-heading"')[1].split("</section>")[0]
    shown = re.findall(r'<a href="/therapies/(synth-\d{5})/">', section)
    assert shown == [f"synth-{i:05d}" for i in range(min(size, DETAIL_LIST_LIMIT))]
    if size > DETAIL_LIST_LIMIT:
        assert f"See all {size:,} therapies in this class" in section
        assert 'href="/therapies/?therapy_class=synth-class"' in section
    else:
        assert "See all" not in section


def test_home_lists_the_first_classes_and_conditions_and_links_to_all(
    client, make_catalog, monkeypatch, django_assert_max_num_queries
):
    for i in range(4):
        make_catalog(1, prefix=f"home{i}")  # a class and a parent condition (cancer) each
    monkeypatch.setattr("catalog.views.pages.HOME_LIMIT", 5)
    with django_assert_max_num_queries(6):
        html = client.get("/").content.decode()
    classes = html.split('id="classes-heading"')[1].split("</section>")[0]
    assert classes.count('<li><a href="/classes/') == 5
    assert 'href="/classes/">All classes of therapy</a>' in classes
    conditions = html.split('id="conditions-heading"')[1].split("</section>")[0]
    cancer = conditions.split("<h3>Cancer</h3>")[1].split("<h3>")[0]
    assert 'href="/conditions/?category=cancer">All conditions in “Cancer”</a>' in cancer
    autoimmune = conditions.split("<h3>Autoimmune and inflammatory disease</h3>")[1]
    assert "All conditions in" not in autoimmune  # the article's five top-level ones fit


def test_a_therapy_page_reads_its_uses_and_its_classs_in_one_query(
    client, django_assert_max_num_queries, seeded_history
):
    """13 queries of its own (and 2 for the catalog's version, which the page cache and the
    page's validators read): the therapy (with its latest version's date), its names, sources,
    sections and theirs, its uses and its class's together and their sources, the glossary's
    terms, and "What changed" (5)."""
    with django_assert_max_num_queries(15):
        response = client.get("/therapies/rituximab/")
    html = response.content.decode()
    assert "Conditions this therapy is used for" in html
    assert "Conditions its class as a whole is used for" in html
    assert "Last updated <time" in html
