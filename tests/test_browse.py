"""Browsing: the A to Z index, the list pages' download and API links, and sorting."""

import csv
import io
import json
import re
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.utils import timezone

from catalog.models import Condition, SearchTerm, Therapy

from .helpers import listed_slugs, page_text

pytestmark = pytest.mark.django_db

EXPORT_LINK = re.compile(r'<a href="([^"]+)"[^>]*>(Download CSV|Download JSON|API query)</a>')
NEXT_LINK = re.compile(r'rel="next" href="([^"]+)"')


def export_links(response):
    """The list page's export links, by label, with HTML entities decoded."""
    html = response.content.decode()
    return {label: href.replace("&amp;", "&") for href, label in EXPORT_LINK.findall(html)}


def all_listed_slugs(client, url):
    """The slugs a list page shows over all its pages, following its "Next" links."""
    slugs = []
    while True:
        response = client.get(url)
        assert response.status_code == 200
        slugs += listed_slugs(response)
        match = NEXT_LINK.search(response.content.decode())
        if not match:
            return slugs
        url = urlsplit(url).path + match.group(1).replace("&amp;", "&")


def csv_rows(response):
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return list(csv.DictReader(io.StringIO(body.decode("utf-8"))))


# --- A to Z index --------------------------------------------------------------------------


def letter_section(html, letter, heading=None):
    heading = re.escape(heading or letter)
    match = re.search(rf'<h2 id="letter-{letter}">{heading}</h2>(.*?)</section>', html, re.S)
    assert match, f"no section for {letter}"
    return match.group(1)


def test_a_z_lists_therapies_and_conditions_by_letter(client):
    response = client.get("/a-z/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>A\u2013Z index</h1>" in html
    assert '<nav class="az-letters" aria-label="Letters">' in html
    # Letters with entries link to their heading; letters without are shown, not linked.
    assert '<a href="#letter-R">R</a>' in html
    assert '<span aria-disabled="true">Q</span>' in html
    assert 'href="#letter-Q"' not in html
    assert 'id="letter-Q"' not in html
    # Every published therapy and condition is listed under its letter, linked and labelled.
    for record, kind in [
        *((t, "therapy") for t in Therapy.objects.published()),
        *((c, "condition") for c in Condition.objects.published()),
    ]:
        section = letter_section(html, record.name[0].upper())
        assert (
            f'<a href="{record.get_absolute_url()}">{record.name}</a> '
            f'<span class="tag">{kind}</span>'
        ) in section.replace("&#39;", "'")
    r_section = letter_section(html, "R")
    assert '<a href="/therapies/rituximab/">Rituximab</a> <span class="tag">therapy</span>' in (
        r_section
    )
    assert '<a href="/conditions/rheumatoid-arthritis/">' in r_section


def test_a_z_other_names_are_see_entries_under_their_own_letter(client):
    response = client.get("/a-z/")
    html, text = response.content.decode(), page_text(response)
    assert "Rituxan, see Rituximab therapy" in text
    assert "Humira, see Adalimumab therapy" in text
    assert "IL-2, see Interleukin-2 therapy" in text
    assert "Crohns disease, see Crohn's disease condition" in text
    assert 'Rituxan, see <a href="/therapies/rituximab/">Rituximab</a>' in letter_section(html, "R")
    assert 'Humira, see <a href="/therapies/adalimumab/">' in letter_section(html, "H")
    assert 'Crohns disease, see <a href="/conditions/crohns-disease/">' in letter_section(
        html, "C"
    ).replace("&#39;", "'")


def test_a_z_is_alphabetical_within_a_letter(client):
    html = client.get("/a-z/").content.decode()
    names = re.findall(r"<li>(?:<a [^>]+>)?([^<,]+)", letter_section(html, "C"))
    assert len(names) >= 3
    assert names == sorted(names, key=str.casefold)


def test_a_z_shows_published_content_only(client):
    rituximab = Therapy.objects.get(slug="rituximab")
    rituximab.unpublish()
    rituximab.save()
    crohns = Condition.objects.get(slug="crohns-disease")
    crohns.unpublish()
    crohns.save()
    html = client.get("/a-z/").content.decode()
    assert "/therapies/rituximab/" not in html
    assert "Rituxan, see" not in html
    assert "/conditions/crohns-disease/" not in html
    assert "Crohns disease" not in html
    assert "/therapies/tocilizumab/" in html


def test_a_z_files_non_letters_under_other(client, make_catalog):
    make_catalog(2)
    Therapy.objects.filter(slug="synth-00000").update(name="5-synthetic")
    Therapy.objects.filter(slug="synth-00001").update(name="Évolution synthétique")
    # update() bypasses the admin and the API, which reindex what they save.
    SearchTerm.objects.index(Therapy.objects.filter(slug__startswith="synth-"))
    html = client.get("/a-z/").content.decode()
    assert '<a href="#letter-other">#</a>' in html
    assert ">5-synthetic</a>" in letter_section(html, "other", "#")
    assert ">Évolution synthétique</a>" in letter_section(html, "E")


@pytest.mark.parametrize("size", [5, 120])
def test_a_z_uses_a_constant_number_of_queries(
    client, make_catalog, django_assert_max_num_queries, size
):
    make_catalog(size)
    with django_assert_max_num_queries(6):
        response = client.get("/a-z/")
    assert f"synth therapy {size - 1:05d}</a>" in response.content.decode()
    assert f"Brandsynth-{size - 1:05d}, see synth therapy {size - 1:05d}" in page_text(response)


def test_home_links_to_a_z(client):
    assert 'href="/a-z/"' in client.get("/").content.decode()


# --- Download and API links ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("page", "endpoint"),
    [
        ("/therapies/", "/api/v1/therapies/"),
        ("/conditions/", "/api/v1/conditions/"),
        ("/classes/", "/api/v1/therapy-classes/"),
        ("/glossary/", "/api/v1/glossary/"),
    ],
)
def test_every_list_page_links_to_its_exports(client, page, endpoint):
    links = export_links(client.get(page))
    assert links == {
        "Download CSV": f"{endpoint}?format=csv",
        "Download JSON": f"{endpoint}?format=jsonl",
        "API query": endpoint,
    }
    for href in links.values():
        assert client.get(href).status_code == 200


