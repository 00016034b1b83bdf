"""`manage.py synth`: a reproducible synthetic catalog of any size, for benchmarks.

Every record it writes cites the `synthetic` source ("Synthetic benchmark data — not medical
information") and says "Synthetic record for benchmarking" in its summary, so synthetic rows can
always be told apart from real content (and deleted again with `--replace`).
"""

import bisect
import hashlib
import inspect
import itertools
import math
import random
import time
from typing import NamedTuple

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, models, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.text import slugify

from catalog.models import (
    Action,
    Condition,
    ConditionCategory,
    ConditionName,
    GlossaryTerm,
    Indication,
    ModifierRole,
    Qualifier,
    Source,
    Status,
    Therapy,
    TherapyClass,
    TherapyName,
)

SOURCE_SLUG = "synthetic"
SOURCE_TITLE = "Synthetic benchmark data — not medical information"
MARK = "Synthetic record for benchmarking"
INSERT_BATCH = 1000  # rows per INSERT statement (SQLite lowers it to its 999-parameter limit)
DELETE_CHUNK = 5000  # rows per DELETE when replacing

# --- name material ------------------------------------------------------------------------

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


class Progress:
    """One line on a terminal (`\\r` updates); on anything else a plain line now and then."""

    def __init__(self, out, label, total, enabled=True, lines=10):
        self.out, self.label, self.enabled, self.lines = out, label, enabled, lines
        self.tty = out.isatty()
        self.shown = False
        self.set_total(total)
        self.started = time.monotonic()

    def set_total(self, total):
        if getattr(self, "total", None) != total:
            self.total = total
            self.every = max(1, math.ceil(total / self.lines))
            self.next_line = self.every

    def update(self, done):
        if not self.enabled or done == getattr(self, "last", None):
            return
        self.last = done
        elapsed = time.monotonic() - self.started
        share = done / self.total if self.total else 1
        self.shown = True
        if self.tty:
            bar = "#" * int(share * 30)
            text = (
                f"\r{self.label}: [{bar:<30}] {done:,}/{self.total:,} {share:4.0%} {elapsed:5.1f}s"
            )
            self.out.write(text, style_func=str, ending="")
            self.out.flush()
        elif done >= self.next_line or done >= self.total:
            self.out.write(f"{self.label}: {done:,}/{self.total:,} ({share:.0%}, {elapsed:.1f}s)")
            while self.next_line <= done:
                self.next_line += self.every

    def finish(self):
        if self.enabled and self.tty and self.shown:
            self.out.write("", style_func=str)


