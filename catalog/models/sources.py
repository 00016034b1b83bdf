"""Sources: the citations every record's facts come from, each with an address a reader can open
and the date or version of the text cited."""

from django.core.validators import URLValidator
from django.db import models
from django.db.models import F, IntegerField, Value
from simple_history.models import HistoricalRecords

from .base import SluggedModel, SlugManager
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


def cite(records):
    """Sets `cited` on each of `records` (of any models that cite sources: a page's record, its
    sections, its uses): the sources it cites, in Source's order, read in one query for them
    all (a UNION ALL of their link tables, each joined to the sources) instead of one each."""
    by_model = {}
    for record in records:
        record.cited = []
        by_model.setdefault(type(record), {}).setdefault(record.pk, []).append(record)
    fields = [field.attname for field in Source._meta.concrete_fields]
    queries = []
    for group, (model, found) in enumerate(by_model.items()):
        link = model.sources.through
        owner = next(f.name for f in link._meta.get_fields() if f.related_model is model)
        rows = link.objects.filter(**{f"{owner}__in": list(found)}).annotate(
            cited_group=Value(group, IntegerField()),
            cited_owner=F(f"{owner}_id"),
            **{f"cited_{name}": F(f"source__{name}") for name in fields},
        )
        queries.append(
            rows.values_list("cited_group", "cited_owner", *(f"cited_{n}" for n in fields))
        )
    if not queries:
        return
    rows = queries[0].union(*queries[1:], all=True) if len(queries) > 1 else queries[0]
    rows = rows.order_by("cited_title", "cited_slug")  # Source's order
    owners = list(by_model.values())
    for group, owner, *values in rows:
        source = Source(**dict(zip(fields, values, strict=True)))
        for record in owners[group][owner]:
            record.cited.append(source)
