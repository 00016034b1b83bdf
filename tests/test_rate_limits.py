"""Per-client rate limits on the pages and the API (immunosite/ratelimit.py): search, the
type-ahead, exports, admin logins and API writes, each with a 429 a person or a program can act
on (when to try again), and configurable by environment variables.

These run in-process with the local-memory cache and the clock stopped (`one_rate_window`);
tests/test_scale_out.py shows the limits shared by two servers through Redis,
tests/test_cache_outage.py what they do without it.
"""

import re
import uuid

import pytest
from django.contrib.auth.models import User
from django.test import Client

from .helpers import api_token, page_text, settings_in_subprocess

# Each test spends a small rate within one window of it (conftest.py).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("one_rate_window")]

PROBLEM = "application/problem+json"
PRODUCTION = {"DJANGO_SECRET_KEY": "k" * 60, "DJANGO_ALLOWED_HOSTS": "example.org"}


def fresh_search(client, prefix="ritux", **extra):
    """A search nobody made before, so never a page-cache hit."""
    return client.get(f"/search/?q={prefix}{uuid.uuid4().hex[:6]}", **extra)


def retry_after(response):
    value = response["Retry-After"]
    assert value.isdigit() and 0 < int(value) <= 60, value
    return int(value)


def assert_limited_page(response):
    assert response.status_code == 429
    assert response["Content-Type"].startswith("text/html")
    wait = retry_after(response)
    text = page_text(response)
    assert "Too many requests" in text
    assert f"Please try again in {wait} second" in text
    assert "Skip to content" in text  # the site's own design (base.html)
    assert response["Cache-Control"] == "no-store"


def test_search_is_limited_per_client_with_a_page_saying_when_to_try_again(settings):
    settings.SEARCH_RATE = "2/minute"
    visitor, neighbour = Client(REMOTE_ADDR="203.0.113.1"), Client(REMOTE_ADDR="203.0.113.2")
    assert [fresh_search(visitor).status_code for _ in range(2)] == [200, 200]
    assert_limited_page(fresh_search(visitor))
    assert fresh_search(neighbour).status_code == 200


def test_a_search_page_in_the_page_cache_is_served_to_a_limited_client(settings):
    settings.SEARCH_RATE = "2/minute"
    visitor = Client(REMOTE_ADDR="203.0.113.3")
    first = visitor.get("/search/?q=rituximab")
    assert first.status_code == 200
    fresh_search(visitor)
    assert_limited_page(fresh_search(visitor))
    again = visitor.get("/search/?q=rituximab")  # answered by the page cache, not the view
    assert again.status_code == 200
    assert again.content == first.content


def test_suggestions_are_limited_with_a_json_answer(settings):
    settings.SUGGEST_RATE = "2/minute"
    visitor = Client(REMOTE_ADDR="203.0.113.4")
    for _ in range(2):
        assert visitor.get("/search/suggest/?q=ritux").json()["suggestions"]
    refused = visitor.get("/search/suggest/?q=ritux")
    assert refused.status_code == 429
    wait = retry_after(refused)
    assert refused.json() == {
        "detail": "You have sent too many requests in a short time. "
        f"Please try again in {wait} second{'s' if wait != 1 else ''}."
    }


def test_editors_are_not_held_to_the_anonymous_page_limits(settings, admin_user):
    settings.SEARCH_RATE = "1/minute"
    editor = Client(REMOTE_ADDR="203.0.113.5")
    editor.force_login(admin_user)
    assert [fresh_search(editor).status_code for _ in range(3)] == [200, 200, 200]


def test_exports_have_their_own_limit_and_other_api_reads_go_on(settings, admin_user):
    settings.EXPORT_RATE = "2/minute"
    visitor = Client(REMOTE_ADDR="203.0.113.6")
    csv = visitor.get("/api/v1/therapies/?format=csv")
    assert csv.status_code == 200
    assert b"".join(csv.streaming_content).startswith(b"slug,")
    assert visitor.get("/api/v1/indications/?format=jsonl").status_code == 200
    for refused in (
        visitor.get("/api/v1/therapies/?format=csv"),
        visitor.get("/api/v1/conditions/", HTTP_ACCEPT="text/csv"),
    ):
        assert refused.status_code == 429
        assert refused["Content-Type"] == PROBLEM
        wait = retry_after(refused)
        assert refused.json()["detail"] == (
            f"Request was throttled. Expected available in {wait} second"
            + ("s." if wait != 1 else ".")
        )
    listing = visitor.get("/api/v1/therapies/")
    assert listing.status_code == 200
    assert listing.json()["results"]
    editor = Client(REMOTE_ADDR="203.0.113.6")
    editor.force_login(admin_user)
    assert editor.get("/api/v1/therapies/?format=csv").status_code == 200


