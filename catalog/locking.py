"""A save that found the database busy with another save.

SQLite lets one writer at a time: a transaction takes the write lock when it begins
(`transaction_mode: IMMEDIATE` in settings) and waits up to `timeout` seconds for it. A save
that still times out has written nothing and can simply be sent again, so it is a clear,
retryable refusal, never the "temporarily unavailable" outage page: the admin shows the form
again with the editor's input (HistoryAdmin), the API answers a 409 problem with `Retry-After`
(catalog/api/problems.py), anything else a 409 page (immunosite/views.py).
"""

import contextlib
import sqlite3

from django.db import OperationalError, connections

RETRY_AFTER_SECONDS = 5
DETAIL = (
    "Another save was in progress and held the database for too long, so this one was not "
    f"saved (nothing was changed). Retry the same request in {RETRY_AFTER_SECONDS} seconds."
)
ADMIN_MESSAGE = (
    "Another save was in progress, so your changes were not saved. Your input is kept below: "
    "save again."
)
BUSY_CODES = {sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED}


def database_busy(error):
    """Whether `error` is a lock wait that timed out (SQLite's "database is locked")."""
    if not isinstance(error, OperationalError | sqlite3.OperationalError):
        return False
    cause = error if isinstance(error, sqlite3.OperationalError) else error.__cause__
    code = getattr(cause, "sqlite_errorcode", None)
    return code is not None and code & 0xFF in BUSY_CODES  # extended codes: BUSY_SNAPSHOT …


@contextlib.contextmanager
def deferred_transactions(using):
    """Transactions begun here take no write lock up front (SQLite's default, DEFERRED mode):
    for showing a refused form again while another save still holds the lock; it only reads.
    Other databases are left as they are."""
    connection = connections[using]
    if connection.vendor != "sqlite":
        yield
        return
    mode = connection.transaction_mode
    connection.transaction_mode = None
    try:
        yield
    finally:
        connection.transaction_mode = mode
