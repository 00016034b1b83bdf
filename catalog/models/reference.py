"""Reference records: the roles of biological response modifiers, and the glossary."""

from django.db import models
from django.urls import reverse
from simple_history.models import HistoricalRecords

from .base import SOURCES_ROW, Searchable, SluggedModel, SlugManager
from .rows import PageURL, RowsQuerySet

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
        and what it is also called (semicolon-separated)."""
        return [
            (slug, [term, *(name for name in also_called.split(";") if name.strip())])
            for slug, term, also_called in self.values_list("slug", "term", "also_called")
        ]


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
        return [(self.term, ""), *((name, "other") for name in self.also_called.split(";"))]
