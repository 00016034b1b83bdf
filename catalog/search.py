"""Site search (`/search/?q=` and the type-ahead's `/search/suggest/?q=`): published therapies,
classes, conditions and glossary terms, grouped by type, best match first, each saying why it
matched.

Every name of a record (its own name, brand names, abbreviations, other names) is a row of
`SearchTerm` in two derived forms: `key` (casefolded, no accents, letters and digits only, so
"Crohns", "crohn's" and "CROHN\u2019S" are the same, as are "il2" and "IL-2") and `words` (the
same, word by word). Ranking tiers, best first:

    exact key > key starts with the search > every word of the search starts a word of the name
    > key contains the search > spelled like it (trigram similarity, for misspellings)

and within a tier: the name spelled as typed, own names before other names, shorter names,
A-Z. The database finds the candidates with its own indexes (see migration 0006): on
PostgreSQL a pattern B-tree for prefixes, a GIN trigram index (pg_trgm) for substrings and
misspellings and a GIN full-text index (to_tsvector) for words; on SQLite FTS5 tables (trigram
and unicode61 tokenizers). Misspellings are ranked by the same trigram similarity as pg_trgm's
`similarity()`, computed here, so both databases rank alike.
Searches shorter than three letters and digits match exact names and prefixes only (trigram
indexes need three characters).
"""

from dataclasses import dataclass, field

from django.core.exceptions import BadRequest
from django.db import connection, transaction
from django.db.models import BooleanField, Case, FloatField, IntegerField, Q, Value, When
from django.db.models.expressions import RawSQL
from django.db.models.functions import Length
from django.http import JsonResponse
from django.views.generic import TemplateView

from . import caching
from .models import SearchTerm, registry
from .text import loose, normalise, words_of

MAX_QUERY_LENGTH = 100
COUNT_CAP = 1000
MAX_PER_GROUP = 20
MAX_SUGGESTIONS = 8
FETCH_LIMIT = 200  # candidate rows ranked per query (then one result per record)
FUZZY_CANDIDATES = 50
FUZZY_MIN_SIMILARITY = 0.4
MIN_INDEXED_LENGTH = 3

EXACT, PREFIX, WORDS, SUBSTRING, FUZZY = range(5)


@dataclass(frozen=True)
class Group:
    key: str
    heading: str
    field: str  # SearchTerm's foreign key to the record
    visible: Q  # the record is public


GROUPS = [
    Group(*model.search_group, model.search_field, model.visible(f"{model.search_field}__"))
    for model in registry.searchable_models()
]
GROUP_KEYS = [group.key for group in GROUPS]


def trigrams(key):
    """pg_trgm's trigrams of one word: padded with two spaces before and one after."""
    padded = f"  {key} "
    return {padded[i : i + 3] for i in range(len(padded) - 2)}


def similarity(a, b):
    """pg_trgm's `similarity()` for single words: shared trigrams / all trigrams."""
    ta, tb = trigrams(a), trigrams(b)
    return len(ta & tb) / len(ta | tb) if ta and tb else 0.0


@dataclass(frozen=True)
class Result:
    group: str
    record: object
    title: str
    why: str
    tier: int
    ratio: float
    sort_key: tuple = field(compare=False, repr=False)

    @property
    def url(self):
        return self.record.get_absolute_url()

    @property
    def slug(self):
        return self.record.slug

    @property
    def summary(self):
        return getattr(self.record, "summary", "") or getattr(self.record, "definition", "")


