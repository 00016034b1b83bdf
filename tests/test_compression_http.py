"""Compressed responses over real HTTP: gunicorn serving the production settings (page cache on),
reached directly and through nginx configured as the README says (no compression of its own).
`fetch` does not decompress: what is checked is what a client receives on the wire."""

import re

import pytest

from .helpers import decoded
from .servers import Gunicorn, Nginx, Visitor, fetch

pytestmark = pytest.mark.servers

ADMIN = ("gzip-admin", "correct-Horse-2")
# Limits no test here reaches: they send many API reads and exports from one address.
NO_LIMITS = {
    "DJANGO_API_ANON_RATE": "100000/minute",
    "DJANGO_EXPORT_RATE": "100000/minute",
    "DJANGO_SEARCH_RATE": "100000/minute",
}
GZIP = {"Accept-Encoding": "gzip, deflate"}
CHANGE_LINK = re.compile(r'href="(/admin/catalog/therapy/\d+/change/)')


@pytest.fixture(scope="module")
def app(static_root):
    with Gunicorn(static_root, admin=ADMIN, **NO_LIMITS) as server:
        yield server


@pytest.fixture(scope="module")
def nginx(app):
    with Nginx(app.port) as proxy:
        yield proxy


def vary(reply):
    return {v.strip().lower() for v in (reply.header("Vary") or "").split(",")}


@pytest.mark.parametrize(
    ("path", "media_type"),
    [
        ("/therapies/", "text/html"),
        ("/sitemap.xml", "application/xml"),
        ("/api/v1/therapies/", "application/json"),
        (
            "/api/v1/therapies/?" + "&".join(f"unknown{i}=1" for i in range(12)),
            "application/problem+json",
        ),
    ],
)
def test_a_public_page_an_api_list_a_sitemap_and_an_error_arrive_gzipped(app, path, media_type):
    plain = app.get(path)
    packed = app.get(path, headers=GZIP)
    assert packed.status == plain.status
    assert packed.header("Content-Type").startswith(media_type)
    assert plain.header("Content-Encoding") is None
    assert "accept-encoding" in vary(plain) and "accept-encoding" in vary(packed)
    assert packed.header("Content-Encoding") == "gzip"
    assert packed.header("Content-Length") == str(len(packed.body))
    assert decoded(packed.body, "gzip") == plain.body
    assert len(packed.body) < len(plain.body)


@pytest.mark.parametrize("export", ["csv", "jsonl"])
def test_an_export_streams_gzipped_in_chunks(app, export):
    path = f"/api/v1/therapies/?format={export}"
    plain = app.get(path)
    packed = app.get(path, headers=GZIP)
    assert packed.status == 200 and packed.header("Content-Encoding") == "gzip"
    assert packed.header("Content-Length") is None
    assert packed.header("Transfer-Encoding") == "chunked"
    assert "attachment" in packed.header("Content-Disposition")
    assert decoded(packed.body, "gzip") == plain.body
    assert b"rituximab" in plain.body


def test_the_admin_login_page_and_change_form_are_never_compressed(app):
    editor = Visitor(app.port)
    login = editor.get("/admin/login/", headers=GZIP)
    assert login.status == 200 and login.header("Content-Encoding") is None
    assert "no-transform" in login.header("Cache-Control")
    assert 'name="csrfmiddlewaretoken"' in login.text

    assert editor.admin_login(*ADMIN).status == 302
    listing = editor.get("/admin/catalog/therapy/", headers=GZIP)
    assert listing.status == 200 and listing.header("Content-Encoding") is None
    change = editor.get(CHANGE_LINK.search(listing.text).group(1), headers=GZIP)
    assert change.status == 200 and change.header("Content-Encoding") is None
    assert "no-transform" in change.header("Cache-Control")
    assert 'name="csrfmiddlewaretoken"' in change.text and "Change therapy" in change.text


@pytest.mark.parametrize("path", ["/therapies/", "/api/v1/therapies/"])
def test_head_answers_like_get_compressed_without_a_body(app, path):
    for _ in range(2):  # the page cache's miss, then its hit
        got = app.get(path, headers=GZIP)
        head = fetch(app.port, path, headers=GZIP, method="HEAD")
        assert head.status == 200 and head.body == b""
        for name in ("Content-Encoding", "Content-Length", "ETag", "Vary", "Content-Type"):
            assert head.header(name) == got.header(name), name
        assert head.header("Content-Encoding") == "gzip"


@pytest.mark.parametrize("path", ["/therapies/", "/api/v1/therapies/"])
def test_if_none_match_with_either_etag_is_a_304(app, path):
    plain = app.get(path)
    packed = app.get(path, headers=GZIP)
    assert packed.header("ETag") == plain.header("ETag")[:-1] + '-gzip"'
    for held in (packed.header("ETag"), plain.header("ETag")):
        reply = app.get(path, headers={**GZIP, "If-None-Match": held})
        assert reply.status == 304 and reply.body == b""
        assert reply.header("ETag") == held


def test_nginx_in_front_passes_the_apps_encoding_through(app, nginx):
    """nginx as the README configures it (`gzip off;` where it proxies the app, though the
    http block has `gzip on;` as Debian's nginx.conf does): compressed responses arrive as the
    app sent them, and what the app left alone (a CSRF token inside) stays so."""
    plain = fetch(nginx.port, "/therapies/")
    proxied = fetch(nginx.port, "/therapies/", headers=GZIP)
    assert plain.header("Content-Encoding") is None
    assert proxied.header("Content-Encoding") == "gzip"
    assert decoded(proxied.body, "gzip") == plain.body
    assert proxied.header("ETag") == plain.header("ETag")[:-1] + '-gzip"'  # not weakened
    assert "accept-encoding" in vary(proxied)

    login = fetch(nginx.port, "/admin/login/", headers=GZIP)
    assert login.status == 200 and login.header("Content-Encoding") is None
    assert 'name="csrfmiddlewaretoken"' in login.text
