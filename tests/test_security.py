"""Security behaviour a visitor, an editor or an attacker would notice."""

import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client
from markupsafe import escape

from catalog.models import Therapy

from .helpers import form_data

pytestmark = pytest.mark.django_db

ROUTES = [
    "/",
    "/therapies/",
    "/therapies/?condition=rheumatoid-arthritis",
    "/therapies/rituximab/",
    "/classes/",
    "/classes/interferons/",
    "/conditions/",
    "/conditions/leukemia/",
    "/glossary/",
    "/no-such-page/",
    "/admin/",
    "/admin/login/",
    "/api/v1/",
    "/api/v1/therapies/",
    "/api/v1/therapies/rituximab/",
    "/api/v1/schema/",
    "/api/v1/docs/",
    "/healthz",
    "/static/css/site.css",
]


@pytest.mark.parametrize("url", ROUTES)
def test_security_headers_on_every_response(client, url):
    response = client.get(url, secure=True)
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "object-src 'none'" in csp


@pytest.mark.parametrize("url", ROUTES)
def test_foreign_host_header_is_a_400_on_every_route(client, url):
    response = client.get(url, HTTP_HOST="evil.example")
    assert response.status_code == 400


def test_foreign_host_400_page_is_in_site_design(client):
    html = client.get("/therapies/", HTTP_HOST="evil.example").content.decode()
    assert "Bad request" in html
    assert "Skip to content" in html


@pytest.mark.parametrize("url", ["/therapies/", "/api/v1/therapies/", "/static/css/site.css"])
def test_foreign_host_400_carries_the_security_headers(client, url):
    response = client.get(url, HTTP_HOST="evil.example", secure=True)
    assert response.status_code == 400
    assert "Bad request" in response.content.decode()
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp


def run_settings(**env):
    """Evaluate the settings module in a fresh process with `env`; return what it prints."""
    code = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='immunosite.settings';"
        "from django.conf import settings;"
        "print(settings.SECURE_HSTS_SECONDS, settings.SECURE_HSTS_PRELOAD,"
        " settings.SESSION_COOKIE_SECURE, settings.API_ANON_RATE)"
    )
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE"))}
    result = subprocess.run(
        [sys.executable, "-c", code],
        env={**base, **env},
        capture_output=True,
        text=True,
        cwd=settings.BASE_DIR,
        check=False,
    )
    return result.returncode, result.stdout.strip(), result.stderr


def test_hsts_and_rates_are_configurable_by_environment():
    production = {"DJANGO_SECRET_KEY": "k" * 60, "DJANGO_ALLOWED_HOSTS": "example.org"}
    assert run_settings(**production)[1] == "31536000 True True 120/minute"
    _, out, _ = run_settings(
        **production,
        DJANGO_HSTS_SECONDS="60",
        DJANGO_HSTS_PRELOAD="0",
        DJANGO_API_ANON_RATE="5/second",
    )
    assert out == "60 False True 5/second"


@pytest.mark.parametrize(
    ("env", "missing"),
    [
        ({"DJANGO_ALLOWED_HOSTS": "example.org"}, "DJANGO_SECRET_KEY"),
        ({"DJANGO_SECRET_KEY": "k" * 60}, "DJANGO_ALLOWED_HOSTS"),
    ],
)
def test_production_settings_refuse_to_load_without_secrets(env, missing):
    code, _, err = run_settings(**env)
    assert code != 0
    assert f"{missing} must be set" in err or f"and {missing} must be set" in err


# --- admin login: throttling, cookies, sessions, CSRF ---------------------------------------


@pytest.fixture
def editor(django_user_model):
    return django_user_model.objects.create_user(
        "editor", password="correct-Horse-1", is_staff=True, is_superuser=True
    )


def login(client, username, password, ip="203.0.113.7"):
    return client.post(
        "/admin/login/?next=/admin/",
        {"username": username, "password": password},
        REMOTE_ADDR=ip,
    )


def test_admin_login_is_locked_after_repeated_failures_for_that_user_and_ip(
    client, editor, django_user_model
):
    assert settings.AXES_FAILURE_LIMIT == 5
    assert settings.AXES_COOLOFF_TIME.total_seconds() == 15 * 60
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = login(client, "editor", "wrong")
        assert "Please enter the correct username and password" in response.content.decode()
    assert login(client, "editor", "wrong").status_code == 429  # the fifth failure locks
    locked = login(client, "editor", "correct-Horse-1")  # even the right password now
    assert locked.status_code == 429
    assert "Too many failed logins" in locked.content.decode()
    # Another user from the same network is not locked out.
    django_user_model.objects.create_user("colleague", password="other-Pass-2", is_staff=True)
    assert login(Client(), "colleague", "other-Pass-2").status_code == 302
    # The same user from another address is not locked out either.
    assert login(Client(), "editor", "correct-Horse-1", ip="198.51.100.9").status_code == 302


