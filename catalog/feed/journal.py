"""The changes feed's catch-up: the rows writes touched (noted by the triggers), read a batch at
a time, turned into the records whose public rows they may have changed, and each of those
compared with the row the feed last gave (`PublishedRecord`): what differs becomes a
`FeedChange`, in commit order.

One catch-up runs at a time (`FeedCursor` is locked first), and its work is bounded: up to
`BATCH` noted rows, and up to `RECORDS` records of each kind on a feed request (a renamed
condition that 10,000 therapies name is read over 40 requests, each a fraction of a second),
larger steps in the catch-up command. Each writes its entries in two
phases: first every key that stops holding a record (a record unpublished, deleted, or renamed
away: "moved", with its new key), then every record's new row (created or changed; a rename
carries its old key too). A consumer that removes the keys of the first and stores the rows of
the second, in order, holds exactly the public catalog as the catch-up saw it, even when two
records swapped slugs between two catch-ups.

A feed that has never given a record (a new site, or a bulk load before anyone read the feed) is
filled at once by `fill()` (`manage.py catch_up_changes`): each public record read once, a
chunk at a time, as one `created` change, and every noted row dropped, instead of a catch-up of
every row the load noted (2.1 million noted rows at 100,000 therapies).

Time alone changes what the public sees (a record going live or expiring at its scheduled
moment): each catch-up also reads the records whose "go live at" or "expire at" passed since
the last one.
"""

from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from ..models import FeedChange, FeedCursor, PendingChange, PublishedRecord, catalog_version
from ..models.registry import publishable_models, versioned_models

# A feed request waits for its catch-up, so that one is small: up to BATCH noted rows and
# RECORDS records of a kind compared (the rest noted for the next). After a big rename, 250
# keeps the heaviest request near 0.3 s at 10,000 therapies (1.4 s at 2,000 records), and the
# median near 0.3 s at 100,000 (1.2 s), for a tenth (10,000) to a third (100,000) more work in
# all. `manage.py catch_up_changes`, which nobody waits on, takes larger steps.
BATCH = 250
RECORDS = 250
COMMAND_BATCH, COMMAND_RECORDS = 1000, 2000
CHUNK = 500  # ids per query
FILL_CHUNK = 2000  # records per query of the first fill

Action = FeedChange.Action


def chunks(ids):
    ids = sorted(ids)
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


def lock_cursor(now, note=True):
    """The cursor row, locked until the catch-up commits (made on the first catch-up, when
    every public record is noted, unless `note` is false: the feed starts from the whole
    catalog)."""
    if not FeedCursor.objects.filter(pk=1).update(runs=F("runs") + 1):
        _cursor, made = FeedCursor.objects.get_or_create(
            pk=1, defaults={"runs": 0, "checked_until": now}
        )
        FeedCursor.objects.filter(pk=1).update(runs=F("runs") + 1)
        if made and note:
            note_everything()
    return FeedCursor.objects.get(pk=1)


def note_everything():
    """Every record of every content table noted (its own row only), in one statement each."""
    table = PendingChange._meta.db_table
    with connection.cursor() as cursor:
        for model in versioned_models():
            opts = model._meta
            cursor.execute(
                f"INSERT INTO {table} (table_name, row_id, spread) "
                f"SELECT %s, {opts.pk.column}, %s FROM {opts.db_table}",
                [opts.db_table, False],
            )


def scheduled(since, now):
    """{model: ids} of the records whose scheduled going live or expiry fell in (since, now].
    None to look for when the catalog's version says the latest boundary passed is older (its
    one lookup, which most requests have made already)."""
    version = catalog_version(now)
    if version is None or version.boundary is None or version.boundary <= since:
        return {}
    found = {}
    for model in publishable_models():
        passed = Q()
        for name in ("go_live_at", "expire_at"):
            passed |= Q(**{f"{name}__gt": since, f"{name}__lte": now})
        ids = set(model._base_manager.filter(passed).values_list("pk", flat=True))
        if ids:
            found[model] = ids
    return found


def changed_models(pending, boundaries):
    """{model: (ids that changed themselves, ids only a child row of changed)}."""
    by_table = {model._meta.db_table: model for model in versioned_models()}
    changed = {}
    for table, row_id, spread in pending:
        model = by_table.get(table)
        if model is not None:
            changed.setdefault(model, (set(), set()))[0 if spread else 1].add(row_id)
    for model, ids in boundaries.items():
        changed.setdefault(model, (set(), set()))[0].update(ids)
    return changed


def compare(resource, ids, now):
    """(removals, rows): the entries for these records of `resource`, and the journal's new
    rows ({id: (key, row)}; None where a record left)."""
    removals, puts, journal = [], [], {}
    for part in chunks(ids):
        rows = {
            row["pk"]: row for row in resource.public().filter(pk__in=part).rows(*resource.keys)
        }
        before = {
            record.record_id: record
            for record in PublishedRecord.objects.filter(resource=resource.name, record_id__in=part)
        }
        existing = set()
        if len(rows) < len(part):
            gone = [pk for pk in part if pk not in rows and pk in before]
            existing = set(
                resource.model._base_manager.filter(pk__in=gone).values_list("pk", flat=True)
            )
        for pk in part:
            row, old = rows.get(pk), before.get(pk)
            entry = {"at": now, "resource": resource.name}
            if row is None:
                if old is not None:
                    action = Action.UNPUBLISHED if pk in existing else Action.DELETED
                    removals.append(FeedChange(**entry, action=action, key=old.key))
                    journal[pk] = None
                continue
            key = resource.key_of(row)
            if old is None:
                puts.append(FeedChange(**entry, action=Action.CREATED, key=key, row=row))
            elif old.row != row:
                changed = [name for name in resource.keys if old.row.get(name) != row.get(name)]
                old_key = old.key if old.key != key else ""
                if old_key:
                    removals.append(
                        FeedChange(**entry, action=Action.MOVED, key=old.key, other_key=key)
                    )
                puts.append(
                    FeedChange(
                        **entry,
                        action=Action.CHANGED,
                        key=key,
                        other_key=old_key,
                        changed=changed,
                        row=row,
                    )
                )
            else:
                continue
            journal[pk] = (key, row)
    return removals, puts, journal


