"""catalog/structured_data.py on its own: the JSON-LD document is safe inside a <script> block
whatever the content, and each detail page's nodes have the shape schema.org describes
(MedicalWebPage about a Drug, DrugClass, MedicalCondition with its `drug` and its
`possibleTreatment` therapies, BreadcrumbList of WebPages), fed by the page's own trail."""

import datetime
import html
import json
import re

import pytest
from django.template import engines
from django.test import RequestFactory
from django.utils.safestring import SafeString

from catalog import structured_data
from catalog.models import Condition, Indication, Therapy, TherapyClass

from .helpers import json_ld_nodes, make_reviewer

pytestmark = pytest.mark.django_db

HOSTILE = '</script><script>alert("x")</script><!-- & <img src=x onerror=alert(1)>'


@pytest.fixture
def request_():
    return RequestFactory().get("/")


def crumbs(node):
    assert node["@type"] == "BreadcrumbList"
    items = node["itemListElement"]
    assert [item["position"] for item in items] == list(range(1, len(items) + 1))
    assert all(item["@type"] == "ListItem" for item in items)
    assert all(item["item"]["@type"] == "WebPage" for item in items)
    return [(item["name"], item["item"]["@id"]) for item in items]


TRAIL = [("Home", "/"), ("Somewhere", "/somewhere/")]


# --- script_content ------------------------------------------------------------------------


def test_script_content_cannot_close_the_script_block_and_reads_back_as_the_nodes():
    nodes = [{"@type": "Drug", "name": HOSTILE, "description": "Interféron — 日本"}]
    text = structured_data.script_content(nodes)
    for character in "<>&=":
        assert character not in text, character
    assert "\\u003c/script\\u003e" in text and "onerror\\u003dalert(1)" in text
    assert "Interféron — 日本" in text  # not ASCII-escaped: readable and shorter
    assert json.loads(text) == {"@context": "https://schema.org", "@graph": nodes}


def test_script_content_is_safe_for_templates_and_serialises_dates():
    text = structured_data.script_content([{"lastReviewed": datetime.date(2024, 5, 6)}])
    assert isinstance(text, SafeString)
    rendered = engines["django"].from_string("{{ data }}").render({"data": text})
    assert rendered == text  # the template adds no HTML escaping on top
    assert json.loads(text)["@graph"] == [{"lastReviewed": "2024-05-06"}]


# --- node shapes -----------------------------------------------------------------------------


def test_a_therapy_is_a_medical_web_page_about_a_drug(request_):
    rituximab = Therapy.objects.select_related("therapy_class").get(slug="rituximab")
    rituximab.mark_reviewed(make_reviewer(specialty=""), today=datetime.date(2024, 3, 1))
    trail = [
        ("Home", "/"),
        ("Therapies", "/therapies/"),
        ("Monoclonal antibodies", "/classes/monoclonal-antibodies/"),
        ("Rituximab", "/therapies/rituximab/"),
    ]
    page, drug, breadcrumbs = structured_data.therapy(request_, rituximab, trail)

    url = "http://testserver/therapies/rituximab/"
    assert page == {
        "@type": "MedicalWebPage",
        "@id": url,
        "name": "Rituximab",
        "url": url,
        "description": rituximab.summary,
        "about": {"@id": f"{url}#drug"},
        "lastReviewed": "2024-03-01",
        "reviewedBy": {"@type": "Person", "name": "Jane Doe", "honorificSuffix": "MD"},
    }
    assert drug == {
        "@type": "Drug",
        "@id": f"{url}#drug",
        "name": "Rituximab",
        "nonProprietaryName": "Rituximab",
        "proprietaryName": ["Rituxan"],
        "drugClass": {
            "@type": "DrugClass",
            "name": "Monoclonal antibodies",
            "url": "http://testserver/classes/monoclonal-antibodies/",
        },
        "url": url,
    }
    assert "alternateName" not in drug  # brand names only: they are its proprietaryName
    assert crumbs(breadcrumbs) == [
        ("Home", "http://testserver/"),
        ("Therapies", "http://testserver/therapies/"),
        ("Monoclonal antibodies", "http://testserver/classes/monoclonal-antibodies/"),
        ("Rituximab", url),
    ]


def test_an_unreviewed_therapy_has_no_review_properties(request_):
    therapy = Therapy.objects.get(slug="interleukin-2")
    therapy.last_reviewed, therapy.reviewed_by = None, ""
    page, drug, _ = structured_data.therapy(request_, therapy, TRAIL)
    assert "lastReviewed" not in page and "reviewedBy" not in page
    assert drug["proprietaryName"] == []  # no brand name
    assert drug["alternateName"] == ["IL-2"]  # its abbreviation


