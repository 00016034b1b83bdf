"""Anonymous visitors' public pages: 304s and a page cache keyed by the catalog's version.

For a GET or HEAD of a public catalog page (`PAGES`) from a visitor without a session cookie,
`PageCacheMiddleware` asks once when the catalog last changed (`request.catalog_version`,
catalog/caching.py: the CatalogVersion row that database triggers move on every write to a
content table, one primary-key lookup, shared with the view). That version, the release (a
hash of the code and templates, so a deploy starts afresh) and the absolute URL make the cache
key and the ETag. Then:

1. `If-None-Match` with that ETag: 304, nothing rendered. (An ETag is only ever sent with a 200
   for exactly that URL and version, so a match proves the page is unchanged.)
2. A cached copy: served as it is, or 304 for `If-Modified-Since` (checked against a cached 200
   only, so a URL that is a 404 never answers 304).
3. Otherwise the view renders; a 200 that nothing made user-specific (no cookie, as a session
   change or a message sets, no CSRF token or CSP nonce in the body, no `Vary` beyond `Cookie`)
   is stored in the "pages" cache (local memory per process, or Redis when REDIS_URL is set),
   with its gzip compression, made once, then (immunosite/compression.py): a hit for a client that
   takes gzip is served compressed without compressing anything.

Every write to the catalog's tables (admin, API, admin actions, management commands, bulk
loads, raw SQL: the triggers see them all, in the writing transaction) changes the version, so
the next request misses and renders: invalidation without signals or hooks in save(). A
scheduled boundary (a record going live or expiring: models/schedule.py) moves it too, at that
moment, with no write: the version knows the next boundary and reads the one after it once the
clock passes it, so no cached page or 304 outlives a scheduled change.

Editors and staff (any request with a session cookie) are never served from nor stored in the
cache, and their responses are marked `private` (the caching policies: catalog/caching.py).

The middleware sits below every other one except django-axes (which wants to be last), so a
cached page still passes through the security, CSP, frame and content-length middleware on its
way out, exactly as a rendered one does; ConditionalGetMiddleware finds the ETag set and
handles `If-Modified-Since` on rendered pages.
"""

import functools
import hashlib
from pathlib import Path

from django.conf import settings
from django.core.cache import caches
from django.http import HttpResponse
from django.urls import Resolver404, resolve
from django.utils.cache import cc_delim_re, get_conditional_response, patch_vary_headers
from django.utils.http import parse_http_date_safe

from immunosite import compression

from . import caching
from .models import registry

CACHE_ALIAS = "pages"
# URL names (namespace "catalog") of the pages cached for anonymous visitors: their content
# depends only on the catalog and the URL. Not the staff previews, robots.txt, or the search
# type-ahead's JSON (it sets its own Cache-Control).
# The records' own pages come from what their models declare (`page_names`).
SITE_PAGES = frozenset(
    {
        "home",
        "glossary",
        "a-z",
        "matrix",
        "search",
        "sitemap",
        "sitemap-section",
        "whats-new",
        "whats-new-feed",
    }
)


@functools.cache
def pages():
    return SITE_PAGES | registry.page_names()


MAX_BODY_BYTES = 512 * 1024  # bigger pages are rendered every time
# What the release hash covers: whatever shapes a page besides the data.
RELEASE_SUFFIXES = {".py", ".html", ".txt", ".xml", ".json", ".css", ".js"}


