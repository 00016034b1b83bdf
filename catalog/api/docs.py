"""What the OpenAPI schema tells API consumers about each operation: a summary, a description
and examples, per resource. catalog/api/views.py applies them (`@docs.THERAPIES` …);
tests/test_schema_contract.py checks every example against the schema it illustrates."""

from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import serializers

from .schema import operation_responses

PROBLEM = "application/problem+json"
SITE = "https://immunosite.example"
SOURCE = "drugscom-immunotherapy"
EDITORIAL = {
    "status": "published",
    "published_at": "2026-11-28T00:00:00Z",
    "last_reviewed": "2026-12-03",
    "reviewer": {"name": "Jane Doe", "credential": "MD", "specialty": "rheumatology"},
    "review_due": "2027-12-03",
    "review_interval_days": 365,
    "review_state": "",
}
# The source's limits on a use: none set, and those of a label.
NO_LIMITS = {
    "severity": "",
    "severity_label": "",
    "population": "",
    "combination": "",
    "line_of_therapy": "",
    "line_of_therapy_label": "",
    "note": "",
}
LABEL = "fda-label-remicade"
RA_LIMITS = {
    **NO_LIMITS,
    "severity": "moderate-to-severe",
    "severity_label": "Moderately to severely active",
    "population": "adults",
    "combination": "with methotrexate",
}


def problem(name, status, title, detail, **extra):
    value = {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra}
    return OpenApiExample(
        name, value=value, response_only=True, status_codes=[str(status)], media_type=PROBLEM
    )


def invalid(name, field, reason):
    params = [{"name": field, "reason": reason}]
    return problem(name, 400, "Bad Request", f"{field}: {reason}", invalid_params=params)


UNKNOWN_PARAMETER = invalid(
    "Unknown parameter", "conditon", "Unknown parameter. Did you mean `condition`?"
)
NOT_FOUND = problem("No such record", 404, "Not Found", "No Therapy matches the given query.")
NO_PERMISSION = problem(
    "Not allowed", 403, "Forbidden", "You do not have permission to perform this action."
)
NO_IF_MATCH = problem(
    "No If-Match",
    428,
    "Precondition Required",
    "Send If-Match with the ETag from your last GET of this record.",
)
STALE = problem(
    "Stale ETag",
    412,
    "Precondition Failed",
    "The record changed since you read it (If-Match does not name its current ETag). GET it "
    "again, reapply your "
    "change, and send the new ETag in If-Match.",
)
NO_PUBLISHING = problem(
    "May not publish", 403, "Forbidden", "You may edit this record but not publish it."
)

