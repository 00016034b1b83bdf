"""Sections of a therapy's or a condition's page that answer a patient's questions (how it
works, how it is given, side effects, before you start, pregnancy, other brands; what a
condition is), each citing its own sources. A section not yet written has no row: the page
says "Not yet written"."""

from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from .base import SOURCES_ROW
from .rows import Label, Many, RowsQuerySet

__all__ = ["SECTIONS_ROW", "Section", "SectionKind"]


class SectionKind(models.TextChoices):
    HOW_IT_WORKS = "how-it-works", "What it is and how it works"
    HOW_GIVEN = "how-given", "How it is given"
    COMMON_SIDE_EFFECTS = "common-side-effects", "Common side effects"
    SERIOUS_SIDE_EFFECTS = "serious-side-effects", "Serious side effects and warnings"
    BEFORE_STARTING = "before-starting", "Before you start"
    PREGNANCY = "pregnancy-breastfeeding", "Pregnancy and breastfeeding"
    OTHER_BRANDS = "other-brands", "Other brands and biosimilars"
    WHAT_IT_IS = "what-it-is", "What it is"


# The sections each kind of record has, in page order.
THERAPY_KINDS = [
    SectionKind.HOW_IT_WORKS,
    SectionKind.HOW_GIVEN,
    SectionKind.COMMON_SIDE_EFFECTS,
    SectionKind.SERIOUS_SIDE_EFFECTS,
    SectionKind.BEFORE_STARTING,
    SectionKind.PREGNANCY,
    SectionKind.OTHER_BRANDS,
]
CONDITION_KINDS = [SectionKind.WHAT_IT_IS]


class SectionQuerySet(RowsQuerySet):
    # A section as its record's list row holds it (catalog/models/rows.py).
    row_fields = {
        "kind": "kind",
        "kind_label": Label("kind"),
        "body": "body",
        "sources": SOURCES_ROW,
    }


# A therapy's or a condition's sections in its list row, in page order.
SECTIONS_ROW = Many("sections", ["kind", "kind_label", "body", "sources"])


class SectionManager(models.Manager.from_queryset(SectionQuerySet)):
    def get_by_natural_key(self, therapy_slug, condition_slug, kind):
        return self.get(therapy__slug=therapy_slug, condition__slug=condition_slug, kind=kind)


class Section(models.Model):
    Kind = SectionKind
    THERAPY_KINDS = THERAPY_KINDS
    CONDITION_KINDS = CONDITION_KINDS

    therapy = models.ForeignKey(
        "catalog.Therapy", on_delete=models.CASCADE, null=True, blank=True, related_name="sections"
    )
    condition = models.ForeignKey(
        "catalog.Condition",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="sections",
    )
    kind = models.CharField(max_length=30, choices=SectionKind)
    body = models.TextField(help_text="Plain language (reading grade 6 to 8), short sentences.")
    sources = models.ManyToManyField("catalog.Source", related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    objects = SectionManager()
    history = HistoricalRecords(m2m_fields=["sources"])

    class Meta:
        ordering = ["therapy", "condition", "kind"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(therapy__isnull=False, condition__isnull=True, kind__in=THERAPY_KINDS)
                    | Q(therapy__isnull=True, condition__isnull=False, kind__in=CONDITION_KINDS)
                ),
                name="section_of_a_therapy_or_a_condition",
                violation_error_message="A section belongs to a therapy or to a condition, "
                "with a kind of section that record has.",
            ),
            models.UniqueConstraint(
                fields=["therapy", "kind"],
                name="unique_therapy_section",
                violation_error_message="This therapy already has this section.",
            ),
            models.UniqueConstraint(
                fields=["condition", "kind"],
                name="unique_condition_section",
                violation_error_message="This condition already has this section.",
            ),
        ]

    def __str__(self):
        return f"{self.record}: {self.get_kind_display()}"

    @property
    def record(self):
        return self.therapy or self.condition

    @property
    def title(self):
        return self.get_kind_display()

    def natural_key(self):
        return (
            self.therapy.slug if self.therapy_id else None,
            self.condition.slug if self.condition_id else None,
            self.kind,
        )

    natural_key.dependencies = ["catalog.therapy", "catalog.condition"]

    @staticmethod
    def in_page_order(sections, kinds):
        """One entry per kind of `kinds`, in page order: (kind, section or None)."""
        by_kind = {section.kind: section for section in sections}
        return [(kind, by_kind.get(kind)) for kind in kinds]
