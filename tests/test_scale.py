"""Lists at scale (issue 7): queries per request constant in the number of rows (at most 6, the
page cache's catalog version included; the matrix at most 8), deep pages that are exactly the
plain OFFSET slices, no `<select>` of thousands of options (the matrix's filters included), and
record filters typed by slug or name, alike on the pages and the API."""

import csv
import datetime
import io
import re

import pytest
from django.core.cache import caches
from django.db.models import F

from catalog import filters, views
from catalog.models import Condition, Indication, Therapy, TherapyClass
from catalog.paging import Paginator

from .helpers import list_page_queries, listed_slugs

pytestmark = [pytest.mark.django_db, pytest.mark.slow]  # catalogs of hundreds of rows per test

API = "/api/v1/"
MAX_QUERIES = 6

PAGES = [
    "/therapies/",
    "/therapies/?page=2",
    "/therapies/?page=last",
    "/therapies/?condition=synth-parent",
    "/therapies/?condition=synth+parent&therapy_class=synth-class",  # by name and by slug
    "/therapies/?q=synth&therapy_class=synth-class,anti-tnf-therapy&condition=synth-parent,"
    "psoriasis&condition_category=cancer&action=stimulates&ordering=-last_reviewed",
    "/therapies/?ordering=class&page=last",
    "/conditions/",
    "/conditions/?therapy=synth-00001&therapy_class=synth-class&category=cancer&q=synth",
    "/classes/",
    "/classes/?action=stimulates&q=synth&ordering=-name",
    "/glossary/",
    "/glossary/?q=a",
    "/",
]
API_LISTS = [
    "therapies/",
    "therapies/?page=last",
    "therapies/?condition=synth-parent&therapy_class=synth+class&q=synth&ordering=class",
    "therapies/?cursor=",
    "therapy-classes/",
    "therapy-classes/?action=stimulates&page=last",
    "conditions/",
    "conditions/?therapy=synth-00001,rituximab&therapy_class=synth-class",
    "indications/",
    "indications/?therapy=synth-00001&condition=synth-parent&therapy_class=interferons",
    "indications/?page=last&ordering=-therapy",
    "indications/?cursor=",
    "sources/",
    "modifier-roles/",
    "glossary/",
    "glossary/?q=a&cursor=",
]
EXPORTS = ["therapies/?format=csv", "therapies/?format=jsonl&condition=synth-parent"] + [
    f"{name}/?format=csv"
    for name in ["therapy-classes", "conditions", "indications", "sources", "glossary"]
]


def body(response):
    return b"".join(response.streaming_content) if response.streaming else response.content


def count_queries(client, url, django_assert_max_num_queries, most=None):
    """The queries of one request, at most `most` (default: a list page's, before its facet
    counts are cached: helpers.list_page_queries)."""
    if most is None:
        most = list_page_queries(url) if not url.startswith(API) else MAX_QUERIES
    with django_assert_max_num_queries(most) as captured:
        response = client.get(url)
        body(response)
    assert response.status_code == 200, (url, body(response)[:300])
    return len(captured)


@pytest.fixture
def page_size(request, monkeypatch):
    """The pages' page size (the views' paginate_by; the pages take no `page_size`)."""
    if request.param:
        monkeypatch.setattr(
            views.FilteredListView, "get_paginate_by", lambda self, qs: request.param
        )
    return request.param


@pytest.mark.parametrize("page_size", [None, 100], indirect=True)  # 20 (glossary 100), 100
@pytest.mark.parametrize("url", PAGES)
def test_list_pages_take_the_same_few_queries_at_any_size(
    client, make_catalog, django_assert_max_num_queries, url, page_size
):
    make_catalog(110)  # two pages of 100
    small = count_queries(client, url, django_assert_max_num_queries)
    make_catalog(400, prefix="more")
    assert count_queries(client, url, django_assert_max_num_queries) == small