def test_cookies_are_secure_and_http_only_and_session_rotates(client, editor):
    page = client.get("/admin/login/")
    csrf_cookie = page.cookies["csrftoken"]
    assert csrf_cookie["secure"] and csrf_cookie["httponly"]
    session = client.session
    session["visited"] = True
    session.save()
    before = session.session_key
    response = login(client, "editor", "correct-Horse-1")
    assert response.status_code == 302
    cookie = response.cookies["sessionid"]
    assert cookie["secure"] and cookie["httponly"]
    assert cookie.value != before
    assert not Session.objects.filter(session_key=before).exists()
    # Logging out ends the session on the server.
    assert client.post("/admin/logout/").status_code == 200
    assert not Session.objects.filter(session_key=cookie.value).exists()
    assert client.get("/admin/").status_code == 302


def test_admin_write_without_csrf_token_is_refused(editor):
    client = Client(enforce_csrf_checks=True)
    client.force_login(editor)
    response = client.post(
        "/admin/catalog/therapy/add/", {"name": "Sneaky", "slug": "sneaky", "summary": "x"}
    )
    assert response.status_code == 403
    assert "CSRF" in response.content.decode()
    assert not Therapy.objects.filter(slug="sneaky").exists()


# --- API throttling ------------------------------------------------------------------------


def test_anonymous_api_clients_are_throttled_with_retry_after(
    client, settings, editor, one_rate_window
):
    settings.API_ANON_RATE = "3/minute"
    for _ in range(3):
        assert client.get("/api/v1/therapies/").status_code == 200
    response = client.get("/api/v1/therapies/")
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert "throttled" in response.json()["detail"].lower()
    # Authenticated editors are not subject to the anonymous rate.
    client.force_login(editor)
    assert client.get("/api/v1/therapies/").status_code == 200


# --- hostile content ----------------------------------------------------------------------

PAYLOADS = [
    "<script>alert('x')</script>",
    '<img src=x onerror="alert(1)">',
    '"><svg onload=alert(1)>',
]


def test_hostile_content_saved_through_the_admin_never_reaches_a_page_as_markup(admin_client):
    url = "/admin/catalog/therapy/" + str(Therapy.objects.get(slug="rituximab").pk) + "/change/"
    data = form_data(admin_client.get(url))
    data["summary"] = " ".join(PAYLOADS)
    data["description"] = "\n\n".join(PAYLOADS)
    data["other_names-0-name"] = PAYLOADS[1][:100]
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    therapy = Therapy.objects.get(slug="rituximab")
    assert therapy.summary == " ".join(PAYLOADS)  # stored as typed, nothing lost
    anonymous = Client()
    for page in [
        "/therapies/rituximab/",
        "/therapies/?q=rituximab",
        "/classes/monoclonal-antibodies/",
        "/conditions/rheumatoid-arthritis/",
    ]:
        html = anonymous.get(page).content.decode()
        for payload in PAYLOADS:
            assert payload not in html, f"{payload} reached {page} as markup"
        assert "<script>alert" not in html and "onerror=" not in html.replace("onerror=&#34;", "")
    html = anonymous.get("/therapies/rituximab/").content.decode()
    assert escape(PAYLOADS[0]) in html


# --- error pages --------------------------------------------------------------------------


@pytest.fixture
def broken_detail(monkeypatch):
    from catalog.views import TherapyDetailView

    def explode(self, **kwargs):
        raise RuntimeError("boom: SECRET internals")

    monkeypatch.setattr(TherapyDetailView, "get_context_data", explode)


def test_server_error_page_has_no_traceback(broken_detail):
    client = Client(raise_request_exception=False)
    response = client.get("/therapies/rituximab/")
    assert response.status_code == 500
    html = response.content.decode()
    assert "Something went wrong" in html
    assert "immunosite" in html
    for leak in ["Traceback", "boom", "SECRET", settings.SECRET_KEY, "RuntimeError"]:
        assert leak not in html


def test_api_server_error_is_json_without_traceback(monkeypatch):
    from catalog.api.views import TherapyViewSet

    def explode(self):
        raise RuntimeError("boom")

    monkeypatch.setattr(TherapyViewSet, "get_queryset", explode)
    response = Client(raise_request_exception=False).get("/api/v1/therapies/")
    assert response.status_code == 500
    assert response["Content-Type"] == "application/problem+json"
    assert response.json() == {
        "type": "about:blank",
        "title": "Internal Server Error",
        "status": 500,
        "detail": "Something went wrong on our side. The error has been logged.",
    }


@pytest.mark.parametrize(
    "next_url", ["https://evil.example/", "//evil.example/admin/", "javascript:alert(1)", ""]
)
def test_login_with_a_refused_next_lands_on_the_admin_index(client, editor, next_url):
    response = client.post(
        f"/admin/login/?next={next_url}",
        {"username": "editor", "password": "correct-Horse-1", "next": next_url},
    )
    assert response.status_code == 302
    assert response["Location"] == "/admin/"
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert "<title>Content | immunosite admin</title>" in page.content.decode()
