"""Rows read with SQL made once per process: `read_rows(model, keys, urls, pks)`, the rows of
known records, for `RowsQuerySet.rows_of()` (models/rows.py), and `fixed_rows(key, build)`, the
rows of a query that takes nothing from the request (the home page's lists). Its parts
(`KeysIn`, `compiled`, `execute`) also make the query of the sources a page cites once per
kind of page (models/sources.py `cited_query`).

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

from .paths import current_urls
from .schedule import QUERY_TIME_MARKER, query_time_as_marker

__all__ = ["Keys", "KeysIn", "Text", "compiled", "execute", "fixed_rows", "read_rows"]


class Keys:
    """A placeholder among a compiled query's parameters for a list of keys: `Keys(0)`, `Keys(1)`
    … when one query takes several lists."""

    def __init__(self, slot=0):
        self.slot = slot

    def __repr__(self):
        return f"<keys {self.slot}>"


class Text(str):
    """A placeholder for one text parameter, `Text(slot)`: `filter(slug=Text(0))`. A text
    field keeps a `str` as it is given, so the placeholder itself reaches the parameters."""

    def __new__(cls, slot=0):
        text = super().__new__(cls, f"<text {slot}>")
        text.slot = slot
        return text


class KeysIn(Func):
    """`field` (`pk` unless named) is one of a list given as one parameter, `Keys(slot)`."""

    output_field = models.BooleanField()
    conditional = True

    def __init__(self, field="pk", slot=0):
        super().__init__(F(field))
        self.slot = slot

    def as_sql(self, compiler, connection, **extra_context):
        raise NotImplementedError("KeysIn supports PostgreSQL and SQLite.")

    def as_postgresql(self, compiler, connection, **extra_context):
        column, params = compiler.compile(self.get_source_expressions()[0])
        return f"{column} = ANY(%s)", [*params, Keys(self.slot)]

    def as_sqlite(self, compiler, connection, **extra_context):
        column, params = compiler.compile(self.get_source_expressions()[0])
        return f"{column} IN (SELECT value FROM JSON_EACH(%s))", [*params, Keys(self.slot)]


def keys_parameter(connection, keys):
    """A list of integer keys as the one parameter `KeysIn` compiles to."""
    keys = [int(key) for key in keys]
    return keys if connection.vendor == "postgresql" else json.dumps(keys)


def compiled_with(compiler):
    """(SQL, parameters with placeholders) of a query's compiler, the moment the query runs as
    its marker."""
    with query_time_as_marker():
        sql, params = compiler.as_sql()
    return sql, tuple(params)


def compiled(queryset):
    """(SQL, parameters with placeholders) of `queryset`."""
    return compiled_with(queryset.query.get_compiler(using=queryset.db))


def execute(connection, sql, template, values=()):
    """The rows of a compiled query, its placeholders filled in: `values[n]` for `Keys(n)` (a
    list as `keys_parameter` gives it) and `Text(n)`, and the current time for the query
    time's marker."""
    now = models.DateTimeField().get_db_prep_value(timezone.now(), connection)
    params = [
        values[p.slot] if isinstance(p, Keys | Text) else now if p == QUERY_TIME_MARKER else p
        for p in template
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


@functools.lru_cache(maxsize=256)
def prepared(model, keys, urls, alias):
    """(SQL, parameters with placeholders) of `model`'s rows with `keys`, compiled once per
    URL configuration and prefix (`urls`: the rows hold page paths)."""
    return compiled(model._default_manager.using(alias).order_by().filter(KeysIn()).rows(*keys))


def run(connection, sql, template, keys=()):
    """The JSON values of a compiled query's one column, its placeholders filled in."""
    found = [value for (value,) in execute(connection, sql, template, keys)]
    return [orjson.loads(v) if isinstance(v, str | bytes) else v for v in found]


def read_rows(model, keys, urls, pks):
    pks = [int(pk) for pk in pks]
    if not pks:
        return []
    alias = router.db_for_read(model)
    connection = connections[alias]
    sql, template = prepared(model, keys, urls, alias)
    rows = {
        row["pk"]: row for row in run(connection, sql, template, [keys_parameter(connection, pks)])
    }
    return [rows[pk] for pk in pks if pk in rows]


# (key, URL configuration, URL prefix) -> (database alias, SQL, parameters with placeholders)
_fixed = {}


def fixed_rows(key, build):
    """The rows of `build()`, a queryset of rows (`….rows(…)`, sliced or not) that takes
    nothing from the request: its SQL is compiled the first time for this `key`, URL
    configuration and prefix and run as it is afterwards, with the moment it runs put in."""
    cache_key = (key, *current_urls())
    if cache_key not in _fixed:
        queryset = build()
        _fixed[cache_key] = (queryset.db, *compiled(queryset))
    alias, sql, template = _fixed[cache_key]
    return run(connections[alias], sql, template)
