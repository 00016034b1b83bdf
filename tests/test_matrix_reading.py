"""How the matrix (`/matrix/`) reads to a visitor: an order that puts filled cells on the first
screen (classes beside the category they are mostly used for, rows by their first filled
column), the legend, the list per condition that phones get instead of the table, its
breadcrumbs, and a form whose every label names a visible control (the page of therapies is
set by its links, a bad one a 400 saying so). The table's cells and filters:
tests/test_matrix.py; in a browser: tests/test_browser_matrix.py."""

import html as html_module
import re

import pytest

from .helpers import matrix_column_keys as column_keys
from .helpers import matrix_rows as rows
from .helpers import page_text

pytestmark = pytest.mark.django_db


# --- the first view: filled cells first, a legend -----------------------------------------------


def class_order(response):
    return [group.therapy_class.slug for group in response.context["matrix"]["groups"]]


def test_classes_sit_next_to_the_category_they_are_mostly_used_for(client):
    """Cancer comes first, so the classes used mostly for cancers lead the columns (not
    anti-TNF therapy, none of whose uses is a cancer); a class with no use comes last."""
    response = client.get("/matrix/")
    assert [s.value for s in response.context["matrix"]["sections"]] == [
        "cancer",
        "autoimmune-inflammatory",
    ]
    assert class_order(response) == [
        "interferons",  # five cancers
        "interleukins",  # kidney cancer and melanoma
        "anti-tnf-therapy",  # autoimmune and inflammatory disease
        "monoclonal-antibodies",  # four such uses against three cancer ones
        "colony-stimulating-factors",  # no use
    ]
    assert column_keys(response)[:3] == ["interferons", "interleukin-2", "adalimumab"]
    # The first rows have uses in the first columns.
    first = rows(response)[0]
    assert first.condition.slug == "kaposis-sarcoma"
    assert first.cells[0] and first.cells[0][0].qualifier == "Has been used for"


def test_rows_come_in_the_order_of_their_first_filled_column(client):
    """A staircase: in each category, conditions with a use in the first columns first, a
    parent with its sub-conditions, conditions with no use last; ties in name order."""
    response = client.get("/matrix/")
    cancer, autoimmune = response.context["matrix"]["sections"]
    assert [row.condition.slug for row in cancer.rows] == [
        "kaposis-sarcoma",
        "kidney-cancer",
        "leukemia",
        "chronic-lymphocytic-leukemia",
        "lymphoma",
        "non-hodgkins-lymphoma",
        "melanoma",
        "breast-cancer",  # trastuzumab only, a monoclonal antibody
    ]
    slugs = [row.condition.slug for row in autoimmune.rows]
    assert slugs[:3] == ["inflammatory-bowel-disease", "crohns-disease", "ulcerative-colitis"]
    assert slugs[-1] == "multiple-sclerosis"  # no use recorded
    html = response.content.decode()
    table = html.split('<table class="matrix"')[1].split("</table>")[0]
    names = re.findall(r'<th scope="row"><a href="/conditions/([^/]+)/">', table)
    assert names == [row.condition.slug for row in rows(response)]


def test_legend_says_what_levels_qualifiers_limits_and_empty_cells_mean(client):
    text = page_text(client.get("/matrix/"))
    legend = text.split("How to read it")[1].split("Therapies used for each condition")[0]
    for phrase in [
        "conditions are the rows (by category) and therapies the columns (by class)",
        "Agent-level The source names this therapy itself for the condition.",
        "Class-level The source says it of the therapy's class as a whole, so every therapy "
        "of the class shows it.",
        "how the source qualifies the use",
        "In brackets: the source's limits",
        "An empty cell The sources name no such use.",
    ]:
        assert phrase in legend, phrase


# --- the list per condition (phones) ------------------------------------------------------------


