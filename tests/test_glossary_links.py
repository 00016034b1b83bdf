"""Glossary terms linked on first use (catalog/glossary_links.py), and on the drug pages."""

import pytest

from catalog.glossary_links import link_terms, patterns
from catalog.models import GlossaryTerm

from .helpers import page_text

TERMS = [
    ("monoclonal-antibody", ["Monoclonal antibody"]),
    ("antibody", ["Antibody"]),
    ("anti-tnf-medicine", ["Anti-TNF medicine", "Anti-TNF", "TNF blocker"]),
    ("b-cell", ["B cell", "B lymphocyte", "B cells"]),
]


def test_the_first_use_of_each_term_links_to_its_entry_plurals_included():
    html = link_terms("Monoclonal antibodies are antibodies. More antibodies.", TERMS)
    assert html == (
        '<a class="term" href="/glossary/#monoclonal-antibody">Monoclonal antibodies</a> are '
        '<a class="term" href="/glossary/#antibody">antibodies</a>. More antibodies.'
    )


def test_names_inside_other_words_are_left_alone_and_text_is_escaped():
    html = link_terms("Anti-TNFs? <b>B cells</b> & cabbage cells; anti-TNF-alpha", TERMS)
    assert '<a class="term" href="/glossary/#anti-tnf-medicine">Anti-TNFs</a>' in html
    assert '&lt;b&gt;<a class="term" href="/glossary/#b-cell">B cells</a>&lt;/b&gt; &amp;' in html
    assert "anti-TNF-alpha" in html and html.count("<a ") == 2


@pytest.mark.django_db
def test_a_drug_page_links_its_terms_to_the_glossary_once(client):
    response = client.get("/therapies/rituximab/")
    html = response.content.decode()
    lead = html.split('<p class="lead">')[1].split("</p>")[0]
    assert '<a class="term" href="/glossary/#monoclonal-antibody">monoclonal antibody</a>' in lead
    assert lead.count("/glossary/#monoclonal-antibody") == 1
    assert "Rituximab (Rituxan) is a monoclonal antibody." in page_text(response).replace(" .", ".")


@pytest.mark.django_db
def test_the_terms_pattern_is_made_once_and_again_when_the_glossary_changes(client):
    """A page links terms in several texts, and every page links the same terms: their
    pattern is made once per process, not once per text; a new name in the glossary makes a
    new one, so the page links it on the next request."""
    assert "/glossary/#monoclonal-antibody" in client.get("/therapies/rituximab/").content.decode()
    made = patterns.cache_info().misses
    html = client.get("/therapies/tocilizumab/").content.decode()
    assert "/glossary/#monoclonal-antibody" in html
    assert patterns.cache_info().misses == made
    term = GlossaryTerm.objects.get(slug="monoclonal-antibody")
    term.also_called = "Tocilizumab"
    term.save()
    html = client.get("/therapies/tocilizumab/").content.decode()
    assert '<a class="term" href="/glossary/#monoclonal-antibody">Tocilizumab</a>' in html
    assert patterns.cache_info().misses == made + 1
