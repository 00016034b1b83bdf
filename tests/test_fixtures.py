"""The content fixture: loads idempotently, is complete, cites its sources, uses its own words."""

import json
import os
import re
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.core.management import call_command

from catalog.models import (
    Condition,
    ConditionName,
    GlossaryTerm,
    Indication,
    ModifierRole,
    Therapy,
    TherapyClass,
    TherapyName,
)

FIXTURE = Path(settings.BASE_DIR) / "fixtures" / "catalog.json"
ARTICLE_PATH = Path(
    os.environ.get(
        "IMMUNOSITE_ARTICLE",
        Path(settings.BASE_DIR).parent / "shared/seed/immunotherapy-article.txt",
    )
)
ARTICLE = "drugscom-immunotherapy"
MIN_SHARED_RUN = 8  # words in a row that may not be copied from the article

# --- What the article (and the five FDA labels) say: written by hand, not read from the fixture.
CLASSES = {
    "interferons": "Interferons",
    "interleukins": "Interleukins",
    "colony-stimulating-factors": "Colony stimulating factors",
    "monoclonal-antibodies": "Monoclonal antibodies",
    "anti-tnf-therapy": "Anti-TNF therapy",
}
CLASS_ABBREVIATIONS = {"colony-stimulating-factors": "CSFs"}
THERAPIES = {  # slug -> (name, class, brand)
    "interleukin-2": ("Interleukin-2", "interleukins", None),
    "rituximab": ("Rituximab", "monoclonal-antibodies", "Rituxan"),
    "tocilizumab": ("Tocilizumab", "monoclonal-antibodies", "Actemra"),
    "trastuzumab": ("Trastuzumab", "monoclonal-antibodies", "Herceptin"),
    "adalimumab": ("Adalimumab", "anti-tnf-therapy", "Humira"),
    "certolizumab-pegol": ("Certolizumab pegol", "anti-tnf-therapy", "Cimzia"),
    "etanercept": ("Etanercept", "anti-tnf-therapy", "Enbrel"),
    "golimumab": ("Golimumab", "anti-tnf-therapy", "Simponi"),
    "infliximab": ("Infliximab", "anti-tnf-therapy", "Remicade"),
}
BRANDS = {slug: brand for slug, (_, _, brand) in THERAPIES.items() if brand}
THERAPY_ABBREVIATIONS = {"interleukin-2": "IL-2"}
FDA_LABELS = {  # agent -> its label source; these agents are not named in the article
    "adalimumab": "fda-label-humira",
    "certolizumab-pegol": "fda-label-cimzia",
    "etanercept": "fda-label-enbrel",
    "golimumab": "fda-label-simponi",
    "infliximab": "fda-label-remicade",
}
CANCER, AUTOIMMUNE = "cancer", "autoimmune-inflammatory"
CONDITIONS = {  # slug -> (name, category, parent)
    "kidney-cancer": ("Kidney cancer", CANCER, None),
    "kaposis-sarcoma": ("Kaposi's sarcoma", CANCER, None),
    "melanoma": ("Melanoma", CANCER, None),
    "leukemia": ("Leukemia", CANCER, None),
    "chronic-lymphocytic-leukemia": ("Chronic lymphocytic leukemia", CANCER, "leukemia"),
    "lymphoma": ("Lymphoma", CANCER, None),
    "non-hodgkins-lymphoma": ("Non-Hodgkin's lymphoma", CANCER, "lymphoma"),
    "breast-cancer": ("Breast cancer", CANCER, None),
    "rheumatoid-arthritis": ("Rheumatoid arthritis", AUTOIMMUNE, None),
    "psoriatic-arthritis": ("Psoriatic arthritis", AUTOIMMUNE, None),
    "inflammatory-bowel-disease": ("Inflammatory bowel disease", AUTOIMMUNE, None),
    "ulcerative-colitis": ("Ulcerative colitis", AUTOIMMUNE, "inflammatory-bowel-disease"),
    "crohns-disease": ("Crohn's disease", AUTOIMMUNE, "inflammatory-bowel-disease"),
    "multiple-sclerosis": ("Multiple sclerosis", AUTOIMMUNE, None),
    "psoriasis": ("Psoriasis", AUTOIMMUNE, None),
}
CONDITION_SPELLINGS = {
    "kaposis-sarcoma": "Kaposi sarcoma",
    "non-hodgkins-lymphoma": "Non-Hodgkin lymphoma",
    "crohns-disease": "Crohns disease",
}
RA, PSA = "rheumatoid-arthritis", "psoriatic-arthritis"
CD, UC = "crohns-disease", "ulcerative-colitis"
FDA_INDICATIONS = {
    "adalimumab": [RA, PSA, CD, UC, "psoriasis"],
    "certolizumab-pegol": [RA, PSA, CD, "psoriasis"],
    "etanercept": [RA, PSA, "psoriasis"],
    "golimumab": [RA, PSA, UC],
    "infliximab": [RA, PSA, CD, UC, "psoriasis"],
}
INDICATIONS = {  # (subject, level, condition, qualifier)
    ("interferons", "class", "kidney-cancer", ""),
    ("interferons", "class", "kaposis-sarcoma", ""),
    ("interferons", "class", "melanoma", ""),
    ("interferons", "class", "leukemia", ""),
    ("interferons", "class", "lymphoma", ""),
    ("monoclonal-antibodies", "class", RA, "may-help"),
    ("monoclonal-antibodies", "class", PSA, "may-help"),
    ("anti-tnf-therapy", "class", RA, "conventional-drugs-failed"),
    ("anti-tnf-therapy", "class", "inflammatory-bowel-disease", "conventional-drugs-failed"),
    ("interleukin-2", "agent", "kidney-cancer", "may-be-effective"),
    ("interleukin-2", "agent", "melanoma", "may-be-effective"),
    ("rituximab", "agent", "non-hodgkins-lymphoma", ""),
    ("rituximab", "agent", "chronic-lymphocytic-leukemia", ""),
    ("rituximab", "agent", RA, "other-agents-failed"),
    ("tocilizumab", "agent", RA, ""),
    ("trastuzumab", "agent", "breast-cancer", ""),
} | {(agent, "agent", c, "") for agent, conds in FDA_INDICATIONS.items() for c in conds}
MODIFIER_ROLE_COUNT = 4
GLOSSARY = {
    "immunotherapy": "Immunotherapy",
    "antigen": "Antigen",
    "antibody": "Antibody",
    "monoclonal-antibody": "Monoclonal antibody",
    "biological-response-modifier": "Biological response modifier",
    "lymphocyte": "Lymphocyte",
    "white-blood-cell": "White blood cell",
    "tumor-necrosis-factor": "Tumor necrosis factor",
    "autoimmune-disorder": "Autoimmune disorder",
    "inflammation": "Inflammation",
    "bone-marrow-stem-cell": "Bone marrow stem cell",
    "colony-stimulating-factor": "Colony stimulating factor",
    "interferon": "Interferon",
    "interleukin": "Interleukin",
}
CITED = [Therapy, TherapyClass, Condition, Indication, ModifierRole, GlossaryTerm]


