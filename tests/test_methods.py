"""Public pages are read-only: a write method is a 405 in the site's design naming the methods
there are (`Allow: GET, HEAD`), decided before CSRF checking (it was a 403 about CSRF). The API
and the admin keep their own rules."""

import pytest
from django.test import Client

from .helpers import page_text

pytestmark = pytest.mark.django_db

PAGES = [
    "/",
    "/therapies/",
    "/therapies/rituximab/",
    "/classes/interferons/",
    "/conditions/leukemia/",
    "/glossary/",
    "/a-z/",
    "/matrix/",
    "/search/?q=rit",
    "/search/suggest/?q=rit",
    "/sitemap.xml",
    "/robots.txt",
    "/preview/therapies/rituximab/",
    "/therapies/no-such-therapy/",
]


@pytest.fixture
def csrf_client():
    """A client that checks CSRF as browsers' requests are checked."""
    return Client(enforce_csrf_checks=True)


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete", "options"])
@pytest.mark.parametrize("path", PAGES)
def test_write_methods_on_public_pages_are_405_in_the_site_design(csrf_client, path, method):
    response = getattr(csrf_client, method)(path)
    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD"
    assert response["Content-Type"].startswith("text/html")
    text = page_text(response)
    assert "Method not allowed" in text
    assert f"a {method.upper()} request changes nothing here" in text
    assert "Skip to content" in text  # the site's layout
    assert "CSRF" not in text
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "default-src 'self'" in response["Content-Security-Policy"]


def test_reads_still_work_and_set_no_allow_header(client):
    for path in PAGES[:-2]:
        response = client.get(path)
        assert response.status_code == 200, path
        assert client.head(path).status_code == 200, path


def test_the_admin_and_the_api_keep_their_own_rules(csrf_client):
    # The admin checks CSRF on its forms.
    response = csrf_client.post("/admin/login/", {"username": "x", "password": "y"})
    assert response.status_code == 403
    # The API: a method a URL does not have is a 405 problem naming the ones it has, before
    # credentials are asked for.
    for method, path in [
        ("post", "/api/v1/version/"),
        ("delete", "/api/v1/sources/drugscom-immunotherapy/"),
        ("post", "/api/v1/therapies/rituximab/"),
    ]:
        response = getattr(csrf_client, method)(path)
        assert response.status_code == 405, (method, path)
        assert response["Content-Type"] == "application/problem+json"
        assert method.upper() in response.json()["detail"]
        assert "GET" in response["Allow"] and method.upper() not in response["Allow"]
