"""Reference records: the roles of biological response modifiers, and the glossary."""

from django.db import models
from django.urls import reverse
from simple_history.models import HistoricalRecords

from ..text import forms_of, normalise
from .base import SOURCES_ROW, Searchable, SluggedModel, SlugManager
from .conditions import Condition
from .rows import PageURL, RowsQuerySet
from .therapies import Therapy, TherapyClass

__all__ = ["GlossaryTerm", "ModifierRole"]


class ModifierRoleQuerySet(RowsQuerySet):
    row_fields = {
        "slug": "slug",
        "position": "position",
        "title": "title",
        "explanation": "explanation",
        "sources": SOURCES_ROW,
    }


class GlossaryTermQuerySet(RowsQuerySet):
    # The glossary page cites each term's sources by publisher and title.
    row_fields = {
        "slug": "slug",
        "term": "term",
        "url": PageURL("catalog:glossary", anchor=True),
        "also_called": "also_called",
        "definition": "definition",
        "sources": SOURCES_ROW,
    }

    def link_targets(self):
        """(slug, names) of every term, for linking a text's terms to the glossary: the term
        and what it is also called."""
        return [
            (slug, term_names(term, also_called))
            for slug, term, also_called in self.values_list("slug", "term", "also_called")
        ]

    def records_explained(self, terms):
        """The published records each of `terms` (rows with slug, term and also_called)
        explains, as {slug: [{name, url, kind}, …]}: classes first, then therapies, then
        conditions. A term explains a record when one of the record's names (own or other) is
        the term or one of what it is also called, singular or plural, compared as search
        compares names ("Monoclonal antibody" explains the class "Monoclonal antibodies").
        One query for all the terms."""
        # The search index is built last, from every searchable model (models/__init__.py).
        from .search import SearchTerm

        keys = {}
        for term in terms:
            for name in term_names(term["term"], term["also_called"]):
                for form in forms_of(name):
                    if normalise(form):
                        keys.setdefault(normalise(form)[:200], set()).add(term["slug"])
        explained = {}
        if not keys:
            return explained
        models = (TherapyClass, Therapy, Condition)
        names = SearchTerm.objects.public(*models).filter(key__in=keys)
        records = {}
        for name in names:
            for slug in keys[name.key]:
                records.setdefault(slug, {})[type(name.record), name.record.pk] = name.record
        for slug, found in records.items():
            ordered = sorted(
                found.values(), key=lambda r: (models.index(type(r)), r.name.casefold())
            )
            explained[slug] = [
                {"name": r.name, "url": r.get_absolute_url(), "kind": r._meta.verbose_name}
                for r in ordered
            ]
        return explained


def term_names(term, also_called):
    """A glossary term's names: the term, then what it is also called (semicolon-separated)."""
    return [term, *(name.strip() for name in (also_called or "").split(";") if name.strip())]


class ModifierRole(SluggedModel):
    """One of the ways biological response modifiers fight cancer."""

    position = models.PositiveSmallIntegerField(unique=True)
    title = models.CharField(max_length=200)
    explanation = models.TextField(blank=True)
    sources = models.ManyToManyField("catalog.Source", related_name="+")

    objects = SlugManager.from_queryset(ModifierRoleQuerySet)()
    history = HistoricalRecords(m2m_fields=["sources"])

    class Meta:
        ordering = ["position"]

    def __str__(self):
        return self.title


class GlossaryTerm(Searchable, SluggedModel):
    term = models.CharField(max_length=120, unique=True)
    also_called = models.CharField(max_length=200, blank=True)
    definition = models.TextField()
    sources = models.ManyToManyField("catalog.Source", related_name="+")

    objects = SlugManager.from_queryset(GlossaryTermQuerySet)()
    history = HistoricalRecords(m2m_fields=["sources"])

    search_field = "glossary_term"
    search_group = ("glossary", "Glossary terms")
    search_position = 4

    class Meta:
        ordering = ["term"]

    def __str__(self):
        return self.term

    def get_absolute_url(self):
        return reverse("catalog:glossary") + f"#{self.slug}"

    def search_names(self):
        term, *others = term_names(self.term, self.also_called)
        return [(term, ""), *((name, "other") for name in others)]
