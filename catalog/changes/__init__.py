"""What changed, for readers: the published changes of a record, and of the whole site, as
entries (a date, a kind, plain-words parts), read from django-simple-history.

Only published states are compared (catalog/changes/states.py): a version counts once the
record was public in it (the records' own schedule rule, `Publishable.schedule_state`); drafts
in between are skipped, so a run of draft edits reads as their net effect and an edit reverted
before publishing never shows. Consecutive public states are compared in the site's words
(catalog/changes/wording.py): "added the brand name MabThera", "uses: Rheumatoid arthritis now
'in combination with methotrexate'", "summary rewritten"; reviews are entries of their own
("medically reviewed by Jane Doe, MD"). Internal fields (status, the review workflow, editors,
ids, update times) are never read into an entry.

The pages, the Atom feed and the API read these functions and nothing else:

- `record_changes(record)`: one record's entries, newest first, in a fixed number of queries;
- `site_changes()`: the entries of the public records changed last (catalog/changes/recent.py:
  by their versions, their children's, and the moves in or out of view of the records they
  depend on), newest first, in a bounded number of queries whatever the number of records.
"""

from .entries import Entry, record_changes, site_changes

__all__ = ["Entry", "record_changes", "site_changes"]
