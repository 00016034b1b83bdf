"""The OpenAPI schema as a contract a generated client and a strict validator rely on: each
operation documents exactly the statuses it can answer (201 for a create, 204 without body for
a delete), the server's own responses validate under openapi-core (null references, sources
without a URL), and the words are for programmers: a description of the whole API, a summary,
a description and examples for every operation (each example valid by the schema), filters
described as parameters rather than form fields. Also: CSV exports keep the qualifiers' text.

Every response the other API tests get is checked against the schema too (tests/conftest.py,
`_api_responses_match_the_schema`)."""

import csv
import io
import json

import pytest
from django.test import Client
from openapi_core.datatypes import RequestParameters
from werkzeug.datastructures import Headers, ImmutableMultiDict

from catalog.models import Indication, Source

from .helpers import OpenAPIRequest, openapi, schema_errors

pytestmark = pytest.mark.django_db

API = "/api/v1/"
PROBLEM = "application/problem+json"
METHODS = {"get", "put", "post", "patch", "delete"}
EVERYWHERE = {400, 401, 406, 500, 503}  # bad parameters, bad credentials, Accept, bugs, no DB
READ = EVERYWHERE | {200, 304, 404, 429}
EXPECTED = {
    "list": READ,
    "retrieve": READ,
    "version": READ - {404},  # no record, no pages
    "me": READ - {404, 429},  # needs a login: not an anonymous read
    "changes": READ - {304},  # asked again every time; 404 for a token it never gave
    # Writes: 409 when another write held the database (SQLite), 429 past the per-account limit.
    "create": EVERYWHERE | {201, 403, 409, 415, 429},
    "update": EVERYWHERE | {200, 403, 404, 409, 412, 415, 428, 429},
    "partial_update": EVERYWHERE | {200, 403, 404, 409, 412, 415, 428, 429},
    "destroy": EVERYWHERE | {204, 403, 404, 409, 412, 428, 429},
}


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    with django_db_blocker.unblock():
        response = Client().get(f"{API}schema/?format=json")
    assert response.status_code == 200
    return response.json()


def operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield path, method, operation


def kind(path, operation):
    """list, retrieve, create, update, partial_update, destroy or version."""
    if path.endswith("/version/"):
        return "version"
    if path.endswith("/me/"):
        return "me"
    if path.endswith("/changes/"):
        return "changes"
    name = operation["operationId"]
    return "partial_update" if name.endswith("_partial_update") else name.rsplit("_", 1)[-1]


def component(schema, ref):
    return schema["components"]["schemas"][ref.rsplit("/", 1)[-1]]


# --- 1. status codes ----------------------------------------------------------------------


def test_each_operation_documents_exactly_the_statuses_it_can_answer(schema):
    seen = set()
    for path, method, operation in operations(schema):
        what = kind(path, operation)
        seen.add(what)
        documented = {int(status) for status in operation["responses"]}
        assert documented == EXPECTED[what], f"{method.upper()} {path} ({what})"
        for status, response in operation["responses"].items():
            assert response["description"], f"{method.upper()} {path} {status}: no description"
            if int(status) >= 400:
                assert list(response["content"]) == [PROBLEM], f"{method.upper()} {path} {status}"
    assert seen == set(EXPECTED)


def test_create_answers_201_with_the_record_and_delete_204_without_a_body(schema):
    for name, record in [("therapies", "Therapy"), ("conditions", "Condition")]:
        created = schema["paths"][f"{API}{name}/"]["post"]["responses"]["201"]
        assert created["content"]["application/json"]["schema"]["$ref"].endswith(f"/{record}")
        item = schema["paths"][f"{API}{name}/{{slug}}/"]
        assert "content" not in item["delete"]["responses"]["204"]
        for method in ("put", "patch"):
            changed = item[method]["responses"]["200"]["content"]["application/json"]
            assert changed["schema"]["$ref"].endswith(f"/{record}")


