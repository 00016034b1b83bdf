"""Search engines and sharing: JSON-LD, canonical and Open Graph tags, sitemap.xml, robots.txt
and the 301 from a renamed record's old URL and from its other names' URLs."""

import datetime
import html
import json
import re
import xml.etree.ElementTree as ET

import pytest
from django.utils import timezone

from catalog.history import populate_initial_history
from catalog.models import (
    Condition,
    ConditionName,
    Indication,
    SearchTerm,
    Therapy,
    TherapyClass,
    TherapyName,
)

from .helpers import make_reviewer, page_text, review

pytestmark = pytest.mark.django_db

JSON_LD = re.compile(r'<script type="application/ld\+json">(.*?)</script>', re.S)
SITEMAP_NS = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}


def json_ld(response):
    """Every schema.org node on the page, by type (each type appears once on our pages)."""
    assert response.status_code == 200
    blocks = JSON_LD.findall(response.content.decode())
    assert len(blocks) == 1
    document = json.loads(blocks[0])
    assert document["@context"] == "https://schema.org"
    nodes = {}
    for node in document["@graph"]:
        assert node["@type"] not in nodes
        nodes[node["@type"]] = node
    return nodes


def head(response):
    html = response.content.decode()
    return html[html.index("<head>") : html.index("</head>")]


def meta(response, attribute, name):
    match = re.search(rf'<meta {attribute}="{re.escape(name)}" content="([^"]*)">', head(response))
    return match and match.group(1)


def canonical(response):
    match = re.search(r'<link rel="canonical" href="([^"]*)">', head(response))
    return match and match.group(1)


def crumbs(nodes):
    items = nodes["BreadcrumbList"]["itemListElement"]
    assert [item["position"] for item in items] == list(range(1, len(items) + 1))
    assert all(item["item"]["@type"] == "WebPage" for item in items)
    return [(item["name"], item["item"]["@id"]) for item in items]


# --- JSON-LD ---------------------------------------------------------------------------------


def test_therapy_page_describes_the_drug(client):
    nodes = json_ld(client.get("/therapies/rituximab/"))
    assert set(nodes) == {"MedicalWebPage", "Drug", "BreadcrumbList"}
    drug = nodes["Drug"]
    assert drug["name"] == "Rituximab"
    assert drug["nonProprietaryName"] == "Rituximab"
    assert drug["proprietaryName"] == ["Rituxan"]
    assert drug["drugClass"] == {
        "@type": "DrugClass",
        "name": "Monoclonal antibodies",
        "url": "http://testserver/classes/monoclonal-antibodies/",
    }
    assert drug["url"] == "http://testserver/therapies/rituximab/"
    page = nodes["MedicalWebPage"]
    assert page["name"] == "Rituximab"
    assert page["url"] == "http://testserver/therapies/rituximab/"
    assert page["description"] == Therapy.objects.get(slug="rituximab").summary
    assert page["about"] == {"@id": drug["@id"]}
    # The article's own review date (2022-01-12) is its citation's, not a review by the site.
    assert "lastReviewed" not in page and "reviewedBy" not in page
    assert crumbs(nodes) == [
        ("Home", "http://testserver/"),
        ("Therapies", "http://testserver/therapies/"),
        ("Monoclonal antibodies", "http://testserver/classes/monoclonal-antibodies/"),
        ("Rituximab", "http://testserver/therapies/rituximab/"),
    ]


def test_therapy_page_names_its_reviewer_as_a_person_and_omits_unset_review(client):
    review(Therapy.objects.get(slug="rituximab"), make_reviewer(), datetime.date(2026, 12, 3))
    page = json_ld(client.get("/therapies/rituximab/"))["MedicalWebPage"]
    assert page["lastReviewed"] == "2026-12-03"
    assert page["reviewedBy"] == {
        "@type": "Person",
        "name": "Jane Doe",
        "honorificSuffix": "MD",
        "knowsAbout": "rheumatology",
    }
    page = json_ld(client.get("/therapies/tocilizumab/"))["MedicalWebPage"]
    assert "lastReviewed" not in page and "reviewedBy" not in page
    for therapy in Therapy.objects.published().prefetch_related("other_names"):
        drug = json_ld(client.get(therapy.get_absolute_url()))["Drug"]
        assert drug["proprietaryName"] == therapy.brand_names


