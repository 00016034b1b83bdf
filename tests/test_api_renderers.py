"""The API's JSON as orjson writes it (catalog/api/renderers.py): the bytes REST framework's own
renderer writes for the same data, on every kind of response a consumer reads, with the line
and paragraph separators escaped, and indented when the client asks."""

import json

import pytest
from rest_framework.renderers import JSONRenderer as RestFrameworkJSONRenderer

from catalog.models import Therapy

pytestmark = pytest.mark.django_db

RESPONSES = [
    "/api/v1/",
    "/api/v1/therapies/",
    "/api/v1/therapies/?condition=rheumatoid-arthritis&facets=therapy_class,condition,action",
    "/api/v1/therapies/rituximab/",
    "/api/v1/conditions/?page_size=50",
    "/api/v1/indications/",
    "/api/v1/changes/",
    "/api/v1/version/",
    "/api/v1/therapies/?therapy_class=no-such-class",  # a problem (400)
    "/api/v1/therapies/no-such-therapy/",  # a problem (404)
]


@pytest.mark.parametrize("url", RESPONSES)
def test_the_api_writes_the_json_rest_framework_would(client, url):
    response = client.get(url)
    assert response["Content-Type"] in ("application/json", "application/problem+json")
    data = json.loads(response.content)
    assert data, url
    assert response.content == RestFrameworkJSONRenderer().render(data)


def test_line_and_paragraph_separators_in_text_are_escaped(client):
    Therapy.objects.filter(slug="rituximab").update(summary="One\u2028two\u2029three é")
    response = client.get("/api/v1/therapies/rituximab/")
    assert b"One\\u2028two\\u2029three \xc3\xa9" in response.content  # é as UTF-8, not escaped
    assert "\u2028".encode() not in response.content
    assert response.json()["summary"] == "One\u2028two\u2029three é"


def test_a_client_asking_for_indented_json_gets_it(client):
    response = client.get("/api/v1/version/", HTTP_ACCEPT="application/json; indent=4")
    assert response.content.startswith(b'{\n    "')
    assert response.json() == client.get("/api/v1/version/").json()
