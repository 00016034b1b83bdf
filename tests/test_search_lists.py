"""The lists' `q` (`/therapies/?q=`, `/api/v1/therapies/?q=` and the other lists) matches names
through the search index, as `/search/` does: case, accents, punctuation and full-width letters
do not matter, and every word starting a word of a name matches; whatever search finds by name,
the list finds. The glossary's `q` also looks in definitions."""

import html
import re

import pytest

from catalog.models import Therapy
from catalog.search import search

from .helpers import api_slugs, listed_slugs, page_text

pytestmark = pytest.mark.django_db

# Search's groups and the lists of the same records: (page, API list).
LISTS = {
    "therapy": ("/therapies/", "/api/v1/therapies/"),
    "class": ("/classes/", "/api/v1/therapy-classes/"),
    "condition": ("/conditions/", "/api/v1/conditions/"),
    "glossary": ("/glossary/", "/api/v1/glossary/"),
}


def page_and_api(client, group, text):
    """The page for `?q=text` and the slugs the API lists, checking the page lists the same."""
    page_url, api_url = LISTS[group]
    page = client.get(page_url, {"q": text})
    api = client.get(api_url, {"q": text, "page_size": 100})
    assert page.status_code == 200 and api.status_code == 200, (group, text)
    if group == "glossary":  # a definition list of terms
        page_slugs = re.findall(r'<dt id="([\w-]+)">', page.content.decode())
    else:
        page_slugs = listed_slugs(page)
    slugs = api_slugs(api)
    assert sorted(page_slugs) == sorted(slugs), (group, text)
    assert api.json()["count"] == len(slugs)
    return page, slugs


@pytest.mark.parametrize(
    ("group", "text", "expected", "count"),
    [
        ("therapy", "il2", ["interleukin-2"], "1 therapy found."),  # the abbreviation IL-2
        ("therapy", "rítuximab", ["rituximab"], "1 therapy found."),
        ("therapy", "\uff52\uff49\uff54\uff55\uff58\uff49\uff4d\uff41\uff42", ["rituximab"], None),
        ("therapy", "Rituxan", ["rituximab"], "1 therapy found."),  # a brand name
        ("therapy", "HERCEPTIN", ["trastuzumab"], "1 therapy found."),
        ("class", "csf's", ["colony-stimulating-factors"], None),  # an abbreviation
        ("condition", "crohns", ["crohns-disease"], None),  # its other name
        ("condition", "CROHN\u2019S", ["crohns-disease"], None),  # a curly apostrophe
        ("condition", "arthritis rheum", ["rheumatoid-arthritis"], None),  # words start words
        ("condition", "kaposis", ["kaposis-sarcoma"], None),
        (
            "glossary",
            "biological response modifier therapy",
            ["immunotherapy"],
            None,
        ),  # also called
    ],
)
def test_list_q_finds_names_as_search_does_on_pages_and_api(client, group, text, expected, count):
    page, slugs = page_and_api(client, group, text)
    assert slugs == expected
    if count:
        assert count in page_text(page)
    # The box keeps what was typed (escaped, however the escaping spells an apostrophe).
    box = re.search(r'<input type="text" name="q" value="([^"]*)"', page.content.decode())
    assert box and html.unescape(box.group(1)) == text


def test_list_q_finds_whatever_search_finds_by_name(client):
    texts = [
        "ritux", "IL-2", "interleukin 2", "mab", "leuk", "lymphoma", "non hodgkin", "CSFs",
        "anti tnf", "antigen", "cell", "in", "a", "2",
    ]  # fmt: skip
    checked = 0
    for text in texts:
        for group, _, _, _ in search(text).groups:
            found = {r.slug for r in search(text, groups=[group], limit=1000).groups[0][2]}
            _, slugs = page_and_api(client, group, text)
            assert found <= set(slugs), (group, text, found - set(slugs))
            checked += 1
    assert checked > 20


def test_short_texts_match_at_the_start_of_a_word_on_search_and_lists(client):
    _, slugs = page_and_api(client, "condition", "ar")
    assert slugs == ["psoriatic-arthritis", "rheumatoid-arthritis"]
    found = {key: [r.slug for r in matches] for key, _, matches, _ in search("ar").groups}
    assert sorted(found["condition"]) == slugs
    # "ma" is inside Rituximab and Trastuzumab, at the start of none of their words.
    _, slugs = page_and_api(client, "therapy", "ma")
    assert slugs == []
    assert "therapy" not in {key for key, _, _, _ in search("ma").groups}


def test_a_text_never_runs_from_inside_one_word_into_the_next(client):
    """ "car-t" is in "psoriati-c art-hritis" letter for letter, across a word boundary: not a
    match, on search or the lists; "art" at the start of "arthritis" is."""
    page, slugs = page_and_api(client, "condition", "car-t")
    assert slugs == []
    assert "Psoriatic arthritis" not in page_text(page)
    assert search("car-t").groups == []
    _, slugs = page_and_api(client, "condition", "art")
    assert slugs == ["psoriatic-arthritis", "rheumatoid-arthritis"]
    found = {key: [r.title for r in matches] for key, _, matches, _ in search("art").groups}
    assert sorted(found["condition"]) == ["Psoriatic arthritis", "Rheumatoid arthritis"]
    # Four letters or more may also sit inside a word, and a text may run on from the start
    # of one word into the next.
    assert page_and_api(client, "therapy", "tuxim")[1] == ["rituximab"]
    assert page_and_api(client, "therapy", "il2")[1] == ["interleukin-2"]
    assert page_and_api(client, "condition", "psoriaticart")[1] == ["psoriatic-arthritis"]


def test_list_q_with_nothing_to_compare_matches_no_name(client):
    page, slugs = page_and_api(client, "therapy", "-")
    assert slugs == []
    assert "0 therapies found." in page_text(page)


def test_glossary_q_also_searches_definitions_with_accents_and_full_width_letters(client):
    # "infection" is in these two definitions only, and in neither term.
    for text in [
        "infection",
        "ÍNFECTIÓN",
        "\uff49\uff4e\uff46\uff45\uff43\uff54\uff49\uff4f\uff4e",
    ]:
        _, slugs = page_and_api(client, "glossary", text)
        assert slugs == ["inflammation", "white-blood-cell"], text


def test_list_q_hides_drafts_found_by_name(client):
    Therapy.objects.filter(slug="rituximab").update(status="draft")
    for text in ["rítuximab", "Rituxan"]:
        page, slugs = page_and_api(client, "therapy", text)
        assert slugs == []
        assert "0 therapies found." in page_text(page)