def test_class_page_is_a_drug_class(client):
    nodes = json_ld(client.get("/classes/monoclonal-antibodies/"))
    assert set(nodes) == {"DrugClass", "BreadcrumbList"}
    drug_class = nodes["DrugClass"]
    assert drug_class["name"] == "Monoclonal antibodies"
    assert drug_class["url"] == "http://testserver/classes/monoclonal-antibodies/"
    assert (
        drug_class["description"] == TherapyClass.objects.get(slug="monoclonal-antibodies").summary
    )
    assert [d["name"] for d in drug_class["drug"]] == ["Rituximab", "Tocilizumab", "Trastuzumab"]
    assert crumbs(nodes)[-1] == (
        "Monoclonal antibodies",
        "http://testserver/classes/monoclonal-antibodies/",
    )


def test_condition_page_lists_published_treatments(client):
    nodes = json_ld(client.get("/conditions/rheumatoid-arthritis/"))
    assert set(nodes) == {"MedicalCondition", "BreadcrumbList"}
    condition = nodes["MedicalCondition"]
    assert condition["name"] == "Rheumatoid arthritis"
    assert condition["url"] == "http://testserver/conditions/rheumatoid-arthritis/"
    treatments = {
        (t["@type"], t["name"]): t["url"]
        for t in condition["drug"] + condition["possibleTreatment"]
    }
    assert treatments[("Drug", "Rituximab")] == "http://testserver/therapies/rituximab/"
    assert treatments[("Drug", "Adalimumab")] == "http://testserver/therapies/adalimumab/"
    assert treatments[("MedicalTherapy", "Monoclonal antibodies")] == (
        "http://testserver/classes/monoclonal-antibodies/"
    )
    expected_drugs = {
        i.therapy.name
        for i in Indication.objects.published().filter(condition__slug="rheumatoid-arthritis")
        if i.therapy_id
    }
    assert {name for kind, name in treatments if kind == "Drug"} == expected_drugs
    assert crumbs(nodes) == [
        ("Home", "http://testserver/"),
        ("Conditions", "http://testserver/conditions/"),
        ("Rheumatoid arthritis", "http://testserver/conditions/rheumatoid-arthritis/"),
    ]


def test_condition_page_leaves_out_draft_treatments(client):
    Therapy.objects.filter(slug="rituximab").update(status="draft")
    condition = json_ld(client.get("/conditions/rheumatoid-arthritis/"))["MedicalCondition"]
    names = [t["name"] for t in condition["drug"]]
    assert "Rituximab" not in names
    assert "Adalimumab" in names


def test_sub_condition_breadcrumb_goes_through_its_parent(client):
    nodes = json_ld(client.get("/conditions/chronic-lymphocytic-leukemia/"))
    assert [name for name, _ in crumbs(nodes)] == [
        "Home",
        "Conditions",
        "Leukemia",
        "Chronic lymphocytic leukemia",
    ]
    leukemia = json_ld(client.get("/conditions/leukemia/"))["MedicalCondition"]
    names = [t["name"] for t in leukemia["drug"]]
    assert names.count("Rituximab") == 1  # via its sub-condition, listed once


def test_json_ld_cannot_be_closed_by_content(client):
    payload = '</script><script>alert("x")</script> & <!-- <img src=x onerror="alert(1)">'
    Therapy.objects.filter(slug="rituximab").update(summary=payload)
    response = client.get("/therapies/rituximab/")
    html = response.content.decode()
    assert "<script>alert" not in html
    block = JSON_LD.findall(html)[0]
    assert not set("<>&=") & set(block)
    assert "\\u003c/script\\u003e" in block
    # Parsed back, the data is the summary exactly as written.
    assert json_ld(response)["MedicalWebPage"]["description"] == payload


def test_preview_pages_carry_no_json_ld(client, django_user_model):
    staff = django_user_model.objects.create_user("staff", password="pw", is_staff=True)
    client.force_login(staff)
    html = client.get("/preview/therapies/rituximab/").content.decode()
    assert "application/ld+json" not in html


