"""The typed text in the forms it is compared in, and the SQL that finds the search index's rows
matching it on this database: `/search/`'s candidates, its misspellings, and the names the
lists' `q` filter matches (`records_named`).

The database's own indexes do the work (migration 0006): on PostgreSQL a pattern B-tree on
`key` for prefixes, a GIN trigram index (pg_trgm) on `key` for substrings and misspellings and
a GIN full-text index (to_tsvector) on `words`; on SQLite two FTS5 tables (trigram and unicode61
tokenizers). Texts shorter than three letters and digits cannot use a trigram index: search
matches them as prefixes (the B-tree), the lists' `q` anywhere in a name (a scan of the index).
"""

from django.db import connection
from django.db.models import BooleanField, F, Func, Q, Value

from ..models import SearchTerm
from ..text import loose, normalise, words_of

MIN_INDEXED_LENGTH = 3

TRIGRAM_TABLE = "catalog_searchterm_trigram"  # SQLite's FTS5 tables (migration 0006)
WORDS_TABLE = "catalog_searchterm_words"


def trigrams(key):
    """pg_trgm's trigrams of one word: padded with two spaces before and one after."""
    padded = f"  {key} "
    return {padded[i : i + 3] for i in range(len(padded) - 2)}


def similarity(a, b):
    """pg_trgm's `similarity()` for single words: shared trigrams / all trigrams."""
    ta, tb = trigrams(a), trigrams(b)
    return len(ta & tb) / len(ta | tb) if ta and tb else 0.0


class IndexCondition(Func):
    """A condition on one column of the search index in the database's own SQL: `template`
    with `%(column)s` (the column, under whatever alias the query gives the table, so it works
    in subqueries too) and `%(value)s` (the parameter)."""

    output_field = BooleanField()

    def __init__(self, column, template, value):
        super().__init__(F(column), Value(value))
        self.condition = template

    def as_sql(self, compiler, connection, **extra_context):
        (column, column_params), (value, value_params) = (
            compiler.compile(expression) for expression in self.get_source_expressions()
        )
        sql = self.condition % {"column": column, "value": value}
        return sql, (*column_params, *value_params)


def fts_match(table, value):
    """SQLite: rows whose FTS5 shadow row in `table` matches `value`."""
    return IndexCondition(
        "id", f"%(column)s IN (SELECT rowid FROM {table} WHERE {table} MATCH %(value)s)", value
    )


class Query:
    """One search: the typed text in the forms it is compared in, and the SQL that finds
    candidate rows on this database."""

    def __init__(self, text):
        self.text = text
        self.needle = normalise(text)[:200]
        self.literal = loose(text)
        self.tokens = [t for t in words_of(text) if normalise(t)]
        self.vendor = connection.vendor

    @property
    def indexed(self):
        return len(self.needle) >= MIN_INDEXED_LENGTH

    @property
    def postgresql(self):
        return self.vendor == "postgresql"

    def words_match(self):
        """Rows each of whose search's words starts a word (two words or more), else None."""
        if len(self.tokens) < 2:
            return None
        if self.postgresql:
            return IndexCondition(
                "words",
                "to_tsvector('simple'::regconfig, %(column)s) "
                "@@ to_tsquery('simple'::regconfig, %(value)s)",
                " & ".join(f"{t}:*" for t in self.tokens),
            )
        return fts_match(WORDS_TABLE, " AND ".join(f'"{t}"*' for t in self.tokens))

    def contains(self):
        """Rows whose key contains the search: the trigram index when it is long enough."""
        if self.postgresql:
            return IndexCondition("key", "%(column)s LIKE %(value)s", f"%{self.needle}%")
        if self.indexed:
            return fts_match(TRIGRAM_TABLE, f'"{self.needle}"')
        return Q(key__contains=self.needle)

    def _or_words(self, found):
        words = self.words_match()
        return Q(found) | Q(words) if words is not None else Q(found)

    def matches(self):
        """Rows whose key contains the search (prefix only when it is short), or whose words
        start with the search's words: `/search/`'s candidates."""
        if self.indexed:
            found = self.contains()
        elif self.postgresql:
            found = Q(key__startswith=self.needle)  # the varchar_pattern_ops index
        else:
            found = Q(key__gte=self.needle, key__lt=self.needle + "\U0010ffff")
        return self._or_words(found)

    def names(self):
        """Rows whose key contains the search anywhere, however short, or whose words start
        with the search's words: what the lists' `q` matches (everything `matches()` does)."""
        if not self.needle:
            return Q(pk__in=[])
        return self._or_words(self.contains())

    def spelled_like(self):
        """Rows sharing trigrams with the search, for misspellings."""
        if self.postgresql:
            return IndexCondition("key", "%(column)s %%%% %(value)s", self.needle)
        shared = " OR ".join(f'"{t}"' for t in sorted(trigrams(self.needle)) if " " not in t)
        return IndexCondition(
            "id",
            f"%(column)s IN (SELECT rowid FROM {TRIGRAM_TABLE} "
            f"WHERE {TRIGRAM_TABLE} MATCH %(value)s ORDER BY rank LIMIT 500)",
            shared,
        )


def records_named(model, text):
    """The ids of `model`'s records (a Searchable model) one of whose names (own, brand,
    abbreviation, other) matches `text` as `Query.names()` says, for `pk__in=`. The lists' `q`
    (catalog/filters.py) filters with it, so it finds whatever search finds by name. (Other
    models' rows give NULL here, which `IN` never matches: no condition on the key to the
    record, which would tempt the planner away from the text indexes.)"""
    return SearchTerm.objects.filter(Query(text).names()).order_by().values(model.search_field)
