"""Model instances read with SQL compiled once per process: `CompiledQuery(queryset)`, for the
queries every detail page makes with only its record's slug or keys changing (the record, its
uses). Building and compiling those querysets took half of a therapy page's time, more than the
database did (docs/performance.md).

The queryset is written once with placeholders where the request's values go: `Text(n)` for a
text value (`filter(slug=Text(0))`), `KeysIn(field, n)` for a list of keys (prepared.py), and
the moment the query runs as its marker (schedule.py). Calling the compiled query with the
values runs the same SQL and builds the instances as Django's own iteration of the queryset
does: its fields, the records it `select_related()`, its annotations converted by their output
fields, then its `prefetch` lookups (`prefetch_related_objects`). It reads of the compiler
what Django's `ModelIterable` reads (`klass_info`, `select`, `annotation_col_map`), which
Django does not document: tests/test_compiled_pages.py checks the pages it serves.
"""

from django.db import connections
from django.db.models import prefetch_related_objects
from django.db.models.query import get_related_populators

from .paths import current_urls
from .prepared import compiled_with, execute, keys_parameter

__all__ = ["COMPILED", "CompiledQuery", "compiled_query"]


class CompiledQuery:
    """`queryset`'s SQL, compiled once, and what turns its rows into instances; called with the
    values of its placeholders (`Text(n)`, `Keys(n)`), it returns the list of instances."""

    def __init__(self, queryset, prefetch=()):
        self.alias = queryset.db
        compiler = queryset.query.get_compiler(using=self.alias)
        self.sql, self.template = compiled_with(compiler)
        klass_info, select = compiler.klass_info, compiler.select
        self.model = klass_info["model"]
        first, last = klass_info["select_fields"][0], klass_info["select_fields"][-1]
        self.fields = slice(first, last + 1)
        self.init_list = [column[0].target.attname for column in select[self.fields]]
        self.related = get_related_populators(klass_info, select, self.alias)
        self.annotations = tuple(compiler.annotation_col_map.items())
        self.converters = compiler.get_converters([s[0] for s in select[: compiler.col_count]])
        self.compiler = compiler
        self.prefetch = tuple(prefetch)

    def __call__(self, *values):
        """The instances, `values[n]` in the place of `Text(n)` and of `Keys(n)` (a list)."""
        connection = connections[self.alias]
        values = [
            keys_parameter(connection, v) if isinstance(v, list | tuple) else v for v in values
        ]
        rows = execute(connection, self.sql, self.template, values)
        if self.converters:
            rows = self.compiler.apply_converters(rows, self.converters)
        found = []
        for row in rows:
            record = self.model.from_db(self.alias, self.init_list, row[self.fields])
            for populator in self.related:
                populator.populate(row, record)
            for name, position in self.annotations:
                setattr(record, name, row[position])
            found.append(record)
        if found and self.prefetch:
            prefetch_related_objects(found, *self.prefetch)
        return found


# (key, URL configuration, URL prefix) -> CompiledQuery: what this process has compiled (the
# tests read it).
COMPILED = {}


def compiled_query(key, build, prefetch=()):
    """`build()`'s queryset compiled the first time for `key`, URL configuration and prefix (a
    row may hold page URLs), then reused: `compiled_query(key, build)(*values)` gives its
    instances."""
    cache_key = (key, *current_urls())
    if cache_key not in COMPILED:
        COMPILED[cache_key] = CompiledQuery(build(), prefetch)
    return COMPILED[cache_key]
