"""The API contract as a consumer sees it: strict parameters, multi-value filters, ordering,
field selection, the envelope, cursor pagination, exports, caching, CORS, errors as
problem+json, hostile query strings and the OpenAPI schema."""

import base64
import csv
import datetime
import io
import json
import re
from http import HTTPStatus
from urllib.parse import quote

import django_filters
import pytest
from django.test import Client
from django.utils.http import http_date, parse_http_date
from openapi_spec_validator import validate

from catalog import filters
from catalog.models import (
    CatalogVersion,
    Condition,
    GlossaryTerm,
    Indication,
    ModifierRole,
    Source,
    Therapy,
    TherapyClass,
)

from .helpers import api_slugs, listed_slugs, make_reviewer, page_text, review

pytestmark = pytest.mark.django_db

API = "/api/v1/"
PROBLEM = "application/problem+json"
MAX_QUERIES = 6  # per list request, whatever its size (tests/test_scale.py)

# Every list endpoint, with the FilterSet behind it (None: no filters).
LISTS = {
    "therapies": filters.TherapyFilter,
    "therapy-classes": filters.TherapyClassFilter,
    "conditions": filters.ConditionFilter,
    "indications": filters.IndicationFilter,
    "sources": None,
    "modifier-roles": None,
    "glossary": filters.GlossaryFilter,
}
# A record of each endpoint that has detail pages.
DETAILS = {
    "therapies": "rituximab",
    "therapy-classes": "monoclonal-antibodies",
    "conditions": "rheumatoid-arthritis",
    "sources": "drugscom-immunotherapy",
    "modifier-roles": "recruit-immune-cells",
    "glossary": "antigen",
}
# The field that identifies a row of each list, in JSON and in exports.
KEY_FIELD = {name: "slug" for name in LISTS} | {"indications": "level"}
# Endpoints whose records have a public page.
WITH_PAGES = ["therapies", "therapy-classes", "conditions", "glossary"]
ANTI_TNF = ["adalimumab", "certolizumab-pegol", "etanercept", "golimumab", "infliximab"]
CONTENT_MODELS = [Source, TherapyClass, Therapy, Condition, Indication, ModifierRole, GlossaryTerm]


# --- helpers ------------------------------------------------------------------------------


def body_bytes(response):
    return b"".join(response.streaming_content) if response.streaming else response.content


def assert_problem(response, status, names=None):
    """An RFC 9457 problem with this status; for validation errors, `invalid_params` naming
    exactly `names`. Returns the body."""
    assert response.status_code == status, body_bytes(response)[:500]
    assert response["Content-Type"] == PROBLEM
    body = json.loads(body_bytes(response))
    assert body["type"] == "about:blank"
    assert body["title"] == HTTPStatus(status).phrase
    assert body["status"] == status
    assert isinstance(body["detail"], str) and body["detail"]
    if names is not None:
        assert [p["name"] for p in body["invalid_params"]] == names
        for param in body["invalid_params"]:
            assert set(param) == {"name", "reason"}
            assert isinstance(param["reason"], str) and param["reason"]
    return body


def reason(response):
    (param,) = response.json()["invalid_params"]
    return param["reason"]


def walk(client, url):
    """Follow `next` from `url`; the bodies of every page."""
    bodies = []
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.content[:500]
        bodies.append(response.json())
        url = bodies[-1]["next"]
        assert len(bodies) < 200, "pagination does not end"
    return bodies


def api_slugs_of(body):
    return [item["slug"] for item in body["results"]]


def keys(bodies, field="slug"):
    return [json.dumps(item[field]) for body in bodies for item in body["results"]]


def csv_rows(response):
    text = body_bytes(response).decode("utf-8")
    return list(csv.reader(io.StringIO(text)))


def jsonl_rows(response):
    text = body_bytes(response).decode("utf-8")
    assert text.endswith("\n") or not text
    return [json.loads(line) for line in text.splitlines()]


def snapshot():
    """Every record and when it last changed: hostile requests must leave this alone."""
    return {
        model.__name__: sorted(map(str, model.objects.values_list("pk", "updated_at")))
        for model in CONTENT_MODELS
    }


@pytest.fixture
def past_catalog():
    """Every record last changed on 1 January 2020, so edits made now move the clock (its
    version too: the updates move it, so it is set back last)."""
    then = datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC)
    for model in CONTENT_MODELS:
        model.objects.update(updated_at=then)
    CatalogVersion.objects.update(changed_at=then)  # the updates above moved it
    return then


# --- 1. strict parameters -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "suggestion"),
    [("conditon=x", "`condition`"), ("pagesize=5", "`page_size`"), ("orderng=name", "`ordering`")],
)
def test_a_near_miss_parameter_is_a_400_with_did_you_mean(client, query, suggestion):
    response = client.get(f"{API}therapies/?{query}")
    name = query.split("=")[0]
    body = assert_problem(response, 400, [name])
    assert "Did you mean" in reason(response) and suggestion in reason(response)
    assert name in body["detail"]


def test_a_far_off_parameter_lists_the_known_ones(client):
    response = client.get(f"{API}therapies/?zzzzqqq=1")
    assert_problem(response, 400, ["zzzzqqq"])
    text = reason(response)
    assert "Did you mean" not in text
    for known in [
        "page",
        "page_size",
        "cursor",
        "ordering",
        "format",
        "fields",
        *LISTS["therapies"].base_filters,
    ]:
        assert f"{known}," in text or f"{known}." in text, known


def test_several_unknown_parameters_are_all_named(client):
    response = client.get(f"{API}therapies/?foo=1&bar=2&q=ritux")
    body = assert_problem(response, 400)
    assert sorted(p["name"] for p in body["invalid_params"]) == ["bar", "foo"]


