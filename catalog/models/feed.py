"""The changes feed's tables (catalog/feed/): what API consumers sync from.

- `PendingChange`: a row a write touched, noted by database triggers in the write's own
  transaction (catalog/feed/triggers.py) and read, then deleted, by the feed's catch-up;
- `PublishedRecord`: each public record as the feed last gave it (its list row, the API's
  representation before URLs are made absolute), so the next catch-up knows what changed;
- `FeedChange`: the feed itself, in commit order (`seq`): created, changed (with the row keys
  that changed), unpublished, deleted or moved (a tombstone: the type and key, and for a move
  the new key);
- `FeedCursor`: one row, locked by each catch-up (one at a time), with the moment up to which
  scheduled go-live and expiry times were read.

All four are derived (the feed's own bookkeeping, never content): they move no catalog
version and have no history.
"""

from django.db import models

__all__ = ["FeedChange", "FeedCursor", "PendingChange", "PublishedRecord"]


class PendingChange(models.Model):
    """Written by triggers only: `table_name`'s row `row_id` changed (or was inserted or deleted).
    `spread`: what depends on the row may have changed too (the row itself changed); otherwise
    only the row's own record needs a new look (a child row of it changed)."""

    table_name = models.CharField(max_length=63)
    row_id = models.BigIntegerField()
    spread = models.BooleanField(default=True)

    derived = True

    class Meta:
        default_permissions = ()

    def __str__(self):
        return f"{self.table_name} {self.row_id}"


class PublishedRecord(models.Model):
    """A public record as the feed last gave it: its `key` (the slug; for an indication, its
    level, subject and condition) and its list row."""

    resource = models.CharField(max_length=40)
    record_id = models.BigIntegerField()
    key = models.CharField(max_length=400)
    row = models.JSONField()

    derived = True

    class Meta:
        default_permissions = ()
        constraints = [
            models.UniqueConstraint(
                fields=["resource", "record_id"], name="unique_published_record"
            )
        ]

    def __str__(self):
        return f"{self.resource} {self.key}"


class FeedChange(models.Model):
    class Action(models.TextChoices):
        CREATED = "created", "created"
        CHANGED = "changed", "changed"
        UNPUBLISHED = "unpublished", "unpublished"
        DELETED = "deleted", "deleted"
        MOVED = "moved", "moved"  # renamed away: `other_key` is where to

    seq = models.BigAutoField(primary_key=True)
    at = models.DateTimeField()
    resource = models.CharField(max_length=40)
    action = models.CharField(max_length=12, choices=Action)
    key = models.CharField(max_length=400)
    # A change's key before a rename; a move's key after it.
    other_key = models.CharField(max_length=400, blank=True)
    changed = models.JSONField(default=list)  # the row keys that changed
    row = models.JSONField(null=True)  # None for a tombstone

    derived = True

    class Meta:
        default_permissions = ()
        ordering = ["seq"]

    def __str__(self):
        return f"{self.seq}: {self.resource} {self.key} {self.action}"


class FeedCursor(models.Model):
    """One row (id 1). A catch-up updates it first, which locks it on both databases (a row
    lock on PostgreSQL, the write lock on SQLite): catch-ups run one at a time, so `seq` is
    the order they committed in."""

    runs = models.BigIntegerField(default=0)
    # Scheduled boundaries (go live at, expire at) up to this moment were read.
    checked_until = models.DateTimeField()

    derived = True

    class Meta:
        default_permissions = ()

    def __str__(self):
        return f"feed catch-up {self.runs}"
