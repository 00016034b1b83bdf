"""Sources: the citations every record's facts come from, each with an address a reader can open
and the date or version of the text cited."""

import functools

from django.core.validators import URLValidator
from django.db import connections, models, router
from django.db.models import F, IntegerField, Value
from simple_history.models import HistoricalRecords

from .base import SluggedModel, SlugManager
from .prepared import KeysIn, compiled, execute, keys_parameter
from .rows import RowsQuerySet

__all__ = ["Source", "cite"]


class SourceQuerySet(RowsQuerySet):
    row_fields = {
        name: name
        for name in ("slug", "title", "publisher", "url", "last_updated", "version", "note")
    }


class Source(SluggedModel):
    """A citation: where a record's facts come from."""

    title = models.CharField(max_length=300)
    publisher = models.CharField(max_length=200)
    url = models.URLField(
        "URL",
        validators=[URLValidator(schemes=["http", "https"])],
        help_text="Where a reader can open the text cited (https).",
    )
    last_updated = models.DateField(
        null=True,
        blank=True,
        help_text="The source's own date: when it was last updated or reviewed by its publisher.",
    )
    version = models.CharField(
        max_length=200,
        blank=True,
        help_text="Which text is cited, e.g. a label's revision (“SPL version 36, effective "
        "6 January 2025”).",
    )
    note = models.CharField(max_length=300, blank=True)

    objects = SlugManager.from_queryset(SourceQuerySet)()
    history = HistoricalRecords()

    class Meta:
        ordering = ["title", "slug"]

    def __str__(self):
        return f"{self.publisher}, “{self.title}”"


# Source's fields, as the sources a record cites are read (`cite`).
FIELDS = list(Source._meta.concrete_fields)


@functools.lru_cache(maxsize=32)
def cited_query(models_, alias):
    """(SQL, parameters with placeholders) of the sources that records of `models_` cite, each
    row (the model's place in `models_`, the record's key, the source's fields), in Source's
    order: a UNION ALL of their link tables, each joined to the sources, the keys of the n-th
    model's records `Keys(n)`. Compiled once per process and shape (prepared.py): building
    it took a tenth of a detail page's time."""
    names = [field.attname for field in FIELDS]
    queries = []
    for group, model in enumerate(models_):
        link = model.sources.through
        owner = next(f.name for f in link._meta.get_fields() if f.related_model is model)
        rows = (
            link.objects.using(alias)
            .filter(KeysIn(f"{owner}_id", group))
            .annotate(
                cited_group=Value(group, IntegerField()),
                cited_owner=F(f"{owner}_id"),
                **{f"cited_{name}": F(f"source__{name}") for name in names},
            )
        )
        queries.append(
            rows.values_list("cited_group", "cited_owner", *(f"cited_{n}" for n in names))
        )
    rows = queries[0].union(*queries[1:], all=True) if len(queries) > 1 else queries[0]
    return compiled(rows.order_by("cited_title", "cited_slug"))  # Source's order


def cite(records):
    """Sets `cited` on each of `records` (of any models that cite sources: a page's record, its
    sections, its uses): the sources it cites, in Source's order, read in one query for them
    all (`cited_query`) instead of one each."""
    by_model = {}
    for record in records:
        record.cited = []
        by_model.setdefault(type(record), {}).setdefault(record.pk, []).append(record)
    if not by_model:
        return
    alias = router.db_for_read(Source)
    connection = connections[alias]
    sql, template = cited_query(tuple(by_model), alias)
    owners = list(by_model.values())
    keys = [keys_parameter(connection, found) for found in owners]
    for group, owner, *values in execute(connection, sql, template, keys):
        source = Source(**{f.attname: f.to_python(v) for f, v in zip(FIELDS, values, strict=True)})
        for record in owners[group][owner]:
            record.cited.append(source)