@pytest.mark.parametrize("name", LISTS)
def test_every_known_list_parameter_is_accepted(client, name, django_assert_max_num_queries):
    filterset = LISTS[name]
    query = "page=1&page_size=5&format=json&fields=" + KEY_FIELD[name]
    for filter_name, filter_ in filterset.base_filters.items() if filterset else []:
        if isinstance(filter_, django_filters.OrderingFilter):
            value = "-" + next(iter(filter_.param_map))
        elif isinstance(filter_, django_filters.ModelMultipleChoiceFilter):
            value = filter_.queryset.order_by("pk").first().slug
        elif isinstance(filter_, django_filters.ChoiceFilter | django_filters.MultipleChoiceFilter):
            value = next(v for v, _ in filter_.extra["choices"] if v)
        else:
            value = "a"
        query += f"&{filter_name}={value}"
    with django_assert_max_num_queries(MAX_QUERIES):
        response = client.get(f"{API}{name}/?{query}")
    assert response.status_code == 200, response.content
    # And the cursor, on its own (it does not combine with page or ordering).
    assert (
        client.get(f"{API}{name}/?cursor=&page_size=5&fields={KEY_FIELD[name]}").status_code == 200
    )


@pytest.mark.parametrize(("name", "slug"), DETAILS.items())
def test_detail_endpoints_take_only_format_and_fields(client, name, slug):
    ok = client.get(f"{API}{name}/{slug}/?format=json&fields=slug")
    assert ok.status_code == 200 and ok.json() == {"slug": slug}
    for parameter in ["page=1", "page_size=5", "cursor=", "ordering=name", "q=x"]:
        response = client.get(f"{API}{name}/{slug}/?{parameter}")
        assert_problem(response, 400, [parameter.split("=")[0]])
        assert "Known parameters: fields, format." in reason(response)


# --- 2. multi-value filters ---------------------------------------------------------------


def therapies_of(*class_slugs):
    return list(
        Therapy.objects.filter(therapy_class__slug__in=class_slugs)
        .order_by("name")
        .values_list("slug", flat=True)
    )


@pytest.mark.parametrize(
    "query",
    [
        "therapy_class=monoclonal-antibodies,interleukins",
        "therapy_class=monoclonal-antibodies&therapy_class=interleukins",
        "therapy_class=monoclonal-antibodies,%20interleukins,",
        "therapy_class=interleukins,monoclonal-antibodies,interleukins",
    ],
)
def test_one_parameter_with_several_values_means_any_of_them(client, query):
    expected = therapies_of("monoclonal-antibodies", "interleukins")
    assert set(expected) == {"interleukin-2", "rituximab", "tocilizumab", "trastuzumab"}
    api = client.get(f"{API}therapies/?{query}&page_size=100")
    assert api_slugs(api) == expected
    page = client.get(f"/therapies/?{query}")
    assert page.status_code == 200
    assert listed_slugs(page) == expected


def test_different_parameters_combine_with_and(client):
    query = "therapy_class=monoclonal-antibodies,anti-tnf-therapy&condition=psoriasis"
    expected = ["adalimumab", "certolizumab-pegol", "etanercept", "infliximab"]
    assert api_slugs(client.get(f"{API}therapies/?{query}")) == expected
    assert listed_slugs(client.get(f"/therapies/?{query}")) == expected
    for slug in expected:
        therapy = Therapy.objects.get(slug=slug)
        assert therapy.therapy_class.slug == "anti-tnf-therapy"
        assert therapy.indications.filter(condition__slug="psoriasis").exists()
    # OR within each parameter, AND across: monoclonal antibodies for either condition.
    both = "condition=psoriasis,breast-cancer&therapy_class=monoclonal-antibodies"
    assert api_slugs(client.get(f"{API}therapies/?{both}")) == ["trastuzumab"]


def result_slugs(client, url):
    response = client.get(url)
    assert response.status_code == 200
    return {item["slug"] for item in response.json()["results"]}


def test_multi_value_filters_on_the_other_endpoints(client):
    classes = api_slugs(client.get(f"{API}therapy-classes/?action=enhances,suppresses"))
    assert classes == ["anti-tnf-therapy", "interferons"]
    one = result_slugs(client, f"{API}conditions/?therapy=trastuzumab")
    two = result_slugs(client, f"{API}conditions/?therapy=interleukin-2")
    assert one and two and one != two
    both = result_slugs(client, f"{API}conditions/?therapy=trastuzumab&therapy=interleukin-2")
    assert both == one | two
    rows = client.get(f"{API}indications/?therapy=rituximab,trastuzumab&page_size=100").json()
    assert {row["therapy"]["slug"] for row in rows["results"]} == {"rituximab", "trastuzumab"}
    expected = Indication.objects.filter(therapy__slug__in=["rituximab", "trastuzumab"]).count()
    assert rows["count"] == expected


@pytest.mark.parametrize(
    "query",
    [
        "therapy_class=interferons,no-such-class,interleukins",
        "therapy_class=interferons&therapy_class=no-such-class",
    ],
)
def test_one_unknown_slug_among_several_is_a_400_naming_it(client, query):
    response = client.get(f"{API}therapies/?{query}")
    assert_problem(response, 400, ["therapy_class"])
    assert "no-such-class" in reason(response)
    page = client.get(f"/therapies/?{query}")
    assert page.status_code == 400
    assert "no-such-class" in page_text(page)


# --- 3. ordering --------------------------------------------------------------------------


def ordered(*order):
    return list(Therapy.objects.order_by(*order).values_list("slug", flat=True))


@pytest.mark.parametrize(
    ("ordering", "expected"),
    [
        ("name", lambda: ordered("name")),
        ("-name", lambda: ordered("-name")),
        ("class", lambda: ordered("therapy_class__name", "pk")),
        ("-class", lambda: ordered("-therapy_class__name", "pk")),
        ("class,-name", lambda: ordered("therapy_class__name", "-name", "pk")),
        ("-class,name", lambda: ordered("-therapy_class__name", "name", "pk")),
    ],
)
def test_ordering_by_allowlisted_keys(client, ordering, expected, django_assert_max_num_queries):
    with django_assert_max_num_queries(MAX_QUERIES):
        response = client.get(f"{API}therapies/?ordering={ordering}&page_size=100")
    assert api_slugs(response) == expected()
    assert response.json()["meta"]["filters"] == {"ordering": [ordering]}


