"""Therapy classes, the therapies (agents) in them, and the therapies' other names."""

from django.db import models
from django.db.models import Exists, OuterRef, Prefetch, Q
from simple_history.models import HistoricalRecords

from .base import (
    EDITORIAL_ROW_FIELDS,
    LIMIT_KEYS,
    SOURCES_ROW,
    DescribedContent,
    ReviewedContent,
    ReviewQuerySet,
    Searchable,
    SlugManager,
    editorial_permissions,
)
from .paths import slug_path
from .rows import Label, Many, One, PageURL, RowsQuerySet, Values
from .schedule import schedule_constraint
from .sections import SECTIONS_ROW

__all__ = ["Action", "Therapy", "TherapyClass", "TherapyName"]


def indications_of(model):
    """The Indication model, through `model`'s reverse relation (indications.py imports this
    module, not the other way round)."""
    return model._meta.get_field("indications").related_model


def uses_of(model):
    """The TherapyUse model (uses.py imports this module, not the other way round)."""
    return model._meta.apps.get_model("catalog", "TherapyUse")


class Action(models.TextChoices):
    STIMULATES = "stimulates", "Stimulates the immune system"
    ENHANCES = "enhances", "Enhances the immune response"
    TARGETS = "targets", "Targets specific antigens"
    SUPPRESSES = "suppresses", "Suppresses the immune system"


class TherapyClassQuerySet(ReviewQuerySet):
    # A list row: what the class list and the API show (catalog/models/rows.py).
    row_fields = {
        "slug": "slug",
        "name": "name",
        "url": PageURL("catalog:class-detail"),
        "abbreviation": "abbreviation",
        "action": "action",
        "action_label": Label("action"),
        "summary": "summary",
        "description": "description",
        "sources": SOURCES_ROW,
        **EDITORIAL_ROW_FIELDS,
    }

    def published(self):
        return self.filter(TherapyClass.visible())

    def for_page(self, public=True):
        """What a class's page shows of the class; its sources are read with its uses'
        (`cite`)."""
        return self.select_related("reviewer")

    def for_display(self, public=True):
        return self.for_page(public).prefetch_related("sources")


class TherapyClass(Searchable, DescribedContent, ReviewedContent):
    name = models.CharField(max_length=120, unique=True)
    abbreviation = models.CharField(max_length=30, blank=True)
    action = models.CharField(
        max_length=20, choices=Action, help_text="How the class acts on the immune system."
    )
    description = models.TextField(blank=True)

    objects = SlugManager.from_queryset(TherapyClassQuerySet)()
    history = HistoricalRecords(m2m_fields=["sources"])

    search_field = "therapy_class"
    search_group = ("class", "Classes of therapy")
    search_position = 2
    page_names = ("class-list", "class-detail", "class-changes")
    history_children = (("indications", "Indications (class level)", ("condition",)),)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "therapy classes"
        permissions = editorial_permissions("therapyclass", "therapy classes")
        constraints = [schedule_constraint("therapyclass")]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return slug_path("catalog:class-detail", self.slug)

    def get_preview_url(self):
        return slug_path("catalog:class-preview", self.slug)

    def get_changes_url(self):
        return slug_path("catalog:class-changes", self.slug)

    def search_names(self):
        return [(self.name, ""), (self.abbreviation, "abbreviation")]


class TherapyQuerySet(ReviewQuerySet):
    # A list row: what the therapy list and the API show (catalog/models/rows.py); brand names
    # as the `brand_names` property has them, indications the public sees.
    row_fields = {
        "slug": "slug",
        "name": "name",
        "url": PageURL("catalog:therapy-detail"),
        "therapy_class": One("therapy_class", ["slug", "name", "action", "url"]),
        "brand_names": Values("other_names", "name", where=Q(kind="brand")),  # Kind.BRAND
        "other_names": Many("other_names", ["name", "kind"]),
        "summary": "summary",
        "description": "description",
        "indications": Many(
            "indications",
            ["condition", "qualifier", "qualifier_label", *LIMIT_KEYS, "sources"],
            visible=True,
        ),
        "sections": SECTIONS_ROW,
        "sources": SOURCES_ROW,
        **EDITORIAL_ROW_FIELDS,
    }

    def published(self):
        return self.filter(Therapy.visible())

    def for_display(self, public=True):
        """Everything a therapy's API record shows, in a fixed number of queries (`public`:
        only published indications)."""
        indication = indications_of(Therapy)
        indications = indication.objects.published() if public else indication.objects.all()
        return self.for_page().prefetch_related(
            "sources",
            "sections__sources",
            Prefetch(
                "indications",
                queryset=indications.select_related("condition").prefetch_related("sources"),
            ),
        )

    # What a therapy's page reads of its related lists, after the therapy itself.
    page_prefetch = ("other_names", "sections")

    def for_page(self, public=True):
        """What a therapy's page shows but its uses, which the page reads in one query with
        those of its class (views/details.py), and the sources, read in one query for the
        therapy, its sections and its uses (`cite`)."""
        return self.select_related("therapy_class", "reviewer").prefetch_related(
            *self.page_prefetch
        )

    def for_conditions(self, conditions, classes=()):
        """Agents with a published agent-level indication for any of the conditions (or their
        sub-conditions), in any of `classes` if given: one index range of the table of
        published uses (models/uses.py), which holds each use under its condition's parent
        too."""
        live = uses_of(Therapy).objects.live()
        uses = live.filter(therapy=OuterRef("pk"), condition__in=[c.pk for c in conditions])
        if classes:
            uses = uses.filter(therapy_class__in=[cls.pk for cls in classes])
        return self.filter(Exists(uses))


