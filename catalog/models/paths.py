"""The paths of records' pages: `slug_path(url_name, slug)` is `reverse(url_name,
args=[slug])`, with the path around the slug reversed once per URL name, URL configuration and
prefix. A condition's page links a hundred records; reversing each took a tenth of its time."""

import functools
import re

from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse

__all__ = ["around_slug", "current_urls", "slug_path"]

PLACEHOLDER = "row-slug-placeholder"
# What Django's `slug` path converter matches: such a slug is written into a path as it is.
SLUG = re.compile(r"[-a-zA-Z0-9_]+")


@functools.lru_cache(maxsize=128)
def _around(url_name, urlconf, script_prefix):
    path = reverse(url_name, urlconf=urlconf, args=[PLACEHOLDER])
    before, found, after = path.partition(PLACEHOLDER)
    assert found, f"{url_name} does not take a slug"
    return before, after


def current_urls():
    """(URL configuration, URL prefix) of the request being served: what a path depends on."""
    return get_urlconf() or settings.ROOT_URLCONF, get_script_prefix()


def around_slug(url_name):
    """(before, after): the path of `url_name` around its slug."""
    return _around(url_name, *current_urls())


def slug_path(url_name, slug):
    """The path of `url_name` for `slug`, as `reverse()` gives it."""
    if not SLUG.fullmatch(slug):
        return reverse(url_name, args=[slug])  # its error, or its quoting
    before, after = around_slug(url_name)
    return f"{before}{slug}{after}"
