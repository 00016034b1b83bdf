"""List rows: a record as a plain dict, made by the database in the record's own query.

A list page, an API list, a cursor page and an export read the same rows, never model
instances: `SomeModel.objects.filter(…).rows(*keys)` is a queryset of dicts (one JSON object per
record, `values_list(…, flat=True)`), so a list costs the same few queries whatever its length
and Python only reads dicts. A row has the record's fields, its related records as dicts (a
to-one relation: a dict or None; a to-many relation: a list of dicts in the related model's
order) and the URL of its page, always with its primary key as `pk`.

Each queryset class declares its rows in `row_fields`, key → what the row holds there:

- a field name (`"name"`, `"last_reviewed"`): the value as JSON has it (dates as ISO text;
  `datetime_from_row` reads date-times back);
- `PageURL(url_name)`: the path of the record's page; `Label(field)`: a choice's label;
- `One(relation, keys)`, `Many(relation, keys, visible=…)`: related records as rows of their
  own model (its `row_fields`, the keys named), `Values(relation, field)`: one field of each;
- `Computed(build)`: any expression, `build(prefix)` given the path to the record.

Keys are the names the API's fields read (`catalog/api/serializers.py`), the pages read them
too. `JSONRow` and `JSONList` are the expressions everything is built of (PostgreSQL, SQLite).

`SomeModel.objects.rows_of(pks, keys)` reads the rows of known records (a page's, once its keys
are found) with SQL made once per process and kind of row (catalog/models/prepared.py): building
and compiling a row's expressions cost more than running its query.
"""

import datetime
import functools

from django.conf import settings
from django.db import NotSupportedError, models
from django.db.models import Case, F, Func, JSONField, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Concat, JSONObject
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from .paths import around_slug, current_urls

__all__ = []


class JSONList(Subquery):
    """The rows of a one-column subquery as one JSON array in the subquery's order (`[]` when
    it has none): JSON objects (`objects=True`) or plain values."""

    output_field = JSONField()

    def __init__(self, queryset, column, objects=True):
        self.column = column
        self.objects = objects
        super().__init__(queryset)

    def as_sql(self, compiler, connection, **extra_context):
        raise NotSupportedError("JSONList supports PostgreSQL and SQLite.")

    def as_postgresql(self, compiler, connection, **extra_context):
        # ARRAY(subquery) keeps the subquery's order.
        return super().as_sql(
            compiler, connection, template="TO_JSONB(ARRAY(%(subquery)s))", **extra_context
        )

    def as_sqlite(self, compiler, connection, **extra_context):
        # An aggregate over an ordered subquery takes the rows in that order (SQLite does not
        # flatten such a subquery into an aggregate query). JSON() keeps the result JSON, not
        # text, inside an enclosing JSON_OBJECT(), and reads each object as JSON.
        column = connection.ops.quote_name(self.column)
        item = f"JSON({column})" if self.objects else column
        template = f"JSON(COALESCE((SELECT JSON_GROUP_ARRAY({item}) FROM (%(subquery)s)), '[]'))"
        return super().as_sql(compiler, connection, template=template, **extra_context)


class JSONRow(JSONObject):
    """JSONObject, minus the check that SQLite has JSON functions (a query of its own, run on
    each new connection's first JSONObject; SQLite has had them built in since 3.38)."""

    def as_sqlite(self, compiler, connection, **extra_context):
        return Func.as_sql(self, compiler, connection, **extra_context)


class AsJSON(Func):
    """An expression's value read as JSON where SQLite would take it for text (a CASE around
    a JSON object, inside another JSON object)."""

    output_field = JSONField()

    def as_sql(self, compiler, connection, **extra_context):
        return compiler.compile(self.get_source_expressions()[0])

    def as_sqlite(self, compiler, connection, **extra_context):
        return Func.as_sql(self, compiler, connection, function="JSON", **extra_context)


def datetime_from_row(value):
    """A date-time as a row holds it (text: ISO with an offset from PostgreSQL, UTC without
    one from SQLite) as an aware datetime; None stays None."""
    if value is None:
        return None
    parsed = parse_datetime(value)
    if settings.USE_TZ and timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed, datetime.UTC)
    return parsed


# --- what a row holds -----------------------------------------------------------------------


class PageURL:
    """The path of the record's page: `url_name` reversed with its slug (`anchor=True`: the
    page of `url_name`, at the record's slug as a fragment, as the glossary's terms)."""

    def __init__(self, url_name, anchor=False):
        self.url_name = url_name
        self.anchor = anchor

    def expression(self, model, prefix):
        if self.anchor:
            before, after = f"{reverse(self.url_name)}#", ""
        else:
            before, after = around_slug(self.url_name)
        return Concat(
            Value(before), F(f"{prefix}slug"), Value(after), output_field=models.TextField()
        )


class Label:
    """The label of a choice field's value (the model field's choices), as get_FOO_display()."""

    def __init__(self, field):
        self.field = field

    def expression(self, model, prefix):
        path = f"{prefix}{self.field}"
        choices = model._meta.get_field(self.field).flatchoices
        whens = [When(**{path: value}, then=Value(str(label))) for value, label in choices]
        return Case(*whens, default=F(path), output_field=models.CharField())


