"""Conditions therapies are used for, one level of sub-conditions deep, and their other names."""

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Prefetch, Q
from simple_history.models import HistoricalRecords

from .base import (
    EDITORIAL_ROW_FIELDS,
    SOURCES_ROW,
    ReviewedContent,
    ReviewQuerySet,
    Searchable,
    SlugManager,
    editorial_permissions,
)
from .paths import slug_path
from .prepared import Keys, KeysIn
from .rows import Label, Many, One, PageURL, RowsQuerySet
from .schedule import schedule_constraint
from .sections import SECTIONS_ROW

__all__ = ["Condition", "ConditionCategory", "ConditionName"]


class ConditionCategory(models.TextChoices):
    CANCER = "cancer", "Cancer"
    AUTOIMMUNE_INFLAMMATORY = "autoimmune-inflammatory", "Autoimmune and inflammatory disease"


class ConditionQuerySet(ReviewQuerySet):
    # A list row: what the condition list and the API show (catalog/models/rows.py), with the
    # sub-conditions the public sees.
    row_fields = {
        "slug": "slug",
        "name": "name",
        "url": PageURL("catalog:condition-detail"),
        "category": "category",
        "category_label": Label("category"),
        "parent": One("parent", ["slug", "name", "url"]),
        "children": Many("children", ["slug", "name", "url"], visible=True),
        "other_names": Many("other_names", ["name"]),
        "summary": "summary",
        "sections": SECTIONS_ROW,
        "sources": SOURCES_ROW,
        **EDITORIAL_ROW_FIELDS,
    }

    def published(self):
        return self.filter(Condition.visible())

    # What a condition's page reads of its related lists, after the condition itself.
    page_prefetch = ("other_names", "sections")

    def shown(self):
        """What a condition's page and its API record both show: its parent, reviewer, other
        names and sections."""
        return self.select_related("parent", "reviewer").prefetch_related(*self.page_prefetch)

    def for_page(self, public=True):
        """What a condition's page shows but the sources, which the page reads in one query
        for the record, its sections and its uses (`cite`); its sub-conditions (`public`: the
        published ones) as rows in its own query (`sub_conditions`: slug, name, url)."""
        children = Many("children", ["slug", "name", "url"], visible=public)
        return self.shown().annotate(sub_conditions=children.expression(self.model, ""))

    def for_display(self, public=True):
        """Everything a condition's API record shows, its sources and its sections' too."""
        children = Condition.objects.published() if public else Condition.objects.all()
        return self.shown().prefetch_related(
            Prefetch("children", queryset=children), "sources", "sections__sources"
        )

    def matching(self, conditions):
        """The given conditions and, for parent conditions, their sub-conditions. `conditions`:
        records, or `Keys(n)`, their keys given when a compiled query runs (prepared.py)."""
        if isinstance(conditions, Keys):
            slot = conditions.slot
            return self.filter(KeysIn("pk", slot) | KeysIn("parent_id", slot))
        ids = [condition.pk for condition in conditions]
        return self.filter(Q(pk__in=ids) | Q(parent__in=ids))


class Condition(Searchable, ReviewedContent):
    name = models.CharField(max_length=120, unique=True)
    category = models.CharField(max_length=30, choices=ConditionCategory)
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        help_text="A broader condition this one belongs to (one level deep).",
    )

    objects = SlugManager.from_queryset(ConditionQuerySet)()
    history = HistoricalRecords(m2m_fields=["sources"])

    shown_with = ("parent",)  # public only while its parent is, if it has one
    search_field = "condition"
    search_prefetch = ("other_names",)
    search_group = ("condition", "Conditions")
    search_position = 3
    page_names = ("condition-list", "condition-detail", "condition-changes")
    history_children = (
        ("other_names", "Other names", ()),
        ("indications", "Indications", ("therapy", "therapy_class")),
    )

    class Meta:
        ordering = ["name"]
        permissions = editorial_permissions("condition", "conditions")
        indexes = [
            # Name lookups typed in the filters (`name__iexact` is UPPER(name) on PostgreSQL).
            models.Index(
                models.Func(models.F("name"), function="UPPER"), name="catalog_condition_uname_idx"
            ),
        ]
        constraints = [
            schedule_constraint("condition"),
            models.CheckConstraint(
                condition=~Q(parent=models.F("pk")),
                name="condition_not_own_parent",
                violation_error_message="A condition cannot be its own parent.",
            ),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return slug_path("catalog:condition-detail", self.slug)

    def get_preview_url(self):
        return slug_path("catalog:condition-preview", self.slug)

    def get_changes_url(self):
        return slug_path("catalog:condition-changes", self.slug)

    def search_names(self):
        return [(self.name, ""), *((n.name, "other") for n in self.other_names.all())]

    def clean(self):
        super().clean()
        if self.pk and self.children.exclude(category=self.category).exists():
            raise ValidationError(
                {"category": "Its sub-conditions have another category; change them first."}
            )
        if self.parent_id is None:
            return
        if self.pk and self.parent_id == self.pk:
            raise ValidationError({"parent": "A condition cannot be its own parent."})
        if self.parent.parent_id is not None:
            raise ValidationError(
                {"parent": "Choose a top-level condition: sub-conditions go one level deep."}
            )
        if self.pk and self.children.exists():
            raise ValidationError(
                {"parent": "This condition has sub-conditions, so it cannot have a parent."}
            )
        if self.parent.category != self.category:
            raise ValidationError({"parent": "A sub-condition has its parent's category."})


class ConditionNameQuerySet(RowsQuerySet):
    row_fields = {"name": "name"}


class ConditionNameManager(models.Manager.from_queryset(ConditionNameQuerySet)):
    def get_by_natural_key(self, condition_slug, name):
        return self.get(condition__slug=condition_slug, name=name)


class ConditionName(models.Model):
    condition = models.ForeignKey(Condition, on_delete=models.CASCADE, related_name="other_names")
    name = models.CharField(max_length=120)

    objects = ConditionNameManager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["condition", "name"], name="unique_condition_name"),
        ]

    def __str__(self):
        return self.name

    def natural_key(self):
        return (*self.condition.natural_key(), self.name)

    natural_key.dependencies = ["catalog.condition"]
