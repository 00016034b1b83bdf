"""The editors' admin, one module per concern: history.py (history, compare, revert, refused
stale and busy saves), publishing.py (publish / unpublish and who may), review.py (medical review:
the filters, the actions, the change form's banner), review_pages.py (the review dashboard, queue
and a record's review), then one module per kind of record, as in catalog/models/.
`admin.autodiscover` imports this package, which imports every module in it: a new model's admin
needs only its own module. The site they register on is immunosite/admin.py's."""

from ..loading import import_submodules

__all__ = import_submodules(__name__, globals())
