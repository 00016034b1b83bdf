"""Invented names for the synthetic catalog: INN-style agent names ending like their class
(-lizumab, -cept, -citinib …), brand names, class names after a mechanism and a target, condition
names "<adjective> <organ> <disease>" with subtypes, and the skewed draws that give a few
conditions thousands of therapies. Every draw comes from one `random.Random`, so a seed gives the
same names everywhere.
"""

import bisect
import itertools
from typing import NamedTuple

from django.utils.text import slugify

from catalog.models import Action, ConditionCategory, Qualifier

ONSETS = [
    "b", "c", "d", "f", "g", "l", "m", "n", "p", "r", "s", "t", "v", "z",
    "br", "cl", "dr", "fl", "gl", "pr", "tr", "st", "ph", "th", "qu", "x",
]  # fmt: skip
VOWELS = ["a", "e", "i", "o", "u", "a", "e", "o"]
CODAS = ["", "", "", "", "l", "n", "r", "s", "t", "m", "x"]
BRAND_ONSETS = ["B", "C", "D", "F", "G", "K", "L", "M", "N", "P", "R", "S", "T", "V", "X", "Z"]
BRAND_ENDINGS = ["a", "o", "ix", "ex", "ra", "is", "ia", "on", "yn", "ar", "el", "iq", "ent"]


class Mechanism(NamedTuple):
    template: str  # the class name, "{t}" being the target
    action: str
    endings: list  # INN-style endings of its agents' names
    kind: str  # what one agent is


MECHANISMS = [
    Mechanism(
        "Anti-{t} monoclonal antibodies",
        Action.TARGETS,
        ["limab", "lizumab", "tuzumab", "tuximab", "ciximab", "kinumab", "nezumab", "sumab"],
        "monoclonal antibody",
    ),
    Mechanism(
        "{t} receptor fusion proteins",
        Action.SUPPRESSES,
        ["cept", "nercept", "bacept"],
        "fusion protein",
    ),
    Mechanism(
        "{t} kinase inhibitors",
        Action.SUPPRESSES,
        ["tinib", "citinib", "rutinib", "nib"],
        "kinase inhibitor",
    ),
    Mechanism(
        "{t} analogues",
        Action.STIMULATES,
        ["leukin", "kin", "nakin", "desleukin"],
        "interleukin analogue",
    ),
    Mechanism(
        "{t} colony stimulating factors",
        Action.STIMULATES,
        ["grastim", "mostim", "stim"],
        "colony stimulating factor",
    ),
    Mechanism(
        "{t} cytokine agonists",
        Action.ENHANCES,
        ["ermin", "kin", "terkin"],
        "cytokine agonist",
    ),
]
# Targets per mechanism: (prefix, highest number); "IL-" gives IL-1 … IL-40.
TARGETS = [
    [("CD", 400), ("IL-", 40), ("TNFSF", 20), ("CCR", 10), ("CXCR", 7), ("SIGLEC", 15)],
    [("IL-", 40), ("TNFSF", 20), ("TLR", 10), ("CCR", 10), ("LILRB", 5)],
    [("JAK", 3), ("BTK", 9), ("SYK", 9), ("TYK", 9), ("IRAK", 9), ("RIPK", 9), ("MAPK", 15)],
    [("IL-", 99)],
    [("CSF", 99)],
    [("IFN-", 20), ("TNFSF", 20), ("CCL", 28), ("CXCL", 17)],
]
MECHANISM_WEIGHTS = [5, 2, 3, 1, 1, 1]

