"""Scheduled changes and the caches: a cached page, a cached count, an ETag or a Last-Modified
never outlives a record going live or expiring. The page is cached before the boundary and
served unchanged up to a second before it; at the boundary it is rendered anew, without any
write; and a cached hit still costs one query. Real page cache on a real redis-server, and the
local-memory one; the clock is the test's (time-machine)."""

import datetime

import pytest
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.http import http_date

from catalog.models import Therapy

from .helpers import api_slugs

pytestmark = pytest.mark.django_db

RITUXIMAB = 'href="/therapies/rituximab/"'
SECOND = datetime.timedelta(seconds=1)


@pytest.fixture
def moment():
    """A whole second two minutes from now (within the caches' timeouts)."""
    return (timezone.now() + datetime.timedelta(minutes=2)).replace(microsecond=0)


def at(time_machine, when):
    time_machine.move_to(when, tick=False)


def counted(client, path, **headers):
    """(response, queries it made)."""
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path, headers=headers)
        if response.streaming:
            b"".join(response.streaming_content)
    return response, len(captured.captured_queries)


def hit(client, path):
    """A request served from the page cache: nothing rendered, one query (the version)."""
    response, queries = counted(client, path)
    assert response.status_code == 200
    assert not response.templates, f"{path} was rendered"
    assert queries == 1
    return response


def cache_page(client, path):
    first = client.get(path)
    assert first.status_code == 200
    return hit(client, path)


@pytest.fixture(params=["local memory", "redis"])
def page_cache(request):
    """Both page caches: the process's own memory and a real redis-server."""
    if request.param == "redis":
        request.applymarker(pytest.mark.servers)
        return request.getfixturevalue("redis_pages")
    return None


LISTS = ["/therapies/", "/classes/monoclonal-antibodies/", "/search/?q=rituximab", "/matrix/"]


@pytest.mark.parametrize("path", LISTS)
def test_a_cached_list_shows_a_record_exactly_when_it_goes_live(
    client, time_machine, moment, page_cache, path
):
    Therapy.objects.filter(slug="rituximab").update(go_live_at=moment)
    at(time_machine, moment - datetime.timedelta(minutes=1))
    before = cache_page(client, path)
    assert RITUXIMAB not in before.content.decode()

    at(time_machine, moment - SECOND)  # a second before: the same cached page
    still = hit(client, path)
    assert still.content == before.content and still["ETag"] == before["ETag"]

    at(time_machine, moment)  # the boundary: rendered anew, with no write
    response = client.get(path)
    assert response.status_code == 200 and response.templates
    assert RITUXIMAB in response.content.decode()
    assert response["ETag"] != before["ETag"]
    assert response["Last-Modified"] == http_date(moment.timestamp())
    # The old ETag and date no longer answer 304.
    assert client.get(path, headers={"If-None-Match": before["ETag"]}).status_code == 200
    stale = client.get(path, headers={"If-Modified-Since": before["Last-Modified"]})
    assert stale.status_code == 200 and RITUXIMAB in stale.content.decode()
    assert hit(client, path).content == response.content  # and cached again


@pytest.mark.parametrize(
    "path", ["/therapies/", "/sitemap-therapies.xml", "/search/?q=rituximab", "/a-z/?letter=R"]
)
def test_an_expired_record_leaves_cached_pages_at_its_expiry(
    client, time_machine, moment, page_cache, path
):
    Therapy.objects.filter(slug="rituximab").update(expire_at=moment)
    at(time_machine, moment - datetime.timedelta(minutes=1))
    before = cache_page(client, path)
    assert "/therapies/rituximab/" in before.content.decode()
    at(time_machine, moment - SECOND)
    assert hit(client, path).content == before.content
    at(time_machine, moment)
    response = client.get(path)
    assert response.status_code == 200
    assert "/therapies/rituximab/" not in response.content.decode()


def test_an_expired_records_cached_page_becomes_a_404(client, time_machine, moment, page_cache):
    Therapy.objects.filter(slug="rituximab").update(expire_at=moment)
    at(time_machine, moment - datetime.timedelta(minutes=1))
    before = cache_page(client, "/therapies/rituximab/")
    assert "Rituximab (Rituxan) is a monoclonal antibody" in before.content.decode()
    at(time_machine, moment - SECOND)
    hit(client, "/therapies/rituximab/")
    at(time_machine, moment)
    response = client.get("/therapies/rituximab/")
    assert response.status_code == 404
    assert "Rituximab (Rituxan)" not in response.content.decode()
    gone = client.get("/therapies/rituximab/", headers={"If-None-Match": before["ETag"]})
    assert gone.status_code == 404  # never a 304 for a page that is gone


def test_cached_counts_follow_the_boundary(client, time_machine, moment):
    """The lists' counts are cached under the catalog's version: the boundary moves it."""
    Therapy.objects.filter(slug="rituximab").update(go_live_at=moment)
    at(time_machine, moment - SECOND)
    before = client.get("/api/v1/therapies/?page_size=1").json()
    assert "rituximab" not in api_slugs(client.get("/api/v1/therapies/"))
    at(time_machine, moment)
    after = client.get("/api/v1/therapies/?page_size=1").json()
    assert after["count"] == before["count"] + 1
    assert after["meta"]["last_updated"] == moment.isoformat()


def test_a_records_api_etag_changes_when_a_related_record_goes_live(client, time_machine, moment):
    """The class's API representation lists its published therapies: its ETag follows."""
    Therapy.objects.filter(slug="rituximab").update(go_live_at=moment)
    at(time_machine, moment - SECOND)
    path = "/api/v1/therapies/trastuzumab/"
    before = client.get(path)
    assert client.get(path, headers={"If-None-Match": before["ETag"]}).status_code == 304
    at(time_machine, moment)
    after = client.get(path, headers={"If-None-Match": before["ETag"]})
    assert after.status_code == 200 and after["ETag"] != before["ETag"]


@pytest.mark.parametrize("path", ["/therapies/", "/therapies/rituximab/", "/matrix/"])
def test_a_schedule_adds_no_query_to_a_render_or_a_hit(client, time_machine, moment, path):
    """A render and a hit cost what they cost without any schedule; only the first request
    after a write or a boundary reads the next boundary (one query more, once per process)."""

    def render_afresh():  # no cached page, no cached count
        caches["pages"].clear()
        caches["default"].clear()
        return counted(client, path)[1]

    client.get(path)
    render = render_afresh()
    assert counted(client, path)[1] == 1  # a hit: the version only

    Therapy.objects.filter(slug="trastuzumab").update(expire_at=moment)  # a write
    at(time_machine, moment - datetime.timedelta(minutes=1))
    assert counted(client, path)[1] == render + 1  # the next boundary, read once
    assert counted(client, path)[1] == 1
    assert render_afresh() == render
    assert counted(client, path)[1] == 1

    at(time_machine, moment)  # the boundary passes: a new version, the next boundary read
    assert counted(client, path)[1] == render + 1
    assert counted(client, path)[1] == 1
    assert render_afresh() == render
