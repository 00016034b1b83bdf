"""The checks of a record's public text, as its change form shows them (Wagtail's "Checks"):
word count and reading time of what the public reads, the reading grade of the summary and of
each page section, and warnings an editor can act on, each saying what to do. Computed from a
saved record (`checks_of`) or from a change form's data as typed (`checks_of_form`), through
one `Draft`, so the page and the panel's live updates agree. The reading grade is the one the
content tests hold the catalog to (`reading_grade`); names are compared as search compares them
(catalog/text.py)."""

import math
from dataclasses import dataclass, field

import textstat
from django.utils import timezone
from django.utils.formats import date_format

from ..models import LinkCheck, Section, Source
from ..text import normalise, without_repeats

__all__ = [
    "AIM_GRADE",
    "BadInput",
    "Checks",
    "Draft",
    "checks_of",
    "checks_of_form",
    "reading_grade",
    "reading_minutes",
    "word_count",
]

AIM_GRADE = 9  # summaries read at grade 9 or below (tests/test_readability.py holds the median)
WORDS_PER_MINUTE = 200
MAX_ROWS = 1000  # inline rows read from a form
SECTION_KINDS = {"therapy": Section.THERAPY_KINDS, "condition": Section.CONDITION_KINDS}


def reading_grade(text):
    """The Flesch-Kincaid grade of `text` (textstat), to one decimal; None for no text."""
    if not (text or "").strip():
        return None
    return round(textstat.flesch_kincaid_grade(text), 1)


def word_count(text):
    return textstat.lexicon_count(text or "")


def reading_minutes(words):
    """Minutes to read `words` words at an unhurried pace (at least one, when there are any)."""
    return math.ceil(words / WORDS_PER_MINUTE)


class BadInput(ValueError):
    """Form data the checks cannot read (a source that is not an id, a row count that is not
    a number): the message says which field."""


@dataclass
class Draft:
    """What the checks read of a record, saved or as typed: its kind, name, summary,
    description, page sections ({kind: (text, cites a source)}; None for a kind of record
    without sections), other names ([(name, kind in words)]) and the ids of the sources cited
    by the record and by its sections."""

    model: type
    name: str = ""
    summary: str = ""
    description: str = ""
    sections: dict | None = None
    names: list = field(default_factory=list)
    source_ids: list = field(default_factory=list)
    section_source_ids: list = field(default_factory=list)

    @classmethod
    def of(cls, record):
        model = type(record)
        draft = cls(
            model,
            name=record.name,
            summary=record.summary,
            description=getattr(record, "description", ""),
            source_ids=[source.pk for source in record.sources.all()] if record.pk else [],
        )
        if model._meta.model_name in SECTION_KINDS:
            draft.sections = {}
        if record.pk is None:  # a new record's form, before anything is typed
            return draft
        if draft.sections is not None:
            for section in record.sections.all():
                ids = [source.pk for source in section.sources.all()]
                draft.sections[section.kind] = (section.body, bool(ids))
                draft.section_source_ids += ids
        if hasattr(record, "other_names"):
            kinds = name_kinds(model)
            draft.names = [
                (n.name, kinds.get(getattr(n, "kind", ""), "other name"))
                for n in record.other_names.all()
            ]
        return draft

    @classmethod
    def of_form(cls, model, data):
        """From a change form's data (a QueryDict: the admin's field names and inline
        prefixes); BadInput when it cannot be read."""
        if "summary" not in data:
            raise BadInput("Send the change form's fields: there is no summary.")
        draft = cls(
            model,
            name=data.get("name", ""),
            summary=data.get("summary", ""),
            description=data.get("description", ""),
            source_ids=source_ids(data, "sources"),
        )
        if model._meta.model_name in SECTION_KINDS:
            draft.sections = {}
            for prefix, row in formset_rows(data, "sections"):
                ids = source_ids(data, f"{prefix}-sources")
                draft.sections[row.get("kind", "")] = (row.get("body", ""), bool(ids))
                draft.section_source_ids += ids
        if hasattr(model, "other_names"):
            kinds = name_kinds(model)
            draft.names = [
                (row["name"], kinds.get(row.get("kind", ""), "other name"))
                for _, row in formset_rows(data, "other_names")
                if row.get("name", "").strip()
            ]
        return draft

    @property
    def public_text(self):
        """What the record's page shows: the summary, the description without the summary's
        sentences (as the page shows it) and the sections."""
        sections = [text for text, _ in (self.sections or {}).values()]
        description = without_repeats(self.description, self.summary)
        return "\n\n".join([self.summary, description, *sections])