@pytest.mark.parametrize("ordering", ["last_reviewed", "-last_reviewed"])
def test_ordering_by_date_puts_unreviewed_last_either_way(client, ordering):
    jane = make_reviewer()
    for slug, day in (("rituximab", 3), ("tocilizumab", 1), ("trastuzumab", 2)):
        review(Therapy.objects.get(slug=slug), jane, datetime.date(2026, 11, day))
    results = client.get(f"{API}therapies/?ordering={ordering}&page_size=100").json()["results"]
    dates = [r["last_reviewed"] for r in results]
    reviewed = [d for d in dates if d]
    assert len(reviewed) == 3
    assert dates == reviewed + [None] * (len(dates) - len(reviewed))
    assert {r["slug"] for r in results if r["last_reviewed"] is None} == set(ANTI_TNF) | {
        "interleukin-2"
    }
    assert reviewed == sorted(reviewed, reverse=ordering.startswith("-"))


@pytest.mark.parametrize(
    "ordering", ["last_reviewed", "-last_reviewed", "class", "-class,-last_reviewed"]
)
def test_pages_never_overlap_or_skip_when_sorting_by_a_key_with_ties(
    client, make_catalog, ordering
):
    make_catalog(30)  # 30 therapies, one class, all last reviewed on the same day
    everything = set(Therapy.objects.values_list("slug", flat=True))
    bodies = walk(client, f"{API}therapies/?ordering={ordering}&page_size=7")
    slugs = [slug for body in bodies for slug in api_slugs_of(body)]
    assert len(slugs) == len(set(slugs)) == len(everything) == bodies[0]["count"]
    assert set(slugs) == everything
    # The same request gives the same order every time.
    assert [
        s
        for b in walk(client, f"{API}therapies/?ordering={ordering}&page_size=7")
        for s in api_slugs_of(b)
    ] == slugs
    synthetic = [s for s in slugs if s.startswith("synth-")]
    assert synthetic == sorted(synthetic)  # ties broken by creation order


@pytest.mark.parametrize(
    ("path", "ordering"),
    [
        ("therapies", "summary"),
        ("therapies", "pk"),
        ("therapies", "-id"),
        ("therapies", "name,bogus"),
        ("therapies", "therapy_class__name"),
        ("therapies", "name;DROP TABLE catalog_therapy"),
        ("therapy-classes", "class"),
        ("indications", "name"),
    ],
)
def test_an_ordering_key_not_in_the_allowlist_is_a_400(client, path, ordering):
    response = client.get(f"{API}{path}/?ordering={ordering}")
    assert_problem(response, 400, ["ordering"])


# --- 4. field selection -------------------------------------------------------------------


def test_fields_selects_the_keys_of_list_items_and_details(client):
    body = client.get(f"{API}therapies/?fields=slug,name,brand_names&q=ritux").json()
    assert body["results"] == [
        {"slug": "rituximab", "name": "Rituximab", "brand_names": ["Rituxan"]}
    ]
    assert set(body) == {"count", "next", "previous", "results", "meta"}  # the envelope stays
    detail = client.get(f"{API}therapies/rituximab/?fields=slug,name,brand_names").json()
    assert detail == {"slug": "rituximab", "name": "Rituximab", "brand_names": ["Rituxan"]}
    # Order and spacing of the list do not matter.
    detail = client.get(f"{API}therapies/rituximab/?fields=%20brand_names%20,slug").json()
    assert list(detail) == ["slug", "brand_names"]


@pytest.mark.parametrize("name", LISTS)
def test_fields_works_on_every_list(client, name):
    field = KEY_FIELD[name]
    results = client.get(f"{API}{name}/?fields={field}&page_size=100").json()["results"]
    assert results and all(list(item) == [field] for item in results)


@pytest.mark.parametrize(
    ("url", "unknown"),
    [
        (f"{API}therapies/?fields=slug,nope", "nope"),
        (f"{API}therapies/rituximab/?fields=slug,colour", "colour"),
        (f"{API}therapies/?fields=", "(none given)"),
        (f"{API}therapies/?fields=,,", "(none given)"),
        (f"{API}therapies/?fields=id", "id"),
    ],
)
def test_an_unknown_field_is_a_400_listing_the_available_ones(client, url, unknown):
    response = client.get(url)
    assert_problem(response, 400, ["fields"])
    text = reason(response)
    assert unknown in text
    available = text.split("Available: ")[1].rstrip(".").split(", ")
    assert available == [
        "slug",
        "name",
        "html_url",
        "therapy_class",
        "brand_names",
        "other_names",
        "summary",
        "description",
        "sections",
        "indications",
        "sources",
        "status",
        "published_at",
        "go_live_at",
        "expire_at",
        "last_reviewed",
        "reviewer",
        "review_due",
        "review_interval_days",
        "review_state",
    ]


# --- 5. envelope --------------------------------------------------------------------------


@pytest.mark.parametrize("name", LISTS)
def test_the_envelope_and_its_meta(client, name, django_assert_max_num_queries):
    with django_assert_max_num_queries(MAX_QUERIES):
        response = client.get(f"{API}{name}/?page_size=2")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert list(body) == ["count", "next", "previous", "results", "meta"]
    assert body["count"] > 2 and len(body["results"]) == 2
    assert body["next"].startswith(f"http://testserver{API}{name}/?") and body["previous"] is None
    meta = body["meta"]
    assert set(meta) == {"last_updated", "license", "disclaimer", "filters"}
    last_updated = datetime.datetime.fromisoformat(meta["last_updated"])
    assert last_updated.tzinfo is not None
    assert "Not medical advice" in meta["disclaimer"]
    assert meta["license"]
    assert meta["filters"] == {}
    if name in WITH_PAGES:
        for item in body["results"]:
            assert item["html_url"].startswith("http://testserver/")
            assert client.get(item["html_url"]).status_code == 200


def test_meta_echoes_the_filters_applied(client):
    query = (
        "therapy_class=monoclonal-antibodies,anti-tnf-therapy&condition=psoriasis&page_size=3&q=a"
    )
    meta = client.get(f"{API}therapies/?{query}").json()["meta"]
    assert meta["filters"] == {
        "therapy_class": ["monoclonal-antibodies", "anti-tnf-therapy"],
        "condition": ["psoriasis"],
        "q": ["a"],
    }
    meta = client.get(
        f"{API}indications/?therapy=rituximab&therapy=tocilizumab&level=agent"
    ).json()["meta"]
    assert meta["filters"] == {"therapy": ["rituximab", "tocilizumab"], "level": ["agent"]}