class Command(BaseCommand):
    help = (
        "Generate a reproducible synthetic catalog for benchmarks: therapy classes, conditions "
        "(with one level of sub-conditions) and therapies with brand names and about four "
        "indications each. The same --seed and size give the same names, slugs and links. Every "
        "record cites the source `synthetic` and says it is synthetic. Rows are bulk-inserted, "
        "so they get no django-simple-history versions (history is for editors' changes). "
        "Refuses a database holding content that is not synthetic unless --force (which adds "
        "the synthetic rows beside it and never deletes real content), and a database already "
        "holding synthetic rows unless --replace (which deletes the synthetic rows first). "
        "Finally runs catalog.search.rebuild_index() when the project has it."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--therapies", type=int, default=1000, help="How many therapies (default 1000)."
        )
        parser.add_argument("--seed", type=int, default=1, help="Random seed (default 1).")
        parser.add_argument(
            "--batch-size",
            type=int,
            default=5000,
            help="Therapies per transaction (default 5000).",
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="Add synthetic rows even though the database holds real content (never "
            "deletes it; names that real records use are skipped).",
        )
        parser.add_argument(
            "--replace",
            action="store_true",
            help="Delete the synthetic rows of an earlier run first (only records citing the "
            "`synthetic` source).",
        )
        parser.add_argument("--no-progress", action="store_true", help="No progress bar.")
        parser.add_argument(
            "--no-index", action="store_true", help="Do not rebuild the search index afterwards."
        )

    def handle(self, *args, **options):
        size, batch_size = options["therapies"], options["batch_size"]
        if size < 1:
            raise CommandError("--therapies must be at least 1.")
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        self.verbosity = options["verbosity"]
        self.show_progress = self.verbosity > 0 and not options["no_progress"]

        source = Source.objects.filter(slug=SOURCE_SLUG).first()
        self.refuse_real_content(source, options["force"])
        if source is not None and self.synthetic_exists(source):
            if not options["replace"]:
                raise CommandError(
                    "The database already holds synthetic data (records citing the `synthetic` "
                    "source). Use --replace to delete it and generate again."
                )
            started = time.monotonic()
            deleted = self.purge(source)
            took = time.monotonic() - started
            if self.verbosity > 0:
                self.stdout.write(f"Deleted {deleted:,} earlier synthetic rows in {took:.1f}s.")
        if source is None:
            source = self.create_source()

        started = time.monotonic()
        counts = self.generate(source, size, options["seed"], batch_size)
        generated = time.monotonic() - started
        if connection.vendor == "postgresql":
            self.analyze()
        if self.verbosity > 0:
            summary = ", ".join(f"{n:,} {label}" for label, n in counts.items())
            self.stdout.write(f"Generated {summary} in {generated:.1f}s (seed {options['seed']}).")
        if not options["no_index"]:
            self.rebuild_search_index()

    # --- safety ---------------------------------------------------------------------------

    def refuse_real_content(self, source, force):
        """Refuse when any catalog record is not synthetic, unless forced."""
        real = {}
        sources = Source.objects.exclude(slug=SOURCE_SLUG).count()
        if sources:
            real[Source._meta.verbose_name_plural] = sources
        for model in (TherapyClass, Therapy, Condition, Indication, ModifierRole, GlossaryTerm):
            queryset = model._base_manager.all()
            if source is not None:
                queryset = not_citing(model, source)
            count = queryset.count()
            if count:
                real[model._meta.verbose_name_plural] = count
        if not real:
            return
        listing = ", ".join(f"{n:,} {label}" for label, n in real.items())
        if not force:
            raise CommandError(
                f"The database holds content that is not synthetic ({listing}). synth is for "
                "benchmark databases; use a fresh database, or --force to add synthetic records "
                "beside the real ones (real content is never deleted)."
            )
        if self.verbosity > 0:
            self.stdout.write(f"--force: adding synthetic records beside real content ({listing}).")

    @staticmethod
    def synthetic_exists(source):
        return any(
            citing(model, source).exists()
            for model in (TherapyClass, Therapy, Condition, Indication)
        )

    def create_source(self):
        (source,) = Source.objects.bulk_create(
            [
                Source(
                    slug=SOURCE_SLUG,
                    title=SOURCE_TITLE,
                    publisher="immunosite manage.py synth",
                    note="Invented names and links generated for benchmarks; none of it is real.",
                )
            ]
        )
        return source

    # --- --replace ------------------------------------------------------------------------

    def purge(self, source):
        """Delete every record citing the synthetic source (and what hangs off it: names,
        indications, links) with plain DELETEs: no history rows, no per-object signals."""
        synthetic = {
            model: citing(model, source).values("pk")
            for model in (Therapy, TherapyClass, Condition, Indication)
        }
        real_indications = not_citing(Indication, source).filter(
            models.Q(therapy__in=synthetic[Therapy])
            | models.Q(therapy_class__in=synthetic[TherapyClass])
            | models.Q(condition__in=synthetic[Condition])
        )
        if real_indications.exists():
            raise CommandError(
                "Some indications that are not synthetic point at synthetic records; --replace "
                "would delete them. Remove or relink them first."
            )
        if (
            not_citing(Therapy, source).filter(therapy_class__in=synthetic[TherapyClass]).exists()
            or not_citing(Condition, source).filter(parent__in=synthetic[Condition]).exists()
        ):
            raise CommandError(
                "Some real therapies or conditions belong to synthetic classes or conditions; "
                "move them before using --replace."
            )
        # Children before parents: therapies before classes, sub-conditions before parents.
        steps = [
            (Indication, synthetic[Indication]),
            (Therapy, synthetic[Therapy]),
            (TherapyClass, synthetic[TherapyClass]),
            (Condition, citing(Condition, source).filter(parent__isnull=False).values("pk")),
            (Condition, synthetic[Condition]),
        ]
        total = (
            sum(queryset.count() for _, queryset in steps[:-1])
            + citing(Condition, source).filter(parent__isnull=True).count()
        )
        progress = Progress(
            self.stderr, "Deleting earlier synthetic rows", total, self.show_progress
        )
        done = 0
        with transaction.atomic():
            for model, queryset in steps:
                ids = sorted(queryset.values_list("pk", flat=True))
                everything = model._base_manager.order_by().values_list("pk", flat=True)
                others = sorted(set(everything).difference(ids))
                for low, high, count in id_ranges(ids, others, DELETE_CHUNK):
                    self.delete_rows(model, model._base_manager.filter(pk__gte=low, pk__lte=high))
                    done += count
                    progress.update(done)
        progress.finish()
        return done

    def delete_rows(self, model, queryset):
        """DELETE the rows and, first, the rows that cascade from them (any model: names,
        link tables, a search index …), like Django's collector but without signals."""
        for relation in model._meta.get_fields(include_hidden=True):
            if not (relation.auto_created and not relation.concrete):
                continue
            if not (relation.one_to_many or relation.one_to_one):
                continue
            related = relation.related_model
            dependent = related._base_manager.filter(**{f"{relation.field.name}__in": queryset})
            on_delete = relation.on_delete
            if on_delete is models.CASCADE:
                self.delete_rows(related, dependent)
            elif on_delete is models.SET_NULL:
                dependent.update(**{relation.field.name: None})
            elif on_delete is models.DO_NOTHING:
                continue
            elif dependent.exists():
                raise CommandError(
                    f"Cannot delete synthetic {model._meta.verbose_name_plural}: "
                    f"{related._meta.verbose_name_plural} still refer to them."
                )
        queryset._raw_delete(queryset.db)

    # --- generation -----------------------------------------------------------------------

    def generate(self, source, size, seed, batch_size):
        rng = random.Random(seed)
        now = timezone.now()
        published = {"status": Status.PUBLISHED, "published_at": now}

        # Names real records use stay theirs (only matters with --force).
        drug_names = Names(
            rng,
            itertools.chain(
                Therapy.objects.values_list("name", flat=True),
                TherapyName.objects.values_list("name", flat=True),
            ),
            Therapy.objects.values_list("slug", flat=True),
        )
        class_names = Names(
            rng,
            TherapyClass.objects.values_list("name", flat=True),
            TherapyClass.objects.values_list("slug", flat=True),
        )
        condition_names = Names(
            rng,
            itertools.chain(
                Condition.objects.values_list("name", flat=True),
                ConditionName.objects.values_list("name", flat=True),
            ),
            Condition.objects.values_list("slug", flat=True),
        )

        with transaction.atomic():
            classes, mechanisms = self.make_classes(rng, class_names, size, published)
            conditions = self.make_conditions(rng, condition_names, size, published)
            link_sources(TherapyClass, classes, source)
            link_sources(Condition, conditions, source)
            class_indications = self.make_class_indications(rng, classes, conditions, published)
            link_sources(Indication, class_indications, source)

        # Skewed draws: a few classes hold many agents, a few conditions many therapies.
        class_order = list(range(len(classes)))
        rng.shuffle(class_order)
        class_cumulative = zipf_cumulative(len(classes), 0.5)
        condition_order = list(range(len(conditions)))
        rng.shuffle(condition_order)
        condition_cumulative = zipf_cumulative(len(conditions), 0.9)

        progress = Progress(self.stderr, "Generating therapies", size, self.show_progress)
        counts = {"therapies": 0, "brand names": 0, "agent-level indications": 0}
        for start in range(0, size, batch_size):
            therapies, brands, links = [], [], []
            for _ in range(min(batch_size, size - start)):
                index = class_order[draw(rng, class_cumulative)]
                therapy_class = classes[index]
                mechanism = mechanisms[index]
                name, slug = drug_name(rng, drug_names, mechanism.endings)
                brand = brand_name(rng, drug_names)
                own_brands = [brand]
                if rng.random() < 0.15:
                    own_brands.append(brand_name(rng, drug_names))
                therapies.append(
                    Therapy(
                        slug=slug,
                        name=name,
                        therapy_class=therapy_class,
                        summary=f"{MARK}: an invented {mechanism.kind}, not a real medicine.",
                        description=(
                            f"{MARK}. {name} (brand name {brand}) belongs to the invented class "
                            f"“{therapy_class.name}”. It was generated by manage.py synth; "
                            "nothing on this page is medical information."
                        ),
                        **published,
                    )
                )
                brands.append(own_brands)
                wanted = rng.randint(2, 6)  # about four on average
                picked = []
                while len(picked) < wanted:
                    index = condition_order[draw(rng, condition_cumulative)]
                    if index not in picked:
                        picked.append(index)
                links.append(
                    [
                        (
                            conditions[index].pk,
                            rng.choice(QUALIFIERS) if rng.random() < 0.25 else "",
                            rng.choice(NOTES) if rng.random() < 0.1 else "",
                        )
                        for index in picked
                    ]
                )

            with transaction.atomic():
                Therapy.objects.bulk_create(therapies, batch_size=INSERT_BATCH)
                link_sources(Therapy, therapies, source)
                brand_rows = TherapyName.objects.bulk_create(
                    (
                        TherapyName(therapy_id=therapy.pk, name=brand, kind=TherapyName.Kind.BRAND)
                        for therapy, own_brands in zip(therapies, brands, strict=True)
                        for brand in own_brands
                    ),
                    batch_size=INSERT_BATCH,
                )
                indications = Indication.objects.bulk_create(
                    (
                        Indication(
                            therapy_id=therapy.pk,
                            condition_id=condition_id,
                            qualifier=qualifier,
                            note=note,
                            **published,
                        )
                        for therapy, rows in zip(therapies, links, strict=True)
                        for condition_id, qualifier, note in rows
                    ),
                    batch_size=INSERT_BATCH,
                )
                link_sources(Indication, indications, source)
            counts["therapies"] += len(therapies)
            counts["brand names"] += len(brand_rows)
            counts["agent-level indications"] += len(indications)
            progress.update(start + len(therapies))
        progress.finish()
        return {
            "classes": len(classes),
            "conditions": len(conditions),
            **counts,
            "class-level indications": len(class_indications),
        }

    def make_classes(self, rng, names, size, published):
        count = max(6, round(size / 500))
        classes, mechanisms = [], []
        for i in range(count):
            # Every mechanism at least once, then weighted (antibodies most common).
            if i < len(MECHANISMS):
                m = i
            else:
                m = rng.choices(range(len(MECHANISMS)), weights=MECHANISM_WEIGHTS)[0]
            mechanism = MECHANISMS[m]

            def make(m=m):
                prefix, highest = rng.choice(TARGETS[m])
                return MECHANISMS[m].template.format(t=f"{prefix}{rng.randint(1, highest)}")

            name, slug = names.unique(make, fallback=lambda name, n: f"{name} (series {n})")
            classes.append(
                TherapyClass(
                    slug=slug,
                    name=name,
                    action=mechanism.action,
                    summary=f"{MARK}: an invented class of {mechanism.kind}s.",
                    description=f"{MARK}. Generated by manage.py synth; not a real class.",
                    **published,
                )
            )
            mechanisms.append(mechanism)
        return TherapyClass.objects.bulk_create(classes, batch_size=INSERT_BATCH), mechanisms

    def make_conditions(self, rng, names, size, published):
        """Top-level conditions "<adjective> <organ> <disease>", and sub-conditions
        "<parent>, <subtype>" one level deep with their parent's category."""
        count = max(20, round(size / 50))
        parent_count = max(8, round(count * 0.4))
        categories = list(ConditionCategory.values)
        parents = []
        for i in range(parent_count):
            category = categories[i] if i < len(categories) else rng.choice(categories)

            def make(category=category):
                adjective, organ = rng.choice(ADJECTIVES), rng.choice(ORGANS)
                return f"{adjective} {organ} {rng.choice(DISEASES[category])}"

            name, slug = names.unique(make, fallback=lambda name, n: f"{name} type {n}")
            parents.append(
                Condition(
                    slug=slug,
                    name=name,
                    category=category,
                    summary=f"{MARK}: an invented condition, not a real diagnosis.",
                    **published,
                )
            )
        parents = Condition.objects.bulk_create(parents, batch_size=INSERT_BATCH)

        children = []
        free = {parent.pk: list(SUBTYPES[parent.category]) for parent in parents}
        while len(children) < count - parent_count:
            parent = rng.choice(parents)
            if not free[parent.pk]:
                if not any(free.values()):
                    break
                continue
            subtype = free[parent.pk].pop(rng.randrange(len(free[parent.pk])))
            claimed = names.claim(f"{parent.name}, {subtype}")
            if claimed is None:
                continue
            children.append(
                Condition(
                    slug=claimed,
                    name=f"{parent.name}, {subtype}",
                    category=parent.category,
                    parent_id=parent.pk,
                    summary=f"{MARK}: an invented subtype of {parent.name.lower()}.",
                    **published,
                )
            )
        return parents + Condition.objects.bulk_create(children, batch_size=INSERT_BATCH)

    def make_class_indications(self, rng, classes, conditions, published):
        """Some classes as a whole are "used for" a few conditions."""
        rows = []
        for i, therapy_class in enumerate(classes):
            wanted = rng.randint(1, 3) if i == 0 or rng.random() < 0.5 else 0
            for condition in rng.sample(conditions, min(wanted, len(conditions))):
                rows.append(
                    Indication(
                        therapy_class_id=therapy_class.pk,
                        condition_id=condition.pk,
                        qualifier=rng.choice(QUALIFIERS) if rng.random() < 0.5 else "",
                        **published,
                    )
                )
        return Indication.objects.bulk_create(rows, batch_size=INSERT_BATCH)

    # --- afterwards -----------------------------------------------------------------------

    def analyze(self):
        """Fresh planner statistics for the bulk-loaded tables (PostgreSQL)."""
        tables = {
            model._meta.db_table
            for model in (TherapyClass, Therapy, TherapyName, Condition, Indication)
        } | {
            model.sources.through._meta.db_table
            for model in (TherapyClass, Therapy, Condition, Indication)
        }
        with connection.cursor() as cursor:
            for table in sorted(tables):
                cursor.execute(f"ANALYZE {connection.ops.quote_name(table)}")

    def rebuild_search_index(self):
        import catalog.search

        rebuild = getattr(catalog.search, "rebuild_index", None)
        if rebuild is None:
            if self.verbosity > 1:
                self.stdout.write("No catalog.search.rebuild_index(): search index not rebuilt.")
            return
        started = time.monotonic()
        bar = Progress(self.stderr, "Rebuilding the search index", 0, self.show_progress)
        kwargs = {}
        if "progress" in inspect.signature(rebuild).parameters:

            def progress(done, total):
                bar.set_total(total)
                bar.update(done)

            kwargs["progress"] = progress
        elif self.show_progress:
            self.stderr.write("Rebuilding the search index …", style_func=str)
        rebuild(**kwargs)
        bar.finish()
        if self.verbosity > 0:
            self.stdout.write(f"Rebuilt the search index in {time.monotonic() - started:.1f}s.")


