"""Rows of known records, read with SQL made once per process: `read_rows(model, keys, prefix,
pks)`, for `RowsQuerySet.rows_of()` (models/rows.py).

A row's query nests a subquery per related list (names, uses, sources) with the visibility rule
in each; building and compiling those expressions took more of a list page's time than the
database did. Here the query of `model`'s rows with `keys` is compiled once, with two kinds of
placeholder among its parameters: the list of primary keys (one array parameter: `= ANY(%s)` on
PostgreSQL, `IN (SELECT value FROM JSON_EACH(%s))` on SQLite, so any number of keys shares one
SQL text) and the moment the query runs (`QueryTime`, compiled as its marker). Each call puts
the keys and the current time in their places and runs the same SQL.
"""

import functools
import json

from django.db import connections, models, router
from django.db.models import F, Func
from django.utils import timezone

from .schedule import QUERY_TIME_MARKER, query_time_as_marker

__all__ = ["read_rows"]


class _Keys:
    """The placeholder for the list of primary keys among a compiled query's parameters."""

    def __repr__(self):
        return "<row keys>"


KEYS = _Keys()


class PrimaryKeyIn(Func):
    """`pk` is one of a list given as one parameter (the `KEYS` placeholder)."""

    output_field = models.BooleanField()
    conditional = True

    def __init__(self):
        super().__init__(F("pk"))

    def as_sql(self, compiler, connection, **extra_context):
        raise NotImplementedError("PrimaryKeyIn supports PostgreSQL and SQLite.")

    def as_postgresql(self, compiler, connection, **extra_context):
        column, params = compiler.compile(self.get_source_expressions()[0])
        return f"{column} = ANY(%s)", [*params, KEYS]

    def as_sqlite(self, compiler, connection, **extra_context):
        column, params = compiler.compile(self.get_source_expressions()[0])
        return f"{column} IN (SELECT value FROM JSON_EACH(%s))", [*params, KEYS]


@functools.lru_cache(maxsize=256)
def prepared(model, keys, script_prefix, alias):
    """(SQL, parameters with placeholders) of `model`'s rows with `keys`, compiled once."""
    rows = model._default_manager.using(alias).order_by().filter(PrimaryKeyIn()).rows(*keys)
    with query_time_as_marker():
        sql, params = rows.query.get_compiler(using=alias).as_sql()
    return sql, tuple(params)


def read_rows(model, keys, script_prefix, pks):
    pks = [int(pk) for pk in pks]
    if not pks:
        return []
    alias = router.db_for_read(model)
    connection = connections[alias]
    sql, template = prepared(model, keys, script_prefix, alias)
    now = models.DateTimeField().get_db_prep_value(timezone.now(), connection)
    keys_value = pks if connection.vendor == "postgresql" else json.dumps(pks)
    params = [keys_value if p is KEYS else now if p == QUERY_TIME_MARKER else p for p in template]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        found = [value for (value,) in cursor.fetchall()]
    rows = {}
    for value in found:
        row = json.loads(value) if isinstance(value, str | bytes) else value
        rows[row["pk"]] = row
    return [rows[pk] for pk in pks if pk in rows]