@dataclass
class SearchResults:
    query: str
    groups: list = field(default_factory=list)  # [(key, heading, [Result], total)]

    @property
    def total(self):
        counts = [n for _, _, _, n in self.groups]
        return total(sum(counts), capped=any(n.capped for n in counts))

    def best(self, limit):
        """The best `limit` results of all groups together (the type-ahead's suggestions)."""
        every = [result for _, _, matches, _ in self.groups for result in matches]
        return sorted(every, key=lambda result: result.sort_key)[:limit]


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

    def _sql(self, postgresql, sqlite, param):
        sql = postgresql if self.vendor == "postgresql" else sqlite
        return RawSQL(sql, [param], output_field=BooleanField())

    def words_match(self):
        if len(self.tokens) < 2:
            return None
        return self._sql(
            "to_tsvector('simple'::regconfig, catalog_searchterm.words) "
            "@@ to_tsquery('simple'::regconfig, %s)",
            "catalog_searchterm.id IN (SELECT rowid FROM catalog_searchterm_words "
            "WHERE catalog_searchterm_words MATCH %s)",
            (" & ".join(f"{t}:*" for t in self.tokens))
            if self.vendor == "postgresql"
            else " AND ".join(f'"{t}"*' for t in self.tokens),
        )

    def matches(self):
        """Rows whose key contains the search (prefix only when it is short), or whose words
        start with the search's words."""
        if self.indexed:
            found = Q(
                self._sql(
                    "catalog_searchterm.key LIKE %s",
                    "catalog_searchterm.id IN (SELECT rowid FROM catalog_searchterm_trigram "
                    "WHERE catalog_searchterm_trigram MATCH %s)",
                    f"%{self.needle}%" if self.vendor == "postgresql" else f'"{self.needle}"',
                )
            )
        elif self.vendor == "postgresql":
            found = Q(key__startswith=self.needle)  # the varchar_pattern_ops index
        else:
            found = Q(key__gte=self.needle, key__lt=self.needle + "\U0010ffff")
        words = self.words_match()
        return found | Q(words) if words is not None else found

    def tier(self):
        whens = [
            When(key=self.needle, then=Value(EXACT)),
            When(key__startswith=self.needle, then=Value(PREFIX)),
        ]
        words = self.words_match()
        if words is not None:
            whens.append(When(words, then=Value(WORDS)))
        return Case(*whens, default=Value(SUBSTRING), output_field=IntegerField())

    def spelled_like(self):
        """Rows sharing trigrams with the search, for misspellings."""
        if self.vendor == "postgresql":
            return RawSQL(
                "catalog_searchterm.key %% %s", [self.needle], output_field=BooleanField()
            )
        shared = " OR ".join(f'"{t}"' for t in sorted(trigrams(self.needle)) if " " not in t)
        return RawSQL(
            "catalog_searchterm.id IN (SELECT rowid FROM catalog_searchterm_trigram "
            "WHERE catalog_searchterm_trigram MATCH %s ORDER BY rank LIMIT 500)",
            [shared],
            output_field=BooleanField(),
        )


def candidates(groups, related=True):
    rows = SearchTerm.objects.filter(_any(group.visible for group in groups))
    return rows.select_related(*(group.field for group in groups)) if related else rows


def _any(qs):
    combined = Q(pk__in=[])
    for q in qs:
        combined |= q
    return combined


def result_for(query, term, groups, tier, ratio):
    group = next(g for g in groups if getattr(term, f"{g.field}_id") is not None)
    record = getattr(term, group.field)
    title = str(record)
    if term.relation:
        why = f"{term.name} is {term.get_relation_display()} of {title}"
    else:
        why = {
            EXACT: "Name matches",
            PREFIX: "Name starts with your search",
            WORDS: "Every word of your search starts a word of the name",
            SUBSTRING: "Name contains your search",
        }.get(tier, f"Spelled like {title}")
    # At the same tier: the name spelled as typed ("Crohns" is the other name "Crohns
    # disease"), then own names, closer matches, A-Z.
    as_typed = tier != FUZZY and query.literal in loose(term.name)
    sort_key = (tier, not as_typed, bool(term.relation), -ratio, normalise(title))
    return Result(group.key, record, title, why, tier, ratio, sort_key)


def best_rows(query, groups, limit=FETCH_LIMIT, checked=False):
    """The best `limit` matching rows of published records, with their records.

    Fast path: the ids of the best rows of any status (a narrow top-N sort over the index's
    matches, no joins), then those rows with their records, keeping the published ones.
    `checked`: check publication while sorting instead (joins every match: slower on broad
    searches, but exact when drafts crowd out published records in the fast path)."""
    rows = (
        candidates(groups, related=False)
        if checked
        else SearchTerm.objects.filter(
            _any(Q(**{f"{group.field}__isnull": False}) for group in groups)
        )
    )
    ids = list(
        rows.filter(query.matches())
        .annotate(tier=query.tier())
        .order_by("tier", Length("key"), "key")
        .values_list("pk", flat=True)[:limit]
    )
    return candidates(groups).filter(pk__in=ids).annotate(tier=query.tier())


def rank(query, rows, groups, fuzzy=False):
    """One result per record, best first, from candidate rows."""
    best = {}
    for term in rows:
        if fuzzy:
            tier, ratio = FUZZY, similarity(query.needle, term.key)
            if ratio < FUZZY_MIN_SIMILARITY:
                continue
        else:
            tier, ratio = term.tier, len(query.needle) / max(len(term.key), 1)
        result = result_for(query, term, groups, tier, ratio)
        ident = (result.group, result.record.pk)
        if ident not in best or result.sort_key < best[ident].sort_key:
            best[ident] = result
    return sorted(best.values(), key=lambda result: result.sort_key)


class Total(int):
    """A group's number of matches; `capped` when there are more than COUNT_CAP (then shown
    as "1,000+": counting every match of a two-letter search costs more than it tells)."""

    capped = False

    def __str__(self):
        return f"{int(self):,}+" if self.capped else f"{int(self):,}"


def total(value, capped=None):
    result = Total(min(value, COUNT_CAP) if capped is None else value)
    result.capped = value > COUNT_CAP if capped is None else capped
    return result


