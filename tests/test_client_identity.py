"""Who a client is, with real servers: gunicorn reached directly (no trusted proxy: forwarded
headers are ignored everywhere) and gunicorn behind nginx (DJANGO_TRUSTED_PROXIES=1: the client
is the address nginx saw). The API's anonymous limit, the search page's limit and the admin's
login lockout must all agree, and no header a client writes may move any of them.

Clients are told apart by the loopback address they connect from (127.0.0.2, 127.0.0.3 …);
each test uses addresses of its own, so the limits' counters never mix between tests.
"""

import itertools
import uuid

import pytest
from django.test import RequestFactory

from immunosite.clients import client_ip

from .helpers import settings_in_subprocess
from .servers import Gunicorn, Nginx, Visitor

pytestmark = pytest.mark.servers

ADMIN = ("admin", "correct-Horse-1")
# Per hour: a fixed window of a minute can end between two requests of a test (it did in CI).
LIMITS = {"DJANGO_API_ANON_RATE": "3/hour", "DJANGO_SEARCH_RATE": "3/hour"}
SPOOFED = (f"198.51.100.{n}" for n in itertools.count(1))


@pytest.fixture(scope="module")
def direct_app(static_root):
    with Gunicorn(static_root, admin=ADMIN, **LIMITS) as app:
        yield app


@pytest.fixture(scope="module")
def proxied_app(static_root):
    with Gunicorn(static_root, admin=ADMIN, DJANGO_TRUSTED_PROXIES="1", **LIMITS) as app:
        yield app


@pytest.fixture(scope="module")
def nginx(proxied_app):
    with Nginx(proxied_app.port) as proxy:
        yield proxy


def spoof():
    """A different forged address on every request, as an attacker rotating them would send."""
    return {"X-Forwarded-For": next(SPOOFED)}


def assert_api_limited(reply):
    assert reply.status == 429, (reply.status, reply.text[:300])
    assert reply.header("Content-Type") == "application/problem+json"
    assert "throttled" in reply.json()["detail"].lower()
    assert int(reply.header("Retry-After")) > 0


def assert_page_limited(reply):
    assert reply.status == 429, (reply.status, reply.text[:300])
    assert "Too many requests" in reply.text
    wait = int(reply.header("Retry-After"))
    assert f"try again in {wait} second" in reply.text or "minutes" in reply.text


def use_api(visitor, times, **headers):
    return [visitor.get("/api/v1/therapies/", headers=headers or spoof()) for _ in range(times)]


def search(visitor):
    """A search nobody made before: never a page-cache hit."""
    return visitor.get(f"/search/?q=ritux{uuid.uuid4().hex[:6]}", headers=spoof())


# --- Reached directly: forwarded headers mean nothing --------------------------------------


def test_rotating_x_forwarded_for_does_not_escape_the_api_limit_without_a_proxy(direct_app):
    client = Visitor(direct_app.port, source="127.0.0.21")
    replies = use_api(client, 4)
    assert [r.status for r in replies[:3]] == [200, 200, 200]
    assert_api_limited(replies[3])


def test_rotating_x_forwarded_for_does_not_escape_the_search_limit_without_a_proxy(direct_app):
    client = Visitor(direct_app.port, source="127.0.0.22")
    assert [search(client).status for _ in range(3)] == [200, 200, 200]
    assert_page_limited(search(client))


def test_rotating_x_forwarded_for_does_not_escape_the_login_lockout_without_a_proxy(direct_app):
    client = Visitor(direct_app.port, source="127.0.0.23")
    for _ in range(5):
        reply = client.admin_login("admin", "wrong-password", headers=spoof())
    assert reply.status == 429
    locked = client.admin_login(*ADMIN)
    assert locked.status == 429
    assert "Too many failed logins" in locked.text


def test_forwarded_proto_is_ignored_without_a_proxy(direct_app):
    """gunicorn's own default would believe X-Forwarded-Proto from 127.0.0.1."""
    reply = direct_app.get(
        "/api/v1/therapies/rituximab/",
        headers={"X-Forwarded-Proto": "https", "X-Forwarded-Ssl": "on"},
    )
    assert reply.status == 200, reply.text[:300]
    assert reply.json()["html_url"] == f"http://127.0.0.1:{direct_app.port}/therapies/rituximab/"
    assert reply.header("Strict-Transport-Security") is None


# --- Behind one trusted proxy (nginx) --------------------------------------------------------


def test_behind_a_proxy_each_client_has_its_own_api_limit_and_spoofing_does_not_help(nginx):
    first = Visitor(nginx.port, source="127.0.0.2")
    second = Visitor(nginx.port, source="127.0.0.3")
    replies = use_api(first, 4)  # each with another forged X-Forwarded-For, which nginx keeps
    assert [r.status for r in replies[:3]] == [200, 200, 200]
    assert_api_limited(replies[3])
    assert_api_limited(use_api(first, 1)[0])
    assert [r.status for r in use_api(second, 3)] == [200, 200, 200]
    assert_api_limited(use_api(second, 1)[0])