def name_kinds(model):
    """{kind: kind in words} of the model's other names ("brand" -> "brand name")."""
    names = model._meta.get_field("other_names").related_model
    try:
        kind = names._meta.get_field("kind")
    except Exception:
        return {}
    return {value: str(label).lower() for value, label in kind.flatchoices}


def source_ids(data, key):
    ids = []
    for value in data.getlist(key) if hasattr(data, "getlist") else data.get(key, []):
        if not value:
            continue
        try:
            ids.append(int(value))
        except (TypeError, ValueError):
            raise BadInput(f"{key}: “{value}” is not the id of a source.") from None
    return ids


def formset_rows(data, prefix):
    """(row prefix, {field: value}) of each row of inline formset `prefix` not marked for
    deletion."""
    total = data.get(f"{prefix}-TOTAL_FORMS", "0") or "0"
    try:
        total = int(total)
    except ValueError:
        raise BadInput(f"{prefix}-TOTAL_FORMS: “{total}” is not a number of rows.") from None
    if not 0 <= total <= MAX_ROWS:
        raise BadInput(f"{prefix}-TOTAL_FORMS: between 0 and {MAX_ROWS} rows, not {total}.")
    for index in range(total):
        row = f"{prefix}-{index}"
        if data.get(f"{row}-DELETE"):
            continue
        yield row, {key[len(row) + 1 :]: data.get(key) for key in data if key.startswith(row + "-")}


@dataclass
class Grade:
    label: str
    grade: float | None

    @property
    def above_aim(self):
        return self.grade is not None and self.grade > AIM_GRADE


@dataclass
class Checks:
    aim = AIM_GRADE
    words: int
    minutes: int
    grades: list
    warnings: list


def checks_of(record):
    return checks(Draft.of(record))


def checks_of_form(model, data):
    return checks(Draft.of_form(model, data))


def checks(draft):
    words = word_count(draft.public_text)
    summary = Grade("Summary", reading_grade(draft.summary))
    grades = [summary]
    warnings = []
    if not draft.source_ids:
        warnings.append("No source cited: add the source this text comes from under Sources.")
    if summary.above_aim:
        warnings.append(
            f"Summary reads at grade {summary.grade:.1f} — aim for {AIM_GRADE} or below: "
            "shorter sentences and everyday words."
        )
    if draft.sections is not None:
        empty = []
        for kind in SECTION_KINDS[draft.model._meta.model_name]:
            text, cited = draft.sections.get(kind, ("", False))
            grades.append(Grade(kind.label, reading_grade(text)))
            if not text.strip():
                empty.append(kind.label)
            elif not cited:
                warnings.append(f"“{kind.label}” cites no source: add one to the section.")
        if empty:
            warnings.append(empty_sections(empty))
    warnings += repeated_names(draft)
    warnings += broken_sources([*draft.source_ids, *draft.section_source_ids])
    return Checks(words, reading_minutes(words), grades, warnings)


def empty_sections(labels):
    if len(labels) == 1:
        return (
            f"“{labels[0]}” is empty: the page says “Not yet written”. Write it under the "
            "page's sections, with its source."
        )
    listed = "; ".join(f"“{label}”" for label in labels)
    return (
        f"{len(labels)} sections are empty ({listed}): the page says “Not yet written” for "
        "each. Write them under the page's sections, with their sources."
    )


def repeated_names(draft):
    """A warning per name listed more than once, compared as search compares names."""
    own = draft.model._meta.verbose_name
    listed = [(draft.name, f"the {own}'s name"), *draft.names]
    by_key = {}
    for name, kind in listed:
        if normalise(name):
            by_key.setdefault(normalise(name), []).append((name, kind))
    warnings = []
    for same in by_key.values():
        if len(same) > 1:
            times = "twice" if len(same) == 2 else f"{len(same)} times"
            forms = "; ".join(f"“{name}”, {kind}" for name, kind in same)
            warnings.append(
                f"“{same[0][0]}” is listed {times} ({forms}): delete the extra one under "
                "Other names."
            )
    return warnings


def broken_sources(ids):
    """A warning per cited source whose URL did not answer at the last link check."""
    sources = Source.objects.filter(pk__in=set(ids)).order_by("title", "pk")
    checks = {c.url: c for c in LinkCheck.objects.filter(url__in=sources.values("url"), ok=False)}
    warnings = []
    for source in sources:
        check = checks.get(source.url)
        if check is None:
            continue
        when = date_format(timezone.localtime(check.checked_at), "j F Y, H:i")
        warnings.append(
            f"Source “{source.title}” did not answer at the last link check ({when}): "
            f"{check.outcome}. Correct its URL ({source.url}) on the source's page, or cite "
            "another source."
        )
    return warnings