@pytest.mark.parametrize(
    ("name", "query"),
    [
        ("therapies", "q=no-such-thing"),
        ("therapies", "therapy_class=interferons&condition=breast-cancer"),
        ("therapies", "q=no-such-thing&page=1"),
        ("therapy-classes", "q=zzzz"),
        ("conditions", "q=zzzz"),
        ("indications", "therapy=interleukin-2&level=class"),
        ("glossary", "q=zzzz"),
    ],
)
def test_no_results_is_a_200_with_an_empty_list(client, name, query):
    response = client.get(f"{API}{name}/?{query}")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 0 and body["results"] == []
    assert body["next"] is None and body["previous"] is None
    assert "Not medical advice" in body["meta"]["disclaimer"]


# --- 6. cursor pagination -----------------------------------------------------------------


@pytest.mark.parametrize("name", LISTS)
def test_the_cursor_walk_matches_the_page_walk(
    client, make_catalog, name, django_assert_max_num_queries
):
    make_catalog(30)
    field = KEY_FIELD[name] if name != "indications" else "condition"
    fields = "fields=" + (field if name != "indications" else "condition,therapy,therapy_class")
    paged = walk(client, f"{API}{name}/?page_size=3&{fields}")
    with django_assert_max_num_queries(MAX_QUERIES):
        first = client.get(f"{API}{name}/?cursor=&page_size=3&{fields}")
    assert first.status_code == 200
    cursored = walk(client, f"{API}{name}/?cursor=&page_size=3&{fields}")
    assert all(len(body["results"]) <= 3 for body in cursored)
    assert len(cursored) > 1
    assert cursored[0]["count"] == paged[0]["count"]
    assert "cursor=" in cursored[0]["next"] and "page_size=3" in cursored[0]["next"]
    assert cursored[0]["previous"] is None
    if name == "indications":
        row = lambda item: json.dumps(item, sort_keys=True)  # noqa: E731
        paged_rows = [row(i) for b in paged for i in b["results"]]
        cursor_rows = [row(i) for b in cursored for i in b["results"]]
        assert sorted(cursor_rows) == sorted(paged_rows)
        assert len(set(cursor_rows)) == len(cursor_rows) == paged[0]["count"]
    else:
        assert keys(cursored, field) == keys(paged, field)
        assert len(set(keys(cursored, field))) == paged[0]["count"]


def test_cursors_keep_the_filters_and_walk_back(client, make_catalog):
    make_catalog(30)
    bodies = walk(client, f"{API}therapies/?cursor=&page_size=10&therapy_class=synth-class")
    assert [len(b["results"]) for b in bodies] == [10, 10, 10]
    assert [s for b in bodies for s in api_slugs_of(b)] == [f"synth-{i:05d}" for i in range(30)]
    back = client.get(bodies[-1]["previous"]).json()
    assert api_slugs_of(back) == api_slugs_of(bodies[1])


@pytest.mark.parametrize(
    ("query", "names"),
    [
        ("cursor=&page=1", ["cursor"]),
        ("cursor=&page=2", ["cursor"]),
        ("cursor=&ordering=name", ["ordering"]),
        ("cursor=garbage", ["cursor"]),
        ("cursor=%00", ["cursor"]),
        ("cursor=!!!!", ["cursor"]),
        ("cursor=%ff%fe", ["cursor"]),
        ("cursor=" + "A" * 10_000, ["cursor"]),
        ("cursor=&page_size=0", ["page_size"]),
    ],
)
def test_bad_cursor_requests_are_400s(client, query, names):
    assert_problem(client.get(f"{API}therapies/?{query}"), 400, names)


def crafted_cursor(querystring):
    """A cursor as DRF encodes one, around any query string."""
    return quote(base64.b64encode(querystring.encode()).decode())


@pytest.mark.parametrize("name", ["therapies", "modifier-roles", "indications"])
@pytest.mark.parametrize("position", ["p=%00", "p=abc", "p=' OR 1=1 --", "o=-5", "o=x", "r=maybe"])
def test_a_crafted_cursor_is_a_400_or_a_page_never_a_500(name, position):
    client = Client(raise_request_exception=False)
    response = client.get(f"{API}{name}/?cursor={crafted_cursor(position)}")
    if response.status_code == 200:
        assert "results" in response.json()
    else:
        assert_problem(response, 400, ["cursor"])


# --- 7. exports ---------------------------------------------------------------------------

EXPORTS = [
    ("format=csv", {}),
    ("format=jsonl", {}),
    ("", {"HTTP_ACCEPT": "text/csv"}),
    ("", {"HTTP_ACCEPT": "application/jsonl"}),
]


@pytest.mark.parametrize(("query", "headers"), EXPORTS)
@pytest.mark.parametrize("name", LISTS)
def test_exports_stream_every_matching_row(client, make_catalog, name, query, headers):
    make_catalog(130)
    filter_query = {
        "therapies": "therapy_class=synth-class",
        "indications": "condition=synth-parent",
        "conditions": "q=synth",
    }.get(name, "")
    expected = {"therapies": 130, "indications": 260, "conditions": 2}.get(name)
    url = f"{API}{name}/?{'&'.join(p for p in [query, filter_query] if p)}"
    response = client.get(url, **headers)
    assert response.status_code == 200
    assert response.streaming is True
    media = "text/csv" if "csv" in query + str(headers) else "application/jsonl"
    assert response["Content-Type"] == f"{media}; charset=utf-8"
    extension = "csv" if media == "text/csv" else "jsonl"
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment; filename=") and disposition.endswith(
        f'.{extension}"'
    )
    listed = walk(client, f"{API}{name}/?page_size=100&{filter_query}")
    count = listed[0]["count"]
    if expected is not None:
        assert count == expected
    if media == "text/csv":
        rows = csv_rows(response)
        header, data = rows[0], rows[1:]
        assert header == list(listed[0]["results"][0])  # every field, in the API's order
        assert len(data) == count
        assert all(len(row) == len(header) for row in data)
        if name != "indications":
            assert [row[0] for row in data] == [s for b in listed for s in api_slugs_of(b)]
    else:
        rows = jsonl_rows(response)
        assert rows == [item for body in listed for item in body["results"]]


