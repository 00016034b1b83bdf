"""Version tokens and ETags of catalog records: one rule for API reads, API writes and the
admin's stale-save check.

- A record's *version token* (`record_token`) comes from its own `updated_at`, which every
  save of its row moves. It tells whether *this* record changed since a client read it: a
  write's `If-Match` compares it (`if_match_allows`), and so does the admin's stale-save check
  (catalog/admin/history.py VersionedForm carries it in the form), so edits to other records
  never refuse a write. `token_time` reads the `updated_at` back.
- The ETag of a record's GET (`record_etag`) is `"<token>.<digest>"`. The digest covers the
  catalog's version (`CatalogVersion.counter`, which database triggers move on every write to
  any content, name or source-link table: a renamed class, a new brand name or indication),
  the release (code and templates), the record, the representation asked for (media type,
  `fields`) and who asks (drafts and the browsable API depend on it). So a 304 is never wrong,
  and the ETag does not depend on the Host the record was reached through (its `html_url` does).
  A write answers with the ETag the next GET would give, to chain the next write with.
"""

import datetime
import hashlib

from .models import catalog_version
from .pagecache import release

EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)
MICROSECOND = datetime.timedelta(microseconds=1)


def record_token(record):
    """The record's own version: `updated_at` in microseconds, in hexadecimal."""
    if record.updated_at is None:
        return "0"
    return format((record.updated_at - EPOCH) // MICROSECOND, "x")


def token_time(token):
    """The `updated_at` a version token was made from; None if `token` is not one."""
    if not (token.isascii() and token.isalnum()):
        return None
    try:
        return EPOCH + int(token, 16) * MICROSECOND
    except ValueError:
        return None


def catalog_stamp():
    """The catalog's version as caches key on it (models/version.py): it moves on every write
    and at every scheduled boundary passed. One primary-key lookup ("" when empty)."""
    version = catalog_version()
    return version.stamp if version else ""


def record_etag(record, media_type, fields="", viewer=None, stamp=None):
    """The quoted ETag of `record` as `media_type`, with `fields` selected, for user pk
    `viewer` (None: anonymous), at the catalog version `stamp` (None: read it now)."""
    parts = [
        release(),
        catalog_stamp() if stamp is None else stamp,
        record._meta.label,
        record.pk,
        media_type,
        fields,
        viewer or "",
    ]
    digest = hashlib.md5("|".join(map(str, parts)).encode(), usedforsecurity=False)
    return f'"{record_token(record)}.{digest.hexdigest()[:16]}"'


def if_match_allows(header, record):
    """Whether an If-Match header lets a write to `record` through: `*`, or any listed strong
    ETag whose token part is the record's current token (RFC 9110: weak ETags never match)."""
    current = record_token(record)
    for tag in header.split(","):
        tag = tag.strip()
        if tag == "*":
            return True
        strong = len(tag) > 1 and tag.startswith('"') and tag.endswith('"')
        if strong and tag[1:-1].split(".", 1)[0] == current:
            return True
    return False