def test_changes_and_deletions_document_if_match_and_reads_their_validators(schema):
    for path, method, operation in operations(schema):
        headers = {p["name"]: p for p in operation.get("parameters", []) if p["in"] == "header"}
        if method in ("put", "patch", "delete"):
            assert headers["If-Match"]["required"] is True, f"{method.upper()} {path}"
            assert "412" in headers["If-Match"]["description"]
        else:
            assert "If-Match" not in headers
        if method == "get" and path.endswith("/changes/"):  # asked for anew every time
            assert "headers" not in operation["responses"]["200"]
        elif method == "get":
            for status in ("200", "304"):
                assert set(operation["responses"][status]["headers"]) == {"ETag", "Last-Modified"}
        for status in ("429", "503"):
            if status in operation["responses"]:
                retry = operation["responses"][status]["headers"]["Retry-After"]
                assert retry["schema"] == {"type": "integer"}


def test_request_bodies_are_documented_as_json_only(schema):
    """A generated client offered the same body as JSON, form data and multipart sent it as all
    three at once (a broken multipart request)."""
    for path, _method, operation in operations(schema):
        if "requestBody" in operation:
            assert list(operation["requestBody"]["content"]) == ["application/json"], path


def test_comma_separated_parameters_are_one_string_with_the_names_it_may_hold(schema, client):
    """`fields` and `ordering` take one comma-separated value: as an array, a generated client
    sends repeated keys (`fields=slug&fields=name`), and the API reads only the last."""
    parameters = {p["name"]: p for p in schema["paths"][f"{API}therapies/"]["get"]["parameters"]}
    for name in ("fields", "ordering"):
        assert parameters[name]["schema"]["type"] == "string"
        assert "explode" not in parameters[name]
    assert "`brand_names`" in parameters["fields"]["description"]
    assert "comma-separated" in parameters["fields"]["description"]
    repeated = client.get(f"{API}therapies/?fields=slug&fields=name&page_size=1")
    assert list(repeated.json()["results"][0]) == ["name"]  # why it is not an array
    one = client.get(f"{API}therapies/?fields=slug,name&page_size=1")
    assert list(one.json()["results"][0]) == ["slug", "name"]


# --- 3. the server's responses validate under a strict validator --------------------------


def test_class_level_indications_with_a_null_therapy_match_the_schema(client):
    response = client.get(f"{API}indications/?level=class&page_size=100")
    rows = response.json()["results"]
    assert rows and all(row["therapy"] is None and row["therapy_class"] for row in rows)
    agent = client.get(f"{API}indications/?level=agent&page_size=1").json()["results"]
    assert agent[0]["therapy_class"] is None and agent[0]["therapy"]["slug"]
    assert schema_errors("GET", f"{API}indications/", 200, response.headers, response.content) == []


def test_every_source_has_a_web_address_a_reader_can_open(client, schema):
    response = client.get(f"{API}sources/?page_size=100")
    urls = {row["slug"]: row["url"] for row in response.json()["results"]}
    assert len(urls) == Source.objects.count()
    assert all(url.startswith("https://") for url in urls.values()), urls
    assert schema_errors("GET", f"{API}sources/", 200, response.headers, response.content) == []


def test_the_response_check_rejects_what_the_schema_does_not_describe(client):
    """The check the other tests run on every API response is not vacuous."""
    response = client.get(f"{API}indications/?level=class&page_size=1")
    body = response.json()
    body["results"][0]["therapy_class"] = "interferons"  # a slug where an object belongs
    errors = schema_errors("GET", f"{API}indications/", 200, response.headers, json.dumps(body))
    assert errors and "therapy_class" in " ".join(errors)
    assert schema_errors("POST", f"{API}therapies/", 200, response.headers, response.content)
    problem = {"type": "about:blank", "title": "Not Found", "status": 404}  # no detail
    headers = {"Content-Type": PROBLEM}
    assert schema_errors("GET", f"{API}therapies/x/", 404, headers, json.dumps(problem))


# --- 4. words for programmers -------------------------------------------------------------


def test_the_description_covers_reads_writes_and_errors(schema):
    text = schema["info"]["description"]
    assert "Read-only" not in text
    for words in ["Authorization: Token", "If-Match", "201", "204", "problem+json", "cursor"]:
        assert words in text, words
    tags = {tag["name"]: tag["description"] for tag in schema["tags"]}
    assert set(tags) == {o["tags"][0] for _, _, o in operations(schema)}


