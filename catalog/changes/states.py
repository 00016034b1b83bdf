"""The public states of records, read from their histories in bulk: one query for the records'
versions, one per kind of child (other names, uses, sections), one for the sources each
version of the records, their uses and their sections cites, and one for the versions of the
records they are shown with (a therapy's class, a condition's parent), whatever the number of
records or versions.

A version is a public state if the record went live while it was current (the records' own
rule, `Publishable.schedule_state`, at the moment it went live) and until it expired, for as
long as each record it is `shown_with` was live too (a therapy is off the site while its class
is a draft, so it left then and came back with the class); it holds
the children and sources as they stood at the end of its time (the admin saves inline rows and
the sources just after their record, so such a change belongs to the record's version current
when it was made, as on the history pages). A use counts only while it is live itself and the
record at its other end is public by the same rule (a use of a therapy shows on its condition
from the moment the therapy went live until it left): those moments are moments of change too,
with no version of the record saved then. Sections have no status of their own."""

import bisect
import datetime
import functools
from dataclasses import dataclass

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db.models import F, IntegerField, Q, Value
from django.utils import timezone

from ..history import SEEDED, children
from ..models import Source

NAMES, USES, SECTIONS, SOURCES = "names", "uses", "sections", "sources"
_BEFORE = datetime.timedelta(microseconds=1)
# The admin saves a record, then its inline rows: children's changes this soon after a version
# belong to it (one save, one entry); later ones are changes of their own.
SAME_SAVE = datetime.timedelta(seconds=10)
# Children's first versions loaded by `manage.py seed` stood from the record's first version.
_SEEDED_AT = datetime.datetime.min.replace(tzinfo=datetime.UTC)
# Up to this many records, their versions are read by their ids (`id IN (…)`, within SQLite's
# limit on parameters); beyond, the whole history table, the others dropped in Python.
MAX_IDS = 500
HISTORY_FIELDS = ("history_id", "history_date", "history_change_reason", "id")
SCHEDULE_FIELDS = ("status", "go_live_at", "expire_at")


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


def schedule_state(version, moment):
    """Where the record stood for the public at `moment` in `version`, on its own (the model's
    `schedule_state()`, on the version's status and schedule alone)."""
    record = type(version).instance_type(
        status=version.status, go_live_at=version.go_live_at, expire_at=version.expire_at
    )
    return record.schedule_state(now=moment)


def went_live(version, until):
    """When the record became public in `version` (current until `until`), or None."""
    start = version.history_date
    if version.go_live_at is not None and version.go_live_at > start:
        start = version.go_live_at
    if start >= until or schedule_state(version, start) != "live":
        return None
    return start


def other_ends_exist(child, describe):
    """The condition that the records a child names at its other end (`describe`) still
    exist (a use of a record deleted since cannot be named)."""
    condition = Q()
    for name in describe:
        related = child._meta.get_field(name).related_model
        condition &= Q(**{f"{name}__isnull": True}) | Q(
            **{f"{name}__in": related.objects.values("pk")}
        )
    return condition


@functools.cache
def child_versions(child, key, describe):
    """The versions of one kind of child with their other end, where that end still exists:
    built once per process and filtered anew by each caller."""
    rows = child.history.filter(**{f"{key}__isnull": False}).select_related(*describe)
    return rows.filter(other_ends_exist(child, describe))


