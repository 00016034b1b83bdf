"""Django's Redis cache, degraded to a cache that misses while Redis is unreachable.

A cache is an optimisation: when Redis is down, pages and API calls (whose throttling uses the
cache) are served uncached instead of failing with a 500. Each failure is logged.
"""

import functools
import logging

from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

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


def _tolerant(name, method):
    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except RedisError as error:
            logger.warning("Redis unavailable, cache %s skipped: %s", name, error)
            return FALLBACKS[name](*args, **kwargs)

    return wrapper


class ResilientRedisCache(RedisCache):
    pass


for _name in FALLBACKS:
    setattr(ResilientRedisCache, _name, _tolerant(_name, getattr(RedisCache, _name)))
