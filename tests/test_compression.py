"""Compressed responses through Django's test client (immunosite/compression.py): what is
compressed decodes to exactly the uncompressed body; what holds a CSRF token or the caller's
token prefix never is (BREACH); the page cache compresses a page once; ETags, 304s, If-Match
and HEAD work for both representations. tests/test_compression_http.py does the same over real
HTTP through gunicorn and nginx."""

import json

import pytest
from django.contrib.auth.models import User
from django.http import HttpResponse, StreamingHttpResponse
from django.middleware.csrf import CsrfViewMiddleware, get_token
from django.test import Client

from catalog.models import Therapy
from immunosite import compression
from immunosite.compression import CompressionMiddleware, never_compress

from .helpers import admin_url, api_etag, decoded, make_user

pytestmark = pytest.mark.django_db

GZIP = {"Accept-Encoding": "gzip, deflate"}
RITUXIMAB = "/api/v1/therapies/rituximab/"
# A problem+json 400 long enough to be worth compressing: one invalid_params entry per name.
MANY_UNKNOWN = "/api/v1/therapies/?" + "&".join(f"unknown{i}=1" for i in range(12))
COMPRESSED = [
    ("/therapies/", "text/html"),
    ("/therapies/rituximab/", "text/html"),
    ("/sitemap.xml", "application/xml"),
    ("/sitemap-therapies.xml", "application/xml"),
    ("/api/v1/therapies/", "application/json"),
    (RITUXIMAB, "application/json"),
    (MANY_UNKNOWN, "application/problem+json"),
    ("/api/v1/therapies/?format=csv", "text/csv"),
    ("/api/v1/therapies/?format=jsonl", "application/jsonl"),
    ("/api/v1/schema/", "application/vnd.oai.openapi"),
]


def body(response):
    """The bytes sent, as sent (streamed ones joined)."""
    return b"".join(response.streaming_content) if response.streaming else response.content


def vary(response):
    return {v.strip().lower() for v in response.get("Vary", "").split(",")}


def cache_control(response):
    return {d.strip() for d in response.get("Cache-Control", "").split(",")}


# --- What is compressed -----------------------------------------------------------------------


@pytest.mark.parametrize(("path", "media_type"), COMPRESSED)
def test_pages_api_errors_exports_and_sitemaps_are_gzipped_to_the_same_content(
    client, path, media_type
):
    plain = client.get(path)
    packed = client.get(path, headers=GZIP)
    assert packed.status_code == plain.status_code
    assert packed["Content-Type"] == plain["Content-Type"]
    assert packed["Content-Type"].startswith(media_type)
    assert plain.get("Content-Encoding") is None and packed["Content-Encoding"] == "gzip"
    assert "accept-encoding" in vary(plain) and "accept-encoding" in vary(packed)
    sent, original = body(packed), body(plain)
    assert decoded(sent, "gzip") == original
    assert len(sent) < len(original)
    if packed.streaming:  # exports: streamed compressed, length unknown until the end
        assert "Content-Length" not in packed
    else:
        assert packed["Content-Length"] == str(len(sent))


def test_the_therapy_list_goes_out_in_under_a_quarter_of_its_size(client, make_catalog):
    make_catalog(20)  # a full page of 20 rows, not the fixture's 9 (fixed overhead dominates)
    plain = client.get("/therapies/", headers={"Accept-Encoding": "identity"})
    packed = client.get("/therapies/", headers=GZIP)
    assert plain.get("Content-Encoding") is None
    assert len(packed.content) * 4 < len(plain.content)
    assert "Rituximab" in decoded(packed.content, "gzip").decode()


@pytest.mark.parametrize(
    ("accept_encoding", "compressed"),
    [
        ("gzip, deflate, br", True),
        ("br;q=1.0, gzip;q=0.5", True),
        ("gzip;q=0", False),
        ("*", True),
        ("*, gzip;q=0", False),
        ("GZIP", True),
        ("deflate, br", False),
        ("identity", False),
        ("gzip;q=zero", False),
        ("", False),
    ],
)
def test_gzip_is_sent_when_the_client_takes_it(client, accept_encoding, compressed):
    plain = client.get("/therapies/")
    response = client.get("/therapies/", headers={"Accept-Encoding": accept_encoding})
    coding = "gzip" if compressed else None
    assert response.get("Content-Encoding") == coding
    assert decoded(response.content, coding) == plain.content
    assert "accept-encoding" in vary(response)


