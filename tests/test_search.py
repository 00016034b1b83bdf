import re
from html import unescape

import pytest

from catalog.models import (
    Condition,
    ConditionCategory,
    SearchTerm,
    Therapy,
    TherapyClass,
    TherapyName,
)
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


def best_match_block(response):
    """The text of the page's "Best match" block, or None."""
    html = response.content.decode()
    found = re.search(r'<section class="best-match".*?</section>', html, re.S)
    if not found:
        return None
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", found.group(0))).split())


def test_a_brand_name_leads_the_results_as_the_best_match(client):
    for text in ["Rituxan", "RITUXAN", "rítuxan"]:
        response = client.get("/search/", {"q": text})
        assert response.status_code == 200  # no redirect: the other results stay in reach
        block = best_match_block(response)
        assert block == (
            "Best match Rituximab Therapy Rituxan is a brand name of Rituximab "
            + Therapy.objects.get(slug="rituximab").summary
        ), text
        html = response.content.decode()
        assert '<h3><a href="/therapies/rituximab/">Rituximab</a></h3>' in html
        assert html.index('id="best-match"') < html.index('id="group-therapy"')


@pytest.mark.parametrize(
    ("text", "leads"),
    [
        ("IL-2", "Best match Interleukin-2 Therapy IL-2 is an abbreviation of Interleukin-2"),
        ("ra", "Best match Rheumatoid arthritis Condition RA is another name of Rheumatoid"),
        ("CSFs", "Best match Colony stimulating factors Therapy class CSFs is an abbreviation"),
        ("crohn's disease", "Best match Crohn's disease Condition"),
    ],
)
def test_an_abbreviation_other_name_or_own_name_is_the_best_match(client, text, leads):
    block = best_match_block(client.get("/search/", {"q": text}))
    assert block.startswith(leads), block


def test_a_part_of_a_name_has_no_best_match(client):
    response = client.get("/search/?q=ritux")
    assert best_match_block(response) is None
    assert "Name starts with your search" in page_text(response)


def test_records_sharing_a_name_are_all_best_matches(client):
    therapy = Therapy.objects.get(slug="interleukin-2")
    TherapyName.objects.create(therapy=therapy, name="Interleukin", kind="synonym")
    SearchTerm.objects.index([therapy])
    block = best_match_block(client.get("/search/?q=interleukin"))
    # Own names first, then other names.
    assert block.startswith("Best matches Interleukin Glossary term A biological therapy")
    assert "Interleukin-2 Therapy Interleukin is a synonym of Interleukin-2" in block


def test_the_type_ahead_suggests_the_best_match_first(client):
    body = client.get("/search/suggest/", {"q": "Rituxan"}).json()
    assert body["suggestions"][0]["label"] == "Rituximab"
    assert body["suggestions"][0]["why"] == "Rituxan is a brand name of Rituximab"


def test_no_results_suggest_a_spelling_and_list_what_to_browse(client):
    response = client.get("/search/?q=humria")
    assert response.status_code == 200
    html = response.content.decode()
    text = page_text(response)
    assert "No results for “humria”" in text
    assert 'Did you mean <a href="/search/?q=Humira">Humira</a>?' in html
    assert "Check the spelling, or try a brand name" in text
    browse = html.split('id="no-results"')[1]
    assert '<a href="/classes/monoclonal-antibodies/">Monoclonal antibodies</a>' in browse
    assert '<a href="/conditions/rheumatoid-arthritis/">Rheumatoid arthritis</a>' in browse
    # Top-level conditions only; their sub-conditions are on their pages.
    assert "/conditions/crohns-disease/" not in browse
    assert "best-match" not in html


def test_a_misspelt_word_of_a_name_is_suggested_in_plain_letters(client):
    response = client.get("/search/?q=crhons")
    assert "No results for “crhons”" in page_text(response)
    assert 'Did you mean <a href="/search/?q=crohns">crohns</a>?' in response.content.decode()
    assert client.get("/search/?q=crohns").context["results"].groups  # and it finds something


def test_misspelling_results_say_did_you_mean(client):
    response = client.get("/search/?q=rituximb")
    text = page_text(response)
    assert "Did you mean Rituximab ?" in text
    assert "Nothing is called “rituximb”: 1 name spelled like it." in text
    assert "Spelled like Rituximab" in text


def test_no_results_without_a_close_spelling_suggest_none(client):
    text = page_text(client.get("/search/?q=zzzzzz"))
    assert "No results for “zzzzzz”" in text
    assert "Did you mean" not in text
    assert "Monoclonal antibodies" in text


def test_no_results_leave_out_drafts_and_cap_what_to_browse(
    client, make_catalog, django_assert_max_num_queries
):
    for n in range(30):
        TherapyClass.objects.create(
            slug=f"class-{n:02d}", name=f"Class {n:02d}", summary="s", action="stimulates",
            status="published",
        )  # fmt: skip
    TherapyClass.objects.filter(slug="interferons").update(status="draft")
    make_catalog(300)
    with django_assert_max_num_queries(9):
        response = client.get("/search/?q=zzqqxxw")
    html = response.content.decode()
    browse = html.split('id="no-results"')[1]
    assert browse.count('<li><a href="/classes/') == 24
    assert '<a href="/classes/">All classes of therapy</a>' in browse
    assert "Interferons" not in browse
    assert '<a href="/conditions/synth-parent/">synth parent</a>' in browse
    assert "synth-child" not in browse


def test_search_page_breadcrumbs_are_home_then_search(client):
    for url in ["/search/", "/search/?q=rituxan"]:
        html = client.get(url).content.decode()
        crumbs = html.split('<nav aria-label="Breadcrumb"')[1].split("</nav>")[0]
        assert re.findall(r'<a href="([^"]+)"[^>]*>([^<]+)</a>', crumbs) == [
            ("/", "Home"),
            ("/search/", "Search"),
        ]
        assert '<a href="/search/" aria-current="page">Search</a>' in crumbs


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
    assert "No results for “draftitis”" in html
    assert "Draftitis" not in html.split("<h1>")[1].replace("“draftitis”", "")


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
