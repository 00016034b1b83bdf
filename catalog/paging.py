"""Lists, a page at a time, for the pages and the API alike.

- `whole_number`: page numbers, read the same way everywhere.
- `Paginator`: pages without OFFSET scans that grow with the page number, nor index walks
  looking for a few matches; the rows themselves are the model's list rows (dicts, each with
  its related records, from catalog/models/rows.py), so a page costs the same few queries
  whatever its length.
- `cached_count`: exact counts, counted once per catalog version and query (`query_key`).
"""

import hashlib

from django.core import paginator
from django.core.cache import cache
from django.core.exceptions import EmptyResultSet
from django.db.models import F, OrderBy, QuerySet, Window
from django.db.models.functions import RowNumber
from django.utils.functional import cached_property

from .models import query_time_as_marker


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


def query_key(prefix, queryset, version):
    """The cache key of what `queryset` gives at the catalog's version: `prefix`, then a
    digest of the version and the query's SQL (exact, since every write to the catalog moves
    the version: database triggers). None without a version (an empty database) or for a
    query known to be empty (`.none()`). The SQL is of the matching keys, not of the rows with
    all they hold (the same matches). The list counts are cached under it."""
    if version is None:
        return None
    matching = queryset if queryset.query.distinct else queryset.order_by().values_list("pk")
    try:
        # The moment the query runs is in the version already (its scheduled boundary).
        with query_time_as_marker():
            sql, params = matching.query.sql_with_params()
    except EmptyResultSet:  # known to be empty: no query either way
        return None
    digest = hashlib.sha256(f"{version}|{sql}|{params!r}".encode()).hexdigest()
    return f"{prefix}:{digest}"


def cached_count(queryset, version):
    """`queryset.count()`, cached under the catalog's version (`request.catalog_version.stamp`)
    and the query (`query_key`): counted once per version and filter instead of on every
    request. Not cached for lists that are not querysets."""
    if not isinstance(queryset, QuerySet):
        return len(queryset)
    key = query_key("list-count", queryset, version)
    if key is None:
        return queryset.count()
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
    neither loaded nor have their related records read. The keys come from numbering the
    matches in order (ROW_NUMBER()) when there are at most `numbered` of them: the cost grows
    with the matches, not the page number, and a LIMIT cannot turn into a walk of the whole
    sort index in search of a few matches. In longer lists they come from a narrow scan of
    (sort key, primary key) from the nearer end, so the offset is at most half the count.

    `numbered` is a thousand: numbering costs what reading that many keys does (about 2.5 ms
    on SQLite, where numbering ten thousand took 26 ms for the first page of an unfiltered
    list), and beyond it a LIMIT finds its page within about 20 x (all rows ÷ matches) rows of
    the sort index: 2,000 at 100,000 rows.

    With `read_rows` (the lists of rows: `rows_of()`, catalog/models/rows.py) every page is
    read as its keys, then its rows from SQL compiled once per process: one query more near
    the ends, far less time (compiling a row's query cost more than running it).
    """

    numbered = 1_000

    def __init__(self, *args, version=None, read_rows=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.version = version  # the catalog's version: counts are cached under it
        # The rows of a page from its primary keys, in their order (`rows_of()` on the model's
        # rows, catalog/models/rows.py): then every page is its keys, then its rows.
        self.read_rows = read_rows

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
            if self.read_rows and isinstance(rows, QuerySet):
                return self.read_rows(list(rows.values_list("pk", flat=True)[bottom:top]))
            return list(rows[bottom:top])
        ordering = total_ordering(rows)
        rows = rows.order_by(*ordering)
        keys = rows.values_list("pk", flat=True)
        read = self.read_rows or (lambda pks: list(rows.filter(pk__in=pks)))  # list's order
        count = self.count
        if count <= self.numbered:
            position = Window(RowNumber(), order_by=ordering)
            keys = keys.annotate(position=position).filter(position__gt=bottom, position__lte=top)
            return read(list(keys))
        backwards = bottom > count - top  # nearer the end: count from there
        offset = count - top if backwards else bottom
        if offset <= self.per_page:  # near an end: no skipping worth a scan of keys
            if self.read_rows:
                if not backwards:
                    return read(list(keys[bottom:top]))
                return read(list(keys.reverse()[offset : count - bottom])[::-1])
            if not backwards:
                return list(rows[bottom:top])
            return list(rows.reverse()[offset : count - bottom])[::-1]
        keys = keys.reverse() if backwards else keys
        found = list(keys[offset : offset + top - bottom])
        if self.read_rows:  # rows in the order of their keys
            return read(found[::-1] if backwards else found)
        return list(rows.filter(pk__in=found))  # in the list's order
