"""The typed text in the forms it is compared in, and the SQL that finds the search index's rows
matching it on this database: `/search/`'s candidates, its misspellings, and the names the
lists' `q` filter matches (`records_named`).

One rule for what "a name matches" means, for search and the lists alike: the text (its letters
and digits) starts a word of the name and may run on into the next words ("il2" is in "IL-2",
"art" in "Psoriatic arthritis"); a text of INSIDE_WORD_LENGTH or more may also sit inside one
word ("tuxim" in "Rituximab"); nothing starts inside one word and runs into the next ("car-t"
is not in "psoriati·c art·hritis"). Or else every word of the text starts a word of the name
("arthritis rheum").

The database's own indexes do the work (migration 0006): on PostgreSQL a pattern B-tree on
`key` for prefixes, a GIN trigram index (pg_trgm) on `key` for substrings and misspellings and
a GIN full-text index (to_tsvector) on `words`; on SQLite two FTS5 tables (trigram and unicode61
tokenizers). The trigram index narrows the rows to those whose key contains the text, and
tests on those rows' `words` (LIKE, then a regular expression) keep the matches at word starts.
Texts shorter than three letters and digits cannot use a trigram index: they match the start of
a name (the B-tree) or of one of its words (the full-text index).
"""

import re

from django.db import connection
from django.db.models import BooleanField, F, Func, Q, Value

from ..models import SearchTerm
from ..text import loose, normalise, words_of

MIN_INDEXED_LENGTH = 3
INSIDE_WORD_LENGTH = 4  # shorter texts match only at the start of a word

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
            return self._tsquery(" & ".join(f"{t}:*" for t in self.tokens))
        return fts_match(WORDS_TABLE, " AND ".join(f'"{t}"*' for t in self.tokens))

    def _tsquery(self, tsquery):
        return IndexCondition(
            "words",
            "to_tsvector('simple'::regconfig, %(column)s) "
            "@@ to_tsquery('simple'::regconfig, %(value)s)",
            tsquery,
        )

    def pattern(self):
        """A regular expression on `words` (a name's words, one space apart) that holds where
        the search starts a word, running on into the next words if it is longer ("il2" in
        "il 2"), or, when it is long enough, sits inside one word: never from inside one word
        into the next."""
        letters = [re.escape(c) for c in self.needle]
        pattern = "(^| )" + " ?".join(letters)
        if len(self.needle) >= INSIDE_WORD_LENGTH:
            pattern += "|" + "".join(letters)
        return pattern

    def _at_word_starts(self):
        """The rows (already narrowed to keys containing the search) where it starts a word,
        or, long enough, sits inside one: plain LIKE tests first, the regular expression
        only for what they leave (a text running on from a word start in mid-name)."""
        needle = self.needle
        if len(needle) >= INSIDE_WORD_LENGTH:
            simple = Q(words__contains=needle)  # `words` has a space between words
        else:
            simple = Q(words__startswith=needle) | Q(words__contains=f" {needle}")
        return simple | Q(key__startswith=needle) | Q(words__regex=self.pattern())

    def _key_contains(self):
        """Rows whose key contains the search: the trigram index when it is long enough."""
        if self.postgresql:
            return IndexCondition("key", "%(column)s LIKE %(value)s", f"%{self.needle}%")
        return fts_match(TRIGRAM_TABLE, f'"{self.needle}"')

    def _word_starts(self):
        """Rows one of whose words starts with the (short) search, or whose key does."""
        if self.postgresql:
            prefix = Q(key__startswith=self.needle)  # the varchar_pattern_ops index
            word = self._tsquery(f"{self.needle}:*")
        else:
            prefix = Q(key__gte=self.needle, key__lt=self.needle + "\U0010ffff")
            word = fts_match(WORDS_TABLE, f'"{self.needle}"*')
        return prefix | Q(word)

    def _or_words(self, found):
        words = self.words_match()
        return Q(found) | Q(words) if words is not None else Q(found)

    def matches(self):
        """Rows one of whose names the search matches (the module's rule): `/search/`'s
        candidates and the lists' `q`."""
        if not self.needle:
            return Q(pk__in=[])
        if self.indexed:
            found = Q(self._key_contains()) & self._at_word_starts()
        else:
            found = self._word_starts()
        return self._or_words(found)

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
    abbreviation, other) matches `text` as `Query.matches()` says, for `pk__in=`. The lists' `q`
    (catalog/filters.py) filters with it, so it finds whatever search finds by name. (Other
    models' rows give NULL here, which `IN` never matches: no condition on the key to the
    record, which would tempt the planner away from the text indexes.)"""
    return SearchTerm.objects.filter(Query(text).matches()).order_by().values(model.search_field)
