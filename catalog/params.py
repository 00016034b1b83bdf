"""Query-string values, read one way by the pages, the filters and the API.

A parameter takes several values as repeated keys or comma-separated (`?x=a,b&x=c` is a, b
and c), blanks around and between the commas ignored; a parameter given with nothing else
(`?x=`, `?x=,`, `?x=%20`) is blank: the pages ignore it, the API refuses it (a 400) and the
pages' API and download links leave it out.

Near misses are answered with the closest known name (`closest`): a misspelled parameter
(`?conditon=`, `unknown`) and a typed record that matches none (catalog/filters.py).
"""

import difflib
from urllib.parse import urlencode


def parts(value):
    """One value's comma-separated parts: `" a, b,,"` is ["a", "b"]."""
    return [part.strip() for part in value.split(",") if part.strip()]


def comma_separated(data, name):
    """Every part of every value of `name` (`?x=a,b&x=c` is [a, b, c]); `data` is a QueryDict
    or a plain dict."""
    values = data.getlist(name) if hasattr(data, "getlist") else [data.get(name)]
    return [part for value in values if value for part in parts(value)]


def is_blank(params, name):
    """Whether `name` is given, but with no value."""
    return name in params and not comma_separated(params, name)


def given(params, names):
    """The (name, value) pairs of `names` given with a value, each value as it was given."""
    return [(name, value) for name in names for value in params.getlist(name) if parts(value)]


# --- near misses -------------------------------------------------------------------------------

# Campaign and click tracking added by newsletters, social sites and ads: not filters, and not
# worth a word to the visitor who followed such a link (`utm_source`, `fbclid`, …).
TRACKING = ("utm_", "fbclid", "gclid", "msclkid", "mc_")


def closest(text, candidates, n=1, cutoff=0.6, key=str):
    """The `candidates` spelled most like `text` (difflib's ratio, at least `cutoff`), best
    first, at most `n`, and only those nearly as close as the best (within 0.15). `key` gives
    the form compared (e.g. catalog.text.normalise). One rule for every "did you mean":
    misspelled parameter names (pages and API) and typed records (catalog/filters.py)."""
    target = key(text)
    scored = []
    for candidate in candidates:
        matcher = difflib.SequenceMatcher(None, target, key(candidate))
        ratio = matcher.ratio()
        if ratio >= cutoff:
            scored.append((-ratio, str(candidate), candidate))
    scored.sort()
    if not scored:
        return []
    best = -scored[0][0]
    return [candidate for ratio, _, candidate in scored if -ratio >= best - 0.15][:n]


def unknown(params, known):
    """The parameters of `params` that are not in `known`, each with the known name it was
    probably meant to be (or None): [(name, suggestion)]. Tracking parameters are not counted."""
    return [
        (name, next(iter(closest(name, sorted(known))), None))
        for name in params
        if name not in known and not name.startswith(TRACKING)
    ]


def renamed(params, old, new):
    """`params` (a QueryDict) as a query string with parameter `old` called `new` and without
    `page` (the corrected query starts at its first page)."""
    pairs = []
    for name, values in params.lists():
        if name != "page":
            pairs += [(new if name == old else name, value) for value in values]
    return urlencode(pairs)


def replaced(params, name, old, new):
    """`params` as a query string with the value `old` of `name` (a whole value or one of its
    comma-separated parts) replaced by `new`, and without `page`."""
    pairs = []
    for key, values in params.lists():
        if key == "page":
            continue
        for value in values:
            if key == name and value.strip() == old:
                value = new
            elif key == name and old in parts(value):
                value = ",".join(new if part == old else part for part in parts(value))
            pairs.append((key, value))
    return urlencode(pairs)


def with_value(params, name, value):
    """`params` as a query string with `name` given as `value` alone, and without `page`: the
    list with that one filter changed (a facet's option, catalog/facets.py)."""
    kept = [(key, values) for key, values in params.lists() if key not in (name, "page")]
    pairs = [(key, v) for key, values in kept for v in values]
    return urlencode([*pairs, (name, value)])
