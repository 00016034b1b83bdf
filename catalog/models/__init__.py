"""The catalog's models, one module per kind of record (base.py holds what they share). Every
module here is imported and its `__all__` re-exported, so `from catalog.models import Therapy`
works and a new model needs only its own module; the derived tables (the search index, the
version row) come last, built from what the content models declare (registry.py)."""

from ..loading import import_submodules

__all__ = import_submodules(__name__, globals(), last=("registry", "version", "search"))
