"""Every public page type's JSON-LD, checked against schema.org's vocabulary: each @type is a
schema.org type, each property is defined for the node's type (domainIncludes, through the
type's superclasses) and each value is of a type the property takes (rangeIncludes, through
subclasses; literals as Text, URL, Date, DateTime, Number, Integer or Boolean).

The vocabulary is tests/data/schema-org-vocabulary.json: the type hierarchy and the properties
the site uses, trimmed from schema.org's release file by scripts/schema_org_vocabulary.py
(which says how to build it again, and for which release it was built).

Two conventions of schema.org's data model are followed: a node given only by its "@id" has
the type of the node of that id in the same page (else it is a reference to something
elsewhere, of any type), and an absolute URL stands for the thing at that URL where a property
takes a thing (BreadcrumbList's `item`, as schema.org's and Google's examples write it). Plain
text where a property takes a thing is an error: the check is stricter than a search engine.
"""

import json
import re
from functools import cache
from pathlib import Path

import pytest

from .helpers import JSON_LD, PAGE_TYPES

pytestmark = pytest.mark.django_db

VOCABULARY = json.loads(
    (Path(__file__).parent / "data" / "schema-org-vocabulary.json").read_text(encoding="utf-8")
)
TYPES = VOCABULARY["types"]
PROPERTIES = VOCABULARY["properties"]
OTHER_PROPERTIES = set(VOCABULARY["other_properties"])
DATA_TYPES = {"Text", "URL", "Date", "DateTime", "Time", "Number", "Integer", "Float", "Boolean"}
CONTEXT = "https://schema.org"
ABSOLUTE_URL = re.compile(r"https?://[^\s/]+\S*\Z")
DATE = re.compile(r"\d{4}-\d\d-\d\d\Z")
DATE_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:?\d\d)?\Z")
# The page types that describe a record, and so must carry schema.org data.
WITH_DATA = {"therapy", "class", "condition"}


@cache
def superclasses(name):
    """`name` and every type it is a subclass of."""
    found = {name}
    for parent in TYPES.get(name, ()):
        found |= superclasses(parent)
    return frozenset(found)


def as_list(value):
    return value if isinstance(value, list) else [value]


def node_types(node):
    return as_list(node.get("@type", []))


def value_types(value, graph):
    """The schema.org types `value` (a JSON-LD value) may be read as."""
    if isinstance(value, bool):
        return {"Boolean"}
    if isinstance(value, int):
        return {"Integer"}
    if isinstance(value, float):
        return {"Number"}
    if isinstance(value, str):
        kinds = {"Text"}
        if ABSOLUTE_URL.match(value):
            kinds.add("URL")
        if DATE.match(value):
            kinds.add("Date")
        if DATE_TIME.match(value):
            kinds.add("DateTime")
        return kinds
    if isinstance(value, dict):
        if "@type" in value:
            return set(node_types(value))
        if set(value) == {"@id"}:
            target = graph.get(value["@id"])
            return set(node_types(target)) if target else {"Thing"}
    return set()


def takes(range_types, kinds):
    """Whether a property taking `range_types` accepts a value read as one of `kinds`."""
    if any(superclasses(kind) & range_types for kind in kinds):
        return True
    # A URL for a thing: a reference to what is at that URL.
    return "URL" in kinds and any(t not in DATA_TYPES for t in range_types)


def describe(value):
    if isinstance(value, dict):
        label = value.get("name") or value.get("@id") or ""
        return f"{'/'.join(node_types(value)) or 'a node without @type'} {label!r}".strip()
    return repr(value)