def test_exports_apply_the_lists_filters_and_ordering(client):
    query = "condition=rheumatoid-arthritis,psoriasis&ordering=-name"
    listed = api_slugs(client.get(f"{API}therapies/?{query}"))
    assert len(listed) > 3
    rows = csv_rows(client.get(f"{API}therapies/?{query}&format=csv&fields=slug"))
    assert rows == [["slug"]] + [[slug] for slug in listed]
    lines = jsonl_rows(client.get(f"{API}therapies/?{query}&format=jsonl&fields=slug,name"))
    assert [line["slug"] for line in lines] == listed
    assert all(list(line) == ["slug", "name"] for line in lines)


def test_exports_join_multi_value_cells_with_semicolons(client):
    rows = csv_rows(client.get(f"{API}therapies/?q=rituximab&format=csv"))
    header, (row,) = rows[0], rows[1:]
    cell = dict(zip(header, row, strict=True))
    # Each use with how the source puts it and the limits the label sets.
    assert set(cell["indications"].split("; ")) == {
        "non-hodgkins-lymphoma (Used for — CD20-positive B-cell non-Hodgkin's lymphoma)",
        "chronic-lymphocytic-leukemia (Used for — CD20-positive CLL, "
        "with fludarabine and cyclophosphamide)",
        "rheumatoid-arthritis (When other agents have not worked — "
        "Moderately to severely active, adults, with methotrexate, "
        "After an inadequate response to one or more TNF blockers)",
    }
    assert cell["therapy_class"] == "monoclonal-antibodies"
    assert cell["brand_names"] == "Rituxan"
    assert cell["sources"] == "drugscom-immunotherapy; fda-label-rituxan"
    adalimumab = csv_rows(client.get(f"{API}therapies/?q=adalimumab&format=csv&fields=indications"))
    assert len(adalimumab[1][0].split("; ")) > 1 and ";;" not in adalimumab[1][0]


def test_exports_are_utf8_and_keep_non_ascii_text(client, make_catalog):
    make_catalog(3)
    therapy = Therapy.objects.get(slug="synth-00001")
    therapy.name = "Interféron alfa-2b — «synthétique», 日本"
    therapy.summary = 'Line one, "quoted"\nline two; with; semicolons'
    therapy.save()
    csv_response = client.get(
        f"{API}therapies/?therapy_class=synth-class&format=csv&fields=slug,name,summary"
    )
    raw = body_bytes(csv_response)
    assert "Interféron alfa-2b — «synthétique», 日本".encode() in raw
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8"))))
    assert len(rows) == 4
    assert ["synth-00001", therapy.name, therapy.summary] in rows
    jsonl = client.get(f"{API}therapies/?therapy_class=synth-class&format=jsonl")
    raw = body_bytes(jsonl)
    assert "Interféron alfa-2b".encode() in raw  # not \u escapes
    assert therapy.name in [json.loads(line)["name"] for line in raw.decode().splitlines()]
    assert len(raw.decode().splitlines()) == 3


def test_export_fields_are_validated_before_streaming(client):
    response = client.get(f"{API}therapies/?format=csv&fields=slug,nope")
    assert not response.streaming
    assert_problem(response, 400, ["fields"])
    assert_problem(
        client.get(f"{API}therapies/?format=csv&therapy_class=nope"), 400, ["therapy_class"]
    )
    assert_problem(client.get(f"{API}therapies/?format=jsonl&ordering=nope"), 400, ["ordering"])
    assert_problem(client.get(f"{API}therapies/?format=csv&bogus=1"), 400, ["bogus"])


def test_an_unknown_format_is_a_400_naming_format(client):
    for url in [
        f"{API}therapies/?format=xml",
        f"{API}therapies/rituximab/?format=xml",
        f"{API}?format=xml",
    ]:
        response = client.get(url)
        assert_problem(response, 400, ["format"])
        assert "xml" in reason(response)


@pytest.mark.parametrize(
    "url",
    [f"{API}therapies/", f"{API}therapies/rituximab/", f"{API}indications/", API, f"{API}version/"],
)
def test_an_unsatisfiable_accept_header_is_a_406_problem(client, url):
    response = client.get(url, HTTP_ACCEPT="application/xml")
    assert_problem(response, 406)


def test_accept_prefers_what_the_client_can_read(client):
    response = client.get(f"{API}therapies/", HTTP_ACCEPT="application/xml, text/csv;q=0.5")
    assert response.streaming and response["Content-Type"].startswith("text/csv")
    response = client.get(f"{API}therapies/", HTTP_ACCEPT="application/json")
    assert response["Content-Type"] == "application/json"


def test_exports_use_a_bounded_number_of_queries(
    client, make_catalog, django_assert_max_num_queries
):
    make_catalog(600)  # more than one batch (exports.BATCH): each row's relations in its query
    with django_assert_max_num_queries(MAX_QUERIES):
        response = client.get(f"{API}therapies/?format=csv")
        rows = csv_rows(response)
    assert len(rows) == 1 + Therapy.objects.count()


# --- 8. caching ---------------------------------------------------------------------------

CACHED = [
    f"{API}therapies/",
    f"{API}therapies/?therapy_class=monoclonal-antibodies",
    f"{API}therapies/rituximab/",
    f"{API}indications/",
    f"{API}",
    f"{API}version/",
]


@pytest.mark.parametrize("url", CACHED)
def test_every_get_has_validators_and_answers_conditional_requests(client, url):
    response = client.get(url)
    assert response.status_code == 200
    etag, last_modified = response["ETag"], response["Last-Modified"]
    assert etag.startswith('"') and etag.endswith('"')
    parse_http_date(last_modified)
    not_modified = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert not_modified.status_code == 304
    assert not_modified.content == b""
    assert not_modified["ETag"] == etag
    since = client.get(url, HTTP_IF_MODIFIED_SINCE=last_modified)
    assert since.status_code == 304 and since.content == b""
    other = client.get(url, HTTP_IF_NONE_MATCH='"something-else"')
    assert other.status_code == 200 and other.content == response.content


