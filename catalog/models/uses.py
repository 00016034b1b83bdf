"""The published uses of therapies: one row per (therapy, condition) an agent-level indication
links while every record it depends on is published — the indication, its therapy, the
therapy's class, its condition and that condition's parent — and, as a second row, the same use
under the condition's parent. The database keeps it, in the same transaction as the write
(catalog/uses.py), so the therapy list's condition filter is one index range
(`TherapyUse.objects.live()`), not a check of five records' publication per therapy, and so
is a condition's first therapies by name (`first_therapies()`: each row has its therapy's
name)."""

from django.db import models
from django.db.models import Q

from .conditions import Condition
from .prepared import Keys, KeysIn
from .schedule import QueryTime
from .therapies import Therapy, TherapyClass

__all__ = ["TherapyUse"]


class TherapyUseQuerySet(models.QuerySet):
    def live(self):
        """The uses the public sees at the moment the query runs (the records' schedules
        combined: the latest "go live at", the earliest "expire at")."""
        now = QueryTime()
        return self.filter(
            (Q(visible_from__isnull=True) | Q(visible_from__lte=now))
            & (Q(visible_until__isnull=True) | Q(visible_until__gt=now))
        )

    def first_therapies(self, condition, limit):
        """The ids of the first `limit` rows' therapies, by name, among the live uses of
        `condition` (its sub-conditions' uses are held under it too): the start of one index
        range, whatever the number of its uses. A therapy used for the condition and for a
        sub-condition has a row for each, so it may be listed twice: each row is one
        use. `condition`: a record, or `Keys(n)`, its key given when a compiled query runs."""
        if isinstance(condition, Keys):
            uses = self.live().filter(KeysIn("condition_id", condition.slot))
        else:
            uses = self.live().filter(condition=condition)
        return uses.order_by("therapy_name", "therapy_id").values("therapy_id")[:limit]


class TherapyUse(models.Model):
    """Kept by database triggers only (catalog/uses.py): never written by the application."""

    # The rows go when their records do (the triggers delete them in the same transaction):
    # nothing to collect on a delete, nothing for an editor's delete page to list.
    therapy = models.ForeignKey(Therapy, on_delete=models.DO_NOTHING, related_name="+")
    # (The indexes below lead with the condition; the class needs none of its own.)
    condition = models.ForeignKey(
        Condition, on_delete=models.DO_NOTHING, related_name="+", db_index=False
    )
    therapy_class = models.ForeignKey(
        TherapyClass, on_delete=models.DO_NOTHING, related_name="+", db_index=False
    )
    # The therapy's name, the lists' order: a condition's first therapies by name are the
    # start of one index range (`first_therapies()`), not a walk of every therapy by name.
    therapy_name = models.CharField(max_length=120)
    # The latest "go live at" of the records involved (None: live at once) and the earliest
    # "expire at" (None: never).
    visible_from = models.DateTimeField(null=True)
    visible_until = models.DateTimeField(null=True)

    objects = TherapyUseQuerySet.as_manager()

    derived = True  # kept by the triggers, not versioned itself

    class Meta:
        default_permissions = ()
        indexes = [
            # The condition filter, with or without a class filter, from the index alone.
            models.Index(
                fields=["condition", "therapy_class", "therapy", "visible_from", "visible_until"],
                name="catalog_use_class_idx",
            ),
            models.Index(
                fields=["condition", "therapy", "visible_from", "visible_until"],
                name="catalog_use_condition_idx",
            ),
            # A condition's therapies in name order, from the index alone.
            models.Index(
                fields=["condition", "therapy_name", "therapy", "visible_from", "visible_until"],
                name="catalog_use_name_idx",
            ),
        ]

    def __str__(self):
        return f"{self.therapy_id} for {self.condition_id}"