def test_export_links_carry_filters_and_order_but_not_page_or_empty_values(client, make_catalog):
    make_catalog(45)
    response = client.get(
        "/therapies/?q=&therapy_class=synth-class&condition=&action=stimulates"
        "&ordering=-name&page=2"
    )
    assert response.status_code == 200
    links = export_links(response)
    query = "therapy_class=synth-class&action=stimulates&ordering=-name"
    assert links["Download CSV"] == f"/api/v1/therapies/?{query}&format=csv"
    assert links["Download JSON"] == f"/api/v1/therapies/?{query}&format=jsonl"
    assert links["API query"] == f"/api/v1/therapies/?{query}"
    api = client.get(links["API query"])
    assert api.status_code == 200  # empty values would be 400s here
    assert api.json()["count"] == 45
    assert api.json()["results"][0]["slug"] == "synth-00044"


def test_export_links_keep_repeated_and_comma_separated_values(client):
    response = client.get("/therapies/?therapy_class=anti-tnf-therapy&therapy_class=interleukins")
    href = export_links(response)["API query"]
    assert parse_qsl(urlsplit(href).query) == [
        ("therapy_class", "anti-tnf-therapy"),
        ("therapy_class", "interleukins"),
    ]
    assert len(client.get(href).json()["results"]) == 6


def test_the_search_text_is_kept_when_it_has_a_value(client):
    href = export_links(client.get("/glossary/?q=antibod&page=1"))["Download CSV"]
    assert href == "/api/v1/glossary/?q=antibod&format=csv"
    rows = csv_rows(client.get(href))
    assert rows and all("antibod" in json.dumps(row).lower() for row in rows)


def test_no_export_links_while_filters_are_invalid(client):
    response = client.get("/therapies/?condition=no-such-condition")
    assert response.status_code == 400
    assert export_links(response) == {}


def test_csv_link_holds_exactly_the_rows_the_page_lists(client):
    url = "/therapies/?condition=rheumatoid-arthritis"
    listed = all_listed_slugs(client, url)
    assert len(listed) == 7
    href = export_links(client.get(url))["Download CSV"]
    assert href == "/api/v1/therapies/?condition=rheumatoid-arthritis&format=csv"
    rows = csv_rows(client.get(href))
    assert "slug" in rows[0] and "name" in rows[0]  # a header row
    assert [row["slug"] for row in rows] == listed


def test_csv_and_jsonl_links_hold_every_page_of_a_filtered_list(client, make_catalog):
    make_catalog(45)
    Therapy.objects.filter(slug="synth-00003").update(summary="Ünïcode — “quoted” café")
    url = "/therapies/?q=&condition=synth-parent&ordering=-name"
    listed = all_listed_slugs(client, url)
    assert len(listed) == 45  # three pages of 20
    assert listed[0] == "synth-00044"
    links = export_links(client.get(url))
    rows = csv_rows(client.get(links["Download CSV"]))
    assert [row["slug"] for row in rows] == listed
    assert {row["slug"]: row["summary"] for row in rows}["synth-00003"] == (
        "Ünïcode — “quoted” café"
    )
    jsonl = client.get(links["Download JSON"])
    assert jsonl.status_code == 200
    body = b"".join(jsonl.streaming_content) if jsonl.streaming else jsonl.content
    lines = [json.loads(line) for line in body.decode("utf-8").splitlines()]
    assert [line["slug"] for line in lines] == listed