ADJECTIVES = [
    "Acute", "Chronic", "Idiopathic", "Primary", "Secondary", "Juvenile", "Familial",
    "Refractory", "Progressive", "Diffuse", "Focal", "Systemic", "Erosive", "Hereditary",
    "Atypical", "Invasive", "Recurrent", "Sporadic", "Congenital", "Late-onset", "Early-onset",
    "Indolent", "Aggressive", "Localised", "Relapsing", "Granulomatous", "Necrotising",
    "Papillary", "Lobular", "Ductal", "Mucinous", "Serous", "Clear-cell", "Small-cell",
    "Large-cell", "Nodular", "Fibrosing",
]  # fmt: skip
ORGANS = [
    "hepatic", "renal", "pulmonary", "gastric", "colonic", "pancreatic", "cutaneous",
    "synovial", "thyroid", "adrenal", "ocular", "cerebral", "spinal", "cardiac", "vascular",
    "biliary", "oesophageal", "ovarian", "prostatic", "testicular", "cervical", "mammary",
    "lymphatic", "splenic", "muscular", "articular", "nasal", "oral", "laryngeal", "bronchial",
    "intestinal", "rectal", "urothelial", "uterine", "pleural", "peritoneal", "osseous",
    "myeloid", "lymphoid", "salivary", "tonsillar", "retinal", "orbital", "meningeal",
]  # fmt: skip
DISEASES = {
    ConditionCategory.CANCER: [
        "carcinoma", "adenocarcinoma", "sarcoma", "lymphoma", "neoplasia", "blastoma",
        "melanoma", "leiomyosarcoma", "neuroendocrine tumour", "squamous cell carcinoma",
    ],
    ConditionCategory.AUTOIMMUNE_INFLAMMATORY: [
        "inflammation", "vasculitis", "fibrosis", "sclerosis", "arthritis", "dermatitis",
        "granulomatosis", "autoimmune disease", "inflammatory syndrome", "myositis",
        "neuropathy", "serositis", "hypersensitivity",
    ],
}  # fmt: skip
SUBTYPES = {
    ConditionCategory.CANCER: [
        "stage I", "stage II", "stage III", "stage IV", "low grade", "high grade", "metastatic",
        "localised", "recurrent", "paediatric", "type 1", "type 2", "HER-like subtype",
        "node-positive", "node-negative",
    ],
    ConditionCategory.AUTOIMMUNE_INFLAMMATORY: [
        "type 1", "type 2", "type 3", "seropositive", "seronegative", "juvenile onset",
        "adult onset", "refractory", "relapsing-remitting", "limited", "diffuse", "mild",
        "severe", "steroid-dependent",
    ],
}  # fmt: skip
NOTES = [
    "Advanced disease.",
    "Second-line use.",
    "In combination with chemotherapy.",
    "Maintenance treatment.",
    "After surgery.",
    "Certain subtypes.",
]
QUALIFIERS = [q for q in Qualifier.values if q]


class Names:
    """Unique names and slugs drawn from one `random.Random`: a name is rejected when its
    casefolded form or its slug is already taken (by this run or by rows already stored)."""

    def __init__(self, rng, taken_names=(), taken_slugs=()):
        self.rng = rng
        self.names = {name.casefold() for name in taken_names}
        self.slugs = set(taken_slugs)

    def claim(self, name, slug=True):
        key = name.casefold()
        if key in self.names:
            return None
        if slug:
            slug = slugify(name)[:120]
            if not slug or slug in self.slugs:
                return None
            self.slugs.add(slug)
        self.names.add(key)
        return slug

    def unique(self, make, slug=True, fallback=None):
        """Draw `make()` until a free name comes up; after many misses, number the name
        (`fallback(name, n)`) so a large catalog never loops for ever."""
        for attempt in itertools.count():
            name = make()
            if attempt >= 200 and fallback is not None:
                name = fallback(name, attempt - 198)
            claimed = self.claim(name, slug)
            if claimed is not None:
                return name, claimed

    def syllable(self):
        rng = self.rng
        return rng.choice(ONSETS) + rng.choice(VOWELS) + rng.choice(CODAS)


def drug_name(rng, names, endings):
    """An INN-style agent name of 8 to 20 characters: syllables + the class's ending."""

    def make():
        while True:
            stem = "".join(names.syllable() for _ in range(rng.randint(1, 3)))
            name = stem + rng.choice(endings)
            if rng.random() < 0.03 and endings[0].endswith("mab"):
                name += " pegol"
            if 8 <= len(name) <= 20:
                return name.capitalize()

    return names.unique(make)


def brand_name(rng, names):
    """A capitalised brand name of 6 to 12 characters."""

    def make():
        while True:
            name = rng.choice(BRAND_ONSETS) + rng.choice(VOWELS) + rng.choice(CODAS)
            name += "".join(names.syllable() for _ in range(rng.randint(0, 2)))
            name += rng.choice(BRAND_ENDINGS)
            if 6 <= len(name) <= 12:
                return name.capitalize()

    return names.unique(make, slug=False)[0]


def zipf_cumulative(n, exponent):
    """Cumulative weights 1/(rank+1)^exponent, for skewed draws with `bisect`."""
    return list(itertools.accumulate(1 / (rank + 1) ** exponent for rank in range(n)))


def draw(rng, cumulative):
    return bisect.bisect_right(cumulative, rng.random() * cumulative[-1])