@pytest.mark.parametrize("path", ["/api/v1/version/", "/healthz", "/robots.txt"])
def test_small_responses_are_sent_as_they_are(client, path):
    response = client.get(path, headers=GZIP)
    assert response.status_code == 200
    assert len(response.content) < compression.MIN_BYTES
    assert response.get("Content-Encoding") is None
    assert response.content.strip()  # readable as it is


# --- What never is (BREACH) -------------------------------------------------------------------


def assert_sent_as_it_is(response):
    assert response.status_code == 200
    assert response.get("Content-Encoding") is None
    assert "no-transform" in cache_control(response)  # and no proxy should compress it
    assert len(response.content) >= compression.MIN_BYTES  # big enough to have been


def test_the_admin_login_page_is_never_compressed(client):
    response = client.get("/admin/login/", headers=GZIP)
    assert_sent_as_it_is(response)
    assert b'name="csrfmiddlewaretoken"' in response.content


def test_the_admin_change_form_is_never_compressed(admin_client):
    therapy = Therapy.objects.get(slug="rituximab")
    response = admin_client.get(admin_url(Therapy, "change", therapy.pk), headers=GZIP)
    assert_sent_as_it_is(response)
    assert b'name="csrfmiddlewaretoken"' in response.content
    assert b"Rituximab" in response.content


@pytest.mark.parametrize("logged_in", [False, True])
def test_the_browsable_api_with_its_forms_is_never_compressed(client, logged_in):
    if logged_in:
        client.force_login(User.objects.create_superuser("browser", password="x"))
    response = client.get("/api/v1/glossary/", headers={**GZIP, "Accept": "text/html"})
    assert_sent_as_it_is(response)
    assert b"csrfToken" in response.content


def test_me_with_the_token_prefix_is_never_compressed(client, api_token):
    user = make_user("me-reader", "Editors")
    response = client.get("/api/v1/me/", headers={**GZIP, "Authorization": api_token(user)})
    assert response.status_code == 200 and response.get("Content-Encoding") is None
    assert "no-transform" in cache_control(response)
    assert response.json()["token"]["prefix"]


def test_a_public_page_is_compressed_for_a_visitor_holding_a_csrf_cookie(client):
    """Having a CSRF token (from the login page) is not using it: a page that does not render
    it is compressed."""
    client.get("/admin/login/")
    assert "csrftoken" in client.cookies
    response = client.get("/therapies/", headers=GZIP)
    assert response["Content-Encoding"] == "gzip"
    assert "no-transform" not in cache_control(response)


PAGE = "<p>" + "A page of text. " * 100 + "</p>"


def page_with_token(request):
    return HttpResponse(f'{PAGE}<input name="csrfmiddlewaretoken" value="{get_token(request)}">')


def page_without_token(request):
    return HttpResponse(PAGE)


def secret_page(request):
    return never_compress(HttpResponse(PAGE))


@pytest.mark.parametrize(
    ("view", "compressed"),
    [(page_with_token, False), (page_without_token, True), (secret_page, False)],
)
def test_what_decides_is_whether_the_token_was_used_not_the_url(rf, view, compressed):
    """One URL, three views, under the middleware and Django's CSRF middleware (which resets
    its flag once it has sent the cookie, before this middleware sees the response)."""
    stack = CompressionMiddleware(CsrfViewMiddleware(view))
    response = stack(rf.get("/therapies/", headers=GZIP))
    assert response.status_code == 200
    assert (response.get("Content-Encoding") == "gzip") is compressed
    assert ("no-transform" in cache_control(response)) is not compressed
    assert PAGE in decoded(response.content, response.get("Content-Encoding")).decode()


def test_a_streamed_response_marked_secret_is_streamed_as_it_is(rf):
    def view(request):
        return never_compress(StreamingHttpResponse([PAGE.encode()] * 3, "text/csv"))

    response = CompressionMiddleware(view)(rf.get("/export/", headers=GZIP))
    assert response.get("Content-Encoding") is None
    assert b"".join(response.streaming_content) == PAGE.encode() * 3


# --- The page cache: compressed once ----------------------------------------------------------


@pytest.fixture
def compressions(monkeypatch):
    """The sizes of the bodies gzipped during the test."""
    made = []
    compress_string = compression.compress_string

    def counted(content):
        made.append(len(content))
        return compress_string(content)

    monkeypatch.setattr(compression, "compress_string", counted)
    return made


