"""The catalog's version: one row that database triggers move on every write to a versioned
table (catalog/triggers.py), and what the public sees changing on its own at a scheduled
boundary (a record going live or expiring); read by the page cache, ETags, Last-Modified and
cached counts (`catalog_version()`)."""

import dataclasses
import datetime
import functools

from django.db import InterfaceError, OperationalError, connections, models, router
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from .schedule import aware, schedule_boundaries

__all__ = ["CatalogVersion", "PublicVersion", "catalog_last_modified", "catalog_version"]


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


@dataclasses.dataclass(frozen=True)
class PublicVersion:
    """What the public sees is decided by the last write (`written_at`, `counter`) and by the
    latest scheduled boundary passed (`boundary`); it stays so until the next write or until
    `next_boundary`. `changed_at`: when it last changed (Last-Modified); `stamp`: what caches
    key on (both parts, so a boundary moves it whatever the clocks of the database and the
    application say)."""

    written_at: datetime.datetime
    counter: int
    boundary: datetime.datetime | None
    next_boundary: datetime.datetime | None

    @property
    def changed_at(self):
        return max(self.written_at, self.boundary or self.written_at)

    @property
    def stamp(self):
        boundary = self.boundary.isoformat() if self.boundary else "-"
        return f"{self.written_at.isoformat()}|{self.counter}|{boundary}"

    def holds_at(self, now):
        """Whether no boundary lies between the one read and `now` (a clock set back too)."""
        return (self.boundary is None or self.boundary <= now) and (
            self.next_boundary is None or now < self.next_boundary
        )


# The boundaries last read in this process, with the write they were read after: read again
# only after another write, or once the clock passes the next boundary (one more query).
_known = None


@functools.cache
def version_sql(alias):
    """The SQL of the version's one-row lookup, made once per process and database: every
    request asks for it (a page-cache hit asks for nothing else)."""
    rows = CatalogVersion.objects.using(alias).filter(pk=1).values_list("changed_at", "counter")
    return rows.query.get_compiler(using=alias).as_sql()


def version_row():
    """(changed_at, counter) of the version's row, or None before the first write.

    This read is the first query of nearly every public request, and the only one of a
    page-cache hit, so on a persistent connection that a new request reuses it also stands in
    for Django's health check (CONN_HEALTH_CHECKS: a `SELECT 1` before the request's first
    query, one more round trip): when the connection turns out to be dead (the database
    restarted), it is closed and the read is made once more on a new one, as the check would
    have done. Any other first query keeps Django's check."""
    alias = router.db_for_read(CatalogVersion)
    connection = connections[alias]
    sql, params = version_sql(alias)
    checking = unchecked_reuse(connection)
    if checking:
        connection.health_check_done = True  # this read is the check
    try:
        return fetch_one(connection, sql, params)
    except (InterfaceError, OperationalError):
        if not checking:
            raise
    # Outside the `except`: when the database is down, the error the request fails with is the
    # new connection's, logged once, not chained to the dropped one's.
    connection.close()
    return fetch_one(connection, sql, params)


def unchecked_reuse(connection):
    """Whether `connection` is open from an earlier request and not checked yet in this one
    (outside a transaction: a dead connection there is the transaction's failure)."""
    return (
        connection.health_check_enabled
        and not connection.health_check_done
        and connection.connection is not None
        and not connection.in_atomic_block
    )


def fetch_one(connection, sql, params):
    """The version's row read on `connection`, as version_row() gives it."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return None
    changed_at = parse_datetime(row[0]) if isinstance(row[0], str) else row[0]
    return aware(changed_at), row[1]


def catalog_version(now=None):
    """The catalog's PublicVersion at `now` (default: timezone.now()): one primary-key lookup,
    and one query of the schedule's indexes after a write or a boundary. None for an empty
    catalog (no write yet)."""
    global _known
    row = version_row()
    if row is None:
        return None
    now = now or timezone.now()
    written_at, counter = row
    known = _known
    same_write = known is not None and (known.written_at, known.counter) == (written_at, counter)
    if same_write and known.holds_at(now):
        return known
    from .registry import publishable_models

    boundary, next_boundary = schedule_boundaries(publishable_models(), now)
    _known = PublicVersion(written_at, counter, boundary, next_boundary)
    return _known


def catalog_last_modified():
    """When what the public sees last changed: the latest write or scheduled boundary passed
    (see catalog_version()). None until the first change (an empty database)."""
    version = catalog_version()
    return version.changed_at if version else None
