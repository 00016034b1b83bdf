"""Who a request comes from, and the rates clients are held to.

`client_ip(request)` is the one place that decides a request's client address. DRF's throttles,
django-axes' lockouts and the page rate limits (immunosite/ratelimit.py) all ask it.

It trusts forwarded headers only as far as the deployment says: `DJANGO_TRUSTED_PROXIES` is
the number of reverse proxies in front of the app (0 by default: the app is reached directly).
Each trusted proxy appends the address it was reached from to `X-Forwarded-For`, so the client
is the address the outermost trusted proxy saw: the N-th entry from the right, counting
REMOTE_ADDR (the innermost proxy) as the first. Whatever a client writes into the header itself
sits further left and is never read. With no trusted proxy the header is ignored.

The same number decides, in settings.py and gunicorn.conf.py, whether `X-Forwarded-Proto` says
if the request came over HTTPS. This module imports nothing heavy, so both can use it.
"""

import ipaddress
import os
import re

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

TRUE = {"1", "true", "yes", "on"}
FALSE = {"", "0", "false", "no", "off"}

PERIODS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}
RATE = re.compile(r"^\s*(\d+)\s*/\s*(second|minute|hour|day|s|m|h|d)\s*$", re.IGNORECASE)


def trusted_proxies(environ=os.environ):
    """How many reverse proxies in front of the app may be believed, from the environment:
    `DJANGO_TRUSTED_PROXIES` (a whole number), or 1 when only the older
    `DJANGO_BEHIND_TLS_PROXY=1` is set."""
    raw = environ.get("DJANGO_TRUSTED_PROXIES")
    behind = environ.get("DJANGO_BEHIND_TLS_PROXY", "").strip().lower()
    if behind not in TRUE | FALSE:
        raise ImproperlyConfigured(f"DJANGO_BEHIND_TLS_PROXY must be 1 or 0, not {behind!r}.")
    if raw is None or not raw.strip():
        return 1 if behind in TRUE else 0
    if not raw.strip().isdigit():
        raise ImproperlyConfigured(
            "DJANGO_TRUSTED_PROXIES must be the number of reverse proxies in front of the app "
            f"(0, 1, 2 …), not {raw!r}."
        )
    count = int(raw)
    if count == 0 and behind in TRUE:
        raise ImproperlyConfigured(
            "DJANGO_BEHIND_TLS_PROXY=1 says a proxy is in front of the app, but "
            "DJANGO_TRUSTED_PROXIES=0 says none is: set one of them."
        )
    return count


def forwarded_chain(meta):
    """The addresses a request passed through, client side first: X-Forwarded-For's entries,
    then REMOTE_ADDR."""
    forwarded = meta.get("HTTP_X_FORWARDED_FOR", "")
    chain = [part.strip() for part in forwarded.split(",") if part.strip()]
    return [*chain, meta.get("REMOTE_ADDR", "")]


def client_ip(request):
    """The client's address: REMOTE_ADDR, or behind N trusted proxies the address the outermost
    of them saw. A chain shorter than that (a request that bypassed a proxy) gives its
    left-most entry; an entry that is not an address gives REMOTE_ADDR."""
    remote = request.META.get("REMOTE_ADDR", "")
    proxies = settings.TRUSTED_PROXIES
    if not proxies:
        return remote
    chain = forwarded_chain(request.META)
    candidate = chain[max(len(chain) - 1 - proxies, 0)]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote


def parse_rate(value, name="rate"):
    """`"120/minute"` (or `120/m`; second, minute, hour, day) as (requests, seconds)."""
    match = RATE.match(str(value))
    if not match:
        raise ImproperlyConfigured(
            f"{name} must look like 120/minute (requests per second, minute, hour or day), "
            f"not {value!r}."
        )
    count, unit = match.groups()
    unit = unit.lower()
    seconds = PERIODS.get(unit) or next(s for p, s in PERIODS.items() if p[0] == unit)
    return int(count), seconds
