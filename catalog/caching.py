"""The catalog's version for a request, and the HTTP caching policies, for the pages and the
API alike.

`CatalogVersionMiddleware` gives every request `request.catalog_version`: its `stamp` moves on
every write to a content table (the CatalogVersion row that database triggers move) and at
every scheduled boundary passed (a record going live or expiring), and its `changed_at` is when
either last happened (catalog/models/version.py `catalog_version()`), read the first time
something asks and kept for the rest of the request. The page cache's key and ETag, record
ETags, `Last-Modified`, the API envelope's `last_updated` and the cached list counts
(catalog/paging.py) share that one query (and, after a write or once a boundary passes, one
more in each process, for the next boundary).

One function per policy, each used wherever it applies:

- `revalidate_shared`: `public, no-cache`: a public page anonymous visitors share; caches may
  keep it but ask before reusing it (the 304 costs one query, and an edit shows on the very
  next request);
- `share_briefly`: `public, max-age=60`: anonymous API reads and the search suggestions;
- `keep_private`: `private, no-cache`: anything answered for a logged-in user;
- `set_last_modified`: `Last-Modified` from the catalog's version.

`cached_for_version` keeps what a page derives from the whole catalog (the glossary's terms to
link, a record's "What changed") under the version too: computed once per version, not on
every request, and never older than the last write or boundary passed.
"""

import hashlib

from django.core.cache import cache
from django.utils.cache import patch_cache_control
from django.utils.functional import cached_property
from django.utils.http import http_date

from .models import catalog_version

SHARED_SECONDS = 60  # how long anonymous API reads and suggestions may be reused unasked
VALUE_SECONDS = 600  # how long a value kept under a version stays (a new version never reads it)


class CatalogVersion:
    """The catalog's version as one request sees it (models/version.py `catalog_version()`),
    read the first time something asks and kept for the rest of the request."""

    @cached_property
    def current(self):
        return catalog_version()

    @property
    def changed_at(self):
        """When what the public sees last changed, a write or a scheduled boundary passed
        (None for an empty catalog): Last-Modified."""
        return self.current.changed_at if self.current else None

    @property
    def stamp(self):
        """What caches and ETags key on (None for an empty catalog): it moves on every write
        and at every scheduled boundary."""
        return self.current.stamp if self.current else None


class CatalogVersionMiddleware:
    """Sets `request.catalog_version` (see CatalogVersion): a lazy attribute, as
    `request.user`, so a request that never asks makes no query."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.catalog_version = CatalogVersion()
        return self.get_response(request)


def revalidate_shared(response):
    patch_cache_control(response, public=True, no_cache=True)


def share_briefly(response):
    patch_cache_control(response, public=True, max_age=SHARED_SECONDS)


def keep_private(response):
    patch_cache_control(response, private=True, no_cache=True)


def last_modified_header(changed_at):
    """`{"Last-Modified": …}` for the catalog's version, `{}` for an empty catalog."""
    return {} if changed_at is None else {"Last-Modified": http_date(changed_at.timestamp())}


def set_last_modified(response, changed_at):
    for name, value in last_modified_header(changed_at).items():
        response[name] = value


def cached_for_version(request, name, compute, *parts):
    """`compute()`, kept in the cache under the request's catalog version, `name` and `parts`
    (which say what it is of, e.g. a record's label and id): computed once per version. Computed
    every time for an empty catalog (no version). `compute` must not return None."""
    stamp = request.catalog_version.stamp
    if stamp is None:
        return compute()
    digest = hashlib.sha256(repr((stamp, name, parts)).encode()).hexdigest()
    key = f"version-value:{digest}"
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, VALUE_SECONDS)
    return value
