"""Sources: the citations every record's facts come from, each with an address a reader can open
and the date or version of the text cited."""

from django.core.validators import URLValidator
from django.db import models
from simple_history.models import HistoricalRecords

from .base import SluggedModel, SlugManager
from .rows import RowsQuerySet

__all__ = ["Source"]


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