class Timeline:
    """The versions of one kind of child, grouped by record then by child, oldest first:
    `as_of(record id, moment)` is what hung off the record then."""

    def __init__(self, kind, child, key, describe, ids):
        self.kind, self.describe = kind, describe
        # The other end's name with each row; a use whose other end was deleted since is left
        # out whole. When each other end was public: `read_other_ends()`.
        self.public = {}
        rows = child_versions(child, key, tuple(describe))
        if ids is not None:
            rows = rows.filter(**{f"{key}__in": ids})
        self.by_record = {}
        self.child = child
        self.rows = list(rows.order_by("history_date", "history_id"))
        # The children whose versions' sources are wanted (`cite`): uses and sections.
        self.child_ids = None if ids is None else {row.id for row in self.rows}
        self.cites = kind != NAMES and bool(self.rows)
        for row in self.rows:
            row.cited = {}
            per_child = self.by_record.setdefault(getattr(row, key), {})
            dates, versions = per_child.setdefault(row.id, ([], []))
            seeded = row.history_change_reason == SEEDED and not versions
            dates.append(_SEEDED_AT if seeded else row.history_date)
            versions.append(row)

    def read_other_ends(self, now):
        """When each record the uses name at their other end was public (`public_spans`, one
        reading per kind of record named), for `as_of` and `changes`."""
        for name in self.describe if self.kind == USES else ():
            related = self.child._meta.get_field(name).related_model
            ids = {getattr(row, f"{name}_id") for row in self.rows}
            ids.discard(None)
            self.public[name] = public_spans(related, ids, now) if ids else {}

    def other_ends_public(self, row, moment):
        """Whether each record the use `row` names at its other end was public at `moment`."""
        for name, spans_by_id in self.public.items():
            pk = getattr(row, f"{name}_id")
            if pk is not None and not any(a <= moment < b for a, b in spans_by_id.get(pk, ())):
                return False
        return True

    def cite(self, cited):
        """Sets on each child version what it cites ({source id: name}), by `cited`:
        {history id: {source id: name}}, as `version_citations` reads it."""
        for row in self.rows:
            row.cited = cited.get(row.history_id, {})

    def key(self, row):
        if self.kind == USES:  # what the use names at its other end
            return tuple(getattr(row, f"{name}_id") for name in self.describe)
        if self.kind == SECTIONS:
            return row.kind
        return (getattr(row, "kind", ""), row.name)

    def changes(self, record_id, now):
        """When the record's children of this kind changed: their versions, and (uses) the
        moments one went live or expired on its schedule, up to `now`."""
        found = []
        for dates, versions in self.by_record.get(record_id, {}).values():
            found += dates
            if self.kind == USES:
                ends = set()
                for row in versions:
                    found += [m for m in (row.go_live_at, row.expire_at) if m and m <= now]
                    ends |= {(name, getattr(row, f"{name}_id")) for name in self.public}
                for name, pk in ends:  # its other end went live, or left
                    for span in self.public[name].get(pk, ()):
                        found += [m for m in span if _SEEDED_AT < m < now]
        return found

    def as_of(self, record_id, moment):
        """{key: child version} of the children standing (and, for uses, live) at `moment`."""
        standing = {}
        for dates, versions in self.by_record.get(record_id, {}).values():
            index = bisect.bisect_right(dates, moment) - 1
            if index < 0 or versions[index].history_type == "-":
                continue
            row = versions[index]
            if self.kind == USES and (
                schedule_state(row, moment) != "live" or not self.other_ends_public(row, moment)
            ):
                continue
            standing[self.key(row)] = row
        return standing


# What each row of `version_citations`' query holds.
CITED = ("cited_group", "cited_version", "cited_source", "cited_publisher", "cited_title")


def version_citations(wanted):
    """For each (model, ids) of `wanted` (ids None: all its records), the sources each version
    of those records cites, named as the pages name them: {history id: {source id: name}}.
    simple-history keeps a version's many-to-many rows in a table per model; they are read in
    one query for them all (a UNION ALL of those tables, each joined to the sources)."""
    found = [{} for _ in wanted]
    queries = []
    for group, (model, ids) in enumerate(wanted):
        try:
            rows = apps.get_model(model._meta.app_label, f"{model.history.model.__name__}_sources")
        except LookupError:  # a record that cites no sources
            continue
        rows = rows.objects.filter(source__isnull=False)
        if ids is not None:
            rows = rows.filter(history__id__in=ids)
        rows = rows.annotate(
            cited_group=Value(group, IntegerField()),
            cited_version=F("history_id"),
            cited_source=F("source_id"),
            cited_publisher=F("source__publisher"),
            cited_title=F("source__title"),
        )
        queries.append(rows.values_list(*CITED))
    if not queries:
        return found
    rows = queries[0].union(*queries[1:], all=True) if len(queries) > 1 else queries[0]
    for group, version, source, publisher, title in rows:
        name = str(Source(publisher=publisher, title=title))
        found[group].setdefault(version, {})[source] = name
    return found


