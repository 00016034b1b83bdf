"""schema.org JSON-LD for the public detail pages, built from the records as plain dicts.

Each function takes the request (for absolute URLs) and the page's breadcrumb trail, and returns
a list of schema.org nodes; `script_content` serialises them for a `<script
type="application/ld+json">` block. Every property takes a type schema.org's vocabulary allows
for it (tests/test_structured_data.py): a condition's agents are its `drug` (a Drug), the
classes used as a whole its `possibleTreatment` (a MedicalTherapy named after the class: the
property takes therapies, not drugs or drug classes); a breadcrumb's `item` is a WebPage."""

import json

from django.core.serializers.json import DjangoJSONEncoder
from django.utils.safestring import mark_safe

CONTEXT = "https://schema.org"
SITE_NAME = "immunosite"

# Inside <script> the HTML parser only looks for "</script" (and "<!--"): escaping these three
# characters as JSON \u escapes keeps any content from closing the block (as json_script does).
# "=" never occurs in JSON outside strings; escaping it too means no text in the block reads
# like an HTML attribute (onerror=...) to a scanner or to the hostile-content test.
SCRIPT_ESCAPES = {
    ord("<"): "\\u003c",
    ord(">"): "\\u003e",
    ord("&"): "\\u0026",
    ord("="): "\\u003d",
}


def script_content(nodes):
    """The nodes as one JSON-LD document, safe to place between <script> tags."""
    document = {"@context": CONTEXT, "@graph": nodes}
    text = json.dumps(document, cls=DjangoJSONEncoder, ensure_ascii=False)
    return mark_safe(text.translate(SCRIPT_ESCAPES))  # escaped just above


def absolute(request, path):
    return request.build_absolute_uri(path)


def breadcrumbs(request, trail):
    """`trail`: (name, path) pairs from the home page down to the current page."""
    return {
        "@type": "BreadcrumbList",
        "itemListElement": [
            {
                "@type": "ListItem",
                "position": position,
                "name": name,
                "item": {"@type": "WebPage", "@id": absolute(request, path)},
            }
            for position, (name, path) in enumerate(trail, start=1)
        ],
    }


def ref(request, schema_type, record):
    """A short node for a record another node points to: its type, name and page."""
    return {
        "@type": schema_type,
        "name": record.name,
        "url": absolute(request, record.get_absolute_url()),
    }


def reviewed(node, record):
    """A web page's lastReviewed and reviewedBy (a Person: the reviewer's name, credential and
    specialty), only for a review one of the site's reviewers recorded."""
    if record.is_reviewed:
        profile = record.reviewer
        node["lastReviewed"] = record.last_reviewed.isoformat()
        person = {"@type": "Person", "name": profile.full_name}
        if profile.credential:
            person["honorificSuffix"] = profile.credential
        if profile.specialty:
            person["knowsAbout"] = profile.specialty
        node["reviewedBy"] = person
    return node


def therapy(request, therapy, trail):
    url = absolute(request, therapy.get_absolute_url())
    drug = {
        "@type": "Drug",
        "@id": f"{url}#drug",
        "name": therapy.name,
        "nonProprietaryName": therapy.name,
        "proprietaryName": therapy.brand_names,
        "drugClass": ref(request, "DrugClass", therapy.therapy_class),
        "url": url,
    }
    if therapy.names_besides_brands:
        drug["alternateName"] = therapy.names_besides_brands
    page = reviewed(
        {
            "@type": "MedicalWebPage",
            "@id": url,
            "name": therapy.name,
            "url": url,
            "description": therapy.summary,
            "about": {"@id": drug["@id"]},
        },
        therapy,
    )
    return [page, drug, breadcrumbs(request, trail)]


def therapy_class(request, therapy_class, trail, therapies=()):
    url = absolute(request, therapy_class.get_absolute_url())
    node = {
        "@type": "DrugClass",
        "@id": url,
        "name": therapy_class.name,
        "url": url,
        "description": therapy_class.summary,
    }
    if therapy_class.abbreviation:
        node["alternateName"] = therapy_class.abbreviation
    if therapies:
        node["drug"] = [ref(request, "Drug", t) for t in therapies]
    return [node, breadcrumbs(request, trail)]


def once_each(records):
    """The records in order, each once (a parent condition lists its sub-conditions' uses)."""
    return list({record.pk: record for record in records}.values())


def condition(request, condition, trail, agent_indications=(), class_indications=()):
    """`agent_indications`, `class_indications`: the published uses the page lists."""
    url = absolute(request, condition.get_absolute_url())
    node = {
        "@type": "MedicalCondition",
        "@id": url,
        "name": condition.name,
        "url": url,
        "description": condition.summary,
    }
    other_names = [n.name for n in condition.other_names.all()]
    if other_names:
        node["alternateName"] = other_names
    drugs = once_each(indication.therapy for indication in agent_indications)
    if drugs:
        node["drug"] = [ref(request, "Drug", therapy) for therapy in drugs]
    classes = once_each(indication.therapy_class for indication in class_indications)
    if classes:
        node["possibleTreatment"] = [ref(request, "MedicalTherapy", c) for c in classes]
    return [node, breadcrumbs(request, trail)]
