"""Checks of the catalog's content: the checks panel of a record's change form (checks.py) and
the link checks of the sources' URLs (links.py, run by `manage.py check_links`)."""

from .checks import (
    AIM_GRADE,
    BadInput,
    Checks,
    Draft,
    checks_of,
    checks_of_form,
    reading_grade,
    reading_minutes,
    word_count,
)

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