THERAPY = {
    "slug": "rituximab",
    "name": "Rituximab",
    "html_url": f"{SITE}/therapies/rituximab/",
    "therapy_class": {
        "slug": "monoclonal-antibodies",
        "name": "Monoclonal antibodies",
        "action": "targets",
    },
    "brand_names": ["Rituxan"],
    "other_names": [{"name": "Rituxan", "kind": "brand"}],
    "summary": "A monoclonal antibody used for chronic lymphocytic leukemia and non-Hodgkin's "
    "lymphoma, and for rheumatoid arthritis when other agents have not worked.",
    "description": "Rituximab, sold as Rituxan, is a monoclonal antibody.",
    "indications": [
        {
            "condition": {"slug": "rheumatoid-arthritis", "name": "Rheumatoid arthritis"},
            "qualifier": "other-agents-failed",
            "qualifier_label": "When other agents have not worked",
            **NO_LIMITS,
            "sources": [SOURCE],
        }
    ],
    "sections": [
        {
            "kind": "how-given",
            "kind_label": "How it is given",
            "body": "Rituximab is given as an infusion into a vein.",
            "sources": ["fda-label-rituxan"],
        }
    ],
    "sources": [SOURCE],
    **EDITORIAL,
}
NEW_THERAPY = {
    "slug": "newumab",
    "name": "Newumab",
    "therapy_class": "monoclonal-antibodies",
    "summary": "A new monoclonal antibody.",
    "sources": [SOURCE],
}
THERAPY_CLASS = {
    "slug": "interferons",
    "name": "Interferons",
    "html_url": f"{SITE}/classes/interferons/",
    "abbreviation": "IFN",
    "action": "stimulates",
    "action_label": "Stimulates the immune system",
    "summary": "Proteins that help the immune system fight cancer and some viral infections.",
    "description": "",
    "sources": [SOURCE],
    **EDITORIAL,
}
NEW_THERAPY_CLASS = {
    "slug": "cancer-vaccines",
    "name": "Cancer vaccines",
    "action": "enhances",
    "summary": "Vaccines that train the immune system to recognise cancer cells.",
    "sources": [SOURCE],
}
CONDITION = {
    "slug": "non-hodgkins-lymphoma",
    "name": "Non-Hodgkin's lymphoma",
    "html_url": f"{SITE}/conditions/non-hodgkins-lymphoma/",
    "category": "cancer",
    "category_label": "Cancer",
    "parent": {"slug": "lymphoma", "name": "Lymphoma"},
    "children": [],
    "other_names": ["NHL"],
    "summary": "A cancer of the lymphatic system treated with, among others, rituximab.",
    "sections": [],
    "sources": [SOURCE],
    **EDITORIAL,
    "last_reviewed": None,
    "reviewer": None,
    "review_due": None,
}
NEW_CONDITION = {
    "slug": "hodgkin-lymphoma",
    "name": "Hodgkin lymphoma",
    "category": "cancer",
    "parent": "lymphoma",
    "summary": "A cancer of the lymphatic system.",
    "sources": [SOURCE],
}
INDICATION_RECORDS = [
    {
        "level": "agent",
        "therapy": {"slug": "rituximab", "name": "Rituximab"},
        "therapy_class": None,
        "condition": {"slug": "rheumatoid-arthritis", "name": "Rheumatoid arthritis"},
        "qualifier": "other-agents-failed",
        "qualifier_label": "When other agents have not worked",
        **NO_LIMITS,
        "sources": [SOURCE],
    },
    {
        "level": "agent",
        "therapy": {"slug": "infliximab", "name": "Infliximab"},
        "therapy_class": None,
        "condition": {"slug": "rheumatoid-arthritis", "name": "Rheumatoid arthritis"},
        "qualifier": "",
        "qualifier_label": "Used for",
        **RA_LIMITS,
        "sources": [LABEL],
    },
    {
        "level": "class",
        "therapy": None,
        "therapy_class": {"slug": "interferons", "name": "Interferons"},
        "condition": {"slug": "leukemia", "name": "Leukemia"},
        "qualifier": "",
        "qualifier_label": "Used for",
        **NO_LIMITS,
        "note": "Certain types.",
        "sources": [SOURCE],
    },
]
SOURCE_RECORDS = [
    {
        "slug": SOURCE,
        "title": "Immunotherapy",
        "publisher": "Drugs.com",
        "url": "https://www.drugs.com/health-guide/immunotherapy.html",
        "last_updated": "2022-01-12",
        "version": "Last updated 12 January 2022",
        "note": "Medically reviewed by Drugs.com (its own review).",
    },
    {
        "slug": "fda-label-rituxan",
        "title": "RITUXAN (rituximab) injection, for intravenous use: prescribing information "
        "and Medication Guide",
        "publisher": "Genentech, Inc.; label on DailyMed (U.S. National Library of Medicine)",
        "url": "https://dailymed.nlm.nih.gov/dailymed/drugInfo.cfm?"
        "setid=b172773b-3905-4a1c-ad95-bab4b6126563",
        "last_updated": "2025-01-06",
        "version": "SPL version 36, effective 6 January 2025",
        "note": "",
    },
]
MODIFIER_ROLE = {
    "slug": "recruit-immune-cells",
    "position": 1,
    "title": "Recruit immune cells against a tumor",
    "explanation": "They can draw extra immune system cells into an attack on a tumor.",
    "sources": [SOURCE],
}
GLOSSARY_TERM = {
    "slug": "antigen",
    "term": "Antigen",
    "html_url": f"{SITE}/glossary/#antigen",
    "also_called": "",
    "definition": "A distinctive protein on the outer surface of a cancer cell that normal "
    "cells do not carry.",
    "sources": [SOURCE],
}
VERSION_BODY = {"api_version": "1.0.0", "data_last_updated": "2026-12-01T11:01:13Z"}

