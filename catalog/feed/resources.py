"""What the changes feed follows: each resource (a name, a model, the keys of its list rows, and
how a row is keyed), and which records a changed row may change, read off the list rows'
declarations (`row_fields`, catalog/models/rows.py) so the feed follows whatever a row holds.

A therapy's row holds its class's name, its uses' conditions and their sources, its sections'
sources and its reviewer: so a renamed class, condition, source or reviewer changes the rows of
the therapies that show it, and `dependents()` finds them (one query per path a row reads).
The visibility rules (`visible()`) are read the same way: a condition unpublished hides its
sub-conditions' uses from every therapy's row.
"""

import functools
from dataclasses import dataclass, field

from django.core.exceptions import FieldDoesNotExist
from django.db.models import Q

from ..models import (
    Condition,
    GlossaryTerm,
    Indication,
    ModifierRole,
    Source,
    Therapy,
    TherapyClass,
)
from ..models.rows import Many, One


def lookups(q):
    for child in q.children:
        if isinstance(child, Q):
            yield from lookups(child)
        else:
            yield child[0]


def visibility(model, prefix=""):
    """[(path, model)]: the relations the model's visibility rule (`visible()`) reads: a
    condition is public only while its parent is, a use only while its therapy, the therapy's
    class and its condition are."""
    if not hasattr(model, "visible"):
        return []
    found = []
    for lookup in lookups(model.visible()):
        current, path = model, prefix
        for part in lookup.split("__"):
            try:
                field = current._meta.get_field(part)
            except FieldDoesNotExist:
                break
            if not field.is_relation:
                break
            current = field.related_model
            path += part
            found.append((path, current))
            path += "__"
    return found


def reads(model, keys, prefix=""):
    """[(path, model)]: every relation a row of `model` with these keys reads, from the record
    (`"indications__condition"` → Condition), at any depth."""
    fields = model._default_manager.all().row_fields
    found = []
    for key in keys:
        spec = fields[key]
        if isinstance(spec, str):  # a field, perhaps across relations ("reviewer__name")
            current, path = model, prefix
            for part in spec.split("__")[:-1]:
                current = current._meta.get_field(part).related_model
                path += part
                found.append((path, current))
                path += "__"
        elif isinstance(spec, (One, Many)):
            target = model._meta.get_field(spec.relation).related_model
            path = prefix + spec.relation
            found.append((path, target))
            found += reads(target, spec.keys, path + "__")
            if isinstance(spec, Many) and spec.visible:
                found += visibility(target, path + "__")
    return found


def slug_key(row):
    return row["slug"]


def indication_key(row):
    """An indication's key: its level, its therapy's or class's slug and its condition's slug
    (`agent/rituximab/rheumatoid-arthritis`), as unique as the indication itself."""
    subject = row["therapy"] or row["therapy_class"]
    return f"{row['level']}/{subject['slug']}/{row['condition']['slug']}"


@dataclass(frozen=True)
class Resource:
    """One of the API's resources as the feed gives it: `name` (its path: "therapies"),
    `model` and `key_of` (a row's key: its slug, or for an indication its level, subject and
    condition). Its rows hold every key the model's list rows declare (what the API's
    representation reads: tests/test_changes_feed.py checks they are the same)."""

    name: str
    model: type
    key_of: object = slug_key
    keys: tuple = field(init=False)
    paths: tuple = field(init=False)

    def __post_init__(self):
        keys = tuple(self.model._default_manager.all().row_fields)
        found = reads(self.model, keys) + visibility(self.model)
        object.__setattr__(self, "keys", keys)
        object.__setattr__(self, "paths", tuple(dict.fromkeys(found)))

    def public(self):
        """The records the public sees (the model's `published()`, or all)."""
        records = self.model._default_manager.all()
        return records.published() if hasattr(records, "published") else records

    def dependents(self, changed):
        """The ids of this resource's records whose rows a change may have changed:
        `changed` is {model: (ids changed themselves, ids only a child row of changed)}."""
        found = set()
        own = changed.get(self.model)
        if own:
            found |= own[0] | own[1]
        everything = self.model._base_manager
        for path, target in self.paths:
            ids = changed.get(target, (set(), set()))[0]
            if ids:
                rows = everything.filter(**{f"{path}__in": ids}).values_list("pk", flat=True)
                found.update(rows.distinct())
        return found


@functools.cache
def resources():
    """Every resource the feed follows, in the order a catch-up writes their changes."""
    return (
        Resource("therapies", Therapy),
        Resource("therapy-classes", TherapyClass),
        Resource("conditions", Condition),
        Resource("indications", Indication, indication_key),
        Resource("sources", Source),
        Resource("modifier-roles", ModifierRole),
        Resource("glossary", GlossaryTerm),
    )