def test_every_operation_has_a_summary_a_description_and_examples(schema):
    summaries = set()
    for path, method, operation in operations(schema):
        where = f"{method.upper()} {path}"
        assert operation.get("summary"), where
        assert len(operation.get("description", "")) > 80, where
        summaries.add(operation["summary"])
        ok = next(r for s, r in operation["responses"].items() if s in ("200", "201", "204"))
        if "content" in ok:
            assert ok["content"]["application/json"].get("examples"), f"{where}: no example"
        if "requestBody" in operation:
            assert operation["requestBody"]["content"]["application/json"]["examples"], where
        problems = [r for s, r in operation["responses"].items() if s >= "400"]
        assert any(r["content"][PROBLEM].get("examples") for r in problems), where
    assert len(summaries) == len(list(operations(schema)))  # each its own


def examples_of(content):
    for media_type, body in content.items():
        for name, example in body.get("examples", {}).items():
            yield media_type, name, example["value"]


def test_every_example_is_valid_by_the_schema(schema):
    checked = 0
    for path, method, operation in operations(schema):
        concrete = path.replace("{slug}", "rituximab")
        for status, response in operation["responses"].items():
            for media_type, name, value in examples_of(response.get("content", {})):
                headers = {"Content-Type": media_type}
                errors = schema_errors(method, concrete, int(status), headers, json.dumps(value))
                assert errors == [], f"{method.upper()} {path} {status} example {name!r}"
                checked += 1
        body = operation.get("requestBody", {}).get("content", {})
        for media_type, name, value in examples_of(body):
            request = OpenAPIRequest(
                method=method,
                path=concrete,
                content_type=media_type,
                body=json.dumps(value).encode(),
                parameters=RequestParameters(
                    query=ImmutableMultiDict(),
                    header=Headers({"Authorization": "Token x", "If-Match": '"x"'}),
                ),
            )
            errors = list(openapi().iter_request_errors(request))
            assert errors == [], f"{method.upper()} {path} request example {name!r}: {errors}"
            checked += 1
    assert checked > 50


def test_filters_are_described_for_programmers_not_as_a_form(schema):
    for path, _method, operation in operations(schema):
        for parameter in operation.get("parameters", []):
            description = parameter.get("description", "")
            assert not description.startswith("Type "), f"{path} {parameter['name']}"
    parameters = {p["name"]: p for p in schema["paths"][f"{API}indications/"]["get"]["parameters"]}
    condition = parameters["condition"]["description"]
    for words in ["slug", "name (any case)", "comma-separated", "sub-conditions", "400"]:
        assert words in condition, words
    q = {p["name"]: p for p in schema["paths"][f"{API}therapies/"]["get"]["parameters"]}["q"]
    assert q["description"] == (
        "Text to look for, in any case and anywhere, in the name, brand name or other name. "
        "Empty matches everything."
    )


def test_brand_names_is_described_and_is_the_brand_kind_of_other_names(schema, client):
    description = component(schema, "Therapy")["properties"]["brand_names"]["description"]
    assert "`other_names`" in description and "`brand`" in description
    for therapy in client.get(f"{API}therapies/?page_size=100").json()["results"]:
        brands = [n["name"] for n in therapy["other_names"] if n["kind"] == "brand"]
        assert therapy["brand_names"] == brands, therapy["slug"]


def csv_of(response):
    text = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(text)))


def exported(indication):
    """An indication as a CSV cell lists it: how the source puts it — the limits it sets."""
    terms = indication.get_qualifier_display()
    if indication.limits:
        terms += f" — {', '.join(indication.limits)}"
    return f"{indication.condition.slug} ({terms})"


def test_csv_exports_carry_the_qualifiers_text_with_each_indication(client):
    rows = csv_of(client.get(f"{API}indications/?format=csv&therapy=rituximab"))
    labels = {row["condition"]: row["qualifier_label"] for row in rows}
    assert labels["rheumatoid-arthritis"] == "When other agents have not worked"
    assert labels["non-hodgkins-lymphoma"] == "Used for"

    (row,) = csv_of(client.get(f"{API}therapies/?format=csv&q=rituximab&fields=slug,indications"))
    indications = Indication.objects.published().filter(therapy__slug="rituximab")
    assert sorted(row["indications"].split("; ")) == sorted(exported(i) for i in indications)
    assert (
        "rheumatoid-arthritis (When other agents have not worked — Moderately"
        in (row["indications"])
    )