DRAFTS = (
    " The public sees published records only; editors who may change them also see drafts "
    "(send their token)."
)
LISTS = (
    " Pages of 20 (`page`, `page_size` up to 100), or every record in a stable order with "
    "`cursor` (empty to start, then follow `next`). `fields` picks the fields; "
    "`format=csv` or `format=jsonl` exports every match at once. Several values of one "
    "filter (comma-separated or repeated) mean any of them; different filters combine with "
    "AND. An unknown parameter or a bad value is a 400 naming it."
)
DETAIL = " `fields` picks the fields. Send the `ETag` back as `If-None-Match` to get a 304."
EDITABLE_DETAIL = " The `ETag` is also what `If-Match` takes to change or delete the record."


def record_examples(records, label):
    return [
        OpenApiExample(f"{label} {i + 1}" if len(records) > 1 else label, value=record)
        for i, record in enumerate(records)
    ]


def reads(plural, noun, about, records, *, filters="", drafts=False):
    """Summaries, descriptions and examples of a resource's list and detail reads."""
    visibility = DRAFTS if drafts else ""
    list_filters = f" Filters: {filters}." if filters else ""
    return {
        "list": extend_schema(
            summary=f"List {plural}",
            description=f"{about}{visibility}{list_filters}{LISTS}",
            examples=[*record_examples(records, f"A {noun}"), UNKNOWN_PARAMETER],
        ),
        "retrieve": extend_schema(
            summary=f"Get a {noun} by slug",
            description=f"One {noun}.{visibility}{DETAIL}{EDITABLE_DETAIL if drafts else ''}",
            examples=[*record_examples(records[:1], f"A {noun}"), NOT_FOUND],
        ),
    }


def writes(noun, model, record, new):
    """Summaries, descriptions and examples of an editable resource's writes."""
    related = ' Related records are written by slug (`"sources": ["drugscom-immunotherapy"]`).'
    precondition = (
        " Needs `If-Match` with the `ETag` of your last GET of the record: 428 without it, "
        "412 when someone changed it since (GET it again and reapply your change)."
    )
    publishing = (
        f" Setting `status` to `published` needs `catalog.publish_{model}` as well (403 "
        "otherwise); `published_at` is then set for you."
    )
    changed = OpenApiExample(f"The changed {noun}", value=record, response_only=True)
    return {
        "create": extend_schema(
            summary=f"Create a {noun}",
            description=f"Editors with `catalog.add_{model}` (a token or a session). A new "
            f"{noun} is a draft unless you send `status: published`.{related}{publishing} "
            f"Answers 201 with the {noun} as a GET of it would.",
            examples=[
                OpenApiExample(f"A new {noun}", value=new, request_only=True),
                OpenApiExample(
                    f"The new {noun}",
                    value=as_created(new, record),
                    response_only=True,
                    status_codes=["201"],
                ),
                NO_PERMISSION,
            ],
        ),
        "update": extend_schema(
            summary=f"Replace a {noun}",
            description=f"Editors with `catalog.change_{model}`: the whole {noun}, its required "
            f"fields at least (a field left out keeps its value; one required missing is a "
            f"400).{related}{precondition}{publishing} Answers 200 with the {noun}.",
            examples=[
                OpenApiExample(f"A whole {noun}", value=new, request_only=True),
                changed,
                STALE,
                NO_IF_MATCH,
            ],
        ),
        "partial_update": extend_schema(
            summary=f"Change some fields of a {noun}",
            description=f"Editors with `catalog.change_{model}`: send only the fields to "
            f"change.{related}{precondition}{publishing} Answers 200 with the {noun}.",
            examples=[
                OpenApiExample(
                    "Change the summary", value={"summary": new["summary"]}, request_only=True
                ),
                OpenApiExample("Publish", value={"status": "published"}, request_only=True),
                changed,
                STALE,
                NO_PUBLISHING,
            ],
        ),
        "destroy": extend_schema(
            summary=f"Delete a {noun}",
            description=f"Needs `catalog.delete_{model}` (editors do not have it; the "
            f"administrators do).{precondition} Answers 204 without a body.",
            examples=[STALE],
        ),
    }