class Therapy(Searchable, DescribedContent, ReviewedContent):
    name = models.CharField(max_length=120, unique=True)
    therapy_class = models.ForeignKey(
        TherapyClass, on_delete=models.PROTECT, related_name="therapies", verbose_name="class"
    )
    description = models.TextField(blank=True)

    objects = SlugManager.from_queryset(TherapyQuerySet)()
    history = HistoricalRecords(m2m_fields=["sources"])

    shown_with = ("therapy_class",)  # public only while its class is
    search_field = "therapy"
    search_prefetch = ("other_names",)
    search_group = ("therapy", "Therapies")
    search_position = 1
    page_names = ("therapy-list", "therapy-detail", "therapy-changes")
    history_children = (
        ("other_names", None, ()),
        ("indications", "Indications", ("condition",)),
    )

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "therapies"
        permissions = editorial_permissions("therapy", "therapies")
        constraints = [schedule_constraint("therapy")]
        indexes = [
            # Name lookups typed in the filters (`name__iexact` is UPPER(name) on PostgreSQL).
            models.Index(
                models.Func(models.F("name"), function="UPPER"), name="catalog_therapy_uname_idx"
            ),
            models.Index(fields=["last_reviewed", "id"], name="catalog_therapy_reviewed_idx"),
            # A list page's keys and its count, from the index alone (no partial index: SQLite
            # cannot use one with a parameter for `status`).
            models.Index(
                fields=["name", "id", "therapy_class", "status"],
                name="catalog_therapy_name_list_idx",
            ),
            # A class's page: its first therapies by name, one index range.
            models.Index(fields=["therapy_class", "name"], name="catalog_therapy_class_name_idx"),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return slug_path("catalog:therapy-detail", self.slug)

    def get_preview_url(self):
        return slug_path("catalog:therapy-preview", self.slug)

    def get_changes_url(self):
        return slug_path("catalog:therapy-changes", self.slug)

    @property
    def brand_names(self):
        return [n.name for n in self.other_names.all() if n.kind == TherapyName.Kind.BRAND]

    @property
    def names_besides_brands(self):
        """Its other names that are not brands (abbreviations, synonyms), in the record's order."""
        return [n.name for n in self.other_names.all() if n.kind != TherapyName.Kind.BRAND]

    @property
    def name_with_brands(self):
        """Its name and brand names, as a drug page's title: "Rituximab (Rituxan, MabThera)"."""
        brands = self.brand_names
        return f"{self.name} ({', '.join(brands)})" if brands else self.name

    def search_names(self):
        return [(self.name, ""), *((n.name, n.kind) for n in self.other_names.all())]


class TherapyNameQuerySet(RowsQuerySet):
    row_fields = {"name": "name", "kind": "kind"}


class TherapyNameManager(models.Manager.from_queryset(TherapyNameQuerySet)):
    def get_by_natural_key(self, therapy_slug, name):
        return self.get(therapy__slug=therapy_slug, name=name)


class TherapyName(models.Model):
    class Kind(models.TextChoices):
        BRAND = "brand", "Brand name"
        ABBREVIATION = "abbreviation", "Abbreviation"
        SYNONYM = "synonym", "Synonym"

    therapy = models.ForeignKey(Therapy, on_delete=models.CASCADE, related_name="other_names")
    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=20, choices=Kind)

    objects = TherapyNameManager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["kind", "name"]
        constraints = [
            models.UniqueConstraint(fields=["therapy", "name"], name="unique_therapy_name"),
        ]

    def __str__(self):
        return f"{self.name} ({self.get_kind_display().lower()})"

    def natural_key(self):
        return (*self.therapy.natural_key(), self.name)

    natural_key.dependencies = ["catalog.therapy"]
