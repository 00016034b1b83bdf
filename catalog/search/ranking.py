"""Ranking search results: tiers, one result per record saying why it matched, groups by type
and their counts (`search()`, which `/search/` and the type-ahead show).

Tiers, best first:

    exact key > key starts with the search > every word of the search starts a word of the name
    > key contains the search > spelled like it (trigram similarity, for misspellings)

and within a tier: the name spelled as typed, own names before other names, shorter names,
A-Z. Misspellings are ranked by the same trigram similarity as pg_trgm's `similarity()`,
computed here, so both databases rank alike.

The results lead with the best match: the records one of whose names (own, brand, abbreviation,
other) is the search as typed, case, accents and punctuation aside (`best_matches`). A search
nothing matches offers names spelled like it ("Did you mean Rituximab?", `suggestions`).
"""

from dataclasses import dataclass, field
from difflib import SequenceMatcher

from django.db import connection
from django.db.models import Case, F, FloatField, Func, IntegerField, Q, Value, When
from django.db.models.functions import Length

from ..models import SearchTerm, registry
from ..text import loose, normalise
from .query import Query, similarity

COUNT_CAP = 1000
MAX_PER_GROUP = 20
FETCH_LIMIT = 200  # candidate rows ranked per query (then one result per record)
FUZZY_CANDIDATES = 50
FUZZY_MIN_SIMILARITY = 0.4
MAX_BEST_MATCHES = 3
SPELLING_CUTOFF = 0.7  # difflib's ratio of a name to the search, for "Did you mean …?"
MAX_SPELLINGS = 3
SPELLING_CANDIDATES = 200  # names starting a word with the search's first two letters

EXACT, PREFIX, WORDS, SUBSTRING, FUZZY = range(5)


@dataclass(frozen=True)
class Group:
    key: str
    heading: str
    field: str  # SearchTerm's foreign key to the record
    visible: Q  # the record is public
    kind: str  # what one of its records is, for a visitor: "Therapy"


GROUPS = [
    Group(
        *model.search_group,
        model.search_field,
        model.visible(f"{model.search_field}__"),
        model._meta.verbose_name.capitalize(),
    )
    for model in registry.searchable_models()
]
GROUP_KEYS = [group.key for group in GROUPS]


def tier_of(query):
    """The tier of each matching row, computed by the database (fuzzy matches aside)."""
    whens = [
        When(key=query.needle, then=Value(EXACT)),
        When(key__startswith=query.needle, then=Value(PREFIX)),
    ]
    words = query.words_match()
    if words is not None:
        whens.append(When(words, then=Value(WORDS)))
    return Case(*whens, default=Value(SUBSTRING), output_field=IntegerField())


@dataclass(frozen=True)
class Result:
    group: str
    record: object
    title: str
    why: str
    tier: int
    ratio: float
    sort_key: tuple = field(compare=False, repr=False)
    kind: str = ""  # what the record is: "Therapy"
    other_name: bool = False  # matched by a brand name, abbreviation or other name

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
    suggestions: list = field(default_factory=list)  # names spelled like the search
    spelled_like: bool = False  # nothing matched as typed: the results are misspellings

    @property
    def best_matches(self):
        """The records one of whose names is the search itself (up to MAX_BEST_MATCHES),
        best first: they lead the page."""
        exact = [r for _, _, matches, _ in self.groups for r in matches if r.tier == EXACT]
        return sorted(exact, key=lambda result: result.sort_key)[:MAX_BEST_MATCHES]

    @property
    def total(self):
        counts = [n for _, _, _, n in self.groups]
        return total(sum(counts), capped=any(n.capped for n in counts))

    def best(self, limit):
        """The best `limit` results of all groups together (the type-ahead's suggestions)."""
        every = [result for _, _, matches, _ in self.groups for result in matches]
        return sorted(every, key=lambda result: result.sort_key)[:limit]


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
    return Result(
        group.key,
        record,
        title,
        why,
        tier,
        ratio,
        sort_key,
        kind=group.kind,
        other_name=bool(term.relation),
    )


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
        .annotate(tier=tier_of(query))
        .order_by("tier", Length("key"), "key")
        .values_list("pk", flat=True)[:limit]
    )
    return candidates(groups).filter(pk__in=ids).annotate(tier=tier_of(query))


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


def spelling_forms(term, length):
    """What a misspelling of `length` letters is compared with, in one name: the whole name
    (suggested as the record spells it), and from each word on, as many whole words as make
    that length (suggested in their plain form: "crhons" is compared with "crohns")."""
    words = term.words.split()
    yield term.key, term.name
    for start in range(len(words)):
        run = []
        for word in words[start:]:
            run.append(word)
            if len("".join(run)) >= length - 1:
                break
        if run != words:
            yield "".join(run), " ".join(run)


def spellings(query, rows):
    """Spellings to try, closest first, for "Did you mean …?": names, or words of names, whose
    compared form has a difflib ratio to the search's of at least SPELLING_CUTOFF (it forgives
    swapped and missing letters that share few trigrams), among `rows`: published names sharing
    trigrams with the search and names one of whose words starts with its first two letters,
    a bounded number of each."""
    closest = {}
    for term in rows:
        for form, shown in spelling_forms(term, len(query.needle)):
            ratio = SequenceMatcher(None, query.needle, form).ratio()
            if ratio >= SPELLING_CUTOFF and ratio > closest.get(form, (0.0, ""))[0]:
                closest[form] = (ratio, shown)
    chosen = {}  # compared form: shown; one of "crohns" and "crohn" (a shorter run of it)
    for form, (_, shown) in sorted(closest.items(), key=lambda item: (-item[1][0], item[1][1])):
        if len(chosen) < MAX_SPELLINGS and not any(
            form.startswith(other) or other.startswith(form) for other in chosen
        ):
            chosen[form] = shown
    return list(chosen.values())


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
        if query.postgresql:
            fuzzy = fuzzy.annotate(
                similarity=Func(
                    F("key"), Value(query.needle), function="similarity", output_field=FloatField()
                )
            ).order_by("-similarity")
        rows = list(fuzzy[:FUZZY_CANDIDATES])
        ranked = rank(query, rows, groups, fuzzy=True)
        nearby = candidates(groups).filter(Query(query.needle[:2]).matches())
        results.suggestions = spellings(query, [*rows, *nearby[:SPELLING_CANDIDATES]])
        results.spelled_like = bool(ranked)
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
