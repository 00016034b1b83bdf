"""Detail pages read their record and their uses with SQL compiled once per process and kind of
page (catalog/models/compiled.py): each page still shows its own record, its names, its
sections with their sources and its uses, under the URL prefix it is served at; and a record's
path is written as `reverse()` writes it (catalog/models/paths.py)."""

import pytest
from django.core.cache import caches
from django.urls import NoReverseMatch, reverse, set_script_prefix
from markupsafe import escape

from catalog.models import Condition, Therapy
from catalog.models.compiled import COMPILED
from catalog.models.paths import slug_path

from .helpers import page_text

pytestmark = pytest.mark.django_db


def headline(response):
    return response.content.decode().split("<h1>", 1)[1].split("</h1>", 1)[0]


def test_each_therapy_page_shows_its_own_record_from_sql_compiled_once(client):
    COMPILED.clear()
    first = client.get("/therapies/rituximab/")
    compiled = set(COMPILED)
    assert compiled  # the therapy, its uses
    for slug in ["tocilizumab", "etanercept", "rituximab"]:
        therapy = Therapy.objects.select_related("therapy_class").get(slug=slug)
        response = client.get(f"/therapies/{slug}/")
        assert therapy.name_with_brands in headline(response)
        html = response.content.decode()
        cls = therapy.therapy_class
        assert f'Class: <a href="{cls.get_absolute_url()}">{cls.name}</a>' in html
        for use in therapy.indications.filter(status="published").select_related("condition"):
            assert f'href="{use.condition.get_absolute_url()}"' in html
    assert set(COMPILED) == compiled  # nothing compiled for the other pages
    assert "Rituxan" in headline(first)


def test_a_page_of_an_unknown_or_draft_record_is_the_404_page(client):
    client.get("/therapies/rituximab/")  # compiled
    assert client.get("/therapies/no-such-therapy/").status_code == 404
    Therapy.objects.filter(slug="tocilizumab").update(status="draft")
    response = client.get("/therapies/tocilizumab/")
    assert response.status_code == 404
    assert "Tocilizumab" not in page_text(response)


@pytest.mark.parametrize("model", [Condition, Therapy])
def test_a_pages_sections_cite_their_sources(client, model):
    """A section's sources are set on the sections the page shows (its prefetched ones), not
    on a second reading of them."""
    sections = model.sections.rel.related_model.objects.prefetch_related("sources")
    cited = [s for s in sections.filter(**{f"{model._meta.model_name}__status": "published"})]
    cited = [section for section in cited if section.sources.all()]
    assert cited
    for section in cited:
        record = getattr(section, model._meta.model_name)
        html = client.get(record.get_absolute_url()).content.decode()
        shown = html.split(f'id="{section.kind}"', 1)[1].split("</section>", 1)[0]
        for source in section.sources.all():
            assert f'<a href="{escape(source.url)}" rel="noopener">' in shown


def test_pages_served_under_a_url_prefix_link_under_it(client):
    """The compiled queries hold page URLs (a condition's sub-conditions): one per prefix."""
    plain = client.get("/conditions/lymphoma/").content.decode()
    assert 'Includes: <a href="/conditions/non-hodgkins-lymphoma/">' in plain
    caches["pages"].clear()  # a site is served under one prefix; its page cache under it
    set_script_prefix("/site/")  # as the WSGI handler does for SCRIPT_NAME=/site
    try:
        prefixed = client.get("/conditions/lymphoma/").content.decode()
    finally:
        set_script_prefix("/")
    assert 'Includes: <a href="/site/conditions/non-hodgkins-lymphoma/">' in prefixed
    assert 'href="/site/therapies/rituximab/"' in prefixed
    caches["pages"].clear()
    again = client.get("/conditions/lymphoma/").content.decode()
    assert 'Includes: <a href="/conditions/non-hodgkins-lymphoma/">' in again


@pytest.mark.parametrize(
    "path, link",
    [
        ("therapies/", "therapies/rituximab/"),  # list rows (prepared.py read_rows)
        ("", "classes/monoclonal-antibodies/"),  # the home page's lists (fixed_rows)
        ("conditions/lymphoma/", "conditions/non-hodgkins-lymphoma/"),  # compiled.py
    ],
)
def test_pages_under_another_url_configuration_link_under_it(client, settings, path, link):
    """What is compiled once holds page paths: it is kept per URL configuration as well."""
    assert f'href="/{link}"' in client.get(f"/{path}").content.decode()
    caches["pages"].clear()
    settings.ROOT_URLCONF = "tests.urls_mounted"
    mounted = client.get(f"/site/{path}").content.decode()
    assert f'href="/site/{link}"' in mounted
    assert f'href="/{link}"' not in mounted


@pytest.mark.parametrize(
    "url_name", ["catalog:therapy-detail", "catalog:class-changes", "catalog:condition-preview"]
)
@pytest.mark.parametrize("slug", ["rituximab", "a_b-9", "X"])
def test_a_records_path_is_the_one_reverse_gives(url_name, slug):
    assert slug_path(url_name, slug) == reverse(url_name, args=[slug])
    set_script_prefix("/site/")
    try:
        assert slug_path(url_name, slug) == reverse(url_name, args=[slug])
        assert slug_path(url_name, slug).startswith("/site/")
    finally:
        set_script_prefix("/")


@pytest.mark.parametrize("slug", ["", "a b", "é", "a/b"])
def test_a_path_for_what_is_not_a_slug_fails_as_reverse_does(slug):
    with pytest.raises(NoReverseMatch):
        reverse("catalog:therapy-detail", args=[slug])
    with pytest.raises(NoReverseMatch):
        slug_path("catalog:therapy-detail", slug)
