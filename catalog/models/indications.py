"""Indications: a therapy, or a whole therapy class, used for a condition, as a source says."""

from django.db import models
from django.db.models import Case, CharField, Q, Value, When
from simple_history.models import HistoricalRecords

from .base import (
    LIMIT_ROW_FIELDS,
    SOURCES_ROW,
    Publishable,
    editorial_permissions,
)
from .conditions import Condition
from .rows import Computed, Label, One, RowsQuerySet
from .schedule import schedule_constraint
from .therapies import Therapy, TherapyClass

__all__ = ["Indication", "LineOfTherapy", "Qualifier", "Severity", "limit_phrases"]


class Qualifier(models.TextChoices):
    NONE = "", "Used for"
    MAY_BE_EFFECTIVE = "may-be-effective", "May be effective"
    MAY_HELP = "may-help", "May help"
    OTHER_AGENTS_FAILED = "other-agents-failed", "When other agents have not worked"
    CONVENTIONAL_DRUGS_FAILED = "conventional-drugs-failed", "When conventional drugs fail"
    HAVE_BEEN_USED = "have-been-used", "Has been used for"


class Severity(models.TextChoices):
    """How severe the disease must be, as the source limits the use."""

    ANY = "", "—"
    MODERATE_TO_SEVERE = "moderate-to-severe", "Moderately to severely active"
    ACTIVE = "active", "Active disease"
    SEVERE = "severe", "Severe"
    ADVANCED = "advanced", "Advanced"
    METASTATIC = "metastatic", "Metastatic (spread to other parts of the body)"


class LineOfTherapy(models.TextChoices):
    """When in the course of treatment the source places the use."""

    ANY = "", "—"
    AFTER_CONVENTIONAL = (
        "after-conventional-therapy",
        "After an inadequate response to conventional therapy",
    )
    AFTER_DMARD = "after-dmard", "After an inadequate response to one or more DMARDs"
    AFTER_TNF_BLOCKER = (
        "after-tnf-blocker",
        "After an inadequate response to one or more TNF blockers",
    )
    AFTER_OTHER = "after-other-therapy", "After other treatment did not work well enough"
    FIRST_LINE = "first-line", "As a first treatment"


def limit_phrases(severity, population, combination, line_of_therapy, note):
    """A use's limits as the pages, the matrix and the exports say them: the set ones, in
    this order, without a closing full stop (`severity` and `line_of_therapy` as labels)."""
    phrases = (severity, population, combination, line_of_therapy, note)
    return [phrase.rstrip(".") for phrase in phrases if phrase]


def level(prefix):
    """ "agent" or "class", as `Indication.level`."""
    agent = When(**{f"{prefix}therapy__isnull": False}, then=Value("agent"))
    return Case(agent, default=Value("class"), output_field=CharField())


class IndicationQuerySet(RowsQuerySet):
    # A list row: what the API shows (catalog/models/rows.py); a therapy's rows hold some.
    row_fields = {
        "level": Computed(level),
        "therapy": One("therapy", ["slug", "name", "url"]),
        "therapy_class": One("therapy_class", ["slug", "name", "url"]),
        "condition": One("condition", ["slug", "name", "url"]),
        "qualifier": "qualifier",
        "qualifier_label": Label("qualifier"),
        **LIMIT_ROW_FIELDS,
        "sources": SOURCES_ROW,
    }

    def published(self):
        return self.filter(Indication.visible())

    def for_page(self):
        """A use with the records it names; the pages read the sources with their record's
        (`cite`)."""
        return self.select_related("therapy", "therapy_class", "condition")

    def for_display(self):
        return self.for_page().prefetch_related("sources")


class IndicationManager(models.Manager.from_queryset(IndicationQuerySet)):
    def get_by_natural_key(self, therapy_slug, class_slug, condition_slug):
        return self.get(
            therapy__slug=therapy_slug,
            therapy_class__slug=class_slug,
            condition__slug=condition_slug,
        )


class Indication(Publishable):
    """A therapy, or a whole therapy class, used for a condition."""

    therapy = models.ForeignKey(
        Therapy, on_delete=models.CASCADE, null=True, blank=True, related_name="indications"
    )
    therapy_class = models.ForeignKey(
        TherapyClass,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="indications",
        verbose_name="class",
    )
    condition = models.ForeignKey(Condition, on_delete=models.CASCADE, related_name="indications")
    qualifier = models.CharField(max_length=30, choices=Qualifier, blank=True)
    severity = models.CharField(max_length=30, choices=Severity, blank=True)
    line_of_therapy = models.CharField(
        "line of therapy", max_length=30, choices=LineOfTherapy, blank=True
    )
    combination = models.CharField(
        max_length=150, blank=True, help_text="Given with what, e.g. “with methotrexate”."
    )
    population = models.CharField(
        max_length=150,
        blank=True,
        help_text="For whom, e.g. “adults”, “people 2 years and older”, “HER2-positive cancer”.",
    )
    note = models.CharField(
        max_length=300, blank=True, help_text="Anything else the source adds, in a short phrase."
    )
    sources = models.ManyToManyField("catalog.Source", related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    objects = IndicationManager()
    history = HistoricalRecords(m2m_fields=["sources"])

    class Meta:
        ordering = ["condition__name", "therapy_class__name", "therapy__name"]
        permissions = editorial_permissions("indication", "indications", review=False)
        constraints = [
            schedule_constraint("indication"),
            models.CheckConstraint(
                condition=(
                    Q(therapy__isnull=False, therapy_class__isnull=True)
                    | Q(therapy__isnull=True, therapy_class__isnull=False)
                ),
                name="indication_therapy_xor_class",
                violation_error_message="Choose either a therapy or a therapy class, not both.",
            ),
            # NULLs are distinct, so each constraint only bites on its own kind of indication.
            models.UniqueConstraint(
                fields=["therapy", "condition"],
                name="unique_therapy_indication",
                violation_error_message="This therapy is already linked to this condition.",
            ),
            models.UniqueConstraint(
                fields=["therapy_class", "condition"],
                name="unique_class_indication",
                violation_error_message="This class is already linked to this condition.",
            ),
        ]

    def __str__(self):
        return f"{self.subject} → {self.condition}"

    @classmethod
    def visible(cls, prefix=""):
        """Published, with both its ends public: its condition, and its therapy or class."""
        return (
            Publishable.visible(prefix)
            & Condition.visible(f"{prefix}condition__")
            & (
                Therapy.visible(f"{prefix}therapy__")
                | TherapyClass.visible(f"{prefix}therapy_class__")
            )
        )

    @property
    def limits(self):
        """The source's limits on this use, as phrases in reading order ("Moderately to
        severely active", "adults", "with methotrexate", "after …", the note)."""
        return limit_phrases(
            self.get_severity_display() if self.severity else "",
            self.population,
            self.combination,
            self.get_line_of_therapy_display() if self.line_of_therapy else "",
            self.note,
        )

    @property
    def subject(self):
        return self.therapy or self.therapy_class

    @property
    def level(self):
        return "agent" if self.therapy_id else "class"

    def natural_key(self):
        return (
            self.therapy.slug if self.therapy_id else None,
            self.therapy_class.slug if self.therapy_class_id else None,
            self.condition.slug,
        )

    natural_key.dependencies = ["catalog.therapy", "catalog.therapyclass", "catalog.condition"]
