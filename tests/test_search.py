import re

import pytest

from catalog.models import Condition, ConditionCategory, SearchTerm, Therapy, TherapyName
from catalog.search import search
from catalog.text import normalise

from .helpers import page_text

pytestmark = pytest.mark.django_db


def top(query):
    """(group, title, why) of the best match of the first group that has one."""
    results = search(query)
    assert results.groups, f"nothing found for {query!r}"
    best = min(
        (matches[0] for _, _, matches, _ in results.groups), key=lambda r: (r.tier, -r.ratio)
    )
    return best.group, best.title, best.why


@pytest.mark.parametrize(
    ("query", "group", "title", "why"),
    [
        ("rituximab", "therapy", "Rituximab", "Name matches"),
        ("Rituxan", "therapy", "Rituximab", "Rituxan is a brand name of Rituximab"),
        ("rituxan", "therapy", "Rituximab", "Rituxan is a brand name of Rituximab"),
        ("ritux", "therapy", "Rituximab", "Name starts with your search"),
        ("IL-2", "therapy", "Interleukin-2", "IL-2 is an abbreviation of Interleukin-2"),
        ("il2", "therapy", "Interleukin-2", "IL-2 is an abbreviation of Interleukin-2"),
        ("interleukin 2", "therapy", "Interleukin-2", "Name matches"),
        (
            "Crohns",
            "condition",
            "Crohn's disease",
            "Crohns disease is another name of Crohn's disease",
        ),
        ("crohn's disease", "condition", "Crohn's disease", "Name matches"),
        ("tocilizumb", "therapy", "Tocilizumab", "Spelled like Tocilizumab"),
        ("Kaposi", "condition", "Kaposi's sarcoma", "Name starts with your search"),
        (
            "kaposi sarcoma",
            "condition",
            "Kaposi's sarcoma",
            "Kaposi sarcoma is another name of Kaposi's sarcoma",
        ),
        (
            "Crohns disease",
            "condition",
            "Crohn's disease",
            "Crohns disease is another name of Crohn's disease",
        ),
        ("kaposis", "condition", "Kaposi's sarcoma", "Name starts with your search"),
        ("KAPOSI\u2019S SARCOMA", "condition", "Kaposi's sarcoma", "Name matches"),
        (
            "CSFs",
            "class",
            "Colony stimulating factors",
            "CSFs is an abbreviation of Colony stimulating factors",
        ),
        ("antigen", "glossary", "Antigen", "Name matches"),
        (
            "biological therapy",
            "glossary",
            "Immunotherapy",
            "Biological therapy is another name of Immunotherapy",
        ),
    ],
)
def test_top_result_and_why(query, group, title, why):
    assert top(query) == (group, title, why)


def test_normalise_ignores_case_accents_and_punctuation():
    assert normalise("Crohn\u2019s Disease") == normalise("crohns-disease") == "crohnsdisease"
    assert normalise("Sjögren") == "sjogren"
    assert normalise("IL-2") == normalise("il 2") == "il2"


def test_ranking_exact_before_prefix_before_substring():
    results = {key: matches for key, _, matches, _ in search("interleukin").groups}
    # Exact glossary term, prefix therapy and class.
    assert results["glossary"][0].title == "Interleukin"
    assert results["glossary"][0].tier == 0
    assert [r.title for r in results["therapy"]] == ["Interleukin-2"]
    assert results["class"][0].title == "Interleukins"
    leukemia = {key: matches for key, _, matches, _ in search("leukemia").groups}["condition"]
    assert [r.title for r in leukemia] == ["Leukemia", "Chronic lymphocytic leukemia"]


def test_page_groups_results_by_type_with_why(client):
    response = client.get("/search/?q=interleukin")
    assert response.status_code == 200
    html = response.content.decode()
    headings = re.findall(r'<h2 id="group-(\w+)"', html)
    assert headings == ["therapy", "class", "glossary"]
    assert 'href="/therapies/interleukin-2/"' in html
    assert 'href="/glossary/#interleukin"' in html
    assert "Name starts with your search" in page_text(response)


def test_page_says_why_for_other_names(client):
    response = client.get("/search/?q=Rituxan")
    assert "Rituxan is a brand name of Rituximab" in page_text(response)
    assert 'href="/therapies/rituximab/"' in response.content.decode()


def test_empty_query_shows_form_and_hint(client):
    for url in ["/search/", "/search/?q=", "/search/?q=+++"]:
        response = client.get(url)
        assert response.status_code == 200
        html = response.content.decode()
        assert 'name="q"' in html
        assert "Case, accents and punctuation do not matter" in page_text(response)


def test_no_match(client):
    assert "Nothing matches" in page_text(client.get("/search/?q=zzzzzz"))


def test_over_long_query_is_a_400_in_the_site_design(client):
    response = client.get("/search/", {"q": "x" * 101})
    assert response.status_code == 400
    assert "<h1>Bad request</h1>" in response.content.decode()
    assert "100 characters" in page_text(response)
    assert client.get("/search/", {"q": "x" * 100}).status_code == 200


def test_drafts_are_absent(client):
    Therapy.objects.filter(slug="rituximab").update(status="draft")
    draft = Condition.objects.create(
        slug="draftitis", name="Draftitis", summary="s", category=ConditionCategory.CANCER
    )
    SearchTerm.objects.index([draft])
    assert SearchTerm.objects.filter(condition=draft).exists()
    assert search("rituximab").groups == []
    assert search("rituxan").groups == []  # its brand name is hidden with it
    assert search("draftitis").groups == []
    html = client.get("/search/?q=draftitis").content.decode()
    assert "Draftitis" not in html.split("<h1>")[1].split("Nothing matches")[0]


def test_child_of_draft_parent_is_absent():
    Condition.objects.filter(slug="inflammatory-bowel-disease").update(status="draft")
    assert search("crohns").groups == []


def test_header_form_points_at_search(client):
    html = client.get("/").content.decode()
    assert 'action="/search/"' in html
    assert '<label for="site-search-q">Search</label>' in html


@pytest.mark.parametrize("size", [5, 300])
def test_query_count_is_bounded(client, make_catalog, django_assert_max_num_queries, size):
    make_catalog(size)
    with django_assert_max_num_queries(8):
        response = client.get("/search/?q=synth therapy 00001")
    assert response.status_code == 200
    assert "synth therapy 00001" in page_text(response)


def test_brand_names_of_many_therapies_rank_exact_first(make_catalog):
    make_catalog(50)
    results = {key: matches for key, _, matches, _ in search("Brandsynth-00007").groups}
    first = results["therapy"][0]
    assert first.title == "synth therapy 00007"
    assert first.why == "Brandsynth-00007 is a brand name of synth therapy 00007"


def test_synonym_kind(db):
    therapy = Therapy.objects.get(slug="tocilizumab")
    TherapyName.objects.create(therapy=therapy, name="Atlizumab", kind="synonym")
    SearchTerm.objects.index([therapy])
    assert top("atlizumab") == ("therapy", "Tocilizumab", "Atlizumab is a synonym of Tocilizumab")