# --- Sorting ------------------------------------------------------------------------------------


def test_ordering_sorts_the_list(client):
    ascending = listed_slugs(client.get("/therapies/?ordering=name"))
    descending = listed_slugs(client.get("/therapies/?q=&ordering=-name"))
    assert len(ascending) == 9
    assert descending == ascending[::-1]
    names = [Therapy.objects.get(slug=s).name for s in descending]
    assert names == sorted(names, key=str.casefold, reverse=True)


def test_ordering_is_kept_in_the_form_and_pagination(client, make_catalog):
    make_catalog(45)
    response = client.get("/therapies/?therapy_class=synth-class&ordering=-name")
    html = response.content.decode()
    assert listed_slugs(response)[0] == "synth-00044"
    # The filter form shows the chosen sort, so "Apply filters" keeps it.
    assert re.search(r'<option value="-name" selected>', html)
    assert 'rel="next" href="?therapy_class=synth-class&amp;ordering=-name&amp;page=2"' in html
    page_2 = client.get("/therapies/?therapy_class=synth-class&ordering=-name&page=2")
    assert listed_slugs(page_2)[0] == "synth-00024"
    assert 'rel="prev" href="?therapy_class=synth-class&amp;ordering=-name&amp;page=1"' in (
        page_2.content.decode()
    )


@pytest.mark.parametrize(
    ("url", "first"),
    [
        ("/conditions/?ordering=-name", "ulcerative-colitis"),
        ("/classes/?ordering=-name", "monoclonal-antibodies"),
    ],
)
def test_other_lists_sort_too(client, url, first):
    assert listed_slugs(client.get(url))[0] == first


def test_published_at_is_untouched_by_browsing(client):
    before = timezone.now()
    client.get("/a-z/")
    assert not Therapy.objects.filter(published_at__gt=before).exists()


# --- A-Z at scale: one letter per page ---------------------------------------------------------


@pytest.fixture
def long_index(make_catalog, monkeypatch):
    make_catalog(30)  # 30 therapies "synth therapy 000NN" with brand names "Brandsynth-000NN"
    monkeypatch.setattr("catalog.views.pages.AZ_ONE_PAGE_LIMIT", 20)
    monkeypatch.setattr("catalog.views.pages.AZ_PAGE_SIZE", 12)


def az_names(html):
    entries = html.split('class="az-entries"')[1].split("</ul>")[0]
    return [re.sub(r"<[^>]+>", "", li).strip() for li in re.findall(r"<li>(.*?)</li>", entries)]


def test_long_a_z_shows_one_letter_per_page(client, long_index, django_assert_max_num_queries):
    with django_assert_max_num_queries(6):
        response = client.get("/a-z/")
    html = response.content.decode()
    assert '<a href="?letter=A" aria-current="page">A</a>' in html
    assert "one letter at a time" in page_text(response)
    assert az_names(html)[:2] == ["Actemra, see Tocilizumab therapy", "Adalimumab therapy"]
    response = client.get("/a-z/?letter=b")
    html = response.content.decode()
    names = az_names(html)
    assert names[0] == "Brandsynth-00000, see synth therapy 00000 therapy"
    assert len(names) == 12
    assert "Page 1 of 3" in page_text(response)
    assert 'href="?letter=b&amp;page=2"' in html  # the letter stays in the pagination links
    last = az_names(client.get("/a-z/?letter=B&page=3").content.decode())
    assert last[-1] == "Breast cancer condition"


def test_long_a_z_other_names_and_drafts(client, long_index):
    Therapy.objects.filter(slug="synth-00000").update(name="5-synthetic")
    SearchTerm.objects.index([Therapy.objects.get(slug="synth-00000")])
    assert az_names(client.get("/a-z/?letter=%23").content.decode()) == ["5-synthetic therapy"]
    Therapy.objects.filter(slug="rituximab").update(status="draft")
    names = az_names(client.get("/a-z/?letter=R").content.decode())
    assert "Rheumatoid arthritis condition" in names
    assert not [n for n in names if "Rituximab" in n or "Rituxan" in n]


@pytest.mark.parametrize(
    ("query", "status"), [("letter=%25", 400), ("letter=AB", 400), ("page=x", 400), ("page=9", 404)]
)
def test_long_a_z_bad_input(client, long_index, query, status):
    assert client.get(f"/a-z/?{query}").status_code == status