def sources_only(version, before, fields):
    """Whether `version` changed nothing but the sources since `before` (simple-history saves
    a version when the sources change, after the record's own save)."""
    return version.history_type == "~" and all(
        getattr(version, name) == getattr(before, name) for name in fields
    )


def spans(history, now):
    """(version, until, start, end) for each version of `history`, oldest first: it stood
    until the next version (or `now`), and the record was live on its own in it from `start`
    to `end` (start None: never; end before until: it expired on its schedule first)."""
    for index, version in enumerate(history):
        until = history[index + 1].history_date if index + 1 < len(history) else now
        start = went_live(version, until)
        expired = start is not None and version.expire_at is not None
        end = version.expire_at if expired and version.expire_at < until else until
        yield version, until, start, end


def versions_of(model, ids, fields=None):
    """{record id: [version]}, oldest first, of the records `ids` of `model` (by their ids up
    to MAX_IDS of them, else the whole history table, the others dropped), with only the
    version's `fields` and what the schedule reads when given."""
    versions = model.history.all()
    if len(ids) <= MAX_IDS:
        versions = versions.filter(id__in=ids)
    if fields is not None:
        versions = versions.only(*HISTORY_FIELDS, *SCHEDULE_FIELDS, *fields)
    by_record = {}
    for version in versions.order_by("history_date", "history_id"):
        if version.id in ids:
            by_record.setdefault(version.id, []).append(version)
    return by_record


def joined(stints):
    """Spans ([(start, end)]) that meet joined into one, in order."""
    found = []
    for start, end in sorted(stints):
        if found and found[-1][1] >= start:
            found[-1] = (found[-1][0], max(found[-1][1], end))
        else:
            found.append((start, end))
    return found


def seeded_start(history, start):
    """A first version loaded by `manage.py seed` stood from the start, as the children seeded
    with it do (`Timeline`): what the article held was published together."""
    first = history[0]
    if first.history_change_reason == SEEDED and start == first.history_date:
        return _SEEDED_AT
    return start


def live_spans(model, ids, now, seeded=False):
    """{record id: [(start, end)]}: when each of the records `ids` of `model` was live on its
    own, from their versions (one query), spans that meet joined into one; a seeded first
    version from the start if `seeded`."""
    found = {}
    for record_id, history in versions_of(model, ids, ()).items():
        stints = [(start, end) for _v, _u, start, end in spans(history, now) if start]
        if seeded and stints:
            stints[0] = (seeded_start(history, stints[0][0]), stints[0][1])
        found[record_id] = joined(stints)
    return found


def shown_with_spans(model, by_record, now, seeded=False):
    """{foreign key's attname: {record id: [(start, end)]}}: when each record the versions
    `by_record` are `shown_with` (a therapy's class, a condition's parent) was live."""
    found = {}
    for name in model.shown_with:
        field = model._meta.get_field(name)
        ids = {getattr(v, field.attname) for history in by_record.values() for v in history}
        ids.discard(None)
        found[field.attname] = live_spans(field.related_model, ids, now, seeded) if ids else {}
    return found