def citing(model, source):
    """The model's records that cite the source (a semi-join: no duplicates, no ordering)."""
    return model._base_manager.order_by().filter(_cites(model, source))


def not_citing(model, source):
    """The model's records that do not cite the source (an anti-join, fast at any size)."""
    return model._base_manager.order_by().exclude(_cites(model, source))


def _cites(model, source):
    through = model.sources.through
    column = f"{model._meta.model_name}_id"
    return Exists(through.objects.filter(**{column: OuterRef("pk")}, source_id=source.pk))


def id_ranges(ids, others, size):
    """(low, high, count): runs of at most `size` of the sorted `ids` with none of the sorted
    `others` between low and high, so a range condition deletes exactly those rows."""
    start = 0
    while start < len(ids):
        # The first id of another record above the run's start bounds the run.
        above = bisect.bisect_left(others, ids[start])
        fence = others[above] if above < len(others) else None
        end = start + 1
        while end < len(ids) and end - start < size and (fence is None or ids[end] < fence):
            end += 1
        yield ids[start], ids[end - 1], end - start
        start = end


def link_sources(model, records, source):
    """Every record cites the synthetic source (one bulk INSERT into the link table)."""
    through = model.sources.through
    column = f"{model._meta.model_name}_id"
    through.objects.bulk_create(
        (through(**{column: record.pk, "source_id": source.pk}) for record in records),
        batch_size=INSERT_BATCH,
    )


def digest():
    """A fingerprint of the synthetic catalog's names, slugs and links (for reproducibility
    checks: the same --seed and size give the same digest, on SQLite and PostgreSQL alike).
    Rows are sorted in Python: the databases sort NULLs differently."""
    source = Source.objects.get(slug=SOURCE_SLUG)
    h = hashlib.sha256()
    for rows in (
        TherapyClass.objects.filter(sources=source).values_list("slug", "name", "action"),
        Condition.objects.filter(sources=source).values_list(
            "slug", "name", "category", "parent__slug"
        ),
        Therapy.objects.filter(sources=source).values_list("slug", "name", "therapy_class__slug"),
        TherapyName.objects.filter(therapy__sources=source).values_list(
            "therapy__slug", "name", "kind"
        ),
        Indication.objects.filter(sources=source).values_list(
            "therapy__slug", "therapy_class__slug", "condition__slug", "qualifier", "note"
        ),
    ):
        keyed = sorted(tuple("" if v is None else v for v in row) for row in rows.order_by())
        h.update(repr(keyed).encode())
    return h.hexdigest()