def login(client, username, password="wrong-password"):
    return client.post("/admin/login/?next=/admin/", {"username": username, "password": password})


def test_login_attempts_are_limited_per_client_whatever_the_username(settings, admin_user):
    """Password spraying (one guess for each of many accounts) meets this limit; django-axes'
    lockout is per account and client."""
    settings.LOGIN_RATE = "3/minute"
    sprayer = Client(REMOTE_ADDR="203.0.113.7")
    for name in ("alice", "bob", "carol"):
        assert "Please enter the correct username" in login(sprayer, name).content.decode()
    assert_limited_page(login(sprayer, "dave"))
    assert_limited_page(login(sprayer, admin_user.username, "password"))
    # Someone else signs in meanwhile (the admin_user fixture's password is "password").
    colleague = Client(REMOTE_ADDR="203.0.113.8")
    assert login(colleague, admin_user.username, "password").status_code == 302


def test_api_writes_are_limited_per_account(settings):
    settings.API_WRITE_RATE = "2/minute"
    editor = User.objects.create_superuser("writer", password="x")
    other = User.objects.create_superuser("other-writer", password="x")
    headers = {"Authorization": f"Token {api_token(editor)}"}
    client = Client(REMOTE_ADDR="203.0.113.9")

    def create(slug, headers=headers):
        body = {
            "slug": slug,
            "name": slug.title(),
            "therapy_class": "monoclonal-antibodies",
            "summary": "A new monoclonal antibody.",
            "sources": ["drugscom-immunotherapy"],
        }
        return client.post(
            "/api/v1/therapies/", body, content_type="application/json", headers=headers
        )

    assert create("firstumab").status_code == 201
    assert create("secondumab").status_code == 201
    refused = create("thirdumab")
    assert refused.status_code == 429
    assert refused["Content-Type"] == PROBLEM
    assert "throttled" in refused.json()["detail"]
    retry_after(refused)
    assert client.get("/api/v1/therapies/thirdumab/", headers=headers).status_code == 404
    # Reads go on, and another account writes.
    assert client.get("/api/v1/therapies/firstumab/", headers=headers).status_code == 200
    other_headers = {"Authorization": f"Token {api_token(other)}"}
    assert create("thirdumab", headers=other_headers).status_code == 201


def test_rates_are_configurable_by_environment():
    expression = (
        "settings.API_ANON_RATE, settings.EXPORT_RATE, settings.API_WRITE_RATE, "
        "settings.SEARCH_RATE, settings.SUGGEST_RATE, settings.LOGIN_RATE"
    )
    code, out, err = settings_in_subprocess(expression, **PRODUCTION)
    assert code == 0, err
    assert out == "120/minute 10/minute 120/minute 60/minute 300/minute 20/minute"
    code, out, err = settings_in_subprocess(
        expression,
        **PRODUCTION,
        DJANGO_API_ANON_RATE="5/second",
        DJANGO_EXPORT_RATE="3/hour",
        DJANGO_API_WRITE_RATE="30/m",
        DJANGO_SEARCH_RATE="10/minute",
        DJANGO_SUGGEST_RATE="1000/day",
        DJANGO_LOGIN_RATE="5/minute",
    )
    assert code == 0, err
    assert out == "5/second 3/hour 30/m 10/minute 1000/day 5/minute"


@pytest.mark.parametrize("value", ["fast", "10", "10/fortnight", "-1/minute", "ten/minute"])
def test_a_rate_that_is_not_a_rate_stops_the_site_from_starting(value):
    code, _, err = settings_in_subprocess("settings.DEBUG", **PRODUCTION, DJANGO_SEARCH_RATE=value)
    assert code != 0
    assert re.search(r"DJANGO_SEARCH_RATE must look like 120/minute .* not '", err), err
