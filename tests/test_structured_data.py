"""catalog/structured_data.py on its own: the JSON-LD document is safe inside a <script> block
whatever the content, and each detail page's nodes have the shape schema.org describes
(MedicalWebPage about a Drug, DrugClass, MedicalCondition, BreadcrumbList)."""

import datetime
import json

import pytest
from django.template import engines
from django.test import RequestFactory
from django.utils.safestring import SafeString

from catalog import structured_data
from catalog.models import Condition, Indication, Therapy, TherapyClass

from .helpers import make_reviewer

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
    return [(item["name"], item["item"]) for item in items]


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
    page, drug, trail = structured_data.therapy(request_, rituximab)

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
    assert crumbs(trail) == [
        ("immunosite", "http://testserver/"),
        ("Therapies", "http://testserver/therapies/"),
        ("Monoclonal antibodies", "http://testserver/classes/monoclonal-antibodies/"),
        ("Rituximab", url),
    ]


def test_an_unreviewed_therapy_has_no_review_properties(request_):
    therapy = Therapy.objects.get(slug="interleukin-2")
    therapy.last_reviewed, therapy.reviewed_by = None, ""
    page, drug, _ = structured_data.therapy(request_, therapy)
    assert "lastReviewed" not in page and "reviewedBy" not in page
    assert drug["proprietaryName"] == []  # no brand name


def test_a_class_is_a_drug_class_listing_the_drugs_given(request_):
    csfs = TherapyClass.objects.get(slug="colony-stimulating-factors")
    node, trail = structured_data.therapy_class(request_, csfs)
    assert node["@type"] == "DrugClass" and node["alternateName"] == "CSFs"
    assert node["@id"] == node["url"] == ("http://testserver/classes/colony-stimulating-factors/")
    assert "drug" not in node  # none given: no empty list
    assert [name for name, _ in crumbs(trail)] == [
        "immunosite",
        "Classes",
        "Colony stimulating factors",
    ]

    antibodies = TherapyClass.objects.get(slug="monoclonal-antibodies")
    therapies = Therapy.objects.filter(therapy_class=antibodies).order_by("name")
    node, _ = structured_data.therapy_class(request_, antibodies, therapies)
    assert "alternateName" not in node
    assert node["drug"] == [
        {"@type": "Drug", "name": t.name, "url": f"http://testserver/therapies/{t.slug}/"}
        for t in therapies
    ]


def test_a_condition_lists_each_treatment_once_as_drug_or_drug_class(request_):
    leukemia = Condition.objects.get(slug="leukemia")
    cll = Condition.objects.get(slug="chronic-lymphocytic-leukemia")
    indications = Indication.objects.published().select_related("therapy", "therapy_class")
    agents = list(indications.filter(condition__in=[leukemia, cll], therapy__isnull=False))
    classes = list(indications.filter(condition=leukemia, therapy_class__isnull=False))
    assert agents and classes
    node, trail = structured_data.condition(request_, leukemia, agents + agents, classes)
    assert node["@type"] == "MedicalCondition" and node["name"] == "Leukemia"
    treatments = node["possibleTreatment"]
    assert len(treatments) == len({(t["@type"], t["name"]) for t in treatments})  # once each
    assert {"@type": "Drug", "name": "Rituximab"}.items() <= treatments[0].items()
    assert {"@type": "DrugClass", "name": "Interferons"}.items() <= treatments[-1].items()
    assert "alternateName" not in node
    assert [name for name, _ in crumbs(trail)] == ["immunosite", "Conditions", "Leukemia"]


def test_a_sub_condition_has_its_parent_in_the_trail_and_its_other_names(request_):
    crohns = Condition.objects.select_related("parent").get(slug="crohns-disease")
    node, trail = structured_data.condition(request_, crohns)
    assert node["alternateName"] == ["Crohns disease"]
    assert "possibleTreatment" not in node  # none given
    assert crumbs(trail)[-2:] == [
        ("Inflammatory bowel disease", "http://testserver/conditions/inflammatory-bowel-disease/"),
        ("Crohn's disease", "http://testserver/conditions/crohns-disease/"),
    ]