@pytest.mark.parametrize("page_size", [10, 100])
@pytest.mark.parametrize("url", API_LISTS + EXPORTS)
def test_api_lists_and_exports_take_the_same_few_queries_at_any_size(
    client, make_catalog, django_assert_max_num_queries, url, page_size
):
    url = f"{API}{url}{'&' if '?' in url else '?'}page_size={page_size}"
    make_catalog(30)
    small = count_queries(client, url, django_assert_max_num_queries)
    make_catalog(600, prefix="more")  # an export of more than one batch (exports.BATCH)
    assert count_queries(client, url, django_assert_max_num_queries) == small


@pytest.mark.parametrize(
    "url",
    [
        "/therapies/",
        "/therapies/?page=2",
        "/therapies/?page=3",
        "/therapies/?page=last",
        "/therapies/?condition=synth-parent&page=3",
        f"{API}therapies/?page=4&page_size=10",
        f"{API}therapies/?page=last&page_size=10",
        f"{API}indications/?page=4&page_size=10",
    ],
)
def test_long_lists_take_the_same_few_queries_at_any_size(
    client, make_catalog, django_assert_max_num_queries, monkeypatch, url
):
    """Lists longer than Paginator.numbered are read without numbering their matches: the
    first and last pages directly, the others by their keys."""
    monkeypatch.setattr(Paginator, "numbered", 0)
    make_catalog(110)
    small = count_queries(client, url, django_assert_max_num_queries)
    make_catalog(400, prefix="more")
    assert count_queries(client, url, django_assert_max_num_queries) == small


MATRIX = [
    "/matrix/",
    "/matrix/?columns=2",
    "/matrix/?therapy_class=synth+class,Anti-TNF+therapy&category=cancer",  # by name and slug
    "/matrix/?therapy_class=synth-class&columns=2",
]
# The matrix's bound (tests/test_matrix.py): its table's queries, the typed classes' lookup and
# the page cache's catalog version.
MATRIX_QUERIES = 8


@pytest.mark.parametrize("url", MATRIX)
def test_the_matrix_takes_the_same_few_queries_at_any_size(
    client, make_catalog, django_assert_max_num_queries, url
):
    make_catalog(110)  # more therapies than one table holds: a page of them at a time
    small = count_queries(client, url, django_assert_max_num_queries, MATRIX_QUERIES)
    make_catalog(400, prefix="more")
    assert count_queries(client, url, django_assert_max_num_queries, MATRIX_QUERIES) == small


# --- deep pages -----------------------------------------------------------------------------


@pytest.fixture(params=["numbered", "scanned"])
def ties(request, make_catalog, monkeypatch):
    """75 more therapies in two classes, all reviewed the same day but for a few never
    reviewed: many ties in every sort key but the name. Pages are read both ways: by numbering
    the matching rows, and by a LIMIT/OFFSET scan from the nearer end."""
    if request.param == "scanned":  # as lists longer than Paginator.numbered are read
        monkeypatch.setattr(Paginator, "numbered", 0)
    make_catalog(45)
    make_catalog(30, prefix="more")
    Therapy.objects.filter(slug__in=["synth-00003", "more-00010", "more-00011"]).update(
        last_reviewed=None
    )
    Therapy.objects.filter(slug="synth-00040").update(last_reviewed=datetime.date(2025, 1, 1))


def offset_slices(queryset, size):
    """Plain OFFSET pages of the queryset: what Django's own paginator reads."""
    rows = [row.slug for row in queryset]
    assert len(rows) == queryset.count()
    return [
        [row.slug for row in queryset[start : start + size]] for start in range(0, len(rows), size)
    ]


def expected_order(ordering):
    """The plain queryset the therapy list filters and orders (one FilterSet shared by the
    pages and the API)."""
    data = {"ordering": ordering} if ordering else {}
    filterset = filters.TherapyFilter(data, queryset=Therapy.objects.published())
    assert filterset.is_valid()
    return filterset.qs