def as_created(new, record):
    """The 201 body for `new`, shaped like `record`: a draft, with nothing listed that `new`
    does not give, and its related records as objects (here: `record`'s)."""
    created = {
        **record,
        "status": "draft",
        "published_at": None,
        "last_reviewed": None,
        "reviewer": None,
        "review_due": None,
    }
    created.update({key: [] for key, value in record.items() if isinstance(value, list)})
    created.update({k: v for k, v in new.items() if not isinstance(record.get(k), dict)})
    created["html_url"] = record["html_url"].replace(record["slug"], new["slug"])
    return created


THERAPIES = extend_schema_view(
    **reads(
        "therapies",
        "therapy",
        "Individual agents, with their class, other names (brand names …), the conditions they "
        "are used for (agent-level indications) and their sources.",
        [THERAPY],
        filters="`q` (name, brand name or other name), `therapy_class`, `condition` (a broader "
        "condition includes its sub-conditions), `condition_category`, `action`",
        drafts=True,
    ),
    **writes("therapy", "therapy", THERAPY, NEW_THERAPY),
)
THERAPY_CLASSES = extend_schema_view(
    **reads(
        "therapy classes",
        "therapy class",
        "Classes of therapy and how each acts on the immune system (`action`).",
        [THERAPY_CLASS],
        filters="`q` (name or abbreviation), `action`",
        drafts=True,
    ),
    **writes("therapy class", "therapyclass", THERAPY_CLASS, NEW_THERAPY_CLASS),
)
CONDITIONS = extend_schema_view(
    **reads(
        "conditions",
        "condition",
        "Conditions, with their category, their place in the hierarchy (`parent`, `children`: "
        "one level deep) and other names.",
        [CONDITION],
        filters="`q` (name or other name), `category`, `therapy` and `therapy_class` "
        "(conditions they are used for)",
        drafts=True,
    ),
    **writes("condition", "condition", CONDITION, NEW_CONDITION),
)
INDICATIONS = extend_schema_view(
    list=reads(
        "indications",
        "indication",
        "What a therapy (`level: agent`) or a whole class (`level: class`) is used for, with "
        "the source's qualifier (`qualifier`, and its text in `qualifier_label`). Exactly one "
        "of `therapy` and `therapy_class` is set; the other is null. List only: an "
        "indication has no id of its own here, its therapy (or class) and condition identify "
        "it.",
        INDICATION_RECORDS,
        filters="`therapy`, `therapy_class`, `condition` (a broader condition includes its "
        "sub-conditions), `qualifier`, `level`",
        drafts=True,
    )["list"],
)
SOURCES = extend_schema_view(
    **reads(
        "sources",
        "source",
        "The citations every record refers to by slug. `url` is null for a source without a "
        "web address.",
        SOURCE_RECORDS,
    )
)
MODIFIER_ROLES = extend_schema_view(
    **reads(
        "modifier roles",
        "modifier role",
        "The roles biological response modifiers can play in fighting cancer, in order "
        "(`position`).",
        [MODIFIER_ROLE],
    )
)
GLOSSARY = extend_schema_view(
    **reads(
        "glossary terms",
        "glossary term",
        "Terms the site uses, defined.",
        [GLOSSARY_TERM],
        filters="`q` (term, other name or definition)",
    )
)
VERSION = extend_schema(
    # Listed here, as the view answers a plain dict; extend_schema's responses replace
    # AutoSchema's, so this gives the 304 and the problems too.
    responses=operation_responses(
        "GET",
        None,
        OpenApiResponse(
            inline_serializer(
                "Version",
                {
                    "api_version": serializers.CharField(),
                    "data_last_updated": serializers.DateTimeField(allow_null=True),
                },
            ),
            description="The version, and when the data last changed.",
        ),
    ),
    summary="Get the API version and when the data last changed",
    description="`api_version` follows semantic versioning; `data_last_updated` is when any "
    "record last changed (null for an empty catalog), the same moment as every response's "
    "`Last-Modified`. Poll this (with `If-Modified-Since`) to know when to fetch again.",
    examples=[OpenApiExample("The version", value=VERSION_BODY), UNKNOWN_PARAMETER],
)
