"""The public states of records, read from their histories in bulk: one query for the records'
versions and one per kind of child (other names, uses, sections), whatever the number of
records or versions.

A version is a public state if the record went live while it was current (the records' own
rule, `Publishable.schedule_state`, at the moment it went live); it holds the children as they
stood at the end of its time (the admin saves inline rows just after their record, so a
child's change belongs to the record's version current when it was made, as on the history
pages). A use counts only if it was live itself; sections have no status of their own."""

import bisect
import datetime
import functools
from dataclasses import dataclass

from django.core.exceptions import FieldDoesNotExist
from django.db.models import Q
from django.utils import timezone

from ..history import SEEDED, children

NAMES, USES, SECTIONS = "names", "uses", "sections"
_BEFORE = datetime.timedelta(microseconds=1)
# The admin saves a record, then its inline rows: children's changes this soon after a version
# belong to it (one save, one entry); later ones are changes of their own.
SAME_SAVE = datetime.timedelta(seconds=10)
# Children's first versions loaded by `manage.py seed` stood from the record's first version.
_SEEDED_AT = datetime.datetime.min.replace(tzinfo=datetime.UTC)


@dataclass
class State:
    """One public state of a record: its version, when it went live, its children then
    ({kind: {key: child version}}), and when the record left the site before it, if it did."""

    version: object
    date: datetime.datetime
    children: dict
    withdrawn_at: datetime.datetime | None
    key: str  # stable: the version, and the child change after it if it is one


def child_kinds(model):
    """[(kind, child model, the child's key to the record, the fields naming its other end)]."""
    kinds = [
        (USES if describe else NAMES, child, key, describe)
        for child, key, _label, describe in children(model)
    ]
    try:
        relation = model._meta.get_field("sections")
    except FieldDoesNotExist:
        return kinds
    return [*kinds, (SECTIONS, relation.related_model, relation.field.attname, ())]


def went_live(version, until):
    """When the record became public in `version` (current until `until`), or None."""
    start = version.history_date
    if version.go_live_at is not None and version.go_live_at > start:
        start = version.go_live_at
    if start >= until or version.instance.schedule_state(now=start) != "live":
        return None
    return start


def other_ends_public(child, describe):
    """The condition that what a child names at its other end (`describe`) is public now, by
    each model's own `visible()` rule, read through the version's foreign keys."""
    condition = Q()
    for name in describe:
        related = child._meta.get_field(name).related_model
        condition &= Q(**{f"{name}__isnull": True}) | related.visible(f"{name}__")
    return condition


@functools.cache
def child_versions(child, key, describe):
    """The versions of one kind of child with their other end, where that end is public: built
    once per process (the visibility rules' expressions cost more to build than to run; the
    moment they compare with is the time each query runs) and filtered anew by each caller."""
    rows = child.history.filter(**{f"{key}__isnull": False}).select_related(*describe)
    return rows.filter(other_ends_public(child, describe))


class Timeline:
    """The versions of one kind of child, grouped by record then by child, oldest first:
    `as_of(record id, moment)` is what hung off the record then."""

    def __init__(self, kind, child, key, describe, ids):
        self.kind, self.describe = kind, describe
        # The other end's name with each row, and only uses whose other end is public now (the
        # pages list no other): a use of a draft therapy, or one whose other end was deleted
        # since, is left out whole.
        rows = child_versions(child, key, tuple(describe))
        if ids is not None:
            rows = rows.filter(**{f"{key}__in": ids})
        self.by_record = {}
        for row in rows.order_by("history_date", "history_id"):
            per_child = self.by_record.setdefault(getattr(row, key), {})
            dates, versions = per_child.setdefault(row.id, ([], []))
            seeded = row.history_change_reason == SEEDED and not versions
            dates.append(_SEEDED_AT if seeded else row.history_date)
            versions.append(row)

    def key(self, row):
        if self.kind == USES:  # what the use names at its other end
            return tuple(getattr(row, f"{name}_id") for name in self.describe)
        if self.kind == SECTIONS:
            return row.kind
        return (getattr(row, "kind", ""), row.name)

    def changes(self, record_id):
        """When the record's children of this kind changed."""
        return [d for dates, _ in self.by_record.get(record_id, {}).values() for d in dates]

    def as_of(self, record_id, moment):
        """{key: child version} of the children standing (and, for uses, live) at `moment`."""
        standing = {}
        for dates, versions in self.by_record.get(record_id, {}).values():
            index = bisect.bisect_right(dates, moment) - 1
            if index < 0 or versions[index].history_type == "-":
                continue
            row = versions[index]
            if self.kind == USES and row.instance.schedule_state(now=moment) != "live":
                continue
            standing[self.key(row)] = row
        return standing


def public_states(model, ids=None, related=()):
    """{record id: [State]}, oldest first, for the records `ids` of `model` (all if None),
    the versions read with their `related` records."""
    versions = model.history.select_related(*related)
    versions = versions if ids is None else versions.filter(id__in=ids)
    by_record = {}
    for version in versions.order_by("history_date", "history_id"):
        by_record.setdefault(version.id, []).append(version)
    timelines = [Timeline(*kind, ids) for kind in child_kinds(model)]
    now = timezone.now()
    states = {}
    for record_id, history in by_record.items():
        changes = sorted(moment for timeline in timelines for moment in timeline.changes(record_id))
        found, left_at = [], None
        for index, version in enumerate(history):
            until = history[index + 1].history_date if index + 1 < len(history) else now
            start = went_live(version, until)
            if start is None:
                if found and left_at is None:
                    left_at = version.history_date
                continue
            # The record's own save, with the rows saved with it; then each later change of
            # a child on its own, while this version stood.
            saved = min(start + SAME_SAVE, until)
            moments = [saved, *(m for m in changes if saved < m < until)]
            for number, moment in enumerate(moments):
                as_of = moment - _BEFORE if moment == until else moment
                standing = {t.kind: t.as_of(record_id, as_of) for t in timelines}
                key = f"{version.history_id}" + (f".{number}" if number else "")
                date = start if number == 0 else moment
                found.append(State(version, date, standing, left_at if number == 0 else None, key))
            left_at = None
        states[record_id] = found
    return states