def node_errors(node, graph, where):
    """What is wrong with `node` (and the nodes inside it) by schema.org's vocabulary."""
    errors = []
    types = node_types(node)
    if not types:
        errors.append(f"{where}: a node without @type")
    for name in types:
        if name not in TYPES:
            errors.append(f"{where}: {name!r} is not a schema.org type")
    known = [t for t in types if t in TYPES]
    for prop, values in node.items():
        if prop.startswith("@"):
            continue
        at = f"{where}.{prop}"
        if prop not in PROPERTIES:
            if prop in OTHER_PROPERTIES:
                errors.append(
                    f"{at}: a schema.org property missing from tests/data/"
                    "schema-org-vocabulary.json: add it to PROPERTIES in "
                    "scripts/schema_org_vocabulary.py and build the file again"
                )
            else:
                errors.append(f"{at}: {prop!r} is not a schema.org property")
            continue
        domain, range_types = PROPERTIES[prop]["domain"], set(PROPERTIES[prop]["range"])
        if known and not any(superclasses(t) & set(domain) for t in known):
            errors.append(
                f"{at}: schema.org defines {prop!r} for {', '.join(domain)}, "
                f"not for {'/'.join(known)}"
            )
        for index, value in enumerate(as_list(values)):
            kinds = value_types(value, graph)
            if not takes(range_types, kinds):
                errors.append(
                    f"{at}: takes {', '.join(sorted(range_types))}; "
                    f"got {describe(value)} ({', '.join(sorted(kinds)) or 'no type'})"
                )
            if isinstance(value, dict) and "@type" in value:
                errors += node_errors(value, graph, f"{at}[{index}]")
    return errors


def document_errors(document, where="page"):
    """What is wrong with one JSON-LD document (an @graph of nodes, or a single node)."""
    errors = []
    if document.get("@context") not in (CONTEXT, CONTEXT + "/"):
        errors.append(f"{where}: @context is {document.get('@context')!r}, not {CONTEXT!r}")
    nodes = document.get("@graph", [document])
    graph = {node["@id"]: node for node in nodes if "@id" in node}
    for node in nodes:
        errors += node_errors(node, graph, f"{where} {'/'.join(node_types(node))}")
    return errors


def page_documents(response):
    return [json.loads(block) for block in JSON_LD.findall(response.content.decode())]


@pytest.mark.parametrize("name", PAGE_TYPES)
def test_page_json_ld_uses_schema_org_types_and_properties_as_defined(client, name):
    path, status = PAGE_TYPES[name]
    response = client.get(path)
    assert response.status_code == status, path
    documents = page_documents(response)
    if name in WITH_DATA:
        assert documents, f"{path} has no schema.org data"
    errors = [error for document in documents for error in document_errors(document, path)]
    assert not errors, (
        f"{path}: JSON-LD against schema.org {VOCABULARY['version']}:\n- " + "\n- ".join(errors)
    )


def test_the_check_reports_unknown_terms_and_values_of_types_a_property_does_not_take():
    """The check itself: each kind of mistake is reported, in words that say what is wrong."""
    document = {
        "@context": CONTEXT,
        "@graph": [
            {
                "@type": "MedicalCondition",
                "@id": "https://example.org/c",
                "name": "A condition",
                "possibleTreatment": [{"@type": "Person", "name": "Dr No"}],
                "drugClass": {"@type": "DrugClass", "name": "A class"},
                "lastReviewed": "yesterday",
                "colour": "red",
            },
            {"@type": "Medicine", "name": "X"},
            {
                "@type": "BreadcrumbList",
                "itemListElement": [
                    {"@type": "ListItem", "position": 1, "name": "Home", "item": "/"},
                    {
                        "@type": "ListItem",
                        "position": 2,
                        "name": "C",
                        "item": {"@id": "https://example.org/c"},
                    },
                ],
            },
        ],
    }
    errors = document_errors(document)
    assert errors == [
        "page MedicalCondition.possibleTreatment: takes Drug, DrugClass, LifestyleModification, "
        "MedicalTherapy; got Person 'Dr No' (Person)",
        "page MedicalCondition.drugClass: schema.org defines 'drugClass' for Drug, "
        "not for MedicalCondition",
        "page MedicalCondition.lastReviewed: schema.org defines 'lastReviewed' for WebPage, "
        "not for MedicalCondition",
        "page MedicalCondition.lastReviewed: takes Date; got 'yesterday' (Text)",
        "page MedicalCondition.colour: 'colour' is not a schema.org property",
        "page Medicine: 'Medicine' is not a schema.org type",
        "page BreadcrumbList.itemListElement[0].item: takes Thing; got '/' (Text)",
    ]
    valid = {
        "@context": CONTEXT,
        "@type": "ListItem",
        "position": 1,
        "name": "Home",
        "item": "https://example.org/",
    }
    assert document_errors(valid) == []