@functools.cache
def release():
    """A hash of the project's code, templates and static files (and the static manifest when
    there is one), computed once per process. It is part of every key and ETag, so a deploy
    that changes a template never serves, or answers 304 for, pages of the previous one, even
    from a Redis cache that outlived the deploy."""
    digest = hashlib.md5(usedforsecurity=False)
    base = Path(settings.BASE_DIR)
    roots = [base / "catalog", base / "immunosite", base / "templates", base / "static"]
    files = [
        path
        for root in roots
        for path in root.rglob("*")
        if path.suffix in RELEASE_SUFFIXES and "__pycache__" not in path.parts
    ]
    manifest = Path(settings.STATIC_ROOT) / "staticfiles.json"
    if manifest.is_file():
        files.append(manifest)
    for path in sorted(files):
        digest.update(str(path.relative_to(base) if path.is_relative_to(base) else path).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


@functools.lru_cache(maxsize=1024)
def is_public_page(urlconf, path):
    """Whether `path` is one of the cached pages (resolved once per path and process)."""
    try:
        match = resolve(path, urlconf)
    except Resolver404:
        return False
    return match.namespace == "catalog" and match.url_name in pages()


class PageCacheMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method not in ("GET", "HEAD") or not is_public_page(
            getattr(request, "urlconf", None) or settings.ROOT_URLCONF, request.path_info
        ):
            return self.get_response(request)
        if settings.SESSION_COOKIE_NAME in request.COOKIES:
            # Staff and editors (the only users with sessions) always get a fresh page.
            response = self.get_response(request)
            if response.status_code == 200:
                caching.keep_private(response)
                patch_vary_headers(response, ["Cookie"])
            return response

        version = request.catalog_version  # the view reads it again, at no query
        url = f"{request.scheme}://{request.get_host()}{request.get_full_path()}"
        stamp = version.stamp or "empty"
        digest = hashlib.md5(
            f"{release()}|{stamp}|{url}".encode(), usedforsecurity=False
        ).hexdigest()
        validators = {"ETag": f'"{digest}"', **caching.last_modified_header(version.changed_at)}

        if request.META.get("HTTP_IF_NONE_MATCH"):
            # The ETag names this URL at this version: a match needs no rendering, cached
            # copy or not.
            headers_only = HttpResponse(headers=validators)
            self.set_headers(headers_only)
            answer = self.conditional(request, headers_only)
            if answer is not headers_only:
                return answer

        cache = caches[CACHE_ALIAS]
        key = f"page:{digest}"
        entry = cache.get(key)
        if entry is not None:
            content, headers, gzipped = entry
            response = HttpResponse(content, headers=headers)
            compression.serve_gzipped(request, response, gzipped)
            if request.META.get("HTTP_IF_MODIFIED_SINCE"):
                return self.conditional(request, response)
            return response

        response = self.get_response(request)
        if response.status_code != 200 or not self.shareable(request, response):
            return response
        for name, value in validators.items():
            response[name] = value
        self.set_headers(response)
        if len(response.content) <= MAX_BODY_BYTES:
            gzipped = compression.gzipped(request, response)
            cache.set(key, (response.content, dict(response.items()), gzipped))
            compression.serve_gzipped(request, response, gzipped)
        return response

    @staticmethod
    def conditional(request, response):
        """304 when the request's If-None-Match / If-Modified-Since match `response`'s
        validators, else `response` itself."""
        return get_conditional_response(
            request,
            etag=response["ETag"],
            last_modified=parse_http_date_safe(response.get("Last-Modified", "")),
            response=response,
        )

    @staticmethod
    def set_headers(response):
        caching.revalidate_shared(response)
        patch_vary_headers(response, ["Cookie"])

    @staticmethod
    def shareable(request, response):
        """A 200 with nothing in it, or about it, that belongs to this one visitor. Anything
        else keeps the headers the view gave it and is not stored."""
        if response.streaming or response.cookies:
            return False
        if compression.carries_csrf_token(request):
            return False  # the body holds this request's CSRF token
        if getattr(request, "csp_nonce", None):
            # django-csp's nonce is true once it was made: the body may hold it.
            return False
        # A changed session or a queued message shows as a cookie: the session and messages
        # middleware, below this one, have set it by the time the response gets here.
        directives = cc_delim_re.split(response.get("Cache-Control", ""))
        if {d.split("=")[0].strip().lower() for d in directives} & {"private", "no-store"}:
            return False
        # The key holds the URL only: a page that varies on another header is not shared.
        varies = {h.strip().lower() for h in cc_delim_re.split(response.get("Vary", ""))}
        return varies <= {"cookie", ""}
