"""Query-string values, read one way by the pages, the filters and the API.

A parameter takes several values as repeated keys or comma-separated (`?x=a,b&x=c` is a, b
and c), blanks around and between the commas ignored; a parameter given with nothing else
(`?x=`, `?x=,`, `?x=%20`) is blank: the pages ignore it, the API refuses it (a 400) and the
pages' API and download links leave it out.
"""


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
