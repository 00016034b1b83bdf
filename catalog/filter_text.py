"""What the filters say to a visitor: the names spelled most like a typed record that matches
none ("Did you mean Rheumatoid arthritis?", `NearMissForm`, the same message on the pages and
in the API) and the words describing a filtered list ("for Rheumatoid arthritis or Psoriasis":
`described`, which the FilterSets of catalog/filters.py call)."""

from django.db.models import Q

from .models import Action, SearchTerm
from .params import closest
from .records import RecordsField, RecordsForm
from .search.query import Query
from .text import normalise


class NearMissForm(RecordsForm):
    """A filter form that answers a typed record matching none with the records spelled most
    like it: "No condition called “rheumatoid arthritus”. Did you mean Rheumatoid arthritis?"
    The same message on the pages and in the API (its `invalid_params`); `suggestions` keeps
    (field name, the value, [names], the message before its question) for the pages' links to
    the corrected list."""

    def clean(self):
        cleaned_data = super().clean()
        self.suggestions = []
        for name, errors in list(self.errors.as_data().items()):
            field = self.fields.get(name)
            bad = [e for e in errors if e.code == "invalid_choice" and e.params]
            if not isinstance(field, RecordsField) or not bad:
                continue
            value = bad[0].params["value"]
            names = near_misses(field, value)
            if names:
                message = bad[0].message % bad[0].params
                self.suggestions.append((name, value, names, message))
                self.errors[name] = self.error_class(
                    [f"{message} Did you mean {' or '.join(names)}?"]
                )
        return cleaned_data


def near_misses(field, value, limit=50):
    """The names of `field`'s records (at most three) spelled most like `value`, best first:
    candidates from the search index (names containing it, or sharing trigrams with it: one
    query, on the error path only), then the closest by `params.closest`."""
    search_field = field.search_field
    query = Query(value)
    if not search_field or not query.needle:
        return []
    found = query.matches()
    if query.indexed:
        found |= Q(query.spelled_like())
    candidates = (
        SearchTerm.objects.filter(found, **{f"{search_field}__in": field.queryset.values("pk")})
        .order_by()
        .values_list("key", f"{search_field}__{field.name_field}")[:limit]
    )
    own = {}
    for key, name in candidates:
        own.setdefault(key, name)
    names = closest(value, list(own), n=3, key=normalise)
    return list(dict.fromkeys(own[key] for key in names))


def either(names):
    """ "A", "A or B", "A, B or C"."""
    names = list(names)
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"


# What an action filter says of the records shown ("3 therapies that stimulate the immune
# system"): (one, several).
ACTION_PHRASES = {
    Action.STIMULATES: ("stimulates the immune system", "stimulate the immune system"),
    Action.ENHANCES: ("enhances the immune response", "enhance the immune response"),
    Action.TARGETS: ("targets specific antigens", "target specific antigens"),
    Action.SUPPRESSES: ("suppresses the immune system", "suppress the immune system"),
}


def described(filterset, several=True):
    """The phrases saying what a valid filtering selects, in the order of the FilterSet's
    `description` ((filter, how its values are introduced) pairs), from the records and choices
    its form found (no query); `several`: the verbs agree with a plural ("therapies that
    stimulate")."""
    data = filterset.form.cleaned_data
    phrases = []
    for name, word in filterset.description:
        value = data.get(name)
        if not value:
            continue
        if name == "q":
            phrases.append(f"{word} “{value.strip()}”")
            continue
        if name == "action":
            phrases.append(f"{word} {either(ACTION_PHRASES[v][several] for v in value)}")
            continue
        choices = dict(filterset.filters[name].extra.get("choices") or ())
        names = [choices.get(v, getattr(v, "name", v)) for v in value]
        if name.endswith("category"):
            names = [n.lower() for n in names]
        phrases.append(f"{word} {either(names)}")
    return phrases
