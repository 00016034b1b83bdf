"""What the catalog's models declare about themselves, collected: which tables move the
catalog's version, which records are searchable, reviewed, or have public pages. Read at run
time from Django's app registry, so a new model is found by being defined."""

from django.apps import apps

from .base import Publishable, ReviewedContent
from .search import searchable

__all__ = []


def catalog_models():
    """The app's concrete models, history tables left out."""
    return [model for model in apps.get_app_config("catalog").get_models() if not is_history(model)]


def is_history(model):
    """A django-simple-history table (its own record of changes, derived from the others)."""
    return hasattr(model, "instance_type") and model.__name__.startswith("Historical")


def is_derived(model):
    """Derived data (the search index, the version row), or history: not versioned."""
    return getattr(model, "derived", False) or is_history(model)


def versioned_models():
    """Every content model: a write to it moves the catalog's version."""
    return [model for model in catalog_models() if not is_derived(model)]


def versioned_tables():
    """The tables of the versioned models and of their many-to-many links (sources)."""
    tables = []
    for model in versioned_models():
        tables.append(model._meta.db_table)
        for field in model._meta.local_many_to_many:
            tables.append(field.remote_field.through._meta.db_table)
    return sorted(set(tables))


def searchable_models():
    """In the order their groups of search results come."""
    return searchable()


def reviewed_models():
    """Records that carry a medical review (ReviewedContent)."""
    return [model for model in catalog_models() if issubclass(model, ReviewedContent)]


def publishable_models():
    """Records with a status and a schedule (Publishable)."""
    return [model for model in catalog_models() if issubclass(model, Publishable)]


def page_names():
    """URL names (namespace "catalog") of the records' public pages."""
    return {name for model in catalog_models() for name in getattr(model, "page_names", ())}