def condition_list(response, slug):
    """The phone list's uses of one condition, as text."""
    html = response.content.decode()
    listing = html.split('<div class="matrix-list">')[1]
    match = re.search(
        rf'<h4><a href="/conditions/{slug}/">.*?</h4>\s*(.*?)\s*(?=<h[34]>|</div>)', listing, re.S
    )
    assert match, slug
    items = re.findall(r"<li>(.*?)</li>", match.group(1), re.S) or [match.group(1)]
    return [" ".join(html_module.unescape(re.sub(r"<[^>]+>", "", i)).split()) for i in items]


def test_each_condition_lists_its_uses_with_brand_names_for_phones(client):
    response = client.get("/matrix/")
    uses = condition_list(response, "rheumatoid-arthritis")
    assert uses[0] == (
        "Anti-TNF therapy (the whole class) — Class-level, when conventional drugs fail "
        "(Drugs.com counts it among the most effective treatments)"
    )
    assert "Adalimumab (Humira) — Agent-level (Moderately to severely active, adults)" in uses
    (rituximab,) = [u for u in uses if u.startswith("Rituximab")]
    assert rituximab.startswith("Rituximab (Rituxan) — Agent-level, when other agents have not")
    # a class-level use once, not once per agent of the class
    assert sum(u.startswith("Anti-TNF therapy") for u in uses) == 1
    assert condition_list(response, "multiple-sclerosis") == ["No use among these therapies."]
    # The list keeps the name order, conditions with a use first.
    list_sections = response.context["matrix"]["list_sections"]
    assert [row.condition.slug for row in list_sections[0].rows][:2] == [
        "breast-cancer",
        "kaposis-sarcoma",
    ]
    assert list_sections[1].rows[-1].condition.slug == "multiple-sclerosis"
    html = response.content.decode()
    assert '<a href="/therapies/adalimumab/">Adalimumab (Humira)</a>' in html
    assert '<a href="/classes/anti-tnf-therapy/">Anti-TNF therapy</a> (the whole class)' in html


# --- the page around it -------------------------------------------------------------------------


def test_breadcrumbs_are_home_then_matrix(client):
    html = client.get("/matrix/").content.decode()
    trail = re.search(r'<nav aria-label="Breadcrumb".*?</nav>', html, re.S).group(0)
    assert re.findall(r'<a href="([^"]+)"[^>]*>([^<]+)</a>', trail) == [
        ("/", "Home"),
        ("/matrix/", "Matrix"),
    ]
    assert '<a href="/matrix/" aria-current="page">Matrix</a>' in trail


@pytest.mark.parametrize(
    "query", ["", "category=cancer", "therapy_class=nope", "columns=x", "columns=0"]
)
def test_every_label_names_a_visible_control(client, query):
    """No label points at a hidden input (the Nu HTML Checker's error): the page of therapies
    is set by the page links, not by the filter form."""
    html = client.get(f"/matrix/?{query}").content.decode()
    labels = re.findall(r'<label for="([^"]+)">([^<]*)</label>', html)
    assert labels
    for target, text in labels:
        control = re.search(rf'<(input|select|textarea)\b[^>]*\bid="{target}"[^>]*>', html)
        assert control, f"label {text!r} points at no control"
        assert 'type="hidden"' not in control.group(0), f"label {text!r} names a hidden input"
    assert "Page of therapies" not in html
    assert 'name="columns"' not in html


@pytest.mark.parametrize("query", ["columns=x", "columns=0", "columns=1.5"])
def test_a_bad_page_of_therapies_is_a_400_saying_what_to_type(client, query):
    response = client.get(f"/matrix/?category=cancer&{query}")
    assert response.status_code == 400
    text = page_text(response)
    assert (
        "This page of therapies could not be shown: The page of therapies must be a whole "
        "number from 1. Go to the first page of therapies" in text
    )
    html = response.content.decode()
    assert 'role="alert"' in html
    assert '<a href="?category=cancer">Go to the first page of therapies</a>' in html
    assert "<table" not in html
