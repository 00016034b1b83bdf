"""What keeps the synthetic catalog apart from real content: refusing a database that holds
content that is not synthetic (unless forced), finding and deleting the rows of an earlier run
(`--replace`: only records citing the synthetic source, with plain DELETEs, never a real record),
and the digest that shows a seed and size give the same catalog on SQLite and PostgreSQL."""

import bisect
import hashlib

from django.db import models, transaction
from django.db.models import Exists, OuterRef

from catalog.models import (
    Condition,
    GlossaryTerm,
    Indication,
    ModifierRole,
    Source,
    Therapy,
    TherapyClass,
    TherapyName,
)

from . import SOURCE_SLUG, SOURCE_TITLE, SynthError
from .progress import Progress

DELETE_CHUNK = 5000  # rows per DELETE when replacing
SYNTHETIC_MODELS = (TherapyClass, Therapy, Condition, Indication)


def real_content(source):
    """label -> count of the records that are not synthetic (empty on a benchmark database)."""
    real = {}
    sources = Source.objects.exclude(slug=SOURCE_SLUG).count()
    if sources:
        real[Source._meta.verbose_name_plural] = sources
    for model in (*SYNTHETIC_MODELS, ModifierRole, GlossaryTerm):
        queryset = model._base_manager.all()
        if source is not None:
            queryset = not_citing(model, source)
        count = queryset.count()
        if count:
            real[model._meta.verbose_name_plural] = count
    return real


def refuse_real_content(source, force):
    """Refuse when any catalog record is not synthetic, unless forced; returns the listing of
    the real content kept beside the synthetic rows ("" when there is none)."""
    real = real_content(source)
    listing = ", ".join(f"{n:,} {label}" for label, n in real.items())
    if real and not force:
        raise SynthError(
            f"The database holds content that is not synthetic ({listing}). synth is for "
            "benchmark databases; use a fresh database, or --force to add synthetic records "
            "beside the real ones (real content is never deleted)."
        )
    return listing


def synthetic_exists(source):
    return any(citing(model, source).exists() for model in SYNTHETIC_MODELS)


def create_source():
    (source,) = Source.objects.bulk_create(
        [
            Source(
                slug=SOURCE_SLUG,
                title=SOURCE_TITLE,
                publisher="immunosite bench.synth",
                note="Invented names and links generated for benchmarks; none of it is real.",
            )
        ]
    )
    return source


def purge(source, progress_out, show_progress):
    """Delete every record citing the synthetic source (and what hangs off it: names,
    indications, links) with plain DELETEs: no history rows, no per-object signals. Returns
    how many rows were deleted."""
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
        raise SynthError(
            "Some indications that are not synthetic point at synthetic records; --replace "
            "would delete them. Remove or relink them first."
        )
    if (
        not_citing(Therapy, source).filter(therapy_class__in=synthetic[TherapyClass]).exists()
        or not_citing(Condition, source).filter(parent__in=synthetic[Condition]).exists()
    ):
        raise SynthError(
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
    progress = Progress(progress_out, "Deleting earlier synthetic rows", total, show_progress)
    done = 0
    with transaction.atomic():
        for model, queryset in steps:
            ids = sorted(queryset.values_list("pk", flat=True))
            everything = model._base_manager.order_by().values_list("pk", flat=True)
            others = sorted(set(everything).difference(ids))
            for low, high, count in id_ranges(ids, others, DELETE_CHUNK):
                delete_rows(model, model._base_manager.filter(pk__gte=low, pk__lte=high))
                done += count
                progress.update(done)
    progress.finish()
    return done


def delete_rows(model, queryset):
    """DELETE the rows and, first, the rows that cascade from them (any model: names, link
    tables, a search index …), like Django's collector but without signals."""
    for relation in model._meta.get_fields(include_hidden=True):
        if not (relation.auto_created and not relation.concrete):
            continue
        if not (relation.one_to_many or relation.one_to_one):
            continue
        related = relation.related_model
        dependent = related._base_manager.filter(**{f"{relation.field.name}__in": queryset})
        on_delete = relation.on_delete
        if on_delete is models.CASCADE:
            delete_rows(related, dependent)
        elif on_delete is models.SET_NULL:
            dependent.update(**{relation.field.name: None})
        elif on_delete is models.DO_NOTHING:
            continue
        elif dependent.exists():
            raise SynthError(
                f"Cannot delete synthetic {model._meta.verbose_name_plural}: "
                f"{related._meta.verbose_name_plural} still refer to them."
            )
    queryset._raw_delete(queryset.db)


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
