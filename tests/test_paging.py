"""catalog/paging.py on its own: page numbers, the project's Paginator against Django's (the same
pages whichever way it reads them) and counts cached under the catalog's version."""

import datetime
import math

import pytest
from django.core import paginator as django_paginator
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from catalog.models import Therapy
from catalog.paging import Paginator, cached_count, whole_number

pytestmark = pytest.mark.django_db

SIZE = 47  # a prime: the last page is never full


@pytest.mark.parametrize(
    "raw, number",
    [
        ("1", 1),
        ("12", 12),
        ("007", 7),
        ("0", 0),
        ("000", 0),
        ("0" * 40 + "3", 3),  # leading zeros do not count towards the length
        ("9" * 20, 10**20 - 1),
        ("9" * 21, math.inf),  # longer than any page count
        ("1" * 5000, math.inf),  # int() would refuse it
    ],
)
def test_whole_number_reads_ascii_digits(raw, number):
    assert whole_number(raw) == number


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "-1",
        "+1",
        "1.5",
        "1e3",
        " 1",
        "1 ",
        "0x1",
        "one",
        "١٢",
        "²",
        "\uff11",
    ],  # Arabic-Indic, superscript, fullwidth
)
def test_whole_number_refuses_anything_else(raw):
    assert whole_number(raw) is None


@pytest.fixture
def therapies(make_catalog):
    """SIZE therapies of one class, with review dates that tie and some that are empty."""
    therapy_class = make_catalog(SIZE)
    rows = Therapy.objects.filter(therapy_class=therapy_class)
    for i, pk in enumerate(rows.order_by("slug").values_list("pk", flat=True)):
        reviewed = None if i % 5 == 0 else datetime.date(2024, 1, 1 + i % 3)  # many ties
        Therapy.objects.filter(pk=pk).update(last_reviewed=reviewed)
    return rows


ORDERINGS = {
    "name": ["name"],
    "-name": ["-name"],
    "reviewed, ties": [F("last_reviewed").asc(nulls_last=True)],
    "-reviewed, ties": [F("last_reviewed").desc(nulls_last=True)],
    "reviewed then -name": ["last_reviewed", "-name"],
}


def page_view(page):
    return {
        "number": page.number,
        "rows": [therapy.slug for therapy in page.object_list],
        "has_next": page.has_next(),
        "has_previous": page.has_previous(),
        "start": page.start_index(),
        "end": page.end_index(),
    }


PAGE_SIZES = [(1, 0), (2, 0), (5, 0), (10, 3), (20, 0), (50, 0)]  # (per_page, orphans)


@pytest.mark.parametrize("ordering", ORDERINGS)
@pytest.mark.parametrize("numbered", [10_000, 5], ids=["numbered", "long list"])
def test_pages_are_djangos_pages(therapies, ordering, numbered):
    """Every page, first to last, at several page sizes, as Django's paginator gives it over
    the same ordering made total by the primary key: with the matches numbered, and as a long
    list (read near either end directly, forwards or backwards, and by keys in between)."""
    everything = sorted(therapies.values_list("slug", flat=True))
    for per_page, orphans in PAGE_SIZES:
        where = f"{per_page} a page, {orphans} orphans"
        ours = Paginator(therapies.order_by(*ORDERINGS[ordering]), per_page, orphans=orphans)
        ours.numbered = numbered
        theirs = django_paginator.Paginator(
            therapies.order_by(*ORDERINGS[ordering], "pk"), per_page, orphans=orphans
        )
        assert ours.count == theirs.count == SIZE, where
        assert ours.num_pages == theirs.num_pages, where
        seen = []
        for number in theirs.page_range:
            page = page_view(ours.page(number))
            assert page == page_view(theirs.page(number)), f"{where}, page {number}"
            seen += page["rows"]
        assert sorted(seen) == everything, where


def test_a_page_past_the_end_is_refused_like_djangos(therapies):
    ours = Paginator(therapies.order_by("name"), 20)
    with pytest.raises(django_paginator.EmptyPage, match="That page contains no results"):
        ours.page(4)
    with pytest.raises(django_paginator.PageNotAnInteger):
        ours.page("x")


def test_lists_and_sliced_querysets_page_as_django_does(therapies):
    rows = list(therapies.order_by("name"))
    assert [t.pk for t in Paginator(rows, 10).page(5).object_list] == [t.pk for t in rows[40:]]
    sliced = therapies.order_by("name")[:25]
    assert [t.pk for t in Paginator(sliced, 10).page(3).object_list] == [t.pk for t in rows[20:25]]


def test_a_deep_page_of_a_long_list_costs_what_the_first_does(
    therapies, django_assert_max_num_queries
):
    ours = Paginator(therapies.order_by("name"), 5)
    ours.numbered = 5
    ours.count  # noqa: B018  (counted once)
    for number in (1, 5, ours.num_pages):
        with django_assert_max_num_queries(2):
            assert len(ours.page(number).object_list) in (2, 5)


# --- cached_count ------------------------------------------------------------------------


def test_counts_are_cached_under_a_version(therapies, django_assert_num_queries):
    version = timezone.now()
    with django_assert_num_queries(1):
        assert cached_count(therapies, version) == SIZE
    with django_assert_num_queries(0):
        assert cached_count(therapies, version) == SIZE  # same version, same query: cached
    with django_assert_num_queries(1):
        assert cached_count(therapies.filter(slug__endswith="1"), version) == 5  # other query
    Therapy.objects.filter(pk=therapies.first().pk).delete()
    assert cached_count(therapies, version) == SIZE  # what the version said
    assert cached_count(therapies, version + datetime.timedelta(seconds=1)) == SIZE - 1


def test_without_a_version_or_a_queryset_counts_are_not_cached(
    therapies, django_assert_num_queries
):
    with django_assert_num_queries(2):
        assert cached_count(therapies, None) == SIZE
        assert cached_count(therapies, None) == SIZE
    with django_assert_num_queries(0):
        assert cached_count(list(range(7)), timezone.now()) == 7
        assert cached_count(therapies.none(), timezone.now()) == 0


def test_the_paginator_counts_under_its_version(therapies, django_assert_num_queries):
    version = timezone.now()
    assert Paginator(therapies, 10, version=version).count == SIZE
    with django_assert_num_queries(0):
        assert Paginator(therapies, 10, version=version).num_pages == 5


@pytest.mark.slow
def test_the_first_page_of_a_list_of_over_a_thousand_reads_twenty_rows(make_catalog, client):
    """The first page of a list longer than `Paginator.numbered` reads its rows with a LIMIT,
    not by numbering every match first (that cost 26 ms for 10,000 therapies on SQLite, the
    most of the page's time): no ROW_NUMBER() in any query of the page, and the first twenty
    names are on it."""
    make_catalog(1001)
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/therapies/")
    assert response.status_code == 200
    names = list(Therapy.objects.published().order_by("name").values_list("name", flat=True))
    assert names[19] in response.text and names[20] not in response.text
    assert not [q for q in queries if "ROW_NUMBER" in q["sql"].upper()]
