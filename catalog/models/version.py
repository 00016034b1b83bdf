"""The catalog's version: one row that database triggers move on every write to a versioned
table (catalog/triggers.py), read by the page cache, ETags, Last-Modified and cached counts."""

import datetime

from django.db import models
from django.utils import timezone

__all__ = ["CatalogVersion", "catalog_last_modified"]


class CatalogVersion(models.Model):
    """One row: when the catalog last changed, and a counter of changes. The database keeps it:
    any insert, update or delete on a versioned table (every content, name and source-link
    table: registry.versioned_tables()), from the admin, the API, a management command, a bulk
    load or raw SQL, moves it in the same transaction, and commits move it in commit order
    (the row is locked while it changes). Read with one primary-key lookup."""

    changed_at = models.DateTimeField()
    counter = models.BigIntegerField(default=0)

    derived = True  # kept by the triggers, not versioned itself

    class Meta:
        default_permissions = ()

    def __str__(self):
        return f"catalog version {self.counter} ({self.changed_at:%Y-%m-%d %H:%M:%S})"


def catalog_last_modified():
    """When the catalog last changed (see CatalogVersion): one primary-key lookup. None until
    the first change (an empty database)."""
    value = CatalogVersion.objects.filter(pk=1).values_list("changed_at", flat=True).first()
    if value is not None and timezone.is_naive(value):
        value = timezone.make_aware(value, datetime.UTC)
    return value
