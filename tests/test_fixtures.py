"""The content fixture: loads idempotently, is complete, cites its sources, uses its own words.

The article's facts are checked here as the site states them, corrected where a label or another
source corrects the article (issue 14; tests/test_fixtures_labels.py checks those corrections and
the label facts themselves).

The article is not in the repository: the "own words" and "names appear in the article" checks
read its fingerprint (fixtures/article-fingerprint.json, scripts/article_fingerprint.py), so every
clone runs them. Where the article itself is at hand (../shared beside the checkout, or
$IMMUNOSITE_ARTICLE), one more test checks that the committed fingerprint is still the article's.
"""

import json
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
    PendingChange,
    Therapy,
    TherapyClass,
    TherapyName,
)
from scripts import article_fingerprint
from scripts.article_fingerprint import sha256

FIXTURE = Path(settings.BASE_DIR) / "fixtures" / "catalog.json"
ARTICLE = "drugscom-immunotherapy"
FINGERPRINT = article_fingerprint.load()
ARTICLE_RUNS = set(FINGERPRINT["run_sha256"])  # of eight words in a row, which may not be copied
ARTICLE_NAME_HASHES = set(FINGERPRINT["names_sha256"])

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
# Not the article's: MedlinePlus ("Also called: RA") and the Simponi Aria label ("(RA)", "(PsA)");
# MS, IBD and CLL as the MS Trust, the CDC and the American Cancer Society write them (README,
# "Where the content comes from").
CONDITION_ABBREVIATIONS = {
    "rheumatoid-arthritis": "RA",
    "psoriatic-arthritis": "PsA",
    "multiple-sclerosis": "MS",
    "inflammatory-bowel-disease": "IBD",
    "chronic-lymphocytic-leukemia": "CLL",
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
    # The article: interferons "have been used to treat" these (not "are used for").
    ("interferons", "class", "kidney-cancer", "have-been-used"),
    ("interferons", "class", "kaposis-sarcoma", "have-been-used"),
    ("interferons", "class", "melanoma", "have-been-used"),
    ("interferons", "class", "leukemia", "have-been-used"),
    ("interferons", "class", "lymphoma", "have-been-used"),
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
# Terms the article does not define, each defined by the source it cites.
OTHER_GLOSSARY = {  # slug -> (term, the sources it may cite: at least one, no other)
    "biosimilar": ("Biosimilar", {"fda-biosimilars-basics"}),
    "b-cell": ("B cell", {"nci-dictionary-b"}),
    "anti-tnf-medicine": (
        "Anti-TNF medicine",
        set(FDA_LABELS.values()) | {"fda-label-simponi-aria"},
    ),
}
CITED = [Therapy, TherapyClass, Condition, Indication, ModifierRole, GlossaryTerm]


@pytest.fixture(scope="module")
def _loaded_once_more(django_db_setup, django_db_blocker):
    """fixtures/catalog.json loaded again over the copy every test database starts with (once:
    natural keys make loaddata update the rows in place)."""
    with django_db_blocker.unblock():
        call_command("loaddata", "catalog", verbosity=0)


@pytest.fixture
def loaded(_loaded_once_more, db):
    """The database as the fixture leaves it."""


def row_counts():
    """Rows of every table but the changes feed's queue, which notes every write, even one
    that changes nothing."""
    models = apps.get_app_config("catalog").get_models(include_auto_created=True)
    return {
        model._meta.label: model.objects.count() for model in models if model is not PendingChange
    }


def sources_of(obj):
    return {source.slug for source in obj.sources.all()}


def is_article_record(obj):
    """Whether `obj` restates the article (and so must cite it)."""
    if isinstance(obj, GlossaryTerm):
        return obj.slug not in OTHER_GLOSSARY
    therapy = obj if isinstance(obj, Therapy) else getattr(obj, "therapy", None)
    return therapy is None or therapy.slug not in FDA_LABELS


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
    "condition other names": lambda: set(
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
    "condition other names": set(CONDITION_SPELLINGS.items())
    | set(CONDITION_ABBREVIATIONS.items()),
    "indications": INDICATIONS,
    "modifier roles": set(range(1, MODIFIER_ROLE_COUNT + 1)),
    "glossary": set(GLOSSARY.items()) | {(slug, t) for slug, (t, _) in OTHER_GLOSSARY.items()},
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
        if is_article_record(obj):
            assert ARTICLE in sources, f"{model.__name__} {obj} does not cite the article"


@pytest.mark.parametrize("slug", OTHER_GLOSSARY)
def test_terms_the_article_does_not_define_cite_what_defines_them(loaded, slug):
    sources = sources_of(GlossaryTerm.objects.get(slug=slug))
    assert sources and sources <= OTHER_GLOSSARY[slug][1], sources


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


def test_condition_abbreviations_stand_for_each_word_of_the_name():
    for slug, abbreviation in CONDITION_ABBREVIATIONS.items():
        words = CONDITIONS[slug][0].lower().split()
        parts = re.findall(r"[A-Z][a-z]*", abbreviation)  # "PsA": "Ps" for Psoriatic, "A" ...
        assert len(parts) == len(words), abbreviation
        assert all(w.startswith(part.lower()) for part, w in zip(parts, words, strict=True)), (
            abbreviation
        )


def copied_runs(text, article_runs=ARTICLE_RUNS):
    """The runs of eight words of `text` whose hashes are among `article_runs`."""
    return sorted(run for run in article_fingerprint.runs(text) if sha256(run) in article_runs)


def test_fixture_text_is_in_its_own_words():
    assert FINGERPRINT["run_words"] == article_fingerprint.RUN_WORDS == 8
    copied = []
    for obj in json.loads(FIXTURE.read_text(encoding="utf-8")):
        label = f"{obj['model']} {obj['fields'].get('slug') or obj['fields'].get('name')}"
        for field, value in obj["fields"].items():
            if isinstance(value, str) and (shared := copied_runs(value)):
                copied.append(f"{label}.{field}: {shared}")
    assert not copied, "text copied from the article:\n" + "\n".join(copied)


def test_a_fingerprint_finds_eight_words_in_a_row_and_not_seven():
    """The check on an invented article: eight words in a row are found whatever their case,
    apostrophes and punctuation; seven are not; the fingerprint holds hashes, not words."""
    invented = "The heron's quick grey wing brushed over the lazy river at dawn."
    fingerprint = article_fingerprint.build(invented, [])
    runs = set(fingerprint["run_sha256"])
    assert copied_runs("Notes: THE HERONS quick grey wing, brushed over the lazy pond.", runs) == [
        "herons quick grey wing brushed over the lazy",
        "the herons quick grey wing brushed over the",
    ]
    assert not copied_runs("heron's quick grey wing brushed over the", runs)  # seven words
    assert len(runs) == len(article_fingerprint.words(invented)) - 7
    assert "heron" not in json.dumps(fingerprint) and "river" not in json.dumps(fingerprint)


def test_the_committed_fingerprint_holds_hashes_of_long_runs_only():
    """Nothing in it can be looked up in a dictionary: no hash of any run of one to seven of
    the content's words (which share its vocabulary), only 64 hex digits per run."""
    assert all(re.fullmatch(r"[0-9a-f]{64}", value) for value in ARTICLE_RUNS)
    text = " ".join(
        value
        for obj in json.loads(FIXTURE.read_text(encoding="utf-8"))
        for value in obj["fields"].values()
        if isinstance(value, str)
    )
    short = {sha256(run) for n in range(1, 8) for run in article_fingerprint.runs(text, n)} | {
        sha256(word) for word in article_fingerprint.words(text)
    }
    assert len(short) > 5000
    assert not short & (ARTICLE_RUNS | {FINGERPRINT["text_sha256"]})


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
def test_expected_names_appear_in_the_article(name):
    assert name in article_fingerprint.candidate_names(json.loads(FIXTURE.read_text())), (
        f"{name!r} is not a name in fixtures/catalog.json"
    )
    assert article_fingerprint.name_hash(name) in ARTICLE_NAME_HASHES, (
        f"{name!r} is not in the article (fixtures/article-fingerprint.json; rebuild it if the "
        "fixture's names changed: scripts/article_fingerprint.py --rebuild)"
    )


def test_the_fingerprint_names_only_names_of_the_content():
    names = article_fingerprint.candidate_names(json.loads(FIXTURE.read_text()))
    assert {article_fingerprint.name_hash(name) for name in names} >= ARTICLE_NAME_HASHES
    assert article_fingerprint.name_hash("Remicade") not in ARTICLE_NAME_HASHES  # an FDA label's


# Only where the article is at hand; a clone without it runs every other test of this module.
if article_fingerprint.ARTICLE.is_file():

    def test_the_committed_fingerprint_is_the_articles():
        article_text = article_fingerprint.ARTICLE.read_text(encoding="utf-8")
        built = article_fingerprint.build(article_text, json.loads(FIXTURE.read_text()))
        # Every run of eight words of the article is found in it.
        assert copied_runs(article_text) == sorted(article_fingerprint.runs(article_text))
        assert built["text_sha256"] == FINGERPRINT["text_sha256"], (
            f"{article_fingerprint.ARTICLE} is not the article the fingerprint was built from"
        )
        rebuild = "run .venv/bin/python scripts/article_fingerprint.py --rebuild"
        assert built["run_sha256"] == FINGERPRINT["run_sha256"], rebuild
        # The same article, but the content's names it mentions changed (fixtures/catalog.json).
        assert built["names_sha256"] == FINGERPRINT["names_sha256"], (
            f"the fixture's names changed since the fingerprint was built: {rebuild}"
        )
        assert built == FINGERPRINT, rebuild