@pytest.mark.parametrize(
    "ordering", ["", "name", "-name", "class", "-class", "last_reviewed", "-last_reviewed"]
)
def test_every_page_is_the_plain_offset_slice(client, ties, ordering):
    queryset = expected_order(ordering)
    pages = offset_slices(queryset, 20)
    assert len(pages) == 5  # 84 therapies: the last pages are read backwards
    for number, expected in enumerate(pages, start=1):
        response = client.get(f"/therapies/?ordering={ordering}&page={number}")
        assert listed_slugs(response) == expected, (ordering, number)
    assert listed_slugs(client.get(f"/therapies/?ordering={ordering}&page=last")) == pages[-1]

    order = f"&ordering={ordering}" if ordering else ""  # the API refuses empty values
    api_pages = offset_slices(queryset, 9)
    for number, expected in enumerate(api_pages, start=1):
        api = client.get(f"{API}therapies/?page={number}&page_size=9{order}")
        assert [item["slug"] for item in api.json()["results"]] == expected, (ordering, number)
    export = client.get(f"{API}therapies/?format=csv&fields=slug{order}")
    rows = list(csv.reader(io.StringIO(body(export).decode())))[1:]
    assert [slug for (slug,) in rows] == [slug for page in pages for slug in page]


def test_deep_pages_of_a_filtered_list_and_of_indications(client, ties):
    queryset = filters.TherapyFilter(
        {"condition": "synth-parent", "ordering": "-class"},
        queryset=Therapy.objects.published(),
    ).qs
    for number, expected in enumerate(offset_slices(queryset, 20), start=1):
        response = client.get(f"/therapies/?condition=synth-parent&ordering=-class&page={number}")
        assert listed_slugs(response) == expected

    # Indications: ordered through three joins, class and therapy names empty in turn.
    indications = filters.IndicationFilter({}, queryset=Indication.objects.published()).qs
    rows = [
        (i.condition.slug, getattr(i.therapy_class, "slug", None), getattr(i.therapy, "slug", None))
        for i in indications
    ]
    assert len(rows) > 150
    walked = []
    for number in range(1, -(-len(rows) // 25) + 1):
        for r in client.get(f"{API}indications/?page={number}&page_size=25").json()["results"]:
            subject = (r["therapy_class"] or {}).get("slug"), (r["therapy"] or {}).get("slug")
            walked.append((r["condition"]["slug"], *subject))
    assert walked == rows


def test_page_past_the_end_and_empty_lists(client):
    assert client.get("/therapies/?page=2").status_code == 404
    response = client.get("/therapies/?q=no-such-thing")
    assert response.status_code == 200 and "0 therapies found." in response.content.decode()
    assert client.get(f"{API}therapies/?page=2").status_code == 404


def test_an_edit_shows_on_the_next_page_view(client, make_catalog):
    """Exact counts and pages: nothing list-specific is cached between requests."""
    make_catalog(25)
    assert "34 therapies found." in client.get("/therapies/").content.decode()
    last = Therapy.objects.published().order_by("name").last()
    last.unpublish()
    last.save()
    response = client.get("/therapies/?page=2")
    assert "33 therapies found." in response.content.decode()
    assert listed_slugs(response)[-1] == Therapy.objects.published().order_by("name").last().slug


# --- filter forms -----------------------------------------------------------------------------


@pytest.fixture
def many_records(make_catalog):
    """60 more classes, 120 more conditions, 120 more therapies."""
    for i in range(60):
        make_catalog(2, prefix=f"s{i:02d}")


@pytest.mark.parametrize(
    ("url", "typed"),
    [
        ("/therapies/", {"therapy_class": "class", "condition": "condition"}),
        ("/conditions/", {"therapy": "therapy", "therapy_class": "class"}),
        ("/classes/", {}),
        ("/glossary/", {}),
        ("/matrix/", {"therapy_class": "class"}),
    ],
)
def test_no_list_page_has_a_select_of_more_than_50_options(client, many_records, url, typed):
    assert TherapyClass.objects.count() > 60 and Condition.objects.count() > 120
    html = client.get(url).content.decode()
    form = re.search(r'<form class="filters".*?</form>', html, re.S).group(0)
    for select in re.findall(r"<select\b.*?</select>", html, re.S):
        assert select.count("<option") <= 50
    for name, kind in typed.items():
        field = re.search(rf'<input [^>]*name="{name}"[^>]*>', form).group(0)
        assert 'type="search"' in field and f'data-suggest="{kind}"' in field
        assert f'id="id_{name}"' in field and f'<label for="id_{name}">' in form
        described = re.search(r'aria-describedby="([^"]+)"', field).group(1)
        hint = re.search(rf'<small id="{described}">([^<]*)</small>', form).group(1)
        assert hint.startswith("Type a name.")
        assert "<datalist" not in form


# --- typed record filters ---------------------------------------------------------------------


ANTI_TNF = ["adalimumab", "certolizumab-pegol", "etanercept", "golimumab", "infliximab"]
RHEUMATOID = [*ANTI_TNF, "rituximab", "tocilizumab"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("condition=rheumatoid-arthritis", RHEUMATOID),
        ("condition=Rheumatoid+arthritis", RHEUMATOID),
        ("condition=RHEUMATOID+ARTHRITIS", RHEUMATOID),
        ("condition=+rheumatoid+arthritis+", RHEUMATOID),
        (
            "condition=Crohn%27s+disease,psoriasis",
            ["adalimumab", "certolizumab-pegol", "etanercept", "infliximab"],
        ),
        ("condition=Leukemia", ["rituximab"]),  # a parent by name: its sub-conditions too
        (
            "therapy_class=Anti-TNF+therapy&condition=Ulcerative+colitis",
            ["adalimumab", "golimumab", "infliximab"],
        ),
        ("therapy_class=anti-tnf+THERAPY,interleukins", [*ANTI_TNF, "interleukin-2"]),
    ],
)
def test_therapies_filter_by_slug_or_name_on_pages_and_api(client, query, expected):
    page = client.get(f"/therapies/?{query}")
    assert page.status_code == 200
    assert listed_slugs(page) == expected
    api = client.get(f"{API}therapies/?{query}&page_size=100")
    assert [item["slug"] for item in api.json()["results"]] == expected


def test_conditions_and_indications_filter_by_therapy_name(client):
    by_slug = listed_slugs(client.get("/conditions/?therapy=rituximab"))
    assert by_slug == listed_slugs(client.get("/conditions/?therapy=Rituximab"))
    assert by_slug == [
        "chronic-lymphocytic-leukemia",
        "non-hodgkins-lymphoma",
        "rheumatoid-arthritis",
    ]
    slugs = lambda r: [i["condition"]["slug"] for i in r.json()["results"]]  # noqa: E731
    assert slugs(client.get(f"{API}indications/?therapy=Rituximab")) == slugs(
        client.get(f"{API}indications/?therapy=rituximab")
    )


def test_a_slug_wins_over_another_records_name(client, article):
    """`psoriasis` is the slug of Psoriasis: a condition named "psoriasis" is not picked by it,
    only by its own slug."""
    other = Condition.objects.create(
        slug="lowercase-psoriasis", name="psoriasis", summary="s", category="cancer"
    )
    other.publish()
    other.save()
    Indication.objects.create(
        therapy=Therapy.objects.get(slug="interleukin-2"), condition=other, status="published"
    )
    psoriasis = ["adalimumab", "certolizumab-pegol", "etanercept", "infliximab"]
    assert listed_slugs(client.get("/therapies/?condition=psoriasis")) == psoriasis
    assert listed_slugs(client.get("/therapies/?condition=lowercase-psoriasis")) == [
        "interleukin-2"
    ]


def test_a_name_with_a_comma_is_one_value(client, article):
    """Sub-conditions are often named "Melanoma, stage II": a whole value that is a name is
    that name; to add another value, repeat the parameter."""
    melanoma = Condition.objects.get(slug="melanoma")
    stage = Condition.objects.create(
        slug="melanoma-stage-ii",
        name="Melanoma, stage II",
        summary="s",
        category=melanoma.category,
        parent=melanoma,
    )
    stage.publish()
    stage.save()
    Indication.objects.create(
        therapy=Therapy.objects.get(slug="rituximab"), condition=stage, status="published"
    )
    for query in ["melanoma-stage-ii", "Melanoma,+stage+II", "melanoma,+STAGE+II"]:
        assert listed_slugs(client.get(f"/therapies/?condition={query}")) == ["rituximab"]
        api = client.get(f"{API}therapies/?condition={query}").json()
        assert [item["slug"] for item in api["results"]] == ["rituximab"]
    both = "/therapies/?condition=Melanoma,+stage+II&condition=breast-cancer"
    assert listed_slugs(client.get(both)) == ["rituximab", "trastuzumab"]
    # Two values: Melanoma (with its sub-condition) and psoriasis.
    assert "rituximab" in listed_slugs(client.get("/therapies/?condition=Melanoma,psoriasis"))
    mixed = client.get("/therapies/?condition=Melanoma,+stage+II,psoriasis")
    assert mixed.status_code == 400
    assert "No condition called “stage II”." in mixed.content.decode()
    page = client.get("/therapies/?condition=Melanoma,+stage+II").content.decode()
    assert 'value="Melanoma, stage II"' in page  # shown as typed, submitted again alike


@pytest.mark.parametrize(
    ("query", "name", "value"),
    [
        ("condition=Atlantis+fever", "condition", "Atlantis fever"),
        ("condition=psoriasis,Rheumatoid+arthritis,Atlantis", "condition", "Atlantis"),
        ("therapy_class=Rituximab", "therapy_class", "Rituximab"),  # a therapy, not a class
    ],
)
def test_unknown_names_are_400s_naming_them(client, query, name, value):
    page = client.get(f"/therapies/?{query}")
    assert page.status_code == 400
    noun = "class" if name == "therapy_class" else name
    message = f"No {noun} called “{value}”."
    assert message in page.content.decode()
    problem = client.get(f"{API}therapies/?{query}").json()
    assert problem["invalid_params"] == [{"name": name, "reason": message}]


def test_drafts_cannot_be_found_by_name(client, article):
    therapy = Therapy.objects.get(slug="rituximab")
    therapy.unpublish()
    therapy.save()
    assert client.get("/conditions/?therapy=Rituximab").status_code == 400
    assert client.get(f"{API}conditions/?therapy=rituximab").status_code == 400


def test_order_of_sort_keys_matches_the_filterset(ties):
    """The expected orders above are real sorts, not the insertion order."""
    names = list(expected_order("-last_reviewed").values_list("slug", flat=True))
    assert names[0] == "synth-00040" and names[-3:] == ["synth-00003", "more-00010", "more-00011"]
    by_class = list(
        Therapy.objects.published()
        .order_by(F("therapy_class__name").desc(), "pk")
        .values_list("slug", flat=True)
    )
    assert list(expected_order("-class").values_list("slug", flat=True)) == by_class


def test_list_counts_are_cached_under_the_catalog_version_and_never_stale(
    client, make_catalog, django_assert_max_num_queries
):
    make_catalog(30)
    url = "/api/v1/therapies/?condition=synth-parent&page_size=10"
    page = "/therapies/?condition=synth-parent"
    assert client.get(url).json()["count"] == 30
    assert "30 therapies found." in client.get(page).content.decode()
    caches["pages"].clear()
    with django_assert_max_num_queries(4):  # the count comes from the cache
        assert client.get(url).json()["count"] == 30
    Therapy.objects.filter(slug="synth-00000").update(status="draft")  # any write moves it
    assert client.get(url).json()["count"] == 29
    assert "29 therapies found." in client.get(page).content.decode()
