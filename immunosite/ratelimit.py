"""Per-client rate limits, counted in the shared cache, for pages and the API alike.

Every limit is a `Limit` below: a name, the setting holding its rate (from an environment
variable, README "Settings") and what it does when the cache cannot count. Counting is
django-ratelimit's: a counter per client and fixed window in the "default" cache, created with
`add` and raised with `incr`, both atomic in Redis, so every app server sharing that Redis
counts together (without Redis each process counts alone). Clients are told apart by
`immunosite.clients.client_ip`; logged-in users' API writes by their account.

Pages are limited by `RateLimitMiddleware` (the table `PAGE_RULES`, by URL name); the API by
the DRF throttles in catalog/api/throttling.py, which use the same limits. A refused page is a
429 in the site's design (catalog/jinja2/429.html) with `Retry-After`; the type-ahead's JSON gets a
JSON 429; the API a problem+json 429. Pages served from the page cache (catalog/pagecache.py
answers before any view runs) are not counted.

When the cache is unavailable (immunosite/cache.py's breaker is open), reads are let through
uncounted (fail open: the site stays up), while logins and API writes are refused with a 503,
`Retry-After` and a message saying why (fail closed: no unlimited password guessing or writing
while nothing counts).
"""

from dataclasses import dataclass

from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import render
from django_ratelimit.core import get_usage

from . import cache as resilient_cache
from .clients import client_ip, parse_rate

CACHE_ALIAS = "default"


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after: int = 0
    unavailable: bool = False  # the cache could not count, and the limit fails closed


@dataclass(frozen=True)
class Limit:
    name: str
    setting: str  # the settings attribute holding the rate, e.g. "SEARCH_RATE"
    fail_closed: bool = False
    paused: str = ""  # what is refused while nothing counts ("Signing in"), if fail_closed

    def rate(self):
        return parse_rate(getattr(settings, self.setting), self.setting)

    def hit(self, request, ident):
        """Count one request of `ident` (an address, or "user:<pk>") and judge it."""
        usage = get_usage(
            request,
            group=f"limit:{self.name}",
            key=lambda group, request: ident,
            rate=self.rate(),
            increment=True,
        )
        if usage is not None:
            return Verdict(not usage["should_limit"], max(1, usage["time_left"]))
        if resilient_cache.available(CACHE_ALIAS) or not self.fail_closed:
            return Verdict(True)  # fail open (or a counter that expired as it was raised)
        return Verdict(False, resilient_cache.retry_after(CACHE_ALIAS), unavailable=True)

    def paused_message(self, retry_after):
        return (
            f"{self.paused} is paused for a moment: the site cannot count requests while its "
            f"cache is unavailable. Please try again in {in_words(retry_after)}."
        )


API = Limit("api", "API_ANON_RATE")
EXPORT = Limit("export", "EXPORT_RATE")
API_WRITE = Limit("api-write", "API_WRITE_RATE", fail_closed=True, paused="Changing data")
SEARCH = Limit("search", "SEARCH_RATE")
SUGGEST = Limit("suggest", "SUGGEST_RATE")
LOGIN = Limit("login", "LOGIN_RATE", fail_closed=True, paused="Signing in")
LIMITS = (API, EXPORT, API_WRITE, SEARCH, SUGGEST, LOGIN)


def in_words(seconds):
    """`Retry-After` for people: "1 second", "42 seconds", "3 minutes"."""
    if seconds < 120:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    minutes = -(-seconds // 60)
    return f"{minutes} minutes"


@dataclass(frozen=True)
class PageRule:
    limit: Limit
    methods: frozenset
    anonymous_only: bool = True
    json: bool = False  # answer in JSON (the type-ahead reads JSON, errors included)

    def applies(self, request):
        if request.method not in self.methods:
            return False
        return not (self.anonymous_only and request.user.is_authenticated)


READS = frozenset({"GET", "HEAD"})
# Which pages are limited, by URL name. The API's limits are DRF throttles
# (catalog/api/throttling.py); its exports (`format=csv|jsonl`) are the pages' downloads.
PAGE_RULES = {
    "catalog:search": PageRule(SEARCH, READS),
    "catalog:search-suggest": PageRule(SUGGEST, READS, json=True),
    "admin:login": PageRule(LOGIN, frozenset({"POST"}), anonymous_only=False),
}


def refusal(request, rule, verdict):
    """The 429 (or, failing closed, 503) a refused page request gets, with Retry-After."""
    wait = verdict.retry_after
    if verdict.unavailable:
        status, message = 503, rule.limit.paused_message(wait)
    else:
        status = 429
        message = (
            "You have sent too many requests in a short time. "
            f"Please try again in {in_words(wait)}."
        )
    if rule.json:
        response = JsonResponse({"detail": message}, status=status)
    else:
        template = "unavailable.html" if verdict.unavailable else "429.html"
        response = render(
            request, template, {"message": message, "retry_after": wait}, status=status
        )
    response["Retry-After"] = str(wait)
    response["Cache-Control"] = "no-store"
    return response


class RateLimitMiddleware:
    """Applies `PAGE_RULES` before the view runs (after the page cache, which answers hits
    itself)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        match = request.resolver_match
        rule = PAGE_RULES.get(match.view_name) if match else None
        if rule is None or not rule.applies(request):
            return None
        verdict = rule.limit.hit(request, client_ip(request))
        return None if verdict.allowed else refusal(request, rule, verdict)
