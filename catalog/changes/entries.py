"""Entries of what changed: a record's public states (states.py) compared one after the other
(wording.py), newest first. Each entry has a stable key (its record and version), so a feed
reader sees an entry once."""

from dataclasses import dataclass
from datetime import datetime

from ..models import registry
from .recent import changed_last
from .states import child_kinds, public_states
from .wording import FIRST_PUBLISHED, Wording, day, related_fields

FIRST, CHANGED, REVIEWED = "first-published", "changed", "reviewed"
# Up to this many records, their histories are read by their ids (`id IN (…)`); beyond, the
# whole history tables, and records that are not public are dropped in Python.
MAX_LISTED_IDS = 500


@dataclass(frozen=True)
class Entry:
    date: datetime
    kind: str  # FIRST, CHANGED or REVIEWED
    parts: tuple
    record: object
    key: str  # stable: the record and the version the entry comes from

    @property
    def text(self):
        """The parts in one line: "added the brand name MabThera; summary rewritten"."""
        return "; ".join(self.parts)

    @property
    def day(self):
        """The entry's date as the pages show it: "3 December 2026"."""
        return day(self.date)

    @property
    def anchor(self):
        """The entry's id on its record's "What changed" page."""
        return "change-" + self.key.replace("/", "-").replace(".", "-")

    @property
    def url(self):
        """Where the entry is read: on its record's "What changed" page."""
        return f"{self.record.get_changes_url()}#{self.anchor}"

    @property
    def title(self):
        """With the record's name, for lists across the site and the feed."""
        return f"{self.record.name}: {self.text}"


def _entries(model, records):
    """{record id: [Entry]} (newest first) for `records` ({id: record}) of `model`; all the
    model's records' histories are read when `records` is a whole table's public records."""
    ids = list(records) if len(records) <= MAX_LISTED_IDS else None
    states = public_states(model, ids, related_fields(model))
    states = {pk: found for pk, found in states.items() if pk in records}
    wording = Wording(model, {kind: describe for kind, _, _, describe in child_kinds(model)})
    label = model._meta.label_lower
    result = {}
    for pk, found in states.items():
        record, entries, before = records[pk], [], None
        for state in found:
            key = f"{label}/{pk}/{state.key}"
            if before is None:
                entries.append(Entry(state.date, FIRST, (FIRST_PUBLISHED,), record, key))
            else:
                parts = wording.changes(before, state)
                if parts:
                    entries.append(Entry(state.date, CHANGED, tuple(parts), record, key))
            review = wording.review(before, state)
            if review:
                entries.append(Entry(state.date, REVIEWED, (review,), record, f"{key}/review"))
            before = state
        result[pk] = entries[::-1]
    return result


def record_changes(record, limit=None):
    """The published changes of one public record, newest first (the first `limit`)."""
    entries = _entries(type(record), {record.pk: record}).get(record.pk, [])
    return entries[:limit] if limit is not None else entries


def site_changes(limit=MAX_LISTED_IDS):
    """The published changes of the public records with a page (therapies, classes,
    conditions) changed last (the `limit` of each kind: `changed_last`), newest first. The
    work is bounded whatever the size of the catalog: What's new is about what is new."""
    entries, moved = [], {}
    for model in registry.reviewed_models():
        ids = changed_last(model, limit, moved)
        records = model.objects.published().filter(pk__in=ids).only("pk", "slug", "name")
        records = records.in_bulk()
        for found in _entries(model, records).values():
            entries += found
    return sorted(entries, key=lambda entry: (entry.date, entry.key), reverse=True)