def test_a_cache_hit_is_served_compressed_without_compressing_again(
    client, compressions, django_assert_num_queries
):
    miss = client.get("/therapies/", headers=GZIP)
    assert miss["Content-Encoding"] == "gzip"
    page = decoded(miss.content, "gzip")
    assert compressions == [len(page)]  # once, when stored
    for headers, coding in [(GZIP, "gzip"), ({}, None), ({"Accept-Encoding": "br"}, None)] * 2:
        with django_assert_num_queries(1):  # the catalog's version: a hit
            hit = client.get("/therapies/", headers=headers)
        assert hit.get("Content-Encoding") == coding
        assert decoded(hit.content, coding) == page
        assert hit["Content-Length"] == str(len(hit.content))
        assert "accept-encoding" in vary(hit) and "cookie" in vary(hit)
    assert client.get("/therapies/", headers=GZIP).content == miss.content
    assert compressions == [len(page)]


def test_a_cache_hit_with_if_modified_since_is_a_304_naming_the_compressed_etag(client):
    miss = client.get("/conditions/", headers=GZIP)
    response = client.get(
        "/conditions/", headers={**GZIP, "If-Modified-Since": miss["Last-Modified"]}
    )
    assert response.status_code == 304 and response.content == b""
    assert response["ETag"] == miss["ETag"]
    assert "accept-encoding" in vary(response)


# --- ETags and 304s for both representations --------------------------------------------------


@pytest.mark.parametrize("path", ["/therapies/rituximab/", "/api/v1/therapies/", RITUXIMAB])
def test_the_compressed_etag_is_its_own_and_if_none_match_takes_either(client, path):
    plain = client.get(path)
    packed = client.get(path, headers=GZIP)
    assert packed["ETag"] == plain["ETag"][:-1] + '-gzip"'
    for held in (packed["ETag"], plain["ETag"]):
        response = client.get(path, headers={**GZIP, "If-None-Match": held})
        assert response.status_code == 304 and response.content == b""
        assert response["ETag"] == held  # the representation the client holds is current
        assert "accept-encoding" in vary(response)
    # A client that no longer takes gzip is sent the page again, as it is.
    response = client.get(path, headers={"If-None-Match": packed["ETag"]})
    assert response.status_code == 200 and response.get("Content-Encoding") is None
    assert response.content == plain.content


def test_a_page_edit_makes_the_compressed_etag_stale(client, admin_client):
    packed = client.get("/therapies/rituximab/", headers=GZIP)
    therapy = Therapy.objects.get(slug="rituximab")
    therapy.summary = "Edited while a compressed copy was out."
    therapy.save()
    response = client.get(
        "/therapies/rituximab/", headers={**GZIP, "If-None-Match": packed["ETag"]}
    )
    assert response.status_code == 200
    assert b"Edited while a compressed copy was out." in decoded(response.content, "gzip")


def test_a_write_takes_the_etag_of_a_compressed_read(client):
    client.force_login(make_user("gzip-editor", "Editors"))
    read = client.get(RITUXIMAB, headers=GZIP)
    assert read["Content-Encoding"] == "gzip" and read["ETag"].endswith('-gzip"')
    response = client.patch(
        RITUXIMAB,
        {"summary": "Written by a client that reads gzip."},
        content_type="application/json",
        headers={**GZIP, "If-Match": read["ETag"]},
    )
    assert response.status_code == 200, response.content
    assert json.loads(decoded(response.content, response.get("Content-Encoding")))["summary"] == (
        "Written by a client that reads gzip."
    )
    # The answer's ETag chains the next write, as the identity one does.
    assert response["ETag"].removesuffix('-gzip"').removesuffix('"') == (
        api_etag(client, RITUXIMAB).removesuffix('"')
    )
    stale = client.patch(
        RITUXIMAB,
        {"summary": "Again."},
        content_type="application/json",
        headers={**GZIP, "If-Match": read["ETag"]},
    )
    assert stale.status_code == 412


# --- HEAD -------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/therapies/", "/api/v1/therapies/", RITUXIMAB])
def test_head_answers_like_get_compressed_without_a_body(client, path):
    for _ in range(2):  # a page cache miss, then a hit
        got = client.get(path, headers=GZIP)
        head = client.head(path, headers=GZIP)
        assert head.status_code == 200 and head.content == b""
        for header in ("Content-Encoding", "Content-Length", "ETag", "Vary", "Content-Type"):
            assert head.get(header) == got.get(header), header
        assert head["Content-Encoding"] == "gzip"


def test_headers_of_a_cached_page_stay_the_same_compressed_or_not(client):
    plain = client.get("/glossary/")
    packed = client.get("/glossary/", headers=GZIP)
    for header in ("Cache-Control", "Content-Security-Policy", "X-Frame-Options", "Vary"):
        assert packed[header] == plain[header], header
    anonymous = Client()
    assert anonymous.get("/glossary/", headers=GZIP).content == packed.content
