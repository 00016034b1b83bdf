"""The search index: every name of every searchable record (models that subclass Searchable),
in the normalised forms search compares. Derived data, with one key per searchable model,
made from their declarations."""

import functools
import operator

from django.db import models
from django.db.models import Q

from ..text import normalise, words_of
from .base import Searchable

__all__ = ["SearchTerm"]


class SearchTermQuerySet(models.QuerySet):
    def terms_for(self, record):
        """The rows `/search/` matches for one record: its own name and its other names."""
        field = type(record).search_field
        terms = []
        for name, relation in record.search_names():
            name = (name or "").strip()
            if name and normalise(name):
                terms.append(
                    SearchTerm(
                        **{field: record},
                        name=name,
                        relation=relation,
                        key=normalise(name)[:200],
                        words=" ".join(words_of(name))[:300],
                    )
                )
        return terms

    def public(self, *models):
        """The names of the records of `models` the public sees (each model's `visible()`),
        each row's record read in the same query (`record`)."""
        visible = functools.reduce(
            operator.or_, (model.visible(f"{model.search_field}__") for model in models)
        )
        return self.filter(visible).select_related(*(model.search_field for model in models))

    def of(self, *models):
        """The names of records of `models`, published or not."""
        return self.filter(
            functools.reduce(
                operator.or_, (Q(**{f"{model.search_field}__isnull": False}) for model in models)
            )
        )

    def index(self, records):
        """Replace the search rows of these records (after an editor saved them), reading
        their names as saved now. Explicit: the admin, the API and the management commands
        call it; nothing hides it in save()."""
        by_model = {}
        for record in records:
            by_model.setdefault(type(record), []).append(record.pk)
        for model, pks in by_model.items():
            fresh = model._default_manager.filter(pk__in=pks).prefetch_related(
                *model.search_prefetch
            )
            self.filter(**{f"{model.search_field}__in": pks}).delete()
            self.bulk_create(term for record in fresh for term in self.terms_for(record))


def searchable():
    """The searchable models, in the order their groups of results come."""
    return sorted(Searchable.registry, key=lambda model: model.search_position)


def _one_record():
    """Each row names exactly one record: one key set, the others null."""
    fields = [model.search_field for model in searchable()]
    condition = functools.reduce(
        operator.or_,
        (
            Q(**{f"{field}__isnull": False}, **{other: None for other in fields if other != field})
            for field in fields
        ),
    )
    return models.CheckConstraint(condition=condition, name="searchterm_one_record")


class Relation(models.TextChoices):
    OWN = "", "Own name"
    BRAND = "brand", "a brand name"
    ABBREVIATION = "abbreviation", "an abbreviation"
    SYNONYM = "synonym", "a synonym"
    OTHER = "other", "another name"


class SearchTermBase(models.Model):
    """One name of a searchable record, in the forms search compares (`/search/`).

    Derived data: rebuilt by `SearchTerm.objects.index(records)` when an editor saves a record
    (admin, API) and by `manage.py reindex_search` after bulk loads. Whether a record is
    public is decided at query time by joining its own table, so publishing needs no reindex.
    Database indexes (migration 0006): on PostgreSQL a B-tree (varchar_pattern_ops) on `key`
    for prefixes, a GIN trigram index on `key` for substrings and misspellings, a GIN
    full-text index on `words`; on SQLite two FTS5 tables (trigram on `key`, words on
    `words`) kept in step by triggers. If a later migration ever rebuilds this table on
    SQLite, it must recreate those triggers (the search tests would fail otherwise).
    """

    Relation = Relation

    name = models.CharField(max_length=200)
    relation = models.CharField(max_length=20, choices=Relation, blank=True)
    key = models.CharField(max_length=200, db_index=True)
    words = models.CharField(max_length=300)

    objects = SearchTermQuerySet.as_manager()

    derived = True  # rebuilt from the records; not versioned

    class Meta:
        abstract = True

    def __str__(self):
        return self.name

    @property
    def kind(self):
        """What its record is, in a visitor's words: "therapy", "therapy class", "condition"."""
        return self.record._meta.verbose_name

    @property
    def record(self):
        """The record this name belongs to."""
        return next(
            getattr(self, model.search_field)
            for model in Searchable.registry
            if getattr(self, f"{model.search_field}_id") is not None
        )


class Meta:
    ordering = ["key"]
    default_permissions = ()  # derived data: nobody edits it by hand
    constraints = [_one_record()]


# A key to each searchable model, from what the models declare (Searchable.registry).
SearchTerm = type(
    "SearchTerm",
    (SearchTermBase,),
    {
        "__module__": __name__,
        "__qualname__": "SearchTerm",
        "__doc__": SearchTermBase.__doc__,
        "Meta": Meta,
        **{
            model.search_field: models.ForeignKey(
                model, on_delete=models.CASCADE, null=True, related_name="+"
            )
            for model in searchable()
        },
    },
)
