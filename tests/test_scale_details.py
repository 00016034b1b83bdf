"""Detail pages of records with thousands of related rows stay small: they list the first
DETAIL_LIST_LIMIT and link to the paginated, filterable list that has them all."""

import re

import pytest
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog.models import Condition, Indication, Source, Therapy
from catalog.views import DETAIL_LIST_LIMIT

from .helpers import page_text

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("size", [DETAIL_LIST_LIMIT // 2 - 5, DETAIL_LIST_LIMIT + 30])
def test_condition_with_many_therapies_lists_the_first_and_links_to_all(
    client, make_catalog, django_assert_max_num_queries, size
):
    make_catalog(size)  # every synthetic therapy is used for "synth parent" and "synth child"
    # 13: with the condition's sections, the glossary's terms (linked on first use) and its
    # "What changed" (5: its versions, the versions of its other names, uses and sections, and
    # the sources they all cite); its latest version ("Last updated") is read with it.
    with django_assert_max_num_queries(13):
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


def test_a_renamed_therapy_takes_its_new_place_in_its_conditions_first_therapies(
    client, make_catalog
):
    """A condition's page lists its first therapies by name from the table of published uses,
    which holds each use's therapy name: a rename moves the therapy there in the same
    transaction, so the page lists it where its new name sorts."""
    make_catalog(DETAIL_LIST_LIMIT + 30)
    last = Therapy.objects.get(slug="synth-00079")
    last.name = "Aaa synth therapy renamed"
    last.save()
    html = client.get("/conditions/synth-parent/").content.decode()
    table = html.split('id="agent-indications"')[1].split("</table>")[0]
    names = re.findall(r"Aaa synth therapy renamed|synth therapy \d{5}", table)
    assert names[:2] == ["Aaa synth therapy renamed"] * 2  # for the parent and its child
    assert names[2:4] == ["synth therapy 00000"] * 2


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


def test_a_big_classs_total_is_counted_once_per_catalog_version_and_follows_writes(
    client, make_catalog, django_assert_max_num_queries
):
    """The total a class's page gives when it lists its first therapies is kept under the
    catalog's version: a second rendering (the page cache missing) counts nothing, and a
    therapy unpublished moves the version, so the next page says one fewer."""
    size = DETAIL_LIST_LIMIT + 20
    make_catalog(size)
    client.get("/classes/synth-class/")
    caches["pages"].clear()
    with CaptureQueriesContext(connection) as queries:
        again = client.get("/classes/synth-class/")
    assert f"See all {size:,} therapies in this class" in page_text(again)
    assert not [q for q in queries if "COUNT(" in q["sql"].upper()]
    assert len(queries) <= 6
    Therapy.objects.filter(slug="synth-00060").update(status="draft")
    after = client.get("/classes/synth-class/")
    assert f"See all {size - 1:,} therapies in this class" in page_text(after)


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's query plan")
def test_a_classs_first_therapies_are_one_index_range_not_a_sort_of_all(client, make_catalog):
    make_catalog(DETAIL_LIST_LIMIT + 20)
    with CaptureQueriesContext(connection) as queries:
        client.get("/classes/synth-class/")
    (first,) = [
        q["sql"]
        for q in queries
        if q["sql"].startswith('SELECT "catalog_therapy"."id"') and "LIMIT 51" in q["sql"]
    ]
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN QUERY PLAN {first}")
        plan = " ".join(str(row[-1]) for row in cursor.fetchall())
    assert "catalog_therapy_class_name_idx" in plan
    assert "TEMP B-TREE FOR ORDER BY" not in plan  # no sort of the class's therapies


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
    """The first visit after a write: 12 queries of its own (and 2 for the catalog's version,
    which the page cache and the page's validators read): the therapy (with its latest
    version's date), its names, its sections, its uses and its class's together, the sources
    all of them cite (one query), the glossary's terms, and "What changed" (8, with the class's
    versions, a therapy being public only while its class is, and those of the conditions its
    uses name and of their parents)."""
    with django_assert_max_num_queries(16):
        response = client.get("/therapies/rituximab/")
    html = response.content.decode()
    assert "Conditions this therapy is used for" in html
    assert "Conditions its class as a whole is used for" in html
    assert "Last updated <time" in html


@pytest.mark.parametrize(
    "url, bound",
    [
        ("/therapies/rituximab/", 6),
        ("/classes/monoclonal-antibodies/", 6),
        # its sub-conditions read with it, its therapies' brand names with its uses
        ("/conditions/rheumatoid-arthritis/", 6),
        ("/conditions/lymphoma/", 6),
    ],
)
def test_a_detail_page_costs_at_most_six_queries_once_its_version_is_known(
    client, django_assert_max_num_queries, seeded_history, url, bound
):
    """A page the page cache does not hold (another query string, an evicted entry), once the
    glossary's terms and its "What changed" are kept under the catalog's version: the version,
    the record, its names, sections, uses, and the sources they all cite."""
    first = client.get(url)
    caches["pages"].clear()
    with django_assert_max_num_queries(bound):
        again = client.get(url)
    assert again.templates  # rendered, not the page cache's copy
    assert page_text(again) == page_text(first)


def test_a_condition_page_shows_its_sub_conditions_and_its_therapies_brand_names(client):
    """Read with the condition and with its uses (no query of their own): the published
    sub-conditions, linked; each therapy's brand names, in its row."""
    lymphoma = client.get("/conditions/lymphoma/").content.decode()
    assert 'Includes: <a href="/conditions/non-hodgkins-lymphoma/">Non-Hodgkin&#39;s lymphoma' in (
        lymphoma
    )
    rituximab = lymphoma.split('href="/therapies/rituximab/"', 1)[1].split("</tr>", 1)[0]
    assert '<td data-label="Brand names">Rituxan</td>' in rituximab
    arthritis = client.get("/conditions/rheumatoid-arthritis/").content.decode()
    adalimumab = arthritis.split('href="/therapies/adalimumab/"', 1)[1].split("</tr>", 1)[0]
    assert '<td data-label="Brand names">Humira</td>' in adalimumab
    Condition.objects.filter(slug="non-hodgkins-lymphoma").update(status="draft")
    caches["pages"].clear()
    assert "Includes:" not in client.get("/conditions/lymphoma/").content.decode()


def test_a_pages_sources_are_one_query_however_many_of_its_parts_cite_them(client, seeded_history):
    """The record's sources, its sections' and its uses' are read together: citing more of
    them costs no query more, and each part lists its own, linked to the page's Sources."""
    therapy = Therapy.objects.get(slug="rituximab")
    label = Source.objects.create(
        slug="a-new-label", title="A new label", publisher="A publisher", url="https://x.test/"
    )  # a write before each visit: each then reads the schedule's next boundary once
    with CaptureQueriesContext(connection) as few:
        client.get("/therapies/rituximab/")
    for use in Indication.objects.filter(therapy=therapy):
        use.sources.add(label)
    for part in therapy.sections.all():
        part.sources.add(label)
    with CaptureQueriesContext(connection) as many:
        response = client.get("/therapies/rituximab/")
    assert len(many.captured_queries) == len(few.captured_queries)
    html = response.content.decode()
    uses = Indication.objects.filter(therapy=therapy).count()
    assert html.count('<a href="#source-a-new-label">A publisher</a>') == uses
    assert html.count('<a href="https://x.test/" rel="noopener">A new label</a>') >= 1
    sources = html.split('id="sources-heading"', 1)[1]
    assert sources.count('id="source-a-new-label"') == 1  # listed once at the end


def rows_read(plan, table):
    """The rows a plan's (EXPLAIN ANALYZE, FORMAT JSON) scans of `table` read: those they
    returned and those their filters threw away, over all their loops."""
    total = 0
    if plan.get("Relation Name") == table:
        kept_and_dropped = plan["Actual Rows"] + plan.get("Rows Removed by Filter", 0)
        total += kept_and_dropped * plan["Actual Loops"]
    return total + sum(rows_read(child, table) for child in plan.get("Plans", ()))


@pytest.mark.slow
@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's planner")
def test_a_busy_conditions_page_reads_the_uses_of_its_first_therapies_not_all_of_them(
    client, make_catalog
):
    make_catalog(3000)  # 6,000 uses of "synth parent" and its sub-condition
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/conditions/synth-parent/")
    assert "synth therapy 00024" in page_text(response)
    (uses,) = [q["sql"] for q in queries if q["sql"].startswith('SELECT "catalog_indication"')]
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {uses}")
        (plan,) = cursor.fetchone()[0]
    # The first 51 therapies' uses, each for the parent and its sub-condition (the page shows
    # 50); reading every use of the condition to keep those read 6,000.
    assert rows_read(plan["Plan"], "catalog_indication") <= 4 * DETAIL_LIST_LIMIT


def test_a_pages_sources_are_read_with_sql_made_once_and_listed_with_their_dates(client, article):
    """The sources a therapy page cites (its own, its sections', its uses' and its class's
    uses'), each once, with the date of the text: read with SQL compiled
    once per kind of page (models/sources.py `cited_query`), so a second therapy's page
    compiles none."""
    from catalog.models.sources import cited_query

    cited_query.cache_clear()
    for slug in ["rituximab", "tocilizumab"]:
        therapy = Therapy.objects.get(slug=slug)
        uses = Indication.objects.filter(
            Indication.visible(), therapy=therapy
        ) | Indication.objects.filter(Indication.visible(), therapy_class=therapy.therapy_class)
        expected = Source.objects.filter(
            pk__in={
                *therapy.sources.values_list("pk", flat=True),
                *therapy.sections.values_list("sources", flat=True),
                *uses.values_list("sources", flat=True),
            }
        )
        html = client.get(f"/therapies/{slug}/").content.decode()
        footer = html.split('id="sources"')[1].split("</aside>")[0]
        listed = re.findall(r'id="source-([^"]+)"', footer)
        assert sorted(listed) == sorted(s.slug for s in expected)  # each once
        for source in expected.exclude(last_updated=None):
            item = footer.split(f'id="source-{source.slug}"')[1].split("</li>")[0]
            assert f'<time datetime="{source.last_updated:%Y-%m-%d}">' in item
    info = cited_query.cache_info()
    assert (info.misses, info.hits) == (1, 1)
