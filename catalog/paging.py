"""Lists, a page at a time, for the pages and the API alike.

- `whole_number`: page numbers, read the same way everywhere.
- `Paginator`: pages without OFFSET scans that grow with the page number, nor index walks
  looking for a few matches.
- `Embed` and `embed()`: a row's to-many relations (names, sources, indications) read inside the
  row's own query, so a list costs the same few queries whatever its length (also a CSV export
  of every row).
"""

import datetime
import hashlib

from django.conf import settings
from django.core import paginator
from django.core.cache import cache
from django.core.exceptions import EmptyResultSet
from django.db import NotSupportedError
from django.db.models import F, Func, JSONField, OrderBy, OuterRef, QuerySet, Subquery, Window
from django.db.models.functions import JSONObject, RowNumber
from django.db.models.query import ModelIterable
from django.utils import timezone
from django.utils.functional import cached_property


def whole_number(raw):
    """`raw` as a number if it is ASCII digits only (not "-1", "1.5" or other scripts' digits),
    else None. Numbers longer than any page count are infinity (int() refuses 4,300+ digits)."""
    if not (raw.isascii() and raw.isdigit()):
        return None
    digits = raw.lstrip("0") or "0"
    return int(digits) if len(digits) <= 20 else float("inf")


# --- Pages --------------------------------------------------------------------------------


def total_ordering(queryset):
    """The queryset's ordering, ending with a unique key (the primary key is added unless the
    last key already is one), so that reading it backwards gives exactly the reverse order."""
    query = queryset.query
    ordering = list(query.order_by or (query.get_meta().ordering if query.default_ordering else []))
    last = ordering[-1] if ordering else None
    if isinstance(last, OrderBy) and isinstance(last.expression, F):
        last = last.expression.name
    if isinstance(last, str):
        name = last.lstrip("-")
        opts = queryset.model._meta
        if name == "pk" or (
            "__" not in name
            and any(f.name == name and f.unique and not f.null for f in opts.concrete_fields)
        ):
            return ordering
    return [*ordering, "pk"]


COUNT_TIMEOUT = 600


def cached_count(queryset, version):
    """`queryset.count()`, cached under the catalog's version (`catalog_last_modified()`) and
    the query's SQL: exact, since every write to the catalog moves the version (database
    triggers), and counted once per version and filter instead of on every request. Not cached
    without a version (an empty database) or for lists that are not querysets."""
    if version is None or not isinstance(queryset, QuerySet):
        return queryset.count() if isinstance(queryset, QuerySet) else len(queryset)
    try:
        sql, params = queryset.query.sql_with_params()
    except EmptyResultSet:  # known to be empty (`.none()`): no query either way
        return queryset.count()
    digest = hashlib.sha256(f"{version.isoformat()}|{sql}|{params!r}".encode()).hexdigest()
    key = f"list-count:{digest}"
    value = cache.get(key)
    if value is None:
        value = queryset.count()
        cache.set(key, value, COUNT_TIMEOUT)
    return value


