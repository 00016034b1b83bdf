"""Scheduled publishing: a published record with "go live at" reaches the public at that moment
and not before, one with "expire at" leaves it at that moment, on every public surface (pages,
related lists, the API and its counts, search and suggestions, the A-Z, the matrix, the sitemap,
the exports), with the clock under the test's control (time-machine); the database refuses a
record that expires before it goes live."""

import datetime

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from catalog.models import Therapy

from .helpers import api_slugs, page_text

pytestmark = pytest.mark.django_db

RITUXIMAB = 'href="/therapies/rituximab/"'
SECOND = datetime.timedelta(seconds=1)


@pytest.fixture
def moment():
    """A whole second two minutes from now: the boundary the tests schedule."""
    return (timezone.now() + datetime.timedelta(minutes=2)).replace(microsecond=0)


@pytest.fixture
def goes_live(moment):
    Therapy.objects.filter(slug="rituximab").update(go_live_at=moment)
    return moment


@pytest.fixture
def expires(moment):
    Therapy.objects.filter(slug="rituximab").update(expire_at=moment)
    return moment


def shown(client, path):
    """Whether the page at `path` links to rituximab (or, for the API, lists it)."""
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    if path.startswith("/api/"):
        return "rituximab" in api_slugs(response)
    return RITUXIMAB in response.content.decode() or "/therapies/rituximab/<" in (
        response.content.decode()
    )


PUBLIC_LISTS = [
    "/therapies/",  # the therapies' list
    "/classes/monoclonal-antibodies/",  # a related list: the class's therapies
    "/conditions/rheumatoid-arthritis/",  # a related list: a condition's therapies
    "/search/?q=rituximab",
    "/a-z/",
    "/a-z/?letter=R",
    "/matrix/",
    "/api/v1/therapies/",
    "/api/v1/therapies/?condition=rheumatoid-arthritis",
]


def at(time_machine, when):
    time_machine.move_to(when, tick=False)


@pytest.mark.parametrize("path", PUBLIC_LISTS)
def test_a_scheduled_record_is_listed_from_its_go_live_moment_not_a_second_before(
    client, time_machine, goes_live, path
):
    at(time_machine, goes_live - SECOND)
    assert not shown(client, path)
    at(time_machine, goes_live)
    assert shown(client, path)


@pytest.mark.parametrize("path", PUBLIC_LISTS)
def test_an_expiring_record_is_listed_until_its_expiry_moment_not_at_it(
    client, time_machine, expires, path
):
    at(time_machine, expires - SECOND)
    assert shown(client, path)
    at(time_machine, expires)
    assert not shown(client, path)


@pytest.mark.parametrize("path", ["/therapies/rituximab/", "/api/v1/therapies/rituximab/"])
def test_a_scheduled_records_own_page_is_a_404_until_it_goes_live(
    client, time_machine, goes_live, path
):
    at(time_machine, goes_live - SECOND)
    response = client.get(path)
    assert response.status_code == 404
    assert "Rituximab (Rituxan)" not in response.content.decode()
    at(time_machine, goes_live)
    response = client.get(path)
    assert response.status_code == 200
    assert "Rituximab (Rituxan) is a monoclonal antibody" in response.content.decode()


def test_an_expired_records_page_is_a_404(client, time_machine, expires):
    at(time_machine, expires - SECOND)
    assert "Rituximab" in page_text(client.get("/therapies/rituximab/"))
    at(time_machine, expires)
    response = client.get("/therapies/rituximab/")
    assert response.status_code == 404
    assert "Rituximab (Rituxan)" not in response.content.decode()


def test_counts_follow_the_schedule(client, time_machine, goes_live):
    at(time_machine, goes_live - SECOND)
    before = client.get("/api/v1/therapies/").json()["count"]
    at(time_machine, goes_live)
    assert client.get("/api/v1/therapies/").json()["count"] == before + 1


