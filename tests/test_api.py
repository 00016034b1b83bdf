import datetime
import json

import pytest
from openapi_spec_validator import validate

from catalog import filters
from catalog.models import Therapy

from .helpers import api_slugs, listed_slugs, make_reviewer, openapi, review

pytestmark = pytest.mark.django_db

ENDPOINTS = [
    "therapies",
    "therapy-classes",
    "conditions",
    "indications",
    "sources",
    "modifier-roles",
    "glossary",
]


def test_root_lists_every_endpoint(client):
    body = client.get("/api/v1/").json()
    for name in ENDPOINTS:
        assert body[name] == f"http://testserver/api/v1/{name}/"


@pytest.mark.parametrize("name", ENDPOINTS)
def test_every_list_is_paginated_and_has_no_database_ids(client, name):
    body = client.get(f"/api/v1/{name}/?page_size=100").json()
    assert set(body) == {"count", "next", "previous", "results", "meta"}
    assert body["count"] == len(body["results"]) > 0

    def walk(value):
        if isinstance(value, dict):
            assert "id" not in value and "pk" not in value
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(body["results"])


def test_therapy_detail_by_slug(client):
    body = client.get("/api/v1/therapies/rituximab/").json()
    assert body["name"] == "Rituximab"
    assert body["html_url"] == "http://testserver/therapies/rituximab/"
    assert body["therapy_class"] == {
        "slug": "monoclonal-antibodies",
        "name": "Monoclonal antibodies",
        "action": "targets",
    }
    assert body["brand_names"] == ["Rituxan"]
    assert "drugscom-immunotherapy" in body["sources"]
    # Not reviewed by the site (the article's own date belongs to the source).
    assert (body["last_reviewed"], body["reviewer"], body["review_due"]) == (None, None, None)
    by_condition = {i["condition"]["slug"]: i for i in body["indications"]}
    assert set(by_condition) == {
        "non-hodgkins-lymphoma",
        "chronic-lymphocytic-leukemia",
        "rheumatoid-arthritis",
    }
    ra = by_condition["rheumatoid-arthritis"]
    assert ra["qualifier"] == "other-agents-failed"
    assert ra["qualifier_label"] == "When other agents have not worked"


def test_a_review_names_the_reviewer_never_the_login(client):
    review(Therapy.objects.get(slug="rituximab"), make_reviewer(), datetime.date(2026, 12, 3))
    for url in ("/api/v1/therapies/rituximab/", "/api/v1/therapies/?q=rituximab"):
        body = client.get(url).json()
        record = body["results"][0] if "results" in body else body
        assert record["last_reviewed"] == "2026-12-03"
        assert record["review_due"] == "2027-12-03"
        assert record["reviewer"] == {
            "name": "Jane Doe",
            "credential": "MD",
            "specialty": "rheumatology",
        }
        assert "jdoe" not in json.dumps(body)


def test_label_uses_carry_their_limits(client):
    body = client.get("/api/v1/indications/?therapy=infliximab&condition=rheumatoid-arthritis")
    (use,) = body.json()["results"]
    assert use["severity_label"] == "Moderately to severely active"
    assert use["combination"] == "with methotrexate"
    assert use["sources"] == ["fda-label-remicade"]


def test_condition_detail_has_parent_and_children(client):
    child = client.get("/api/v1/conditions/ulcerative-colitis/").json()
    assert child["parent"] == {
        "slug": "inflammatory-bowel-disease",
        "name": "Inflammatory bowel disease",
    }
    assert child["category"] == "autoimmune-inflammatory"
    parent = client.get("/api/v1/conditions/inflammatory-bowel-disease/").json()
    assert {c["slug"] for c in parent["children"]} == {"ulcerative-colitis", "crohns-disease"}


def test_unknown_slug_is_a_json_404(client):
    response = client.get("/api/v1/therapies/no-such-drug/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert response.json() == {
        "type": "about:blank",
        "title": "Not Found",
        "status": 404,
        "detail": "No Therapy matches the given query.",
    }


@pytest.mark.parametrize(
    ("path", "query", "expected"),
    [
        (
            "therapies",
            "therapy_class=anti-tnf-therapy&condition=psoriasis",
            ["adalimumab", "certolizumab-pegol", "etanercept", "infliximab"],
        ),
        ("therapies", "q=herceptin", ["trastuzumab"]),
        ("therapies", "condition=lymphoma", ["rituximab"]),
        ("therapy-classes", "action=enhances", ["interferons"]),
        ("conditions", "therapy=trastuzumab", ["breast-cancer"]),
        ("glossary", "q=antigen", None),
    ],
)
def test_api_filters(client, path, query, expected):
    response = client.get(f"/api/v1/{path}/?{query}")
    assert response.status_code == 200
    slugs = api_slugs(response)
    if expected is None:
        assert "antigen" in slugs
    else:
        assert slugs == expected


def test_indication_filters_include_sub_conditions_and_level(client):
    body = client.get("/api/v1/indications/?condition=leukemia").json()
    rows = {
        (i["level"], (i["therapy"] or i["therapy_class"])["slug"], i["condition"]["slug"])
        for i in body["results"]
    }
    assert rows == {
        ("class", "interferons", "leukemia"),
        ("agent", "rituximab", "chronic-lymphocytic-leukemia"),
    }
    body = client.get("/api/v1/indications/?level=class&qualifier=conventional-drugs-failed").json()
    assert {i["condition"]["slug"] for i in body["results"]} == {
        "rheumatoid-arthritis",
        "inflammatory-bowel-disease",
    }