class Paginator(paginator.Paginator):
    """Django's paginator (exact counts, the same pages), minus the cost of deep pages.

    Pages near either end of a long list are read directly, the last ones backwards (the
    ordering ends with a unique key, so the reverse is exact): `LIMIT n OFFSET m` with m at most
    one page, so the last page costs what the first does. Elsewhere a page takes two queries:
    the primary keys of its rows, then those rows (`pk IN (…)`), so rows skipped on the way are
    neither loaded nor have their related records embedded. The keys come from numbering the
    matches in order (ROW_NUMBER()) when there are at most `numbered` of them: the cost grows
    with the matches, not the page number, and a LIMIT cannot turn into a walk of the whole
    sort index in search of a few matches. In longer lists they come from a narrow scan of
    (sort key, primary key) from the nearer end, so the offset is at most half the count.
    """

    numbered = 10_000

    def __init__(self, *args, version=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.version = version  # the catalog's version: counts are cached under it

    @cached_property
    def count(self):
        return cached_count(self.object_list, self.version)

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        return self._get_page(self.rows(bottom, top), number, self)

    def rows(self, bottom, top):
        """object_list[bottom:top], as a list."""
        rows = self.object_list
        if top <= bottom:
            return []
        query = getattr(rows, "query", None)
        if (
            not isinstance(rows, QuerySet)
            or not rows.ordered
            or query.is_sliced
            or query.distinct
            or query.combinator
        ):
            return list(rows[bottom:top])
        ordering = total_ordering(rows)
        rows = rows.order_by(*ordering)
        keys = rows.values_list("pk", flat=True)
        count = self.count
        if count <= self.numbered:
            position = Window(RowNumber(), order_by=ordering)
            keys = keys.annotate(position=position).filter(position__gt=bottom, position__lte=top)
            return list(rows.filter(pk__in=list(keys)))
        backwards = bottom > count - top  # nearer the end: count from there
        offset = count - top if backwards else bottom
        if offset <= self.per_page:  # near an end: the rows themselves
            if not backwards:
                return list(rows[bottom:top])
            return list(rows.reverse()[offset : count - bottom])[::-1]
        keys = keys.reverse() if backwards else keys
        return list(rows.filter(pk__in=list(keys[offset : offset + top - bottom])))


# --- Related records inside the row's query -------------------------------------------------


class JSONList(Subquery):
    """The rows of a one-column subquery of JSON objects, as one JSON array in the
    subquery's order (`[]` when it has none)."""

    output_field = JSONField()

    def __init__(self, queryset, column):
        self.column = column
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
        # text, inside an enclosing JSON_OBJECT().
        column = connection.ops.quote_name(self.column)
        template = (
            f"JSON(COALESCE((SELECT JSON_GROUP_ARRAY(JSON({column})) FROM (%(subquery)s)), '[]'))"
        )
        return super().as_sql(compiler, connection, template=template, **extra_context)


class JSONRow(JSONObject):
    """JSONObject, minus the check that SQLite has JSON functions (a query of its own, run on
    each new connection's first JSONObject; SQLite has had them built in since 3.38)."""

    def as_sqlite(self, compiler, connection, **extra_context):
        return Func.as_sql(self, compiler, connection, **extra_context)


def from_json(field, value):
    """A model field's value as JSON gave it (dates and times are text there)."""
    if value is None or field.is_relation:
        return value
    value = field.to_python(value)
    if isinstance(value, datetime.datetime) and settings.USE_TZ and timezone.is_naive(value):
        value = timezone.make_aware(value, datetime.UTC)  # SQLite stores UTC without offset
    return value


class Embed:
    """A to-many relation of each row (`other_names`, `sources`, `indications`), read inside
    the row's own query as a JSON array and handed to Django as if prefetched: afterwards
    `row.other_names.all()` makes no query.

    `fields`: the related model's fields to load (the others are deferred; the primary key is
    always loaded). `related`: its foreign keys, each with the fields of the record it points to
    (like select_related). `embeds`: relations of the related model, embedded in turn.
    `queryset`: filters and orders a reverse foreign key's rows (its model's default ordering
    otherwise; a many-to-many relation follows its target's default ordering).
    """

    def __init__(self, relation, fields, *, queryset=None, related=None, embeds=()):
        self.relation = relation
        self.fields = tuple(fields)
        self.queryset = queryset
        self.related = dict(related or {})
        self.embeds = tuple(embeds)

    def bind(self, model):
        return BoundEmbed(self, model)


class BoundEmbed:
    """An Embed for one parent model: the SQL expression, and the objects made from its JSON."""

    def __init__(self, embed, model):
        self.relation = embed.relation
        self.key = f"embedded_{embed.relation}"
        field = model._meta.get_field(embed.relation)
        if field.many_to_many and field.concrete:  # a forward many-to-many, e.g. `sources`
            if embed.queryset is not None or embed.embeds:
                raise ValueError("A many-to-many Embed takes fields and related records only.")
            self.model = target = field.related_model
            through = field.remote_field.through
            prefix = f"{field.m2m_reverse_field_name()}__"
            rows = through._default_manager.filter(**{field.m2m_field_name(): OuterRef("pk")})
            rows = rows.order_by(*(prefix_ordering(o, prefix) for o in target._meta.ordering))
            self.cache_name = field.name
            self.back = None
        elif field.one_to_many:  # a reverse foreign key, e.g. `other_names`
            self.model = target = field.related_model
            rows = embed.queryset if embed.queryset is not None else target._default_manager.all()
            rows = rows.filter(**{field.field.name: OuterRef("pk")})
            prefix = ""
            self.cache_name = field.get_accessor_name()
            self.back = field.field
        else:
            raise ValueError(f"{model.__name__}.{embed.relation} is not a to-many relation.")

        opts = target._meta
        self.fields = [opts.pk, *(opts.get_field(name) for name in embed.fields)]
        self.related = {
            name: (opts.get_field(name), [opts.get_field(name).related_model._meta.pk])
            for name in embed.related
        }
        for name, related_fields in embed.related.items():
            related_opts = self.related[name][0].related_model._meta
            self.related[name][1].extend(related_opts.get_field(f) for f in related_fields)
        self.embeds = [nested.bind(target) for nested in embed.embeds]

        row = {f.attname: F(f"{prefix}{f.attname}") for f in self.fields}
        for name, (_fk, related_fields) in self.related.items():
            row[name] = JSONRow(
                **{f.attname: F(f"{prefix}{name}__{f.attname}") for f in related_fields}
            )
        for nested in self.embeds:
            row[nested.key] = nested.expression
        rows = rows.annotate(json_row=JSONRow(**row)).values("json_row")
        self.expression = JSONList(rows, "json_row")

    @staticmethod
    def load(db, model, fields, data):
        values = [from_json(f, data[f.attname]) for f in fields]
        return model.from_db(db, [f.attname for f in fields], values)

    def instance(self, db, data):
        """A model instance from its JSON object, with its related records."""
        obj = self.load(db, self.model, self.fields, data)
        for name, (fk, related_fields) in self.related.items():
            value = data[name]
            if value is None or value[related_fields[0].attname] is None:
                fk.set_cached_value(obj, None)
            else:
                fk.set_cached_value(obj, self.load(db, fk.related_model, related_fields, value))
        for nested in self.embeds:
            nested.attach(obj, data[nested.key])
        return obj

    def attach(self, parent, items):
        """Give `parent` its related objects, as prefetch_related() would."""
        db = parent._state.db
        objects = [self.instance(db, item) for item in items or ()]
        if self.back is not None:
            for obj in objects:
                self.back.set_cached_value(obj, parent)
        queryset = getattr(parent, self.relation).get_queryset()
        queryset._result_cache = objects
        queryset._prefetch_done = True
        if not hasattr(parent, "_prefetched_objects_cache"):
            parent._prefetched_objects_cache = {}
        parent._prefetched_objects_cache[self.cache_name] = queryset


def prefix_ordering(ordering, prefix):
    if isinstance(ordering, str):
        descending = ordering.startswith("-")
        return f"{'-' if descending else ''}{prefix}{ordering.lstrip('-')}"
    raise ValueError("Only field names can be prefixed.")


class EmbeddingIterable(ModelIterable):
    embeds = ()

    def __iter__(self):
        for obj in super().__iter__():
            for embed in self.embeds:
                embed.attach(obj, obj.__dict__.pop(embed.key))
            yield obj


def embed(queryset, *embeds):
    """`queryset` with the given to-many relations of each row read in the same query."""
    bound = [e.bind(queryset.model) for e in embeds]
    queryset = queryset.annotate(**{b.key: b.expression for b in bound})
    queryset._iterable_class = type(
        "EmbeddingIterable", (EmbeddingIterable,), {"embeds": tuple(bound)}
    )
    return queryset
