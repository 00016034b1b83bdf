"""The matrix (`/matrix/`): its cells, rows and columns, its filters (typed classes and a
category select, as on the lists) and its errors, and its pages of therapies in a large catalog.
How it reads (order, legend, the list for phones): tests/test_matrix_reading.py; in a browser:
tests/test_browser_matrix.py."""

import re

import pytest

from catalog.matrix import MAX_COLUMNS
from catalog.models import Condition, Indication, Therapy, TherapyClass

from .helpers import matrix_column_keys as column_keys
from .helpers import matrix_rows as rows
from .helpers import page_text

pytestmark = pytest.mark.django_db

ANTI_TNF = ["adalimumab", "certolizumab-pegol", "etanercept", "golimumab", "infliximab"]


def cell(response, condition, column):
    """[(level, qualifier text, link)] of one cell, by condition slug and column key."""
    index = column_keys(response).index(column)
    (row,) = [r for r in rows(response) if r.condition.slug == condition]
    return [(use.level, use.qualifier, use.url) for use in row.cells[index]]


def row_html(response, condition):
    match = re.search(
        rf'<tr[^>]*>\s*<th scope="row"><a href="/conditions/{condition}/">.*?</tr>',
        response.content.decode(),
        re.S,
    )
    assert match, condition
    return match.group(0)


def test_agent_level_use_with_link_to_the_therapy(client):
    response = client.get("/matrix/")
    assert response.status_code == 200
    uses = cell(response, "rheumatoid-arthritis", "tocilizumab")
    assert ("agent", "", "/therapies/tocilizumab/") in uses
    # and its class, monoclonal antibodies, "may help" as a whole
    assert (
        "class",
        "May help",
        "/conditions/rheumatoid-arthritis/#class-indications",
    ) in uses
    html = row_html(response, "rheumatoid-arthritis")
    assert '<a class="use use-agent" href="/therapies/tocilizumab/">Agent-level</a>' in html


def test_class_level_use_shows_for_every_agent_of_the_class(client):
    response = client.get("/matrix/")
    for slug in ANTI_TNF:
        uses = cell(response, "rheumatoid-arthritis", slug)
        assert ("agent", "", f"/therapies/{slug}/") in uses
        assert any(
            level == "class" and qualifier == "When conventional drugs fail"
            for level, qualifier, _ in uses
        ), slug
    assert "Class-level When conventional drugs fail" in page_text(response)


def test_classes_without_published_agents_get_a_column_of_their_own(client):
    response = client.get("/matrix/")
    keys = column_keys(response)
    assert "interferons" in keys and "colony-stimulating-factors" in keys
    # The article says interferons "have been used", not that they are (a label's word).
    assert cell(response, "kidney-cancer", "interferons") == [
        ("class", "Has been used for", "/conditions/kidney-cancer/#class-indications")
    ]
    assert cell(response, "kidney-cancer", "interleukin-2") == [
        ("agent", "May be effective", "/therapies/interleukin-2/")
    ]
    assert cell(response, "kidney-cancer", "rituximab") == []
    html = response.content.decode()
    assert (
        '<a href="/classes/interferons/">Interferons</a> <span class="meta">(class)</span>' in html
    )
    # the condition page carries the anchor the class-level cells link to
    assert 'id="class-indications"' in client.get("/conditions/kidney-cancer/").content.decode()


def test_sub_conditions_are_listed_under_their_parent(client):
    response = client.get("/matrix/")
    slugs = [row.condition.slug for row in rows(response)]
    leukemia = slugs.index("leukemia")
    assert slugs[leukemia + 1] == "chronic-lymphocytic-leukemia"
    (cll,) = [r for r in rows(response) if r.condition.slug == "chronic-lymphocytic-leukemia"]
    assert cll.parent.slug == "leukemia"
    assert re.search(
        r'<tr class="sub">\s*<th scope="row"><a href="/conditions/chronic-lymphocytic-leukemia/">',
        response.content.decode(),
    )
    assert cell(response, "chronic-lymphocytic-leukemia", "rituximab") == [
        ("agent", "", "/therapies/rituximab/")
    ]


def test_qualifier_text_is_shown(client):
    response = client.get("/matrix/")
    assert ("agent", "When other agents have not worked", "/therapies/rituximab/") in cell(
        response, "rheumatoid-arthritis", "rituximab"
    )
    assert "When other agents have not worked" in row_html(response, "rheumatoid-arthritis")


