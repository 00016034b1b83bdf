"""Rows read with SQL made once per process: `read_rows(model, keys, prefix, pks)`, the rows of
known records, for `RowsQuerySet.rows_of()` (models/rows.py), and `fixed_rows(key, build)`, the
rows of a query that takes nothing from the request (the home page's lists).

A row's query nests a subquery per related list (names, uses, sources) with the visibility rule
in each; building and compiling those expressions took more of a list page's time than the
database did. Here the query of `model`'s rows with `keys` is compiled once, with two kinds of
placeholder among its parameters: the list of primary keys (one array parameter: `= ANY(%s)` on
PostgreSQL, `IN (SELECT value FROM JSON_EACH(%s))` on SQLite, so any number of keys shares one
SQL text) and the moment the query runs (`QueryTime`, compiled as its marker). Each call puts
the keys and the current time in their places and runs the same SQL; orjson reads the rows'
JSON (a fifth of a list page's time with the standard library's decoder).
"""

import functools
import json

import orjson
from django.db import connections, models, router
from django.db.models import F, Func
from django.utils import timezone

from .schedule import QUERY_TIME_MARKER, query_time_as_marker

__all__ = ["fixed_rows", "read_rows"]


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


def run(connection, sql, template, keys_value=None):
    """The JSON values of a compiled query's one column, its placeholders filled in."""
    now = models.DateTimeField().get_db_prep_value(timezone.now(), connection)
    params = [keys_value if p is KEYS else now if p == QUERY_TIME_MARKER else p for p in template]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        found = [value for (value,) in cursor.fetchall()]
    return [orjson.loads(v) if isinstance(v, str | bytes) else v for v in found]


def read_rows(model, keys, script_prefix, pks):
    pks = [int(pk) for pk in pks]
    if not pks:
        return []
    alias = router.db_for_read(model)
    connection = connections[alias]
    sql, template = prepared(model, keys, script_prefix, alias)
    keys_value = pks if connection.vendor == "postgresql" else json.dumps(pks)
    rows = {row["pk"]: row for row in run(connection, sql, template, keys_value)}
    return [rows[pk] for pk in pks if pk in rows]


_fixed = {}  # (key, URL prefix) -> (database alias, SQL, parameters with placeholders)


def fixed_rows(key, build):
    """The rows of `build()`, a queryset of rows (`….rows(…)`, sliced or not) that takes
    nothing from the request: its SQL is compiled the first time for this `key` and URL
    prefix and run as it is afterwards, with the moment it runs put in."""
    from django.urls import get_script_prefix

    cache_key = (key, get_script_prefix())
    if cache_key not in _fixed:
        queryset = build()
        with query_time_as_marker():
            sql, params = queryset.query.get_compiler(using=queryset.db).as_sql()
        _fixed[cache_key] = (queryset.db, sql, tuple(params))
    alias, sql, template = _fixed[cache_key]
    return run(connections[alias], sql, template)
