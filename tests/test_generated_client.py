"""A consumer's client, generated from the live /api/v1/schema/ by openapi-python-client, drives
the live server: reads with filters, a cursor walk over everything, and an editor's session
(create a draft with a token, change it with If-Match, a 412 on a stale ETag, publish, delete).
The client raises on any status the schema does not document, parses every body with the models
generated from the schema, and every response is also checked against the schema with
openapi-core."""

import importlib
import json
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from django.contrib.auth.models import Group, User

from catalog.models import Therapy

from .helpers import schema_errors

pytestmark = pytest.mark.django_db(transaction=True)

PACKAGE = "immunosite_api_client"
BIN = Path(sys.executable).parent
GENERATE = ["generate", "--path", "schema.json", "--output-path", PACKAGE, "--meta", "none"]


@pytest.fixture
def schema(live_catalog):
    response = httpx.get(f"{live_catalog.url}/api/v1/schema/?format=json")
    assert response.status_code == 200
    return response.json()


@pytest.fixture
def generated(schema, tmp_path):
    """The client package generated from the served schema, imported."""
    (tmp_path / "schema.json").write_text(json.dumps(schema))
    result = subprocess.run(
        [BIN / "openapi-python-client", *GENERATE],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        # ruff (the venv's) formats the generated code; without it the tool warns.
        env={**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"},
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "Warning" not in output and "Error" not in output, output
    sys.path.insert(0, str(tmp_path))
    try:
        modules = {
            name: importlib.import_module(f"{PACKAGE}.{name}")
            for name in [
                "client",
                "models",
                "api.therapies.therapies_list",
                "api.therapies.therapies_retrieve",
                "api.therapies.therapies_create",
                "api.therapies.therapies_partial_update",
                "api.therapies.therapies_destroy",
                "api.indications.indications_list",
                "api.sources.sources_list",
                "api.version.version_retrieve",
            ]
        }
        yield type("Generated", (), {k.rsplit(".", 1)[-1]: v for k, v in modules.items()})
    finally:
        sys.path.remove(str(tmp_path))
        for name in [m for m in sys.modules if m == PACKAGE or m.startswith(f"{PACKAGE}.")]:
            del sys.modules[name]


class SchemaCheck:
    """An httpx response hook: every response the generated client gets, checked against the
    schema (openapi-core), problem+json bodies included. Also keeps the clients, to close
    them (their keep-alive connections) before the live server stops."""

    def __init__(self):
        self.errors = []
        self.seen = []
        self.clients = []

    def __call__(self, response):
        response.read()
        request = response.request
        self.seen.append((request.method, response.status_code))
        self.errors += schema_errors(
            request.method,
            request.url.path,
            response.status_code,
            response.headers,
            response.content,
        )


@pytest.fixture
def checked():
    check = SchemaCheck()
    yield check
    for client in check.clients:
        client.get_httpx_client().close()
    assert not check.errors, "\n".join(check.errors)


def public_client(generated, live_catalog, checked):
    client = generated.client.Client(
        base_url=live_catalog.url,
        raise_on_unexpected_status=True,
        httpx_args={"event_hooks": {"response": [checked]}},
    )
    checked.clients.append(client)
    return client


def token_client(generated, live_catalog, checked, authorization):
    client = generated.client.AuthenticatedClient(
        base_url=live_catalog.url,
        token=authorization,
        prefix="",  # `authorization` is the whole header value
        raise_on_unexpected_status=True,
        httpx_args={"event_hooks": {"response": [checked]}},
    )
    checked.clients.append(client)
    return client


def cursor_of(url):
    return parse_qs(urlsplit(url).query)["cursor"][0]


def test_a_generated_client_reads_filtered_lists_and_walks_every_cursor_page(
    generated, live_catalog, checked
):
    api = public_client(generated, live_catalog, checked)
    models = generated.models

    response = generated.therapies_list.sync_detailed(
        client=api,
        therapy_class=["monoclonal-antibodies", "anti-tnf-therapy"],
        condition=["psoriasis"],
        fields="slug,brand_names",
    )
    assert response.status_code == 200
    page = response.parsed
    assert isinstance(page, models.PaginatedTherapyList)
    assert [(t.slug, t.brand_names) for t in page.results] == [
        ("adalimumab", ["Humira"]),
        ("certolizumab-pegol", ["Cimzia"]),
        ("etanercept", ["Enbrel"]),
        ("infliximab", ["Remicade"]),
    ]
    assert page.meta.filters.additional_properties == {
        "therapy_class": ["monoclonal-antibodies", "anti-tnf-therapy"],
        "condition": ["psoriasis"],
    }
    assert response.headers["ETag"] and response.headers["Last-Modified"]

    # Every published therapy, two at a time, by cursor: each once, in name order.
    walked, cursor = [], ""
    while cursor is not None:
        response = generated.therapies_list.sync_detailed(client=api, cursor=cursor, page_size=2)
        assert response.status_code == 200
        walked += [therapy.slug for therapy in response.parsed.results]
        following = response.parsed.next_  # `next` in the JSON
        cursor = cursor_of(following) if following else None
    published = Therapy.objects.published().order_by("name")
    assert walked == list(published.values_list("slug", flat=True))
    assert response.parsed.count == len(walked) > 2

    # Class-level indications: no therapy (null), the class as an object.
    response = generated.indications_list.sync_detailed(
        client=api, level=models.IndicationsListLevel.CLASS, therapy_class=["interferons"]
    )
    assert response.status_code == 200
    indications = response.parsed.results
    assert indications and all(i.therapy is None for i in indications)
    assert {i.therapy_class.slug for i in indications} == {"interferons"}
    assert {i.qualifier_label for i in indications} == {"Has been used for"}  # the article's

    # Every source links to what it cites.
    sources = generated.sources_list.sync_detailed(client=api).parsed.results
    assert sources and all(s.url.startswith("https://") for s in sources)

    # A bad filter value: a 400 problem the client parses, naming the parameter.
    response = generated.therapies_list.sync_detailed(client=api, therapy_class=["no-such"])
    assert response.status_code == 400
    problem = response.parsed
    assert isinstance(problem, models.Problem)
    assert [p.name for p in problem.invalid_params] == ["therapy_class"]
    assert "no-such" in problem.detail

    version = generated.version_retrieve.sync_detailed(client=api)
    assert version.status_code == 200 and version.parsed.api_version == "1.0.0"
    assert checked.seen and all(status in (200, 400) for _, status in checked.seen)


def test_a_generated_client_creates_changes_publishes_and_deletes_a_therapy(
    generated, live_catalog, checked, api_token, schema
):
    models = generated.models
    editor = User.objects.create_user("editor", password="x", is_staff=True)
    editor.groups.add(Group.objects.get(name="Editors"))
    chief = User.objects.create_superuser("chief", password="x")
    as_editor = token_client(generated, live_catalog, checked, api_token(editor))
    as_chief = token_client(generated, live_catalog, checked, api_token(chief))
    public = public_client(generated, live_catalog, checked)

    def etag(client):
        response = generated.therapies_retrieve.sync_detailed("newumab", client=client)
        assert response.status_code == 200
        return response.headers["ETag"]

    # Create: a 201 with the new record, a draft.
    body = models.TherapyRequest(
        slug="newumab",
        name="Newumab",
        therapy_class="monoclonal-antibodies",
        summary="A new monoclonal antibody.",
        sources=["drugscom-immunotherapy"],
    )
    response = generated.therapies_create.sync_detailed(client=as_editor, body=body)
    assert response.status_code == 201
    created = response.parsed
    assert isinstance(created, models.Therapy)
    assert (created.slug, created.status, created.published_at) == (
        "newumab",
        models.StatusEnum.DRAFT,
        None,
    )
    assert created.therapy_class.slug == "monoclonal-antibodies"
    response = generated.therapies_retrieve.sync_detailed("newumab", client=public)
    assert response.status_code == 404 and isinstance(response.parsed, models.Problem)

    # Change with the ETag of a GET; the same ETag again is stale: 412.
    stale = etag(as_editor)
    change = models.PatchedTherapyRequest(summary="Changed.")
    response = generated.therapies_partial_update.sync_detailed(
        "newumab", client=as_editor, body=change, if_match=stale
    )
    assert response.status_code == 200
    assert response.parsed.summary == "Changed."
    response = generated.therapies_partial_update.sync_detailed(
        "newumab",
        client=as_editor,
        body=models.PatchedTherapyRequest(summary="Again."),
        if_match=stale,
    )
    assert response.status_code == 412
    problem = response.parsed
    assert isinstance(problem, models.Problem) and problem.status == 412
    examples = schema["paths"]["/api/v1/therapies/{slug}/"]["patch"]["responses"]["412"]
    (example,) = examples["content"]["application/problem+json"]["examples"].values()
    assert problem.detail == example["value"]["detail"]  # the schema shows what comes
    assert Therapy.objects.get(slug="newumab").summary == "Changed."

    # Publish (Editors may): public from then on.
    response = generated.therapies_partial_update.sync_detailed(
        "newumab",
        client=as_editor,
        body=models.PatchedTherapyRequest(status=models.StatusEnum.PUBLISHED),
        if_match=etag(as_editor),
    )
    assert response.status_code == 200
    assert response.parsed.status == models.StatusEnum.PUBLISHED
    assert response.parsed.published_at is not None
    response = generated.therapies_retrieve.sync_detailed("newumab", client=public)
    assert response.status_code == 200 and response.parsed.summary == "Changed."

    # Editors may not delete: a 403 problem. The chief editor may: 204, no body.
    response = generated.therapies_destroy.sync_detailed(
        "newumab", client=as_editor, if_match=etag(as_editor)
    )
    assert response.status_code == 403 and isinstance(response.parsed, models.Problem)
    response = generated.therapies_destroy.sync_detailed(
        "newumab", client=as_chief, if_match=etag(as_chief)
    )
    assert (response.status_code, response.content, response.parsed) == (204, b"", None)
    assert not Therapy.objects.filter(slug="newumab").exists()
    response = generated.therapies_retrieve.sync_detailed("newumab", client=public)
    assert response.status_code == 404 and response.parsed.title == "Not Found"
    assert {status for _, status in checked.seen} == {200, 201, 204, 403, 404, 412}