def write_journal(resource, journal):
    gone = [pk for pk, found in journal.items() if found is None]
    for part in chunks(gone):
        PublishedRecord.objects.filter(resource=resource.name, record_id__in=part).delete()
    kept = [
        PublishedRecord(resource=resource.name, record_id=pk, key=found[0], row=found[1])
        for pk, found in journal.items()
        if found is not None
    ]
    PublishedRecord.objects.bulk_create(
        kept,
        batch_size=CHUNK,
        update_conflicts=True,
        unique_fields=["resource", "record_id"],
        update_fields=["key", "row"],
    )


def keys_taken(resource, journal, compared):
    """The records, outside those `compared`, that the feed last gave under a key one of the
    new rows takes (a slug passed on in a rename, or two slugs swapped): compared in the same
    catch-up, so no consumer ever holds two records under one key."""
    keys = {found[0] for found in journal.values() if found is not None}
    held = set()
    for part in chunks(keys):
        rows = PublishedRecord.objects.filter(resource=resource.name, key__in=part)
        held.update(rows.values_list("record_id", flat=True))
    return held - compared


def note_later(resource, ids):
    """Records left for the next catch-up (a change that touched more than `RECORDS`)."""
    table = resource.model._meta.db_table
    PendingChange.objects.bulk_create(
        [PendingChange(table_name=table, row_id=pk, spread=False) for pk in ids], batch_size=CHUNK
    )


def compare_resource(resource, ids, now, records):
    """`compare` for at most `records` of these records (the rest noted for later) and for any
    record whose key they take; True if some were left for later."""
    ids = sorted(ids)
    ids, later = set(ids[:records]), ids[records:]
    if later:
        note_later(resource, later)
    removals, puts, journal = compare(resource, ids, now)
    more = keys_taken(resource, journal, ids)
    while more:
        ids |= more
        gone, put, found = compare(resource, more, now)
        removals, puts = removals + gone, puts + put
        journal |= found
        more = keys_taken(resource, found, ids)
    return removals, puts, journal, bool(later)


def catch_up(resources, limit=None, records=None):
    """Read up to `limit` (`BATCH`) noted rows into the feed, comparing up to `records`
    (`RECORDS`) records of each kind; True if more are waiting."""
    limit, records = limit or BATCH, records or RECORDS
    with transaction.atomic():
        now = timezone.now()
        cursor = lock_cursor(now)
        pending = list(
            PendingChange.objects.order_by("id").values_list(
                "id", "table_name", "row_id", "spread"
            )[: limit + 1]
        )
        more = len(pending) > limit
        pending = pending[:limit]
        boundaries = scheduled(cursor.checked_until, now)
        if not pending and not boundaries:
            return False
        changed = changed_models([row[1:] for row in pending], boundaries)
        removals, puts = [], []
        for resource in resources:
            dependents = resource.dependents(changed)
            gone, put, journal, left = compare_resource(resource, dependents, now, records)
            removals += gone
            puts += put
            more = more or left
            write_journal(resource, journal)
        FeedChange.objects.bulk_create(removals + puts, batch_size=CHUNK)
        for part in chunks([row[0] for row in pending]):
            PendingChange.objects.filter(id__in=part).delete()
        FeedCursor.objects.filter(pk=1).update(checked_until=now)
    return more


def write_created(resource, rows, now):
    """A `created` change and a journal row for each of these rows of `resource`."""
    keyed = [(resource.key_of(row), row) for row in rows]
    changes = [
        FeedChange(at=now, resource=resource.name, action=Action.CREATED, key=key, row=row)
        for key, row in keyed
    ]
    FeedChange.objects.bulk_create(changes, batch_size=CHUNK)
    write_journal(resource, {row["pk"]: (key, row) for key, row in keyed})


def fill(resources):
    """The first fill of a feed that has never given a record: every public record of each
    resource, in order, one `created` change (and its journal row) each, read `FILL_CHUNK`
    records at a time; every noted row dropped first (what the fill reads holds what they
    noted, and a write committed later notes rows of its own). Unbounded: the command's work,
    never a request's. The number of changes written; None, doing nothing, once the feed has
    given anything."""
    with transaction.atomic():
        now = timezone.now()
        lock_cursor(now, note=False)
        if FeedChange.objects.exists() or PublishedRecord.objects.exists():
            return None
        PendingChange.objects.all().delete()
        written = 0
        for resource in resources:
            after = None
            while True:
                records = resource.public().order_by("pk")
                if after is not None:
                    records = records.filter(pk__gt=after)
                rows = list(records.rows(*resource.keys)[:FILL_CHUNK])
                if not rows:
                    break
                after = rows[-1]["pk"]
                write_created(resource, rows, now)
                written += len(rows)
        FeedCursor.objects.filter(pk=1).update(checked_until=now)
    return written


def catch_up_all(resources, limit=None, records=None):
    """Catch up until nothing is waiting (a management command's, or a test's, way); the number
    of catch-ups it took."""
    runs = 1
    while catch_up(resources, limit, records):
        runs += 1
    return runs


def last_seq():
    found = FeedChange.objects.order_by("-seq").values_list("seq", flat=True).first()
    return found or 0