@pytest.mark.parametrize("url", CACHED)
def test_cache_control_is_public_for_anonymous_and_private_for_users(client, admin_client, url):
    anonymous = client.get(url)
    directives = {d.strip() for d in anonymous["Cache-Control"].split(",")}
    assert "public" in directives
    assert any(d.startswith("max-age=") and int(d.split("=")[1]) > 0 for d in directives)
    assert "Cookie" in anonymous["Vary"] and "Accept" in anonymous["Vary"]
    logged_in = admin_client.get(url)
    directives = {d.strip() for d in logged_in["Cache-Control"].split(",")}
    assert {"private", "no-cache"} <= directives
    assert "public" not in directives


def test_an_edit_moves_last_modified_and_invalidates_the_etag(client, past_catalog):
    urls = [f"{API}therapies/rituximab/", f"{API}therapies/?q=ritux", f"{API}version/"]
    before = {url: client.get(url) for url in urls}
    for response in before.values():
        assert parse_http_date(response["Last-Modified"]) == int(past_catalog.timestamp())
    therapy = Therapy.objects.get(slug="rituximab")
    therapy.summary = "Edited summary for the caching test."
    therapy.save()
    for url, old in before.items():
        response = client.get(url, HTTP_IF_NONE_MATCH=old["ETag"])
        assert response.status_code == 200, url
        assert parse_http_date(response["Last-Modified"]) > parse_http_date(old["Last-Modified"])
        assert response["ETag"] != old["ETag"]
        since = client.get(url, HTTP_IF_MODIFIED_SINCE=old["Last-Modified"])
        assert since.status_code == 200
    assert client.get(urls[0]).json()["summary"] == "Edited summary for the caching test."
    assert client.get(urls[1]).json()["results"][0]["summary"] == therapy.summary
    assert client.get(urls[2]).json()["data_last_updated"] is not None
    meta = client.get(urls[1]).json()["meta"]
    assert datetime.datetime.fromisoformat(meta["last_updated"]) > past_catalog


def test_last_modified_is_when_the_catalog_last_changed(client, past_catalog):
    response = client.get(f"{API}therapies/")
    assert response["Last-Modified"] == http_date(past_catalog.timestamp())
    assert response.json()["meta"]["last_updated"] == past_catalog.isoformat()
    version = client.get(f"{API}version/").json()
    assert (
        datetime.datetime.fromisoformat(version["data_last_updated"].replace("Z", "+00:00"))
        == past_catalog
    )


def test_exports_answer_if_modified_since(client):
    response = client.get(f"{API}therapies/?format=csv")
    last_modified = response["Last-Modified"]
    body_bytes(response)
    not_modified = client.get(f"{API}therapies/?format=csv", HTTP_IF_MODIFIED_SINCE=last_modified)
    assert not_modified.status_code == 304


# --- 9. CORS ------------------------------------------------------------------------------

ORIGIN = "https://example.org"


@pytest.mark.parametrize("url", [*CACHED, f"{API}therapies/?format=csv", f"{API}schema/"])
def test_api_reads_are_open_to_any_origin(client, url):
    response = client.get(url, HTTP_ORIGIN=ORIGIN)
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in response
    exposed = {h.strip().lower() for h in response["Access-Control-Expose-Headers"].split(",")}
    assert {"etag", "last-modified", "content-disposition", "retry-after"} <= exposed


def test_api_errors_are_readable_cross_origin(client):
    response = client.get(f"{API}therapies/?bogus=1", HTTP_ORIGIN=ORIGIN)
    assert response.status_code == 400
    assert response["Access-Control-Allow-Origin"] == "*"


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH"])
def test_a_preflight_for_a_write_does_not_allow_it(client, method):
    response = client.options(
        f"{API}therapies/",
        HTTP_ORIGIN=ORIGIN,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD=method,
    )
    allowed = {m.strip() for m in response.get("Access-Control-Allow-Methods", "").split(",")}
    assert method not in allowed
    assert allowed <= {"GET", "HEAD", "OPTIONS", ""}


def test_a_preflight_for_get_is_allowed(client):
    response = client.options(
        f"{API}therapies/", HTTP_ORIGIN=ORIGIN, HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET"
    )
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "GET" in response["Access-Control-Allow-Methods"]


@pytest.mark.parametrize(
    "url", ["/", "/therapies/", "/therapies/rituximab/", "/glossary/", "/healthz"]
)
def test_pages_outside_the_api_get_no_cors_headers(client, url):
    response = client.get(url, HTTP_ORIGIN=ORIGIN)
    assert response.status_code == 200
    assert not [h for h in response.headers if h.lower().startswith("access-control-")]
    preflight = client.options(url, HTTP_ORIGIN=ORIGIN, HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET")
    assert not [h for h in preflight.headers if h.lower().startswith("access-control-")]


# --- 10. root and version -----------------------------------------------------------------


def test_the_root_lists_every_endpoint_and_the_schema_docs_and_version(client):
    response = client.get(API)
    assert response.status_code == 200
    body = response.json()
    expected = {name: f"http://testserver{API}{name}/" for name in LISTS}
    expected |= {
        "schema": f"http://testserver{API}schema/",
        "docs": f"http://testserver{API}docs/",
        "version": f"http://testserver{API}version/",
        "me": f"http://testserver{API}me/",
        "changes": f"http://testserver{API}changes/",
    }
    assert body == expected
    for name, url in body.items():
        assert client.get(url).status_code == (401 if name == "me" else 200), url


def test_the_version_endpoint(client):
    response = client.get(f"{API}version/")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"api_version", "data_last_updated"}
    assert body["api_version"].count(".") == 2
    updated = datetime.datetime.fromisoformat(body["data_last_updated"].replace("Z", "+00:00"))
    assert updated.tzinfo is not None
    assert client.get(f"{API}version/?format=json").status_code == 200
    response = client.get(f"{API}version/?verison=1")
    assert_problem(response, 400, ["verison"])
    assert "format" in reason(response)


# --- 11. errors are problems --------------------------------------------------------------


def test_anonymous_writes_are_401_problems_naming_the_token_scheme(client):
    count = Therapy.objects.count()
    for method, url in [
        ("POST", f"{API}therapies/"),
        ("PUT", f"{API}therapies/rituximab/"),
        ("PATCH", f"{API}therapies/rituximab/"),
        ("DELETE", f"{API}therapies/rituximab/"),
    ]:
        response = client.generic(method, url, '{"name": "X"}', content_type="application/json")
        assert_problem(response, 401)
        assert response["WWW-Authenticate"] == "Token"
    assert Therapy.objects.count() == count