def test_table_semantics(client):
    html = client.get("/matrix/").content.decode()
    assert html.count("<table") == 1
    # The table's name is a heading above its scrolling region, so it is never cut off.
    assert '<h2 id="matrix-heading">Therapies used for each condition</h2>' in html
    assert "<caption" not in html
    assert re.search(
        r'<div class="matrix-scroll" tabindex="0" role="region" aria-label="[^"]+">\s*'
        r'<table class="matrix" aria-labelledby="matrix-heading">',
        html,
    )
    assert '<th scope="col" rowspan="2" class="corner">Condition</th>' in html
    assert '<th scope="colgroup" colspan="5"><a href="/classes/anti-tnf-therapy/">' in html
    assert '<th scope="colgroup" colspan="1"><a href="/classes/interferons/">' in html
    assert html.count('<th scope="rowgroup"') == 2
    assert html.count('<th scope="row">') == Condition.objects.published().count()
    published_columns = Therapy.objects.published().count() + 2  # two classes without agents
    assert html.count('<th scope="col"') == published_columns + 1  # and the corner
    assert "style=" not in html


@pytest.mark.parametrize(
    ("query", "columns", "conditions"),
    [
        ("therapy_class=anti-tnf-therapy", ANTI_TNF, None),
        ("therapy_class=interferons,interleukins", ["interferons", "interleukin-2"], None),
        (  # a class with no use after those with one
            "therapy_class=interferons&therapy_class=colony-stimulating-factors",
            ["interferons", "colony-stimulating-factors"],
            None,
        ),
        ("category=cancer", None, "cancer"),
        (
            "category=autoimmune-inflammatory&therapy_class=interferons",
            ["interferons"],
            "autoimmune-inflammatory",
        ),
    ],
)
def test_filters(client, query, columns, conditions):
    response = client.get(f"/matrix/?{query}")
    assert response.status_code == 200
    if columns:
        assert column_keys(response) == columns
    if conditions:
        assert {row.condition.category for row in rows(response)} == {conditions}
        expected = Condition.objects.published().filter(category=conditions).count()
        assert len(rows(response)) == expected


def test_drafts_are_absent(client):
    Therapy.objects.filter(slug="tocilizumab").update(status="draft")
    Condition.objects.filter(slug="chronic-lymphocytic-leukemia").update(status="draft")
    Condition.objects.filter(slug="inflammatory-bowel-disease").update(status="draft")
    response = client.get("/matrix/")
    html = response.content.decode()
    assert "tocilizumab" not in column_keys(response)
    assert "/therapies/tocilizumab/" not in html
    slugs = [row.condition.slug for row in rows(response)]
    assert "chronic-lymphocytic-leukemia" not in slugs
    # a draft parent hides its sub-conditions too
    assert not {"inflammatory-bowel-disease", "crohns-disease", "ulcerative-colitis"} & set(slugs)


@pytest.mark.parametrize(
    ("query", "columns"),
    [
        ("therapy_class=Anti-TNF+therapy", ANTI_TNF),
        # interleukins (used for cancers) before anti-TNF therapy: cancer rows come first
        ("therapy_class=anti-tnf+THERAPY,Interleukins", ["interleukin-2", *ANTI_TNF]),
        ("therapy_class=Interferons&therapy_class=interleukins", ["interferons", "interleukin-2"]),
        ("therapy_class=+interferons+", ["interferons"]),
    ],
)
def test_classes_are_typed_by_name_or_slug_as_on_the_lists(client, query, columns):
    response = client.get(f"/matrix/?{query}")
    assert response.status_code == 200
    assert column_keys(response) == columns
    html = response.content.decode()
    form = re.search(r'<form class="filters".*?</form>', html, re.S).group(0)
    field = re.search(r'<input [^>]*name="therapy_class"[^>]*>', form).group(0)
    assert 'type="search"' in field and 'data-suggest="class"' in field
    assert '<select name="therapy_class"' not in form
    hint = re.search(r'<small id="id_therapy_class_helptext">([^<]*)</small>', form).group(1)
    assert hint.startswith("Type a name.")
    # the category stays a short select
    assert re.search(r'<select name="category"[^>]*multiple>', form)