def test_list_pages_carry_no_json_ld(client):
    assert "application/ld+json" not in client.get("/therapies/").content.decode()


# --- head: canonical, description, Open Graph ------------------------------------------------


def test_detail_page_head_tags(client):
    summary = Therapy.objects.get(slug="rituximab").summary
    response = client.get("/therapies/rituximab/?utm_source=x&page=2")
    assert canonical(response) == "http://testserver/therapies/rituximab/"
    assert meta(response, "name", "description") == summary.replace("'", "&#39;")
    assert meta(response, "property", "og:title") == "Rituximab"
    assert meta(response, "property", "og:description") == summary.replace("'", "&#39;")
    assert meta(response, "property", "og:type") == "article"
    assert meta(response, "property", "og:url") == "http://testserver/therapies/rituximab/"
    assert meta(response, "property", "og:site_name") == "immunosite"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("/conditions/leukemia/", "http://testserver/conditions/leukemia/"),
        ("/classes/interferons/?x=1", "http://testserver/classes/interferons/"),
        ("/therapies/", "http://testserver/therapies/"),
        ("/therapies/?page=1", "http://testserver/therapies/"),
        (
            "/therapies/?therapy_class=anti-tnf-therapy&page=1",
            "http://testserver/therapies/?therapy_class=anti-tnf-therapy",
        ),
        ("/", "http://testserver/"),
    ],
)
def test_canonical_url(client, url, expected):
    response = client.get(url)
    assert canonical(response) == expected
    assert meta(response, "property", "og:url") == expected


def test_list_page_open_graph_defaults(client):
    response = client.get("/conditions/")
    assert meta(response, "property", "og:type") == "website"
    assert meta(response, "property", "og:site_name") == "immunosite"


def test_not_found_page_has_no_canonical(client):
    response = client.get("/therapies/no-such-therapy/")
    assert response.status_code == 404
    assert canonical(response) is None


# --- sitemap.xml and robots.txt --------------------------------------------------------------