def test_search_suggestions_follow_the_schedule(client, time_machine, goes_live):
    def suggested():
        body = client.get("/search/suggest/", {"q": "rituxi"}).json()
        return "Rituximab" in str(body)

    at(time_machine, goes_live - SECOND)
    assert not suggested()
    at(time_machine, goes_live)
    assert suggested()


def test_the_sitemap_follows_the_schedule(client, time_machine):
    tomorrow = (timezone.now() + datetime.timedelta(days=1)).replace(microsecond=0)
    Therapy.objects.filter(slug="rituximab").update(go_live_at=tomorrow)
    at(time_machine, tomorrow - SECOND)
    assert (
        "/therapies/rituximab/</loc>" not in client.get("/sitemap-therapies.xml").content.decode()
    )
    at(time_machine, tomorrow)
    sitemap = client.get("/sitemap-therapies.xml").content.decode()
    # Listed, and dated the day it went live (later than its last edit).
    assert f"/therapies/rituximab/</loc><lastmod>{tomorrow.date().isoformat()}</lastmod>" in sitemap
    index = client.get("/sitemap.xml").content.decode()
    assert f"sitemap-therapies.xml</loc><lastmod>{tomorrow.date().isoformat()}" in index


@pytest.mark.parametrize("export", ["csv", "jsonl"])
def test_exports_follow_the_schedule(client, time_machine, expires, export):
    def exported():
        response = client.get(f"/api/v1/therapies/?format={export}")
        assert response.status_code == 200
        return b"".join(response.streaming_content).decode()

    at(time_machine, expires - SECOND)
    assert "rituximab" in exported()
    at(time_machine, expires)
    body = exported()
    assert "rituximab" not in body and "trastuzumab" in body


def test_a_class_going_live_later_hides_its_therapies_until_then(client, time_machine, moment):
    from catalog.models import TherapyClass

    TherapyClass.objects.filter(slug="monoclonal-antibodies").update(go_live_at=moment)
    at(time_machine, moment - SECOND)
    assert client.get("/therapies/rituximab/").status_code == 404
    at(time_machine, moment)
    assert client.get("/therapies/rituximab/").status_code == 200


def test_a_queryset_built_before_the_boundary_reads_the_time_it_runs_at(time_machine, goes_live):
    at(time_machine, goes_live - SECOND)
    published = Therapy.objects.published().filter(slug="rituximab")  # built, not run
    assert not published.exists()
    at(time_machine, goes_live)
    assert published.exists()


def test_the_database_refuses_an_expiry_before_going_live(goes_live):
    with pytest.raises(IntegrityError), transaction.atomic():
        Therapy.objects.filter(slug="rituximab").update(expire_at=goes_live - SECOND)
    with pytest.raises(IntegrityError), transaction.atomic():
        Therapy.objects.filter(slug="rituximab").update(expire_at=goes_live)


def test_the_state_in_words(time_machine, moment):
    therapy = Therapy.objects.get(slug="rituximab")
    assert therapy.publication_label() == "Published"
    therapy.go_live_at = datetime.datetime(2026, 12, 3, 9, 0, tzinfo=datetime.UTC)
    at(time_machine, datetime.datetime(2026, 12, 2, tzinfo=datetime.UTC))
    assert therapy.publication_label() == "Scheduled — goes live 3 Dec 2026, 09:00"
    therapy.expire_at = datetime.datetime(2026, 12, 9, 17, 30, tzinfo=datetime.UTC)
    at(time_machine, datetime.datetime(2026, 12, 4, tzinfo=datetime.UTC))
    assert therapy.publication_label() == "Published — expires 9 Dec 2026, 17:30"
    at(time_machine, datetime.datetime(2026, 12, 10, tzinfo=datetime.UTC))
    assert therapy.publication_label() == "Expired 9 Dec 2026"
    therapy.unpublish()
    assert therapy.publication_label() == "Draft"