def count_matches(matching, groups):
    """Distinct published records per group, each counted up to COUNT_CAP + 1: one query of
    one scalar subquery per group, each stopping at its LIMIT."""
    parts, params = [], []
    for group in groups:
        records = (
            matching.filter(group.visible)
            .order_by()
            .values(group.field)
            .distinct()[: COUNT_CAP + 1]
        )
        sql, sql_params = records.query.sql_with_params()
        parts.append(f"(SELECT COUNT(*) FROM ({sql}) AS {group.key}_matches)")
        params.extend(sql_params)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(parts)}", params)
        row = cursor.fetchone()
    return {group.key: total(value) for group, value in zip(groups, row, strict=True)}


def search(text, groups=None, limit=MAX_PER_GROUP, count=True):
    """Search published records. `groups`: keys of GROUPS to search (all by default);
    `count`: also count every match per group (the type-ahead does not need it)."""
    groups = [g for g in GROUPS if groups is None or g.key in groups]
    results = SearchResults(query=text)
    query = Query(text)
    if not query.needle or not groups:
        return results
    matching = SearchTerm.objects.filter(query.matches())
    ranked = rank(query, best_rows(query, groups), groups)
    if count:
        totals = count_matches(matching, groups)
    else:
        totals = {g.key: total(sum(1 for r in ranked if r.group == g.key)) for g in groups}
    if not ranked and not any(totals.values()) and query.indexed:
        fuzzy = candidates(groups).filter(query.spelled_like())
        if query.vendor == "postgresql":
            fuzzy = fuzzy.annotate(
                similarity=RawSQL(
                    "similarity(catalog_searchterm.key, %s)", [query.needle], FloatField()
                )
            ).order_by("-similarity")
        ranked = rank(query, fuzzy[:FUZZY_CANDIDATES], groups, fuzzy=True)
        totals = {g.key: total(sum(1 for r in ranked if r.group == g.key)) for g in groups}
    for group in groups:
        shown = [result for result in ranked if result.group == group.key][:limit]
        if len(shown) < min(limit, totals[group.key]):
            # Other groups' better matches or drafts filled the candidate rows: this group's
            # own published rows.
            shown = rank(query, best_rows(query, [group], checked=True), [group])[:limit]
        if shown:
            found = totals[group.key]
            if found < len(shown):
                found = total(len(shown))
            results.groups.append((group.key, group.heading, shown, found))
    return results


def rebuild_index(batch_size=2000, progress=None):
    """Rebuild every search row from the records (after fixtures or bulk loads; editors'
    saves index their own record). `progress(done, total)` is called as it goes."""
    sources = [
        model._default_manager.prefetch_related(*model.search_prefetch)
        for model in registry.searchable_models()
    ]
    total = sum(qs.count() for qs in sources)
    done = 0
    with transaction.atomic():
        SearchTerm.objects.all().delete()
        for queryset in sources:
            batch = []
            for record in queryset.order_by("pk").iterator(chunk_size=batch_size):
                batch.extend(SearchTerm.objects.terms_for(record))
                done += 1
                if len(batch) >= batch_size:
                    SearchTerm.objects.bulk_create(batch)
                    batch = []
                    if progress:
                        progress(done, total)
            SearchTerm.objects.bulk_create(batch)
    if progress:
        progress(done, total)
    return SearchTerm.objects.count()


def query_text(request):
    text = request.GET.get("q", "").strip()
    if len(text) > MAX_QUERY_LENGTH:
        raise BadRequest(f"Searches are limited to {MAX_QUERY_LENGTH} characters.")
    return text


class SearchView(TemplateView):
    """`/search/?q=`: the form and a hint when `q` is empty; 400 when it is too long."""

    template_name = "catalog/search.html"

    def get_context_data(self, **kwargs):
        text = query_text(self.request)
        return super().get_context_data(
            query=text,
            results=search(text) if text else None,
            max_length=MAX_QUERY_LENGTH,
            **kwargs,
        )


def suggest(request):
    """`/search/suggest/?q=ritux[&type=therapy]`: the type-ahead's suggestions as JSON, best
    first: label, why it matched, type, slug and URL."""
    try:
        text = query_text(request)
    except BadRequest as error:  # the type-ahead reads JSON, errors included
        return JsonResponse({"detail": str(error)}, status=400)
    kinds = [k for k in request.GET.get("type", "").split(",") if k.strip()]
    unknown = [k for k in kinds if k not in GROUP_KEYS]
    if unknown:
        return JsonResponse(
            {
                "detail": f"Unknown type {unknown[0]!r}: choose from {', '.join(GROUP_KEYS)}.",
            },
            status=400,
        )
    suggestions = []
    if text:
        results = search(text, groups=kinds or None, limit=MAX_SUGGESTIONS, count=False)
        suggestions = [
            {"label": r.title, "why": r.why, "type": r.group, "slug": r.slug, "url": r.url}
            for r in results.best(MAX_SUGGESTIONS)
        ]
    response = JsonResponse({"query": text, "suggestions": suggestions})
    caching.share_briefly(response)
    return response
