"""Django's Redis cache, degraded to a cache that misses while Redis is unreachable.

A cache is an optimisation: when Redis is down, pages and API calls are served uncached instead
of failing with a 500. Each call is bounded by short socket timeouts (`REDIS_TIMEOUT`, default
0.1 s for connecting and for each reply, no retries), and a failure opens a circuit breaker: for
`REDIS_RETRY_INTERVAL` seconds (default 5) every cache call answers like a miss at once, without
touching the network, then one call tries Redis again. So a frozen Redis costs one timeout per
interval and process, not one per cache call, and the outage is logged once per interval.

The breaker is per Redis server (its LOCATION) and process, shared by the caches using that
server ("default" and "pages") and by the threads of the process. `available(alias)` tells
whether a cache can be relied on right now: the rate limits (immunosite/ratelimit.py) refuse
writes and logins when it cannot.
"""

import functools
import logging
import threading
import time

from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from redis.backoff import NoBackoff
from redis.exceptions import RedisError
from redis.retry import Retry

logger = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 0.1
DEFAULT_RETRY_INTERVAL = 5.0

# What each operation answers while Redis is down: reads miss, writes do nothing.
FALLBACKS = {
    "get": lambda *a, **kw: kw.get("default", a[1] if len(a) > 1 else None),
    "get_many": lambda *a, **kw: {},
    "has_key": lambda *a, **kw: False,
    "add": lambda *a, **kw: False,
    "set": lambda *a, **kw: None,
    "set_many": lambda *a, **kw: [],
    "touch": lambda *a, **kw: False,
    "delete": lambda *a, **kw: False,
    "delete_many": lambda *a, **kw: None,
    "clear": lambda *a, **kw: False,
    "incr": lambda *a, **kw: None,
}


class Breaker:
    """Open (Redis skipped) for `interval` seconds after a failure; then one call tries again."""

    def __init__(self, location, interval):
        self.location = location
        self.interval = interval
        self.open_until = 0.0
        self.down = False
        self.lock = threading.Lock()

    def allows(self):
        """Whether a call may go to Redis now (closed, or the interval since the last failure
        is over). While the interval runs, only the first caller after it gets through."""
        with self.lock:
            now = time.monotonic()
            if now < self.open_until:
                return False
            if self.down:
                self.open_until = now + self.interval  # one trial call; the others skip
            return True

    def failed(self, operation, error):
        with self.lock:
            self.open_until = time.monotonic() + self.interval
            self.down = True
        logger.warning(
            "Redis unavailable (%s: %s): the cache is skipped for %g s, pages are served uncached",
            operation,
            error,
            self.interval,
        )

    def succeeded(self):
        if not self.down:
            return
        with self.lock:
            was_down, self.down, self.open_until = self.down, False, 0.0
        if was_down:
            logger.warning("Redis available again: the cache is used again")

    def retry_after(self):
        """Seconds until Redis is tried again (at least 1)."""
        return max(1, round(self.open_until - time.monotonic() + 0.5))


_breakers = {}
_breakers_lock = threading.Lock()


def breaker_for(location, interval):
    with _breakers_lock:
        if location not in _breakers:
            _breakers[location] = Breaker(location, interval)
        return _breakers[location]


def _tolerant(name, method):
    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        if not self.breaker.allows():
            return FALLBACKS[name](*args, **kwargs)
        try:
            result = method(self, *args, **kwargs)
        except RedisError as error:
            self.breaker.failed(name, error)
            return FALLBACKS[name](*args, **kwargs)
        self.breaker.succeeded()
        return result

    return wrapper


class ResilientRedisCache(RedisCache):
    """OPTIONS may set `socket_timeout` / `socket_connect_timeout` (seconds, default 0.1) and
    `retry_interval` (seconds the breaker stays open, default 5); redis-py never retries."""

    def __init__(self, server, params):
        options = dict(params.get("OPTIONS", {}))
        interval = float(options.pop("retry_interval", DEFAULT_RETRY_INTERVAL))
        options.setdefault("socket_timeout", DEFAULT_TIMEOUT)
        options.setdefault("socket_connect_timeout", options["socket_timeout"])
        options.setdefault("retry", Retry(NoBackoff(), 0))
        super().__init__(server, {**params, "OPTIONS": options})
        location = server if isinstance(server, str) else ",".join(server)
        self.breaker = breaker_for(location, interval)

    def available(self):
        """False while the breaker is open (Redis failed within the last interval)."""
        return not self.breaker.down

    def retry_after(self):
        return self.breaker.retry_after()


for _name in FALLBACKS:
    setattr(ResilientRedisCache, _name, _tolerant(_name, getattr(RedisCache, _name)))


def available(alias="default"):
    """Whether the cache `alias` works right now (always, for caches other than Redis)."""
    cache = caches[alias]
    return cache.available() if isinstance(cache, ResilientRedisCache) else True


def retry_after(alias="default"):
    """Seconds until the cache `alias` is tried again after an outage (1 when it is up)."""
    cache = caches[alias]
    return cache.retry_after() if isinstance(cache, ResilientRedisCache) else 1
