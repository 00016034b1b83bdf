"""The catalog's version for a request, and the HTTP caching policies, for the pages and the
API alike.

`CatalogVersionMiddleware` gives every request `request.catalog_version`: its `changed_at` is
when the catalog last changed (`catalog_last_modified()`, the CatalogVersion row that database
triggers move on every write to a content table), read the first time something asks and kept
for the rest of the request. The page cache's key and ETag, `Last-Modified`, the API envelope's
`last_updated` and the cached list counts (catalog/paging.py) share that one query.

One function per policy, each used wherever it applies:

- `revalidate_shared`: `public, no-cache`: a public page anonymous visitors share; caches may
  keep it but ask before reusing it (the 304 costs one query, and an edit shows on the very
  next request);
- `share_briefly`: `public, max-age=60`: anonymous API reads and the search suggestions;
- `keep_private`: `private, no-cache`: anything answered for a logged-in user;
- `set_last_modified`: `Last-Modified` from the catalog's version.
"""

from django.utils.cache import patch_cache_control
from django.utils.functional import cached_property
from django.utils.http import http_date

from .models import catalog_last_modified

SHARED_SECONDS = 60  # how long anonymous API reads and suggestions may be reused unasked


class CatalogVersion:
    """The catalog's version as one request sees it."""

    @cached_property
    def changed_at(self):
        """When the catalog last changed (None for an empty catalog): one primary-key lookup,
        the first time it is asked."""
        return catalog_last_modified()


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
