"""schema.org JSON-LD for the public detail pages, built from the records as plain dicts.

Each function takes the request (for absolute URLs) and returns a list of schema.org nodes;
`script_content` serialises them for a `<script type="application/ld+json">` block."""

import json

from django.core.serializers.json import DjangoJSONEncoder
from django.urls import reverse
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
                "item": absolute(request, path),
            }
            for position, (name, path) in enumerate(trail, start=1)
        ],
    }


def drug_class_ref(request, therapy_class):
    return {
        "@type": "DrugClass",
        "name": therapy_class.name,
        "url": absolute(request, therapy_class.get_absolute_url()),
    }


def drug_ref(request, therapy):
    return {
        "@type": "Drug",
        "name": therapy.name,
        "url": absolute(request, therapy.get_absolute_url()),
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


def home_trail():
    return [(SITE_NAME, reverse("catalog:home"))]


def therapy(request, therapy):
    url = absolute(request, therapy.get_absolute_url())
    drug = {
        "@type": "Drug",
        "@id": f"{url}#drug",
        "name": therapy.name,
        "nonProprietaryName": therapy.name,
        "proprietaryName": therapy.brand_names,
        "drugClass": drug_class_ref(request, therapy.therapy_class),
        "url": url,
    }
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
    trail = [
        *home_trail(),
        ("Therapies", reverse("catalog:therapy-list")),
        (therapy.therapy_class.name, therapy.therapy_class.get_absolute_url()),
        (therapy.name, therapy.get_absolute_url()),
    ]
    return [page, drug, breadcrumbs(request, trail)]


def therapy_class(request, therapy_class, therapies=()):
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
        node["drug"] = [drug_ref(request, t) for t in therapies]
    trail = [
        *home_trail(),
        ("Classes", reverse("catalog:class-list")),
        (therapy_class.name, therapy_class.get_absolute_url()),
    ]
    return [node, breadcrumbs(request, trail)]


def condition(request, condition, agent_indications=(), class_indications=()):
    """`agent_indications`, `class_indications`: the published indications the page lists."""
    url = absolute(request, condition.get_absolute_url())
    treatments, seen = [], set()
    for indication in [*agent_indications, *class_indications]:
        subject = indication.subject
        if (type(subject), subject.pk) in seen:  # a parent lists its sub-conditions' too
            continue
        seen.add((type(subject), subject.pk))
        if indication.therapy_id:
            treatments.append(drug_ref(request, subject))
        else:
            treatments.append(drug_class_ref(request, subject))
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
    if treatments:
        node["possibleTreatment"] = treatments
    trail = [*home_trail(), ("Conditions", reverse("catalog:condition-list"))]
    if condition.parent:
        trail.append((condition.parent.name, condition.parent.get_absolute_url()))
    trail.append((condition.name, condition.get_absolute_url()))
    return [node, breadcrumbs(request, trail)]
