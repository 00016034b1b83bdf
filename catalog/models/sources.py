"""Sources: the citations every record's facts come from."""

from django.db import models
from simple_history.models import HistoricalRecords

from .base import SluggedModel, SlugManager
from .rows import RowsQuerySet

__all__ = ["Source"]


class SourceQuerySet(RowsQuerySet):
    row_fields = {
        name: name for name in ("slug", "title", "publisher", "url", "last_updated", "note")
    }


class Source(SluggedModel):
    """A citation: where a record's facts come from."""

    title = models.CharField(max_length=300)
    publisher = models.CharField(max_length=200)
    url = models.URLField("URL", blank=True)
    last_updated = models.DateField(
        null=True, blank=True, help_text="Date the source was last updated or medically reviewed."
    )
    note = models.CharField(max_length=300, blank=True)

    objects = SlugManager.from_queryset(SourceQuerySet)()
    history = HistoricalRecords()

    class Meta:
        ordering = ["title", "slug"]

    def __str__(self):
        return f"{self.publisher}, “{self.title}”"