@pytest.mark.parametrize(
    ("query", "field", "name", "message"),
    [
        ("therapy_class=no-such-class", "Class", "therapy_class", "no-such-class"),
        ("therapy_class=interferons,nope", "Class", "therapy_class", "nope"),
        ("therapy_class=Rituximab", "Class", "therapy_class", "Rituximab"),  # not a class
        ("category=nope", "Condition category", "category", "nope"),
    ],
)
def test_bad_values_are_400_with_form_errors(client, query, field, name, message):
    response = client.get(f"/matrix/?{query}")
    assert response.status_code == 400
    html = response.content.decode()
    assert 'class="form-errors" role="alert"' in html
    assert f"{field}</a>:" in html
    message = (
        f"No class called “{message}”."
        if name == "therapy_class"
        else f"“{message}” is not one of the choices."  # as on the lists
    )
    assert f'<small id="id_{name}_error">{message}</small>' in html  # at the field
    assert "<table" not in html


def test_draft_class_is_a_bad_value(client):
    TherapyClass.objects.filter(slug="interferons").update(status="draft")
    for value in ["interferons", "Interferons"]:  # by slug or by name
        response = client.get(f"/matrix/?therapy_class={value}")
        assert response.status_code == 400
        assert f"No class called “{value}”." in response.content.decode()


@pytest.mark.slow
@pytest.mark.parametrize("size", [1, 30])
def test_query_count_does_not_grow_with_the_table(
    client, make_catalog, django_assert_max_num_queries, size
):
    for i in range(size):
        make_catalog(3, prefix=f"synth{i}")  # a class, three agents, a parent and a child
    with django_assert_max_num_queries(8):
        response = client.get("/matrix/")
    assert response.status_code == 200
    if 3 * size <= MAX_COLUMNS:
        assert len(rows(response)) == Condition.objects.published().count()
    else:  # a page of therapies: the conditions they are used for
        assert "showing therapies 1 to 60 of" in page_text(response)
    assert cell(response, "synth0-child", "synth0-00002") == [
        ("agent", "", "/therapies/synth0-00002/")
    ]


@pytest.fixture
def large_matrix(make_catalog, monkeypatch):
    """Three classes of three agents each (a parent and a child condition per class), and a
    matrix limited to four columns."""
    for i in range(3):
        make_catalog(3, prefix=f"big{i}")
    monkeypatch.setattr("catalog.matrix.MAX_COLUMNS", 4)


def row_names(response):
    return {row.condition.name for row in rows(response)}


def column_names(response):
    html = response.content.decode()
    head = html.split("<thead>")[1].split("</thead>")[0].split("</tr>")[1]
    return re.findall(r'<th scope="col">(?:<a href="[^"]+">)?([^<]+)', head)


def test_large_matrix_pages_its_therapies(client, large_matrix, django_assert_max_num_queries):
    published = Therapy.objects.published().order_by("therapy_class__name", "name", "pk")
    names = list(published.values_list("name", flat=True))
    with django_assert_max_num_queries(8):
        first = client.get("/matrix/")
    html = first.content.decode()
    assert column_names(first) == names[:4]
    assert f"showing therapies 1 to 4 of {len(names)}" in page_text(first)
    assert 'href="?columns=2"' in html
    # Only the conditions these therapies (or their classes) are used for are rows.
    used = set(
        Indication.objects.published()
        .filter(therapy__name__in=names[:4])
        .values_list("condition__name", flat=True)
    )
    assert used <= row_names(first)
    last_page = -(-len(names) // 4)
    last = client.get(f"/matrix/?columns={last_page}")
    assert column_names(last) == names[(last_page - 1) * 4 :]
    assert {"big2 parent", "big2 child"} <= row_names(last)
    assert "big0 parent" not in row_names(last)
    assert 'rel="prev"' in last.content.decode()


def test_large_matrix_keeps_filters_in_its_page_links(client, large_matrix):
    response = client.get("/matrix/?therapy_class=big1-class,big2-class&columns=2")
    assert column_names(response) == ["big2 therapy 00001", "big2 therapy 00002"]
    html = response.content.decode()
    assert 'href="?therapy_class=big1-class%2Cbig2-class&amp;columns=1"' in html


@pytest.mark.parametrize(
    ("query", "status"), [("columns=0", 400), ("columns=x", 400), ("columns=99", 404)]
)
def test_large_matrix_bad_pages(client, large_matrix, query, status):
    assert client.get(f"/matrix/?{query}").status_code == status


def test_a_cell_shows_the_limits_the_label_sets(client):
    response = client.get("/matrix/")
    index = column_keys(response).index("infliximab")
    (row,) = [r for r in rows(response) if r.condition.slug == "rheumatoid-arthritis"]
    (use,) = [u for u in row.cells[index] if u.level == "agent"]
    assert use.limits == "Moderately to severely active, with methotrexate"
    assert "(Moderately to severely active, with methotrexate)" in page_text(response)