@pytest.fixture
def loaded(db):
    call_command("loaddata", "catalog", verbosity=0)


def row_counts():
    models = apps.get_app_config("catalog").get_models(include_auto_created=True)
    return {model._meta.label: model.objects.count() for model in models}


def sources_of(obj):
    return {source.slug for source in obj.sources.all()}


def is_fda_record(obj):
    therapy = obj if isinstance(obj, Therapy) else getattr(obj, "therapy", None)
    return therapy is not None and therapy.slug in FDA_LABELS


def test_loading_twice_adds_no_rows(loaded):
    first = row_counts()
    call_command("loaddata", "catalog", verbosity=0)
    assert row_counts() == first
    assert first["catalog.Indication"] == len(INDICATIONS)


ACTUAL = {
    "classes": lambda: set(TherapyClass.objects.values_list("slug", "name")),
    "class abbreviations": lambda: set(
        TherapyClass.objects.exclude(abbreviation="").values_list("slug", "abbreviation")
    ),
    "therapies": lambda: {(t.slug, (t.name, t.therapy_class.slug)) for t in Therapy.objects.all()},
    "brands": lambda: set(
        TherapyName.objects.filter(kind="brand").values_list("therapy__slug", "name")
    ),
    "therapy abbreviations": lambda: set(
        TherapyName.objects.filter(kind="abbreviation").values_list("therapy__slug", "name")
    ),
    "conditions": lambda: {
        (c.slug, (c.name, c.category, c.parent and c.parent.slug)) for c in Condition.objects.all()
    },
    "condition spellings": lambda: set(
        ConditionName.objects.values_list("condition__slug", "name")
    ),
    "indications": lambda: {
        (i.subject.slug, i.level, i.condition.slug, i.qualifier) for i in Indication.objects.all()
    },
    "modifier roles": lambda: set(ModifierRole.objects.values_list("position", flat=True)),
    "glossary": lambda: set(GlossaryTerm.objects.values_list("slug", "term")),
}
EXPECTED = {
    "classes": set(CLASSES.items()),
    "class abbreviations": set(CLASS_ABBREVIATIONS.items()),
    "therapies": {(slug, (name, cls)) for slug, (name, cls, _) in THERAPIES.items()},
    "brands": set(BRANDS.items()),
    "therapy abbreviations": set(THERAPY_ABBREVIATIONS.items()),
    "conditions": set(CONDITIONS.items()),
    "condition spellings": set(CONDITION_SPELLINGS.items()),
    "indications": INDICATIONS,
    "modifier roles": set(range(1, MODIFIER_ROLE_COUNT + 1)),
    "glossary": set(GLOSSARY.items()),
}