@pytest.mark.parametrize(
    "url",
    [
        f"{API}therapies/no-such-drug/",
        f"{API}glossary/no-such-term/",
        f"{API}nope/",
        f"{API}therapies/rituximab/extra/",
        f"{API}indications/1/",
        f"{API}therapies/?page=99",
        "/api/v2/therapies/",
    ],
)
def test_not_found_is_a_404_problem(client, url):
    assert_problem(client.get(url), 404)


@pytest.mark.parametrize(
    ("method", "url"),
    [
        *(
            (m, f"{API}{path}")
            for m in ("PUT", "PATCH", "DELETE", "POST")
            for path in ("indications/", "version/", "sources/", "glossary/")
        ),
        ("POST", f"{API}therapies/rituximab/"),
        ("PUT", f"{API}therapies/"),
        ("DELETE", f"{API}therapies/"),
    ],
)
def test_unsupported_writes_by_a_superuser_are_405_problems(admin_client, method, url):
    before = snapshot()
    response = admin_client.generic(method, url, "{}", content_type="application/json")
    assert_problem(response, 405)
    assert "GET" in response["Allow"] and method not in response["Allow"]
    assert snapshot() == before


def test_throttled_clients_get_a_429_problem(client, settings, one_rate_window):
    settings.API_ANON_RATE = "2/minute"
    assert client.get(f"{API}therapies/").status_code == 200
    assert client.get(f"{API}version/").status_code == 200
    response = client.get(f"{API}therapies/rituximab/")
    assert_problem(response, 429)
    assert int(response["Retry-After"]) > 0


def test_a_server_error_is_a_500_problem(monkeypatch):
    from catalog.api.views import TherapyViewSet

    def explode(self, request, *args, **kwargs):
        raise RuntimeError("boom: internals")

    monkeypatch.setattr(TherapyViewSet, "retrieve", explode)
    response = Client(raise_request_exception=False).get(f"{API}therapies/rituximab/")
    body = assert_problem(response, 500)
    assert "boom" not in body["detail"] and "Traceback" not in response.content.decode()


# --- 12. hostile query strings ------------------------------------------------------------

LONG = "x" * 10_000


@pytest.mark.parametrize(
    ("query", "names"),
    [
        (f"q={LONG}", ["q"]),
        (f"therapy_class={LONG}", ["therapy_class"]),
        (f"condition=psoriasis,{LONG}", ["condition"]),
        (f"ordering={LONG}", ["ordering"]),
        (f"fields={LONG}", ["fields"]),
        (f"format={LONG}", ["format"]),
        (f"page={LONG}", ["page"]),
        (f"page_size={LONG}", ["page_size"]),
        (f"page_size={'9' * 10_000}", ["page_size"]),
        (f"page_size={'0' * 9_999}1", None),
        (f"{LONG}=1", [LONG]),
        ("q=%00", ["q"]),
        ("q=abc%00def", ["q"]),
        ("therapy_class=%00", ["therapy_class"]),
        ("condition=psoriasis%00", ["condition"]),
        ("action=targets%00", ["action"]),
        ("ordering=name%00", ["ordering"]),
        ("fields=slug%00", ["fields"]),
        ("page=1%00", ["page"]),
        ("page_size=5%00", ["page_size"]),
        ("%00=1", ["\x00"]),
        ("q%00=rituximab", ["q\x00"]),
        ("therapy_class=%ff%fe", ["therapy_class"]),
        ("condition_category=%ff%fe", ["condition_category"]),
        ("ordering=%ff%fe", ["ordering"]),
        ("page=%ff%fe", ["page"]),
        ("%ff%fe=1", ["\ufffd\ufffd"]),
        ("page_size=1000000000000000000000000000000", ["page_size"]),
        ("page_size=101", ["page_size"]),
        ("page=-1", ["page"]),
        ("page=0", ["page"]),
        ("page=1.5", ["page"]),
        ("page=%C2%B2", ["page"]),  # superscript two: a "digit" to str.isdigit, not to int()
        ("page=%D9%A1", ["page"]),  # Arabic-Indic one
        ("page_size=-5", ["page_size"]),
        ("page_size=%C2%B2", ["page_size"]),
        ("page_size=%D9%A1", ["page_size"]),
        ("page_size=1e2", ["page_size"]),
        ("therapy_class=' OR 1=1 --", ["therapy_class"]),
        ("therapy_class=interferons' OR '1'='1", ["therapy_class"]),
        ("condition=<script>alert(1)</script>", ["condition"]),
        ("condition_category=cancer' --", ["condition_category"]),
        ("ordering=name' --", ["ordering"]),
        ("action=<script>", ["action"]),
    ],
)
def test_hostile_query_strings_are_400_problems(query, names):
    before = snapshot()
    response = Client(raise_request_exception=False).get(f"{API}therapies/?{query}")
    if names is None:  # a value that is fine once parsed
        assert response.status_code == 200
    else:
        assert_problem(response, 400, names)
    assert snapshot() == before


@pytest.mark.parametrize("page", ["99999999999999999999", "9" * 5000])
def test_a_huge_page_number_is_past_the_end(page):
    """A page number is a page past the end however large it is (README: a 404, as for
    `?page=99`), never a 500."""
    response = Client(raise_request_exception=False).get(f"{API}therapies/?page={page}")
    assert_problem(response, 404)


@pytest.mark.parametrize(
    "q",
    [
        "' OR 1=1 --",
        "'; DROP TABLE catalog_therapy; --",
        "<script>alert(1)</script>",
        "%25",
        "_",
        "%ff%fe",
        "\\",
        "%22%27%60",
    ],
)
def test_hostile_search_text_is_a_plain_search(client, q, django_assert_max_num_queries):
    before = snapshot()
    with django_assert_max_num_queries(MAX_QUERIES):
        response = Client(raise_request_exception=False).get(f"{API}therapies/?q={q}")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["count"] == 0 and body["results"] == []  # matches nothing, least of all everything
    assert snapshot() == before
    assert Therapy.objects.filter(slug="rituximab").exists()


