"""The API's rate limits: DRF throttles over the site's limits (immunosite/ratelimit.py), so
the API and the pages count the same way, in the same shared cache, per client as
immunosite.clients.client_ip decides.

- Anonymous clients: every request, at API_ANON_RATE (DJANGO_API_ANON_RATE).
- Anonymous exports (`format=csv|jsonl` or an `Accept` asking for them): also EXPORT_RATE.
- Writes (POST, PUT, PATCH, DELETE) by logged-in editors: API_WRITE_RATE per account. They fail
  closed: while the cache is unavailable, a write is a 503 with Retry-After.

A refusal is a 429 problem with Retry-After (catalog/api/problems.py). Rates are read on each
request, so the variables and tests can change them.
"""

from rest_framework import exceptions, throttling

from immunosite import ratelimit
from immunosite.clients import client_ip

from .exports import EXPORT_RENDERERS


class LimitUnavailable(exceptions.APIException):
    """A limit that fails closed could not count: DRF adds Retry-After from `wait`."""

    status_code = 503
    default_code = "limit_unavailable"

    def __init__(self, detail, wait):
        super().__init__(detail)
        self.wait = wait


class LimitThrottle(throttling.BaseThrottle):
    limit = None

    def applies(self, request, view):
        return not request.user.is_authenticated

    def ident(self, request):
        return client_ip(request)

    def allow_request(self, request, view):
        if not self.applies(request, view):
            return True
        verdict = self.limit.hit(request, self.ident(request))
        if verdict.unavailable:
            wait = verdict.retry_after
            raise LimitUnavailable(self.limit.paused_message(wait), wait)
        self.retry_after = verdict.retry_after
        return verdict.allowed

    def wait(self):
        return self.retry_after


class AnonRateThrottle(LimitThrottle):
    """Anonymous clients, every request."""

    limit = ratelimit.API


class ExportRateThrottle(LimitThrottle):
    """Anonymous downloads of whole lists (CSV, JSON Lines)."""

    limit = ratelimit.EXPORT

    def applies(self, request, view):
        renderer = getattr(request, "accepted_renderer", None)
        return super().applies(request, view) and isinstance(renderer, EXPORT_RENDERERS)


class WriteRateThrottle(LimitThrottle):
    """Writes, per account (anonymous writes are refused before throttling)."""

    limit = ratelimit.API_WRITE

    def applies(self, request, view):
        return request.method not in ("GET", "HEAD", "OPTIONS")

    def ident(self, request):
        if request.user.is_authenticated:
            return f"user:{request.user.pk}"
        return client_ip(request)