@pytest.mark.parametrize("kind", EXPECTED)
def test_fixture_matches_expected_content(loaded, kind):
    actual = ACTUAL[kind]()
    missing, unexpected = EXPECTED[kind] - actual, actual - EXPECTED[kind]
    assert not missing, f"{kind} missing from the fixture: {sorted(missing, key=str)}"
    assert not unexpected, f"{kind} in the fixture but not expected: {sorted(unexpected, key=str)}"


@pytest.mark.parametrize("model", CITED, ids=lambda m: m.__name__)
def test_every_record_has_a_source_and_article_facts_cite_the_article(loaded, model):
    for obj in model.objects.all():
        sources = sources_of(obj)
        assert sources, f"{model.__name__} {obj} has no source"
        if not is_fda_record(obj):
            assert ARTICLE in sources, f"{model.__name__} {obj} does not cite the article"


@pytest.mark.parametrize("agent", FDA_LABELS)
def test_anti_tnf_agents_cite_only_their_fda_label(loaded, agent):
    therapy = Therapy.objects.get(slug=agent)
    assert sources_of(therapy) == {FDA_LABELS[agent]}
    indications = therapy.indications.all()
    assert {i.condition.slug for i in indications} == set(FDA_INDICATIONS[agent])
    for indication in indications:
        assert sources_of(indication) == {FDA_LABELS[agent]}, f"{indication}"


def test_condition_spellings_only_drop_apostrophes():
    def squash(text):
        return re.sub(r"[^a-z]", "", text.lower())

    for slug, spelling in CONDITION_SPELLINGS.items():
        name = CONDITIONS[slug][0]
        assert squash(spelling) in {squash(name), squash(name.replace("'s", ""))}, spelling


@pytest.fixture
def article_text():
    if not ARTICLE_PATH.is_file():
        pytest.skip(f"source article not found at {ARTICLE_PATH}")
    return ARTICLE_PATH.read_text(encoding="utf-8")


def words(text):
    return re.findall(r"[a-z0-9]+", re.sub(r"['\u2019]", "", text.lower()))


def runs(text, n=MIN_SHARED_RUN):
    w = words(text)
    return {" ".join(w[i : i + n]) for i in range(len(w) - n + 1)}


def test_fixture_text_is_in_its_own_words(article_text):
    article_runs = runs(article_text)
    copied = []
    for obj in json.loads(FIXTURE.read_text(encoding="utf-8")):
        label = f"{obj['model']} {obj['fields'].get('slug') or obj['fields'].get('name')}"
        for field, value in obj["fields"].items():
            if isinstance(value, str) and (shared := runs(value) & article_runs):
                copied.append(f"{label}.{field}: {sorted(shared)}")
    assert not copied, "text copied from the article:\n" + "\n".join(copied)


ARTICLE_NAMES = sorted(
    set(CLASSES.values())
    | set(CLASS_ABBREVIATIONS.values())
    | {name for slug, (name, _, _) in THERAPIES.items() if slug not in FDA_LABELS}
    | {brand for slug, brand in BRANDS.items() if slug not in FDA_LABELS}
    | set(THERAPY_ABBREVIATIONS.values())
    | {name for name, _, _ in CONDITIONS.values()}
    | set(GLOSSARY.values())
)


@pytest.mark.parametrize("name", ARTICLE_NAMES)
def test_expected_names_appear_in_the_article(article_text, name):
    assert name.lower() in article_text.lower()