def test_a_class_is_a_drug_class_listing_the_drugs_given(request_):
    csfs = TherapyClass.objects.get(slug="colony-stimulating-factors")
    node, trail = structured_data.therapy_class(request_, csfs, TRAIL)
    assert node["@type"] == "DrugClass" and node["alternateName"] == "CSFs"
    assert node["@id"] == node["url"] == ("http://testserver/classes/colony-stimulating-factors/")
    assert "drug" not in node  # none given: no empty list
    assert crumbs(trail) == [
        ("Home", "http://testserver/"),
        ("Somewhere", "http://testserver/somewhere/"),
    ]

    antibodies = TherapyClass.objects.get(slug="monoclonal-antibodies")
    therapies = Therapy.objects.filter(therapy_class=antibodies).order_by("name")
    node, _ = structured_data.therapy_class(request_, antibodies, TRAIL, therapies)
    assert "alternateName" not in node
    assert node["drug"] == [
        {"@type": "Drug", "name": t.name, "url": f"http://testserver/therapies/{t.slug}/"}
        for t in therapies
    ]


def test_a_condition_lists_its_drugs_and_its_whole_class_therapies_once_each(request_):
    """schema.org's possibleTreatment takes a MedicalTherapy, not a Drug or a DrugClass: the
    agents are the condition's `drug`, a class used as a whole a MedicalTherapy named after it."""
    leukemia = Condition.objects.get(slug="leukemia")
    cll = Condition.objects.get(slug="chronic-lymphocytic-leukemia")
    indications = Indication.objects.published().select_related("therapy", "therapy_class")
    agents = list(indications.filter(condition__in=[leukemia, cll], therapy__isnull=False))
    classes = list(indications.filter(condition=leukemia, therapy_class__isnull=False))
    assert agents and classes
    node, trail = structured_data.condition(request_, leukemia, TRAIL, agents + agents, classes)
    assert node["@type"] == "MedicalCondition" and node["name"] == "Leukemia"
    assert node["drug"] == [
        {"@type": "Drug", "name": "Rituximab", "url": "http://testserver/therapies/rituximab/"}
    ]  # once, though listed for the condition and its sub-condition
    assert node["possibleTreatment"] == [
        {
            "@type": "MedicalTherapy",
            "name": "Interferons",
            "url": "http://testserver/classes/interferons/",
        }
    ]
    assert "alternateName" not in node
    assert len(crumbs(trail)) == 2


def test_a_condition_without_uses_has_neither_drug_nor_treatment(request_):
    crohns = Condition.objects.select_related("parent").get(slug="crohns-disease")
    node, _ = structured_data.condition(request_, crohns, TRAIL)
    assert node["alternateName"] == ["Crohns disease"]
    assert "possibleTreatment" not in node and "drug" not in node  # none given


# --- the pages' own JSON-LD --------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "trail"),
    [
        (
            "/therapies/rituximab/",
            ["Home", "Therapies", "Monoclonal antibodies", "Rituximab"],
        ),
        ("/classes/monoclonal-antibodies/", ["Home", "Classes", "Monoclonal antibodies"]),
        (
            "/conditions/crohns-disease/",
            ["Home", "Conditions", "Inflammatory bowel disease", "Crohn's disease"],
        ),
    ],
)
def test_a_detail_pages_breadcrumb_list_is_its_visible_trail(client, url, trail):
    response = client.get(url)
    body = response.content.decode()
    nav = body.split('<nav aria-label="Breadcrumb" class="breadcrumb">')[1].split("</nav>")[0]
    visible = [html.unescape(name) for name in re.findall(r"<a [^>]*>([^<]*)</a>", nav)]
    paths = re.findall(r'<a href="([^"]*)"', nav)
    assert visible == trail
    assert crumbs(json_ld_nodes(response)["BreadcrumbList"]) == [
        (name, f"http://testserver{path}") for name, path in zip(trail, paths, strict=True)
    ]


def test_a_condition_pages_json_ld_has_only_types_its_properties_allow(client):
    node = json_ld_nodes(client.get("/conditions/rheumatoid-arthritis/"))["MedicalCondition"]
    assert {t["@type"] for t in node["drug"]} == {"Drug"}
    assert {t["@type"] for t in node["possibleTreatment"]} == {"MedicalTherapy"}
    assert [t["name"] for t in node["possibleTreatment"]] == [
        "Anti-TNF therapy",
        "Monoclonal antibodies",
    ]
    assert "Rituximab" in [t["name"] for t in node["drug"]]
