"""Site search (`/search/?q=`): published therapies, classes, conditions and glossary terms,
grouped by type, best match first, each saying why it matched.

Matching compares *normalised* forms (`normalise`: lowercase, accents stripped, punctuation and
spaces removed), so "Crohns", "crohn's" and "CROHN\u2019S" (curly apostrophe) are the same, as
are "il2" and "IL-2".
Ranking: exact normalised name > prefix > substring > fuzzy (difflib similarity ratio ≥ 0.8,
for misspellings such as "tocilizumb").

The catalog is small, so `PythonSearchBackend` loads the published names (six queries, whatever
the catalog's size) and ranks them in Python, which behaves the same on SQLite and PostgreSQL.
PostgreSQL full-text search / pg_trgm trigram similarity is **not done yet**: an index-backed
backend would implement the same `search(query) -> SearchResults` method and replace `BACKEND`;
the view and template only see `SearchResults`.
"""

import difflib
import unicodedata
from dataclasses import dataclass, field

from django.core.exceptions import BadRequest
from django.views.generic import TemplateView

from .models import Condition, ConditionName, GlossaryTerm, Therapy, TherapyClass, TherapyName

MAX_QUERY_LENGTH = 100
FUZZY_MIN_RATIO = 0.8
MAX_PER_GROUP = 20

EXACT, PREFIX, SUBSTRING, FUZZY = range(4)

# (key, heading), in the order the groups are shown.
GROUPS = [
    ("therapy", "Therapies"),
    ("class", "Classes of therapy"),
    ("condition", "Conditions"),
    ("glossary", "Glossary terms"),
]


def loose(text):
    """Casefolded, no accents, single spaces; punctuation kept."""
    decomposed = unicodedata.normalize("NFKD", text or "").replace("\u2019", "'")
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(stripped.casefold().split())


def normalise(text):
    """The form names are compared on: casefolded, no accents, letters and digits only."""
    return "".join(c for c in loose(text) if c.isalnum())


@dataclass(frozen=True)
class Candidate:
    """One searchable name of a record: its own name (`relation` None) or another name."""

    group: str
    record: object
    title: str  # the record's name, as shown
    name: str  # the name matched against
    relation: str | None = None  # "a brand name", "an abbreviation", "another name", …

    def why(self, tier):
        if self.relation:
            return f"{self.name} is {self.relation} of {self.title}"
        return {
            EXACT: "Name matches",
            PREFIX: "Name starts with your search",
            SUBSTRING: "Name contains your search",
        }.get(tier, f"Spelled like {self.title}")


@dataclass(frozen=True)
class Result:
    group: str
    record: object
    title: str
    why: str
    tier: int
    ratio: float

    @property
    def url(self):
        return self.record.get_absolute_url()

    @property
    def summary(self):
        return getattr(self.record, "summary", "") or getattr(self.record, "definition", "")


@dataclass
class SearchResults:
    query: str
    groups: list = field(default_factory=list)  # [(key, heading, [Result], total)]

    @property
    def total(self):
        return sum(total for _, _, _, total in self.groups)


def match(needle, candidate):
    """(tier, ratio) of a normalised query against a candidate name, or None."""
    name = normalise(candidate.name)
    if not name:
        return None
    if name == needle:
        return EXACT, 1.0
    if name.startswith(needle):
        return PREFIX, len(needle) / len(name)
    if needle in name:
        return SUBSTRING, len(needle) / len(name)
    matcher = difflib.SequenceMatcher(None, needle, name, autojunk=False)
    if matcher.real_quick_ratio() < FUZZY_MIN_RATIO or matcher.quick_ratio() < FUZZY_MIN_RATIO:
        return None
    ratio = matcher.ratio()
    return (FUZZY, ratio) if ratio >= FUZZY_MIN_RATIO else None