@pytest.mark.parametrize(
    "query",
    [
        "",
        "q=mab",
        "therapy_class=monoclonal-antibodies",
        "condition=rheumatoid-arthritis",
        "condition=inflammatory-bowel-disease&action=suppresses",
        "condition_category=cancer&q=i",
    ],
)
def test_api_and_page_agree_on_the_same_filters(client, query):
    page = client.get(f"/therapies/?{query}")
    api = client.get(f"/api/v1/therapies/?{query}&page_size=100")
    assert listed_slugs(page) == api_slugs(api)


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("therapy_class=nope", "therapy_class"),
        ("condition=nope", "condition"),
        ("action=explodes", "action"),
        ("condition_category=moon", "condition_category"),
        ("q=" + "x" * 101, "q"),
        ("page_size=101", "page_size"),
        ("page_size=0", "page_size"),
        ("page_size=ten", "page_size"),
        ("page=abc", "page"),
    ],
)
def test_invalid_parameters_are_400s_naming_the_parameter(client, query, parameter):
    response = client.get(f"/api/v1/therapies/?{query}")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == 400 and body["title"] == "Bad Request"
    names = [p["name"] for p in body["invalid_params"]]
    assert names == [parameter]
    assert body["invalid_params"][0]["reason"]
    assert parameter in body["detail"]


def test_page_past_the_end_is_a_404(client):
    assert client.get("/api/v1/therapies/?page=99").status_code == 404


def test_page_size_and_stable_order(client, make_catalog):
    make_catalog(30)
    first = client.get("/api/v1/therapies/?therapy_class=synth-class&page_size=25").json()
    assert first["count"] == 30
    assert len(first["results"]) == 25
    assert "page=2" in first["next"] and "therapy_class=synth-class" in first["next"]
    second = client.get(first["next"]).json()
    slugs = api_slugs_from(first) + api_slugs_from(second)
    assert slugs == [f"synth-{i:05d}" for i in range(30)]


def api_slugs_from(body):
    return [item["slug"] for item in body["results"]]


@pytest.mark.parametrize("name", ENDPOINTS)
@pytest.mark.parametrize(("size", "page_size"), [(5, 10), (60, 10), (60, 100)])
def test_api_lists_use_a_constant_number_of_queries(
    client, make_catalog, django_assert_max_num_queries, name, size, page_size
):
    make_catalog(size)
    with django_assert_max_num_queries(6):
        response = client.get(f"/api/v1/{name}/?page_size={page_size}")
    assert len(response.json()["results"]) > 0


@pytest.mark.parametrize("path", ["/api/v1/therapies/", "/api/v1/therapies/rituximab/"])
def test_an_api_request_builds_the_visibility_rule_once(client, monkeypatch, path):
    """The permission check, the rows and the list share one queryset of what the request may
    read: building the rule's expressions again for each took a sixth of an API list's time."""
    openapi()  # the schema the responses are checked against, generated before counting
    built = []
    published = type(Therapy.objects.all()).published

    def counting(queryset):
        built.append(queryset.model)
        return published(queryset)

    monkeypatch.setattr(type(Therapy.objects.all()), "published", counting)
    response = client.get(path)
    assert response.status_code == 200 and "rituximab" in response.content.decode()
    assert built.count(Therapy) == 1


def test_anonymous_users_cannot_write(client):
    count = Therapy.objects.count()
    response = client.post("/api/v1/therapies/", {"name": "X"}, content_type="application/json")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert "credentials were not provided" in response.json()["detail"]
    response = client.delete("/api/v1/therapies/rituximab/")
    assert response.status_code == 401
    assert Therapy.objects.count() == count


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    from django.test import Client

    with django_db_blocker.unblock():
        response = Client().get("/api/v1/schema/?format=json")
    assert response.status_code == 200
    return response.json()


def test_schema_is_valid_openapi(schema):
    validate(schema)
    assert schema["openapi"].startswith("3.")


@pytest.mark.parametrize(
    ("path", "filterset"),
    [
        ("/api/v1/therapies/", filters.TherapyFilter),
        ("/api/v1/therapy-classes/", filters.TherapyClassFilter),
        ("/api/v1/conditions/", filters.ConditionFilter),
        ("/api/v1/indications/", filters.IndicationFilter),
        ("/api/v1/glossary/", filters.GlossaryFilter),
    ],
)
def test_every_filter_is_in_the_schema(schema, path, filterset):
    parameters = {p["name"]: p for p in schema["paths"][path]["get"]["parameters"]}
    for name in filterset.base_filters:
        assert name in parameters, f"{name} missing from {path}"
        assert parameters[name]["in"] == "query"
    assert {"page", "page_size"} <= set(parameters)


def test_docs_page_serves_swagger_ui_from_our_static_files(client):
    html = client.get("/api/v1/docs/").content.decode()
    assert "swagger-ui" in html
    assert "/static/drf_spectacular_sidecar/" in html
    assert "cdn.jsdelivr.net" not in html


def test_a_logged_in_editor_browses_the_api_with_its_write_forms(admin_client):
    """The browsable API's forms offer related records by slug (their JSON is an object)."""
    response = admin_client.get("/api/v1/therapies/", HTTP_ACCEPT="text/html")
    assert response.status_code == 200
    page = response.content.decode()
    assert '<option value="monoclonal-antibodies"' in page
    assert ">Monoclonal antibodies</option>" in page


def test_me_with_a_session_has_no_token_and_matches_the_schema(admin_client):
    response = admin_client.get("/api/v1/me/")
    assert response.status_code == 200
    assert response.json() == {"username": "admin", "token": None}