def test_behind_a_proxy_each_client_has_its_own_search_limit(nginx):
    first = Visitor(nginx.port, source="127.0.0.4")
    second = Visitor(nginx.port, source="127.0.0.5")
    assert [search(first).status for _ in range(3)] == [200, 200, 200]
    assert_page_limited(search(first))
    assert [search(second).status for _ in range(3)] == [200, 200, 200]
    assert_page_limited(search(second))


def test_behind_a_proxy_a_lockout_is_for_the_guessing_client_only(nginx):
    guesser = Visitor(nginx.port, source="127.0.0.6")
    editor = Visitor(nginx.port, source="127.0.0.7")
    for _ in range(5):
        reply = guesser.admin_login("admin", "wrong-password", headers=spoof())
    assert reply.status == 429
    assert "Too many failed logins" in reply.text
    # Forging another address through the proxy does not lift it, nor does the password.
    locked = guesser.admin_login(*ADMIN, headers={"X-Forwarded-For": "127.0.0.7"})
    assert locked.status == 429
    assert "Too many failed logins" in locked.text
    # The editor, behind the same proxy, signs in.
    signed_in = editor.admin_login(*ADMIN)
    assert signed_in.status == 302, signed_in.text[:500]
    assert signed_in.header("Location") == "/admin/"
    index = editor.get("/admin/")
    assert index.status == 200
    assert "immunosite administration" in index.text and "Log out" in index.text


def test_behind_a_proxy_https_is_what_the_proxy_says(nginx):
    path = "/api/v1/therapies/rituximab/"
    plain = Visitor(nginx.port, source="127.0.0.8").get(path)
    forged = Visitor(nginx.port, source="127.0.0.8").get(
        path, headers={"X-Forwarded-Proto": "https"}
    )
    for reply in (plain, forged):
        assert reply.status == 200, reply.text[:300]
        assert reply.json()["html_url"].startswith("http://")
        assert reply.header("Strict-Transport-Security") is None
    secure = Visitor(nginx.tls_port, source="127.0.0.8", tls=True).get(path)
    assert secure.status == 200, secure.text[:300]
    assert secure.json()["html_url"] == f"https://127.0.0.1:{nginx.tls_port}/therapies/rituximab/"
    assert "max-age=31536000" in secure.header("Strict-Transport-Security")


# --- The one function, and the setting that drives it ----------------------------------------


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (0, None, "10.0.0.9"),
        (0, "198.51.100.1", "10.0.0.9"),  # no trusted proxy: the header means nothing
        (1, None, "10.0.0.9"),  # a request that did not come through the proxy
        (1, "203.0.113.5", "203.0.113.5"),
        (1, "198.51.100.1, 203.0.113.5", "203.0.113.5"),  # the client's own entry is skipped
        (2, "198.51.100.1, 203.0.113.5, 10.0.0.2", "203.0.113.5"),
        (2, "203.0.113.5", "203.0.113.5"),  # fewer hops than proxies: the left-most
        (1, "not-an-address", "10.0.0.9"),
        (1, "2001:DB8::1", "2001:db8::1"),
    ],
)
def test_client_ip_counts_trusted_proxies_from_the_right(settings, proxies, forwarded, expected):
    settings.TRUSTED_PROXIES = proxies
    headers = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded else {}
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.9", **headers)
    assert client_ip(request) == expected


PRODUCTION = {"DJANGO_SECRET_KEY": "k" * 60, "DJANGO_ALLOWED_HOSTS": "example.org"}
PROXY_SETTINGS = "settings.TRUSTED_PROXIES, getattr(settings, 'SECURE_PROXY_SSL_HEADER', None)"


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, "0 None"),
        ({"DJANGO_TRUSTED_PROXIES": "2"}, "2 ('HTTP_X_FORWARDED_PROTO', 'https')"),
        ({"DJANGO_BEHIND_TLS_PROXY": "1"}, "1 ('HTTP_X_FORWARDED_PROTO', 'https')"),
        (
            {"DJANGO_BEHIND_TLS_PROXY": "1", "DJANGO_TRUSTED_PROXIES": "2"},
            "2 ('HTTP_X_FORWARDED_PROTO', 'https')",
        ),
    ],
)
def test_trusted_proxies_setting_also_decides_the_https_header(env, expected):
    code, out, err = settings_in_subprocess(PROXY_SETTINGS, **PRODUCTION, **env)
    assert code == 0, err
    assert out == expected


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"DJANGO_TRUSTED_PROXIES": "one"}, "DJANGO_TRUSTED_PROXIES must be the number of"),
        ({"DJANGO_TRUSTED_PROXIES": "-1"}, "DJANGO_TRUSTED_PROXIES must be the number of"),
        (
            {"DJANGO_TRUSTED_PROXIES": "0", "DJANGO_BEHIND_TLS_PROXY": "1"},
            "DJANGO_BEHIND_TLS_PROXY=1 says a proxy is in front of the app",
        ),
        ({"DJANGO_BEHIND_TLS_PROXY": "maybe"}, "DJANGO_BEHIND_TLS_PROXY must be 1 or 0"),
    ],
)
def test_a_trusted_proxies_setting_that_makes_no_sense_stops_the_site(env, message):
    code, _, err = settings_in_subprocess(PROXY_SETTINGS, **PRODUCTION, **env)
    assert code != 0
    assert message in err
