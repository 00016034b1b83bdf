"""catalog/params.py: one reading of comma-separated and blank query-string values, and the pages,
their download links and the API reading them alike."""

import html
import re
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.http import QueryDict

from catalog.params import comma_separated, given, is_blank, parts

from .helpers import listed_slugs, problem


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("a", ["a"]),
        (" a , b ,,", ["a", "b"]),
        ("Melanoma, stage II", ["Melanoma", "stage II"]),
        (",", []),
        (" \u00a0, ", []),  # a no-break space is a blank too
        ("", []),
    ],
)
def test_a_value_splits_at_commas_without_blanks(value, expected):
    assert parts(value) == expected


def test_blank_and_given_values():
    query = QueryDict("a=&b=,&c=+&d=x,&d=&e=y")
    assert [name for name in "abcdef" if is_blank(query, name)] == ["a", "b", "c"]
    assert comma_separated(query, "d") == ["x"]
    assert given(query, ["a", "d", "e", "f"]) == [("d", "x,"), ("e", "y")]


BLANKS = "therapy_class=+,+&action=&ordering=,&q="


@pytest.mark.django_db
def test_blank_values_read_alike_on_pages_links_and_api(client, article):
    """The page ignores blank filters, its API and download links leave them out (so the links
    work), and the API itself refuses them, naming each."""
    page = client.get(f"/therapies/?{BLANKS}")
    assert page.status_code == 200
    assert listed_slugs(page) == listed_slugs(client.get("/therapies/"))
    links = re.findall(r'href="(/api/v1/therapies/[^"]*)"', page.content.decode())
    queries = [parse_qsl(urlsplit(html.unescape(href)).query) for href in links]
    assert queries == [[("format", "csv")], [("format", "jsonl")], []]
    body = problem(client.get(f"/api/v1/therapies/?{BLANKS}"), 400)
    reason = "Empty: give a value, or leave the parameter out."
    assert body["invalid_params"] == [
        {"name": name, "reason": reason} for name in ["therapy_class", "action", "ordering"]
    ]