def public_spans(model, ids, now):
    """{record id: [(start, end)]}: when each of the records `ids` of `model` was public, by
    the rule of its states (`public_states`): live on its own, and while each record it is
    `shown_with` was live; seeded first versions from the start. One query for the records'
    versions, one per kind of record they are shown with."""
    attnames = [model._meta.get_field(name).attname for name in model.shown_with]
    by_record = versions_of(model, ids, attnames)
    shown_with = shown_with_spans(model, by_record, now, seeded=True)
    found = {}
    for record_id, history in by_record.items():
        stints = []
        for version, _until, start, end in spans(history, now):
            if start is None:
                continue
            part = [(seeded_start(history, start) if version is history[0] else start, end)]
            for attname, live in shown_with.items():
                part = cut(part, live.get(getattr(version, attname)))
            stints += part
        found[record_id] = joined(stints)
    return found


def cut(stints, allowed):
    """The parts of `stints` ([(start, end)]) inside the spans `allowed` (None: all of them:
    no such record, or one without versions, constrains nothing)."""
    if allowed is None:
        return stints
    return [
        (max(start, a), min(end, b))
        for start, end in stints
        for a, b in allowed
        if max(start, a) < min(end, b)
    ]


def public_states(model, ids=None, related=()):
    """{record id: [State]}, oldest first, for the records `ids` of `model` (all if None),
    the versions read with their `related` records. A record is public in a version while it
    is live on its own and each record it is `shown_with` is live too (a therapy whose class
    was a draft was not on the site then: it left, and came back when the class did)."""
    versions = model.history.select_related(*related)
    versions = versions if ids is None else versions.filter(id__in=ids)
    by_record = {}
    for version in versions.order_by("history_date", "history_id"):
        by_record.setdefault(version.id, []).append(version)
    now = timezone.now()
    timelines = [Timeline(*kind, ids) for kind in child_kinds(model)]
    for timeline in timelines:
        timeline.read_other_ends(now)
    citing = [timeline for timeline in timelines if timeline.cites]
    wanted = [(model, ids), *((timeline.child, timeline.child_ids) for timeline in citing)]
    citations, *children_cited = version_citations(wanted)
    for timeline, cited in zip(citing, children_cited, strict=True):
        timeline.cite(cited)
    fields = [field.attname for field in model._meta.concrete_fields]
    shown_with = shown_with_spans(model, by_record, now)
    states = {}
    for record_id, all_versions in by_record.items():
        # What each version cited, by date; a version that changed only the sources is a
        # change while the version before it stood, not a state of its own.
        cited_dates = [v.history_date for v in all_versions]
        cited = [citations.get(v.history_id, {}) for v in all_versions]
        pairs = zip(all_versions[1:], all_versions, strict=False)
        history = [all_versions[0], *(v for v, b in pairs if not sources_only(v, b, fields))]
        states_of = {v.history_id for v in history}
        changes = [v.history_date for v in all_versions if v.history_id not in states_of]
        changes += [m for timeline in timelines for m in timeline.changes(record_id, now)]
        changes.sort()
        found, left_at = [], None
        for version, until, start, end in spans(history, now):
            stints = [] if start is None else [(start, end)]
            for attname, live in shown_with.items():
                stints = cut(stints, live.get(getattr(version, attname)))
            if not stints:
                if found and left_at is None:
                    left_at = version.history_date
                continue
            for again, (start, end) in enumerate(stints):
                # The record's own save, with the rows saved with it; then each later change
                # of a child or of the sources on its own, while this version stood public.
                saved = min(start + SAME_SAVE, end)
                moments = [saved, *(m for m in changes if saved < m < end)]
                for number, moment in enumerate(moments):
                    as_of = moment - _BEFORE if moment == end else moment
                    standing = {t.kind: t.as_of(record_id, as_of) for t in timelines}
                    standing[SOURCES] = cited[max(bisect.bisect_right(cited_dates, as_of) - 1, 0)]
                    key = f"{version.history_id}" + (f".again{again}" if again else "")
                    key += f".{number}" if number else ""
                    date = start if number == 0 else moment
                    withdrawn_at = left_at if number == 0 else None
                    found.append(State(version, date, standing, withdrawn_at, key))
                # Off the site before the next version came: expired, or hidden with what it
                # is shown with.
                left_at = end if end < until else None
        states[record_id] = found
    return states
