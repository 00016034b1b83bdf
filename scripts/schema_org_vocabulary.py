"""The schema.org vocabulary tests/test_schema_org.py checks the site's JSON-LD against
(tests/data/schema-org-vocabulary.json), trimmed from schema.org's official release file.

The file keeps, of the release:
- every type (schema.org's classes and data types) with the types it is a subclass of, so any
  type's superclasses and subclasses can be followed;
- for the properties named in PROPERTIES below (those the site's JSON-LD uses, and a few it is
  likely to), the types they are defined for (domainIncludes) and the types their values may
  take (rangeIncludes);
- the names of all other properties, so that the test tells a property schema.org does not
  define from one missing here (add it to PROPERTIES and build the file again);
- the release's version.

The release file comes from the schema.org repository (github.com/schemaorg/schemaorg,
data/releases/<version>/schemaorg-current-https.jsonld). From the repository root:

    .venv/bin/python scripts/schema_org_vocabulary.py path/to/schemaorg-current-https.jsonld 30.0
"""

import argparse
import json
import sys
from pathlib import Path

TARGET = Path(__file__).resolve().parent.parent / "tests" / "data" / "schema-org-vocabulary.json"

PROPERTIES = [
    # Thing, WebPage and the breadcrumbs
    "about",
    "alternateName",
    "description",
    "image",
    "item",
    "itemListElement",
    "lastReviewed",
    "mainEntity",
    "name",
    "position",
    "reviewedBy",
    "sameAs",
    "url",
    # Person (a page's reviewer)
    "affiliation",
    "honorificSuffix",
    "jobTitle",
    "knowsAbout",
    # Drug, DrugClass, MedicalTherapy, MedicalCondition
    "activeIngredient",
    "code",
    "drug",
    "drugClass",
    "mechanismOfAction",
    "nonProprietaryName",
    "possibleTreatment",
    "proprietaryName",
    "relevantSpecialty",
    "study",
    # WebSite and its search box
    "potentialAction",
    "target",
    "urlTemplate",
]

PREFIX = "schema:"


def ids(value):
    """The schema.org names an rdfs/schema reference (one or a list) points at; references
    outside schema.org (owl, snomed, …) are left out."""
    values = value if isinstance(value, list) else [value] if value else []
    return sorted(
        v["@id"].removeprefix(PREFIX) for v in values if v.get("@id", "").startswith(PREFIX)
    )


def trimmed(release, version):
    types, properties, others = {}, {}, []
    for node in release["@graph"]:
        kinds = node["@type"] if isinstance(node["@type"], list) else [node["@type"]]
        name = node["@id"].removeprefix(PREFIX)
        if not node["@id"].startswith(PREFIX):
            continue
        if "rdfs:Class" in kinds:
            types[name] = ids(node.get("rdfs:subClassOf"))
        if "rdf:Property" in kinds:
            if name in PROPERTIES:
                properties[name] = {
                    "domain": ids(node.get("schema:domainIncludes")),
                    "range": ids(node.get("schema:rangeIncludes")),
                }
            else:
                others.append(name)
    return {
        "version": version,
        "source": (
            "https://github.com/schemaorg/schemaorg/blob/main/data/releases/"
            f"{version}/schemaorg-current-https.jsonld"
        ),
        "types": dict(sorted(types.items())),
        "properties": dict(sorted(properties.items())),
        "other_properties": sorted(others),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("release", type=Path, help="schemaorg-current-https.jsonld")
    parser.add_argument("version", help="the release's version, e.g. 30.0")
    parser.add_argument(
        "--output", type=Path, default=TARGET, help="default: tests/data/schema-org-vocabulary.json"
    )
    args = parser.parse_args()
    vocabulary = trimmed(json.loads(args.release.read_text(encoding="utf-8")), args.version)
    missing = sorted(set(PROPERTIES) - set(vocabulary["properties"]))
    if missing:
        sys.exit(f"not in the release: {', '.join(missing)}")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(vocabulary, indent=1, ensure_ascii=False)
    args.output.write_text(text + "\n", encoding="utf-8")
    print(
        f"{args.output}: schema.org {args.version}, {len(vocabulary['types'])} types, "
        f"{len(vocabulary['properties'])} properties in full"
    )


if __name__ == "__main__":
    main()