def xml(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    assert response["Content-Type"].startswith("application/xml")
    return ET.fromstring(response.content)


def sitemap_files(client):
    """The sitemaps `/sitemap.xml` (an index) points at."""
    index = xml(client, "/sitemap.xml")
    assert index.tag == "{http://www.sitemaps.org/schemas/sitemap/0.9}sitemapindex"
    return [node.find("s:loc", SITEMAP_NS).text for node in index.findall("s:sitemap", SITEMAP_NS)]


def sitemap(client):
    """Every URL of every sitemap, with its lastmod."""
    urls = {}
    for location in sitemap_files(client):
        root = xml(client, location.removeprefix("http://testserver"))
        for url in root.findall("s:url", SITEMAP_NS):
            loc = url.find("s:loc", SITEMAP_NS).text
            assert loc not in urls, f"{loc} is listed twice"
            urls[loc] = url.find("s:lastmod", SITEMAP_NS).text
    return urls


def test_sitemap_index_pages_big_sections(client, make_catalog, monkeypatch):
    make_catalog(25)
    monkeypatch.setattr("catalog.seo.PublishedSitemap.limit", 10)
    files = sitemap_files(client)
    therapies = [f for f in files if "sitemap-therapies.xml" in f]
    count = Therapy.objects.published().count()
    assert len(therapies) == -(-count // 10)  # ceiling
    assert therapies[1] == "http://testserver/sitemap-therapies.xml?p=2"
    urls = sitemap(client)
    assert len([u for u in urls if "/therapies/" in u and u.count("/") == 5]) == count
    assert client.get(f"/sitemap-therapies.xml?p={len(therapies) + 1}").status_code == 404
    assert client.get("/sitemap-nothing.xml").status_code == 404


def test_sitemap_lists_pages_and_every_published_record(client):
    urls = sitemap(client)
    for path in ["/", "/therapies/", "/classes/", "/conditions/", "/glossary/"]:
        assert f"http://testserver{path}" in urls
    for model, prefix in [
        (Therapy, "therapies"),
        (TherapyClass, "classes"),
        (Condition, "conditions"),
    ]:
        for record in model.objects.published():
            url = f"http://testserver/{prefix}/{record.slug}/"
            assert urls[url] == record.updated_at.date().isoformat()
    detail = [u for u in urls if u.count("/") == 5]
    expected = (
        Therapy.objects.published().count()
        + TherapyClass.objects.published().count()
        + Condition.objects.published().count()
    )
    assert len(detail) == expected
    assert "http://testserver/therapies/rituximab/" in urls


def test_sitemap_lastmod_follows_updated_at(client):
    therapy = Therapy.objects.get(slug="rituximab")
    therapy.save()  # auto_now
    assert sitemap(client)["http://testserver/therapies/rituximab/"] == (
        timezone.now().date().isoformat()
    )


def test_sitemap_leaves_out_drafts(client):
    Therapy.objects.filter(slug="rituximab").update(status="draft")
    TherapyClass.objects.filter(slug="interferons").update(status="draft")
    Condition.objects.filter(slug="leukemia").update(status="draft")
    urls = sitemap(client)
    assert "http://testserver/therapies/rituximab/" not in urls
    assert "http://testserver/classes/interferons/" not in urls
    assert "http://testserver/conditions/leukemia/" not in urls
    # A published child of a draft parent is hidden too, as on the pages.
    assert "http://testserver/conditions/chronic-lymphocytic-leukemia/" not in urls
    assert "http://testserver/therapies/trastuzumab/" in urls


def test_robots_txt(client):
    response = client.get("/robots.txt")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    lines = response.content.decode().splitlines()
    assert lines[0] == "User-agent: *"
    assert "Allow: /" in lines
    assert "Disallow: /admin/" in lines
    assert "Disallow: /preview/" in lines
    assert "Sitemap: http://testserver/sitemap.xml" in lines


# --- renamed slugs ---------------------------------------------------------------------------


def rename(model, old, new):
    record = model.objects.get(slug=old)
    record.slug = new
    record.save()
    return record


@pytest.fixture
def history(db):
    """Fixtures load without history; `seed` (make run) gives every record a first version."""
    populate_initial_history()


@pytest.mark.parametrize(
    ("model", "prefix", "old", "new"),
    [
        (Therapy, "therapies", "rituximab", "rituximab-mab"),
        (TherapyClass, "classes", "interferons", "interferon-therapy"),
        (Condition, "conditions", "leukemia", "leukaemia"),
    ],
)
def test_renamed_slug_redirects_permanently(client, history, model, prefix, old, new):
    rename(model, old, new)
    response = client.get(f"/{prefix}/{old}/")
    assert response.status_code == 301
    assert response["Location"] == f"/{prefix}/{new}/"
    assert client.get(response["Location"]).status_code == 200


def test_renamed_twice_redirects_to_the_current_slug(client, history):
    rename(Therapy, "rituximab", "rituximab-2")
    rename(Therapy, "rituximab-2", "rituximab-3")
    for old in ["rituximab", "rituximab-2"]:
        response = client.get(f"/therapies/{old}/")
        assert response.status_code == 301
        assert response["Location"] == "/therapies/rituximab-3/"


def test_never_existing_slug_is_404(client, history):
    assert client.get("/therapies/no-such-therapy/").status_code == 404
    assert client.get("/classes/no-such-class/").status_code == 404
    assert client.get("/conditions/no-such-condition/").status_code == 404


def test_renamed_draft_is_404(client, history):
    therapy = rename(Therapy, "rituximab", "rituximab-draft")
    therapy.unpublish()
    therapy.save()
    assert client.get("/therapies/rituximab/").status_code == 404
    assert client.get("/therapies/rituximab-draft/").status_code == 404


def test_deleted_record_is_404(client, history):
    therapy = rename(Therapy, "rituximab", "rituximab-gone")
    therapy.delete()
    assert client.get("/therapies/rituximab/").status_code == 404


def test_slug_taken_over_by_another_record_is_that_record(client, history):
    rename(Therapy, "rituximab", "rituximab-new")
    rename(Therapy, "tocilizumab", "rituximab")  # an editor reuses the old slug
    response = client.get("/therapies/rituximab/")
    assert response.status_code == 200
    assert "Tocilizumab" in page_text(response)


# --- other names' URLs ------------------------------------------------------------------------


def assert_moved(client, url, to, h1):
    response = client.get(url)
    assert response.status_code == 301, url
    assert response["Location"] == to, url
    page = client.get(to)
    assert page.status_code == 200
    heading = re.search(r"<h1[^>]*>(.*?)</h1>", page.content.decode(), re.S).group(1)
    assert html.unescape(re.sub(r"<[^>]+>", "", heading)).strip().startswith(h1), heading


def assert_not_found(client, url):
    response = client.get(url)
    assert response.status_code == 404, url
    assert "Page not found" in page_text(response)


@pytest.mark.parametrize(
    ("url", "to", "h1"),
    [
        ("/therapies/rituxan/", "/therapies/rituximab/", "Rituximab"),  # a brand name
        ("/therapies/Rituxan/", "/therapies/rituximab/", "Rituximab"),
        ("/therapies/il-2/", "/therapies/interleukin-2/", "Interleukin-2"),  # an abbreviation
        ("/therapies/il2/", "/therapies/interleukin-2/", "Interleukin-2"),
        ("/therapies/Tocilizumab/", "/therapies/tocilizumab/", "Tocilizumab"),  # its own name
        ("/classes/csfs/", "/classes/colony-stimulating-factors/", "Colony stimulating factors"),
        ("/conditions/kaposi-sarcoma/", "/conditions/kaposis-sarcoma/", "Kaposi's sarcoma"),
    ],
)
def test_another_names_url_redirects_permanently_to_the_record(client, url, to, h1):
    assert_moved(client, url, to, h1)


def test_a_new_other_name_of_a_condition_redirects_at_once(client):
    condition = Condition.objects.get(slug="rheumatoid-arthritis")
    assert_not_found(client, "/conditions/arthritis-rheumatoid/")
    ConditionName.objects.create(condition=condition, name="Arthritis, rheumatoid")
    SearchTerm.objects.index([condition])  # as the admin and the API do when an editor saves
    assert_moved(
        client,
        "/conditions/arthritis-rheumatoid/",
        "/conditions/rheumatoid-arthritis/",
        "Rheumatoid arthritis",
    )


def test_a_name_two_records_share_leads_to_neither(client):
    shared = "Biomab"
    for slug in ["rituximab", "tocilizumab"]:
        therapy = Therapy.objects.get(slug=slug)
        TherapyName.objects.create(therapy=therapy, name=shared, kind="brand")
        SearchTerm.objects.index([therapy])
    assert_not_found(client, "/therapies/biomab/")
    # Once only one published record has it, it leads there.
    Therapy.objects.filter(slug="tocilizumab").update(status="draft")
    assert_moved(client, "/therapies/biomab/", "/therapies/rituximab/", "Rituximab")


def test_another_names_url_of_a_draft_is_404(client):
    Therapy.objects.filter(slug="rituximab").update(status="draft")
    assert_not_found(client, "/therapies/rituxan/")


def test_a_name_of_another_kind_of_record_is_not_an_address_here(client):
    assert_not_found(client, "/therapies/csfs/")  # a class's abbreviation
    assert_not_found(client, "/classes/rituxan/")  # a therapy's brand name


def test_a_records_own_slug_wins_over_another_records_name(client):
    therapy = Therapy.objects.get(slug="tocilizumab")
    TherapyName.objects.create(therapy=therapy, name="Rituximab", kind="synonym")
    SearchTerm.objects.index([therapy])
    response = client.get("/therapies/rituximab/")
    assert response.status_code == 200
    assert "<h1>Rituximab" in response.content.decode()


def test_an_old_slug_wins_over_another_records_name(client, history):
    """An address that once was a record's stays that record's, as search engines know it."""
    rename(Therapy, "tocilizumab", "humira")  # Humira is Adalimumab's brand name
    rename(Therapy, "humira", "tocilizumab")
    assert_moved(client, "/therapies/humira/", "/therapies/tocilizumab/", "Tocilizumab")