RELATIONS = {
    TherapyName.Kind.BRAND: "a brand name",
    TherapyName.Kind.ABBREVIATION: "an abbreviation",
    TherapyName.Kind.SYNONYM: "a synonym",
}


class PythonSearchBackend:
    """Ranks every published name in Python. Six queries whatever the catalog's size."""

    def candidates(self):
        therapies = Therapy.objects.published().only("slug", "name", "summary")
        for therapy in therapies:
            yield Candidate("therapy", therapy, therapy.name, therapy.name)
        therapy_names = (
            TherapyName.objects.filter(therapy__in=Therapy.objects.published())
            .select_related("therapy")
            .only("name", "kind", "therapy__slug", "therapy__name", "therapy__summary")
        )
        for other in therapy_names:
            relation = RELATIONS.get(other.kind, "another name")
            yield Candidate("therapy", other.therapy, other.therapy.name, other.name, relation)
        classes = TherapyClass.objects.published().only("slug", "name", "abbreviation", "summary")
        for therapy_class in classes:
            yield Candidate("class", therapy_class, therapy_class.name, therapy_class.name)
            if therapy_class.abbreviation:
                yield Candidate(
                    "class",
                    therapy_class,
                    therapy_class.name,
                    therapy_class.abbreviation,
                    "an abbreviation",
                )
        conditions = Condition.objects.published().only("slug", "name", "summary")
        for condition in conditions:
            yield Candidate("condition", condition, condition.name, condition.name)
        condition_names = (
            ConditionName.objects.filter(condition__in=Condition.objects.published())
            .select_related("condition")
            .only("name", "condition__slug", "condition__name", "condition__summary")
        )
        for other in condition_names:
            yield Candidate(
                "condition", other.condition, other.condition.name, other.name, "another name"
            )
        for term in GlossaryTerm.objects.only("slug", "term", "also_called", "definition"):
            yield Candidate("glossary", term, term.term, term.term)
            for alias in term.also_called.split(";"):
                if alias.strip():
                    yield Candidate("glossary", term, term.term, alias.strip(), "another name")

    def search(self, query):
        results = SearchResults(query=query)
        needle, literal = normalise(query), loose(query)
        if not needle:
            return results
        best = {}  # (group, pk) -> (sort key, Result)
        for candidate in self.candidates():
            found = match(needle, candidate)
            if found is None:
                continue
            tier, ratio = found
            # At the same tier: the name the query spells with its punctuation ("Crohns" is
            # the other name "Crohns disease"), then own names, closer matches, A-Z.
            as_typed = tier != FUZZY and literal in loose(candidate.name)
            key = (
                tier,
                not as_typed,
                candidate.relation is not None,
                -ratio,
                normalise(candidate.title),
            )
            ident = (candidate.group, candidate.record.pk)
            if ident not in best or key < best[ident][0]:
                result = Result(
                    candidate.group,
                    candidate.record,
                    candidate.title,
                    candidate.why(tier),
                    tier,
                    ratio,
                )
                best[ident] = (key, result)
        ranked = sorted(best.values(), key=lambda pair: pair[0])
        for group, heading in GROUPS:
            matches = [result for _, result in ranked if result.group == group]
            if matches:
                results.groups.append((group, heading, matches[:MAX_PER_GROUP], len(matches)))
        return results


BACKEND = PythonSearchBackend()


def search(query):
    return BACKEND.search(query)


class SearchView(TemplateView):
    """`/search/?q=`: the form and a hint when `q` is empty; 400 when it is too long."""

    template_name = "catalog/search.html"

    def get_context_data(self, **kwargs):
        query = self.request.GET.get("q", "").strip()
        if len(query) > MAX_QUERY_LENGTH:
            raise BadRequest(f"Searches are limited to {MAX_QUERY_LENGTH} characters.")
        return super().get_context_data(
            query=query,
            results=search(query) if query else None,
            max_length=MAX_QUERY_LENGTH,
            **kwargs,
        )