def test_hostile_values_are_echoed_only_as_json(client):
    response = client.get(f"{API}therapies/?condition=<script>alert(1)</script>")
    assert response["Content-Type"] == PROBLEM
    assert response["X-Content-Type-Options"] == "nosniff"
    assert json.loads(response.content)["invalid_params"][0]["reason"].count("<script>") == 1


@pytest.mark.parametrize(
    "name",
    ["therapy-classes", "conditions", "indications", "glossary", "sources", "modifier-roles"],
)
@pytest.mark.parametrize(
    "query", ["q=%00", "%00=1", "page_size=%C2%B2", "page=%C2%B2", "ordering=%ff", "cursor=%00"]
)
def test_hostile_values_on_every_list_are_400s(name, query):
    response = Client(raise_request_exception=False).get(f"{API}{name}/?{query}")
    assert response.status_code == 400, body_bytes(response)[:300]
    assert response["Content-Type"] == PROBLEM


# --- 13. OpenAPI --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    with django_db_blocker.unblock():
        response = Client().get(f"{API}schema/?format=json")
    assert response.status_code == 200
    return response.json()


def operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in {"get", "put", "post", "patch", "delete", "head", "options"}:
                yield path, method, operation


def test_the_schema_is_valid_openapi_3(schema):
    validate(schema)
    assert schema["openapi"].startswith("3.")
    assert {f"{API}{name}/" for name in LISTS} <= set(schema["paths"])
    assert f"{API}version/" in schema["paths"]


def parameters_of(schema, path):
    return {p["name"]: p for p in schema["paths"][path]["get"].get("parameters", [])}


@pytest.mark.parametrize(("name", "filterset"), [(n, f) for n, f in LISTS.items() if f])
def test_every_filter_is_documented_with_its_type(schema, name, filterset):
    parameters = parameters_of(schema, f"{API}{name}/")
    for filter_name, filter_ in filterset.base_filters.items():
        parameter = parameters.get(filter_name)
        assert parameter, f"{filter_name} is missing from {name}"
        assert parameter["in"] == "query" and not parameter.get("required", False)
        kind = parameter["schema"]
        if isinstance(filter_, django_filters.OrderingFilter):
            keys_ = [key for key, _ in filter_.field.choices if key]
            assert {k for k in keys_ if k.startswith("-")} == {f"-{k}" for k in filter_.param_map}
            assert_names_one_comma_separated_string(kind, keys_)
        elif isinstance(filter_, django_filters.MultipleChoiceFilter):  # slugs too
            assert kind["type"] == "array", filter_name
            assert parameter.get("explode") is True and parameter.get("style", "form") == "form"
            assert kind["items"]["type"] == "string"
            if isinstance(filter_, django_filters.ModelMultipleChoiceFilter):
                assert "enum" not in kind["items"]  # any slug, checked on use
            else:
                assert sorted(kind["items"]["enum"]) == sorted(
                    v for v, _ in filter_.extra["choices"]
                )
        elif isinstance(filter_, django_filters.ChoiceFilter):
            assert kind["type"] == "string"
            assert sorted(kind["enum"]) == sorted(v for v, _ in filter_.extra["choices"])
        elif isinstance(filter_, django_filters.CharFilter):
            assert kind["type"] == "string"
            assert kind.get("maxLength", 100) == 100
        else:  # pragma: no cover - a new kind of filter needs a rule here
            raise AssertionError(f"no rule for {type(filter_)}")


@pytest.mark.parametrize("name", LISTS)
def test_pagination_fields_and_format_are_documented(schema, name):
    parameters = parameters_of(schema, f"{API}{name}/")
    assert parameters["page"]["schema"]["type"] == "integer"
    assert parameters["page"]["schema"].get("minimum") == 1
    page_size = parameters["page_size"]["schema"]
    assert page_size["type"] == "integer" and page_size["minimum"] == 1
    assert page_size["maximum"] == 100
    assert parameters["cursor"]["schema"]["type"] == "string"
    assert set(parameters["format"]["schema"]["enum"]) >= {"json", "csv", "jsonl"}
    assert "fields" in parameters, f"fields is not documented for {name}"
    fields = parameters["fields"]
    assert "explode" not in fields
    assert_names_one_comma_separated_string(fields["schema"], client_fields(name))
    if name in DETAILS:
        detail = parameters_of(schema, f"{API}{name}/{{slug}}/")
        assert set(detail) == {"slug", "format", "fields"}


def assert_names_one_comma_separated_string(kind, names):
    """`fields` and `ordering`: one string of comma-separated names (an array would be sent as
    repeated keys), whose pattern takes each of `names`, several, and nothing else."""
    assert kind["type"] == "string"
    pattern = re.compile(kind["pattern"])
    for name in names:
        assert pattern.fullmatch(name), name
        assert not pattern.fullmatch(f"{name}x") and not pattern.fullmatch(f"x{name}")
    assert pattern.fullmatch(",".join(names))
    assert not pattern.fullmatch("") and not pattern.fullmatch(",")


def client_fields(name):
    """The fields a list item has, as the API serves them."""
    body = Client().get(f"{API}{name}/?page_size=1").json()
    return list(body["results"][0])


# The codes every operation can answer; which others each one can: test_schema_contract.py.
@pytest.mark.parametrize("status", ["400", "406", "500", "503"])
def test_every_operation_documents_its_problems(schema, status):
    for path, method, operation in operations(schema):
        response = operation["responses"].get(status)
        assert response, f"{method.upper()} {path} does not document {status}"
        assert list(response["content"]) == [PROBLEM], f"{method.upper()} {path} {status}"


def test_list_responses_document_the_envelope_and_exports(schema):
    for name in LISTS:
        ok = schema["paths"][f"{API}{name}/"]["get"]["responses"]["200"]["content"]
        assert {"application/json", "text/csv", "application/jsonl"} <= set(ok)
        envelope = ok["application/json"]["schema"]
        if "$ref" in envelope:
            envelope = schema["components"]["schemas"][envelope["$ref"].split("/")[-1]]
        assert set(envelope["required"]) == {"count", "next", "previous", "results", "meta"}
