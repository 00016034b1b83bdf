"""Which records What's new reads: those changed last, whatever the size of the catalog.

A record changed when a version of its own, or of one of its names, uses or sections, was
saved; and also when a record its public states depend on moved in or out of view, with no
version of its own saved then: its class or parent (`shown_with`: a therapy came back with its
class) or the record at the other end of one of its uses (a condition gained a use the day its
therapy was published). Each reading is bounded: the newest `limit` rows of each history, the
versions of the records among them, and the records depending on the newest of those moves.
"""

import itertools

from django.db.models import Case, IntegerField, Value, When

from .states import SCHEDULE_FIELDS, USES, child_kinds

# The newest moves in or out of view whose dependent records are looked up (each move of a
# class can stand for hundreds of therapies; the list keeps `limit` records in all).
MAX_MOVES = 50


def _newest(rows, limit):
    """The ids in `rows` ((date, id) pairs) by their newest date, newest first, at most `limit`."""
    newest_first = sorted(rows, key=lambda row: row[0], reverse=True)
    return list(dict.fromkeys(pk for _date, pk in newest_first))[:limit]


def moves(model, limit, found):
    """(date, id) of the newest versions of `model` that changed whether its record could be
    public: a status or schedule other than the version before it, or its deletion (a first
    version is not one: what it brings is new rows of its own). Two queries; kept in `found`
    (by model) for the other kinds of record read in the same list."""
    if model in found:
        return found[model]
    fields = ("history_date", "history_id", "id", "history_type", *SCHEDULE_FIELDS)
    newest = list(model.history.order_by("-history_date").values_list(*fields)[:limit])
    ids = {row[2] for row in newest if row[3] != "+"}
    versions = {}
    if ids:
        rows = model.history.filter(id__in=ids).order_by("history_date", "history_id")
        for row in rows.values_list(*fields):
            versions.setdefault(row[2], []).append(row)
    result = []
    for history in versions.values():
        for before, after in itertools.pairwise(history):
            if after[3] == "-" or before[4:] != after[4:]:
                result.append((after[0], after[2]))
    found[model] = sorted(result, reverse=True)[:MAX_MOVES]
    return found[model]


def _ranked(rows, attname, moved):
    """`rows` ordered by when the record their `attname` names moved (`moved`: newest first)."""
    rank = {}
    for _date, pk in moved:
        rank.setdefault(pk, len(rank))
    whens = [When(**{attname: pk}, then=Value(n)) for pk, n in rank.items()]
    return rows.order_by(Case(*whens, output_field=IntegerField()))


def dependents(model, limit, found):
    """(date, id) of records of `model` whose public states moved because a record they depend
    on did: their class or parent, or a use's other end (and that end's class or parent)."""
    result = list(_with_parents(model, limit, found))
    for kind, child, key, describe in child_kinds(model):
        for name in describe if kind == USES else ():
            related = child._meta.get_field(name).related_model
            moved = moves(related, limit, found) + _with_parents(related, limit, found)
            result += _follow(child.history, f"{name}_id", key, moved, limit)
    return result


def _with_parents(model, limit, found):
    """(date, id) of records of `model` whose class or parent (`shown_with`) moved; kept in
    `found` like `moves`."""
    if ("shown with", model) not in found:
        result = []
        for name in model.shown_with:
            field = model._meta.get_field(name)
            moved = moves(field.related_model, limit, found)
            result += _follow(model.objects, field.attname, "pk", moved, limit)
        found["shown with", model] = result
    return found["shown with", model]


def _follow(manager, attname, key, moved, limit):
    """(date of the move, `key`) for the rows of `manager` whose `attname` names a record in
    `moved` ((date, id) pairs), at most `limit`, newest move first. No query when none moved."""
    if not moved:
        return []
    moved = sorted(moved, reverse=True)[:MAX_MOVES]
    dates = {}
    for date, pk in moved:
        dates.setdefault(pk, date)
    rows = manager.filter(**{f"{attname}__in": list(dates)}).values_list(attname, key)
    rows = _ranked(rows.distinct(), attname, moved)[:limit]
    return [(dates[pk], found) for pk, found in rows if found is not None]


def changed_last(model, limit, found=None):
    """The ids of the `limit` records of `model` changed last: by their own latest versions,
    their names', uses' and sections', and the moves in or out of view of the records they
    depend on (one query for each history, each of `limit` rows, and `dependents`)."""
    found = {} if found is None else found
    rows = list(model.history.order_by("-history_date").values_list("history_date", "id")[:limit])
    for _kind, child, key, _describe in child_kinds(model):
        history = child.history.filter(**{f"{key}__isnull": False}).order_by("-history_date")
        rows += history.values_list("history_date", key)[:limit]
    rows += dependents(model, limit, found)
    return _newest(rows, limit)