class Computed:
    """Any expression: `build(prefix)`, where `prefix` is the path to the record."""

    def __init__(self, build):
        self.build = build

    def expression(self, model, prefix):
        return self.build(prefix)


class One:
    """A to-one relation's record as a row of its model with these keys; None when empty."""

    def __init__(self, relation, keys):
        self.relation = relation
        self.keys = tuple(keys)

    def expression(self, model, prefix):
        field = model._meta.get_field(self.relation)
        path = f"{prefix}{self.relation}__"
        row = JSONRow(**row_expressions(field.related_model, self.keys, path))
        if not field.null:
            return row
        empty = When(**{f"{prefix}{self.relation}__isnull": True}, then=Value(None))
        return AsJSON(Case(empty, default=row, output_field=JSONField()))


class Many:
    """A to-many relation's records (a reverse foreign key or a many-to-many), as rows of their
    model with these keys, in its default order; `visible`: only those the public sees (the
    model's `visible()`), `where`: a condition on them."""

    def __init__(self, relation, keys, *, visible=False, where=None):
        self.relation = relation
        self.keys = tuple(keys)
        self.visible = visible
        self.where = where

    def related(self, model, prefix):
        """The related rows of the record at `prefix`, and the path from them to their model."""
        field = model._meta.get_field(self.relation)
        target = field.related_model
        if field.many_to_many and field.concrete:  # e.g. `sources`: through the link table
            through = field.remote_field.through
            path = f"{field.m2m_reverse_field_name()}__"
            rows = through._default_manager.filter(
                **{field.m2m_field_name(): OuterRef(f"{prefix}pk")}
            )
            rows = rows.order_by(*(prefixed(order, path) for order in target._meta.ordering))
        elif field.one_to_many:  # e.g. `other_names`, `indications`
            path = ""
            rows = target._default_manager.filter(**{field.field.name: OuterRef(f"{prefix}pk")})
        else:
            raise ValueError(f"{model.__name__}.{self.relation} is not a to-many relation.")
        if self.visible:
            rows = rows.filter(target.visible(path))
        if self.where is not None:
            rows = rows.filter(prefix_q(self.where, path))
        return target, rows, path

    def expression(self, model, prefix):
        target, rows, path = self.related(model, prefix)
        item = JSONRow(**row_expressions(target, self.keys, path))
        return JSONList(rows.annotate(row_item=item).values("row_item"), "row_item")


class Values(Many):
    """One field of each record of a to-many relation, as a list of values."""

    def __init__(self, relation, field, **kwargs):
        super().__init__(relation, (), **kwargs)
        self.field = field

    def expression(self, model, prefix):
        _target, rows, path = self.related(model, prefix)
        column = "row_value"
        rows = rows.annotate(**{column: F(f"{path}{self.field}")}).values(column)
        return JSONList(rows, column, objects=False)


def prefixed(ordering, prefix):
    if isinstance(ordering, str):
        return f"{'-' if ordering.startswith('-') else ''}{prefix}{ordering.lstrip('-')}"
    raise ValueError("Only field names can be prefixed.")


def prefix_q(q, prefix):
    """`q` with `prefix` before each of its lookups (visible() takes one already)."""
    if not prefix:
        return q
    copy = q.copy()
    copy.children = [
        prefix_q(child, prefix) if isinstance(child, Q) else (f"{prefix}{child[0]}", child[1])
        for child in q.children
    ]
    return copy


def row_expressions(model, keys, prefix=""):
    """{key: expression} for these keys of `model`'s rows, the record being at `prefix`."""
    fields = model._default_manager.all().row_fields
    unknown = [key for key in keys if key not in fields]
    if unknown:
        raise ValueError(f"{model.__name__} rows have no {', '.join(unknown)}.")
    expressions = {}
    for key in keys:
        spec = fields[key]
        expressions[key] = (
            F(f"{prefix}{spec}") if isinstance(spec, str) else spec.expression(model, prefix)
        )
    return expressions


class RowsQuerySet(models.QuerySet):
    """A queryset whose records can be read as list rows (see the module's docstring)."""

    row_fields = {}

    def rows(self, *keys):
        """The records as dicts with these keys (all by default) and `pk`."""
        keys = row_keys(self.row_fields, keys)
        return self.values_list(row_expression(self.model, keys, current_urls()), flat=True)

    def rows_of(self, pks, keys=()):
        """The rows (with these keys) of the records with these primary keys, in that order;
        keys no longer there are left out. The same rows as
        `rows(*keys).filter(pk__in=pks)`, without building that query each time."""
        from .prepared import read_rows

        return read_rows(self.model, row_keys(self.row_fields, keys), current_urls(), pks)


def row_keys(row_fields, keys):
    """The keys asked for (all of them by default), each once, `pk` apart (always there)."""
    return tuple(key for key in dict.fromkeys(keys or row_fields) if key != "pk")


@functools.lru_cache(maxsize=256)
def row_expression(model, keys, urls):
    """The JSON object of a row, built once per model, keys and URLs (`current_urls()`: the
    pages' paths depend on them): expressions are copied, never changed, by the queries that
    use them."""
    return JSONRow(pk=F("pk"), **row_expressions(model, keys))
