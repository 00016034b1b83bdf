"""Two public states of a record compared in plain words, with the site's own field words:
"added the brand name MabThera", "uses: Rheumatoid arthritis now 'in combination with
methotrexate'", "summary rewritten", "class now 'Monoclonal antibodies'", "added the source
Genentech, Inc.; label on DailyMed …, “RITUXAN (rituximab) injection …”"; a review as
"medically reviewed by Jane Doe, MD" (the reviewer's public name, as the pages say it). The
sources a use or a section cites are followed too: "uses: Lymphoma: added the source …",
"section 'Side effects': removed the source …".

Only the fields a page shows are read (`public_fields`): never the status, the schedule, the
review workflow, who edited, ids or update times."""

from django.db import models
from django.utils import timezone
from django.utils.formats import date_format

from ..models import ReviewedContent
from .states import NAMES, SECTIONS, SOURCES, USES

# What a reader never sees in an entry: publication, review bookkeeping, keys, times.
INTERNAL = {
    "id",
    "slug",
    "status",
    "published_at",
    "go_live_at",
    "expire_at",
    "updated_at",
    "last_reviewed",
    "reviewer",
    "review_interval_days",
    *ReviewedContent.WORKFLOW_FIELDS,
}
# Text longer than a name is "rewritten", never shown as a diff.
LONG_TEXT = 200
FIRST_PUBLISHED = "first published"


def public_fields(model):
    return [
        field
        for field in model._meta.concrete_fields
        if field.name not in INTERNAL and field.editable and not field.primary_key
    ]


def day(moment):
    """A date as the pages show it: "3 December 2026"."""
    return date_format(timezone.localtime(moment), "j F Y")


def related_fields(model):
    """The relations the wording names (a therapy's class, a condition's parent) and the
    reviewer: read with the versions (`select_related`), no query of their own."""
    return [f.name for f in public_fields(model) if f.is_relation] + ["reviewer"]


class Wording:
    """The parts of one kind of record's changes, in the site's words."""

    def __init__(self, model, describe=None):
        self.model = model
        # {kind of child: the fields naming a child's other end}
        self.describe = describe or {}

    def field_part(self, field, old, new, version):
        word = str(field.verbose_name)
        if new in (None, ""):
            return f"{word} removed"
        if isinstance(field, models.TextField) or (field.max_length or 0) >= LONG_TEXT:
            return f"{word} rewritten" if old not in (None, "") else f"{word} added"
        if field.is_relation:
            shown = str(getattr(version, field.name))
        elif field.choices:
            shown = str(dict(field.flatchoices).get(new, new))
        else:
            shown = str(new)
        return f"{word} now '{shown}'"

    def use_name(self, row):
        """What a use names at its other end (a condition, or a therapy or a class)."""
        return " ".join(
            str(getattr(row, name))
            for name in self.describe.get(USES, ())
            if getattr(row, f"{name}_id") is not None
        )

    @staticmethod
    def use_phrase(row):
        """How the use page puts it: its qualifier (if any) and its limits, in reading order."""
        qualifier = [row.get_qualifier_display().lower()] if row.qualifier else []
        return "; ".join([*qualifier, *row.instance.limits])

    def children_parts(self, kind, before, after):
        parts = []
        for key, row in after.items():
            old = before.get(key)
            if kind == NAMES:
                if old is None:
                    parts.append(f"added the {self.name_kind(row)} {row.name}")
            elif kind == USES:
                phrase = self.use_phrase(row)
                if old is None:
                    limits = f" ('{phrase}')" if phrase else ""
                    parts.append(f"added a use: {self.use_name(row)}{limits}")
                else:
                    if self.use_phrase(old) != phrase:
                        now = f"'{phrase}'" if phrase else "without limits"
                        parts.append(f"uses: {self.use_name(row)} now {now}")
                    where = f"uses: {self.use_name(row)}: "
                    parts += self.source_parts(old.cited, row.cited, where)
            elif old is None:
                parts.append(f"added the section '{row.get_kind_display()}'")
            else:
                if old.body != row.body:
                    parts.append(f"section '{row.get_kind_display()}' rewritten")
                where = f"section '{row.get_kind_display()}': "
                parts += self.source_parts(old.cited, row.cited, where)
        for key, row in before.items():
            if key in after:
                continue
            if kind == NAMES:
                parts.append(f"removed the {self.name_kind(row)} {row.name}")
            elif kind == USES:
                parts.append(f"removed a use: {self.use_name(row)}")
            else:
                parts.append(f"removed the section '{row.get_kind_display()}'")
        return parts

    @staticmethod
    def name_kind(row):
        if hasattr(row, "get_kind_display"):
            return row.get_kind_display().lower()
        return "other name"

    def changes(self, before, after):
        """The parts of a change from public state `before` to `after`."""
        parts = []
        if after.withdrawn_at is not None:
            parts.append(f"withdrawn on {day(after.withdrawn_at)} and published again")
        for field in public_fields(self.model):
            old = getattr(before.version, field.attname)
            new = getattr(after.version, field.attname)
            if old != new:
                parts.append(self.field_part(field, old, new, after.version))
        for kind in (NAMES, USES, SECTIONS):
            parts += self.children_parts(
                kind, before.children.get(kind, {}), after.children.get(kind, {})
            )
        return parts + self.source_parts(
            before.children.get(SOURCES, {}), after.children.get(SOURCES, {})
        )

    @staticmethod
    def source_parts(before, after, where=""):
        """The sources cited or no longer cited ({source id: name}, by the names the page
        gives): the record's own, or (`where`: "uses: Lymphoma: ") a use's or a section's."""
        added = sorted(name for pk, name in after.items() if pk not in before)
        dropped = sorted(name for pk, name in before.items() if pk not in after)
        return [f"{where}added the source {name}" for name in added] + [
            f"{where}removed the source {name}" for name in dropped
        ]

    def review(self, before, after):
        """ "medically reviewed by …" if `after` records a review `before` did not hold."""
        new = after.version
        if new.last_reviewed is None or new.reviewer_id is None:
            return None
        old = before.version if before is not None else None
        if old is not None and (old.last_reviewed, old.reviewer_id) == (
            new.last_reviewed,
            new.reviewer_id,
        ):
            return None
        return f"medically reviewed by {new.reviewer.public_name}"
