"""The anonymous page cache (catalog/pagecache.py): a repeat request is served without
rendering, a client's copy is confirmed with a 304 without rendering, and any edit (admin, API,
names only, deletion) shows on the very next request. Real database, real caches (local memory,
and a real redis-server), no mocks."""

import subprocess
import sys

import pytest
from csp.middleware import CSPMiddleware
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.models import Group, User
from django.contrib.messages.middleware import MessageMiddleware
from django.contrib.sessions.middleware import SessionMiddleware
from django.core.cache import caches
from django.core.cache.backends.locmem import LocMemCache
from django.db import connection
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from catalog import pagecache
from catalog.caching import CatalogVersionMiddleware
from catalog.models import Therapy, TherapyClass, TherapyName, catalog_last_modified
from catalog.pagecache import PageCacheMiddleware

from .helpers import form_data, page_text
from .servers import BASE_DIR, production_env

pytestmark = pytest.mark.django_db

PAGES = [
    "/",
    "/therapies/",
    "/therapies/?condition=rheumatoid-arthritis&ordering=-name",
    "/therapies/rituximab/",
    "/classes/",
    "/classes/monoclonal-antibodies/",
    "/conditions/",
    "/conditions/rheumatoid-arthritis/",
    "/glossary/",
    "/a-z/",
    "/matrix/",
    "/search/?q=rituxan",
    "/sitemap.xml",
    "/whats-new/",
    "/therapies/rituximab/changes/",
]
# Headers a hit must carry exactly as the rendered page did.
SAME_HEADERS = [
    "Content-Type",
    "Content-Length",
    "ETag",
    "Last-Modified",
    "Cache-Control",
    "Vary",
    "Content-Security-Policy",
    "X-Frame-Options",
    "X-Content-Type-Options",
    "Referrer-Policy",
    "Cross-Origin-Opener-Policy",
]


def stored_pages():
    """How many pages the "pages" cache holds (local memory, or Redis)."""
    backend = caches[pagecache.CACHE_ALIAS]
    if isinstance(backend, LocMemCache):
        return len(backend._cache)
    return len(backend._cache.get_client().keys(backend.make_key("*")))


def rendered(response):
    """Whether the view rendered a template for this response (the test client records every
    template rendered during the request)."""
    return bool(response.templates)


def get(client, path, **headers):
    return client.get(path, headers=headers)


def miss_then_hit(client, path, django_assert_num_queries):
    first = client.get(path)
    assert first.status_code == 200, (path, first.status_code)
    assert rendered(first) or path == "/sitemap.xml", path
    with django_assert_num_queries(1):  # the catalog's version, nothing else
        second = client.get(path)
    assert second.status_code == 200
    assert not rendered(second)
    return first, second


# --- Hits ------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", PAGES)
def test_repeat_request_is_served_from_the_cache(client, path, django_assert_num_queries):
    first, second = miss_then_hit(client, path, django_assert_num_queries)
    assert second.content == first.content
    for header in SAME_HEADERS:
        assert second.get(header) == first.get(header), header
    assert not first.cookies and not second.cookies  # no Set-Cookie, stored or served
    assert "Set-Cookie" not in second


def test_cached_page_headers(client, django_assert_num_queries):
    first, second = miss_then_hit(client, "/therapies/", django_assert_num_queries)
    for response in (first, second):
        assert response["ETag"].startswith('"') and response["ETag"].endswith('"')
        assert response["Last-Modified"]
        assert set(response["Cache-Control"].split(", ")) == {"public", "no-cache"}
        assert "Cookie" in response["Vary"]
        assert "script-src 'self'" in response["Content-Security-Policy"]
        assert "nonce" not in response["Content-Security-Policy"]
        assert response["X-Frame-Options"] == "DENY"


def test_the_sitemap_miss_is_not_rendered_from_a_template_but_is_cached(
    client, django_assert_num_queries
):
    _, second = miss_then_hit(client, "/sitemap.xml", django_assert_num_queries)
    assert b"/sitemap-therapies.xml" in second.content
    _, second = miss_then_hit(client, "/sitemap-therapies.xml", django_assert_num_queries)
    assert b"/therapies/rituximab/" in second.content


def test_a_miss_costs_one_query_more_than_no_page_cache():
    """The query budget: the middleware adds at most the version lookup."""
    without = [m for m in settings.MIDDLEWARE if m != "catalog.pagecache.PageCacheMiddleware"]
    assert len(without) == len(settings.MIDDLEWARE) - 1
    counts = {}
    for name, middleware in [("without", without), ("with", settings.MIDDLEWARE)]:
        with override_settings(MIDDLEWARE=middleware):
            client = Client()  # a client loads the middleware on its first request
            client.get("/therapies/")  # per-process caches (content types, …) warmed
            caches["pages"].clear()
            caches["default"].clear()  # the list's cached count too
            with CaptureQueriesContext(connection) as queries:
                assert client.get("/therapies/").status_code == 200
            counts[name] = len(queries.captured_queries)
    # Without the middleware the list asks for the version itself (its count is cached under
    # it); with it, it reuses the middleware's.
    assert counts["with"] <= counts["without"] + 1


def test_different_query_strings_are_different_entries(client, django_assert_num_queries):
    ritux = client.get("/therapies/?q=ritux")
    tocil = client.get("/therapies/?q=tocil")
    assert "Rituximab" in page_text(ritux) and "Tocilizumab" not in page_text(ritux)
    assert "Tocilizumab" in page_text(tocil) and "Rituximab" not in page_text(tocil)
    assert ritux["ETag"] != tocil["ETag"]
    for path, original in [("/therapies/?q=ritux", ritux), ("/therapies/?q=tocil", tocil)]:
        with django_assert_num_queries(1):
            again = client.get(path)
        assert again.content == original.content


def test_host_and_scheme_are_part_of_the_key(client):
    """Pages carry absolute URLs (canonical, Open Graph), so each host and scheme has its own
    copy."""
    plain = client.get("/therapies/rituximab/")
    other_host = client.get("/therapies/rituximab/", headers={"Host": "localhost"})
    secure = client.get("/therapies/rituximab/", secure=True)
    assert rendered(other_host) and rendered(secure)
    assert b'href="http://testserver/therapies/rituximab/"' in plain.content
    assert b'href="http://localhost/therapies/rituximab/"' in other_host.content
    assert b'href="https://testserver/therapies/rituximab/"' in secure.content
    assert len({plain["ETag"], other_host["ETag"], secure["ETag"]}) == 3


def test_head_is_served_from_the_get_entry_and_fills_it(client, django_assert_num_queries):
    got = client.get("/classes/")
    with django_assert_num_queries(1):
        head = client.head("/classes/")
    assert head.status_code == 200 and not rendered(head) and head.content == b""
    for header in SAME_HEADERS:
        assert head.get(header) == got.get(header), header

    head = client.head("/conditions/")
    assert head.status_code == 200 and rendered(head)
    with django_assert_num_queries(1):
        got = client.get("/conditions/")
    assert not rendered(got) and "Rheumatoid arthritis" in page_text(got)


# --- 304s ------------------------------------------------------------------------------------


def test_if_none_match_is_a_304_without_rendering(client, django_assert_num_queries):
    page = client.get("/therapies/rituximab/")
    with django_assert_num_queries(1):
        response = get(client, "/therapies/rituximab/", If_None_Match=page["ETag"])
    assert response.status_code == 304 and not rendered(response)
    assert response.content == b""
    assert response["ETag"] == page["ETag"]
    assert response["Last-Modified"] == page["Last-Modified"]
    assert response["Cache-Control"] == page["Cache-Control"]


def test_if_none_match_is_a_304_even_when_this_process_has_no_copy(
    client, django_assert_num_queries
):
    """Another worker (local memory caches are per process) or an expired entry: the ETag
    alone proves the client's copy is current."""
    page = client.get("/matrix/")
    caches["pages"].clear()
    with django_assert_num_queries(1):
        response = get(client, "/matrix/", If_None_Match=f'"other", {page["ETag"]}')
    assert response.status_code == 304 and not rendered(response)


def test_if_none_match_with_another_etag_renders(client):
    client.get("/therapies/")
    caches["pages"].clear()
    response = get(client, "/therapies/", If_None_Match='"not-this-one"')
    assert response.status_code == 200 and rendered(response)


def test_if_modified_since_is_a_304_without_rendering(client, django_assert_num_queries):
    page = client.get("/conditions/")
    with django_assert_num_queries(1):
        response = get(client, "/conditions/", If_Modified_Since=page["Last-Modified"])
    assert response.status_code == 304 and not rendered(response)
    assert response["ETag"] == page["ETag"]

    response = get(client, "/conditions/", If_Modified_Since="Mon, 01 Jan 2001 00:00:00 GMT")
    assert response.status_code == 200 and response.content == page.content


def test_if_modified_since_never_turns_an_error_into_a_304(client):
    page = client.get("/conditions/")
    for path in ("/conditions/no-such-condition/", "/conditions/?category=xyz"):
        response = get(client, path, If_Modified_Since=page["Last-Modified"])
        assert response.status_code in (400, 404), path


# --- What is never cached --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/therapies/no-such-therapy/", 404),
        ("/therapies/?condition=xyz", 400),
        ("/therapies/?page=999", 404),
        ("/search/?q=" + "x" * 101, 400),
    ],
)
def test_errors_are_not_cached(client, path, status):
    for _ in range(2):
        response = client.get(path)
        assert response.status_code == status
        assert rendered(response)  # the second time too: nothing was stored
        assert "public" not in response.get("Cache-Control", "")
    assert stored_pages() == 0


def _sets_a_cookie(request, response):
    response.set_cookie("visitor", "x")


def _embeds_a_csrf_token(request, response):
    response.content = f'<input name="csrfmiddlewaretoken" value="{get_token(request)}">'


def _embeds_a_csp_nonce(request, response):
    response.content = f'<script nonce="{request.csp_nonce}"></script>'


def _changes_the_session(request, response):
    request.session["seen"] = True


def _queues_a_message(request, response):
    messages.info(request, "Saved.")


def _says_private(request, response):
    response["Cache-Control"] = "private"


def _varies_on_language(request, response):
    response["Vary"] = "Accept-Language"


def site_middleware(view):
    """`view` behind the page cache and the middleware the settings put below it that can make
    a response one visitor's: sessions, messages, the CSP nonce."""
    inner = MessageMiddleware(CSPMiddleware(view))
    return CatalogVersionMiddleware(PageCacheMiddleware(SessionMiddleware(inner)))


@pytest.mark.parametrize(
    "personalise",
    [
        _sets_a_cookie,
        _embeds_a_csrf_token,
        _embeds_a_csp_nonce,
        _changes_the_session,
        _queues_a_message,
        _says_private,
        _varies_on_language,
    ],
)
def test_responses_for_one_visitor_are_never_stored(rf, personalise):
    """The middleware itself, around a view that makes its 200 visitor-specific (a cookie, a
    CSRF token or CSP nonce in the body, a session change, a message, private, an unkeyed
    Vary)."""
    calls = []

    def view(request):
        calls.append(request)
        response = HttpResponse("<p>page</p>")
        personalise(request, response)
        return response

    middleware = site_middleware(view)
    for _ in range(2):
        response = middleware(rf.get("/therapies/"))
        assert response.status_code == 200
        assert "public" not in response.get("Cache-Control", "")
    assert len(calls) == 2 and stored_pages() == 0


def test_the_same_view_unpersonalised_is_stored(rf):
    """The control for the test above: the same setup, a plain page, is rendered once."""
    calls = []

    def view(request):
        calls.append(request)
        return HttpResponse("<p>page</p>")

    middleware = site_middleware(view)
    for _ in range(2):
        response = middleware(rf.get("/therapies/"))
        assert response.status_code == 200 and response.content == b"<p>page</p>"
        assert "public" in response["Cache-Control"]
    assert len(calls) == 1 and stored_pages() == 1


@pytest.mark.parametrize("path", ["/api/v1/therapies/", "/healthz", "/robots.txt"])
def test_other_urls_are_left_alone(client, path):
    first = client.get(path)
    assert first.status_code == 200
    assert first.get("Cache-Control") != "public, no-cache"
    assert stored_pages() == 0


@pytest.fixture
def staff(db):
    return User.objects.create_superuser("pagecache-admin", password="x")


@pytest.fixture
def staff_client(staff):
    staff_client = Client()
    staff_client.force_login(staff)
    return staff_client


def test_staff_neither_fill_nor_read_the_cache(client, staff_client):
    for _ in range(2):
        response = staff_client.get("/therapies/")
        assert response.status_code == 200 and rendered(response)
        assert "private" in response["Cache-Control"] and "public" not in response["Cache-Control"]
    assert stored_pages() == 0

    anonymous = client.get("/therapies/")
    assert rendered(anonymous) and stored_pages() == 1
    response = staff_client.get("/therapies/", headers={"If-None-Match": anonymous["ETag"]})
    assert response.status_code == 200 and rendered(response)


def test_staff_previews_are_never_cached(staff_client):
    therapy = Therapy.objects.get(slug="rituximab")
    therapy.unpublish()
    therapy.save()
    for _ in range(2):
        response = staff_client.get(therapy.get_preview_url())
        assert response.status_code == 200 and rendered(response)
    assert stored_pages() == 0


# --- Edits show on the next request ----------------------------------------------------------


def admin_change(staff_client, model, slug, **changes):
    """Post the admin change form of a record as the editor would: the page's own values with
    `changes` applied."""
    record = model.objects.get(slug=slug)
    url = reverse(f"admin:catalog_{model._meta.model_name}_change", args=[record.pk])
    data = form_data(staff_client.get(url))
    data.update(changes)
    response = staff_client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]


def cached(client, path):
    """Request `path` until it is a hit: the page as the cache holds it."""
    client.get(path)
    response = client.get(path)
    assert not rendered(response)
    return response


def test_admin_edit_shows_on_the_next_request(client, staff_client):
    before = cached(client, "/therapies/rituximab/")
    listing = cached(client, "/therapies/")
    admin_change(staff_client, Therapy, "rituximab", summary="Edited in the admin just now.")

    after = client.get("/therapies/rituximab/")
    assert rendered(after) and "Edited in the admin just now." in page_text(after)
    assert after["ETag"] != before["ETag"]
    assert "Edited in the admin just now." in page_text(client.get("/therapies/"))
    # A client holding the old copy gets the new page, not a 304.
    response = get(client, "/therapies/", If_None_Match=listing["ETag"])
    assert response.status_code == 200
    response = get(client, "/therapies/", If_Modified_Since=listing["Last-Modified"])
    assert response.status_code in (200, 304)  # one-second resolution: the ETag decides


def test_a_brand_name_only_edit_shows_on_the_next_request(client, staff_client):
    """TherapyName rows have no updated_at: the admin saves the therapy with its inline, so its
    updated_at (and the catalog's version) moves."""
    rituxan = TherapyName.objects.get(therapy__slug="rituximab", name="Rituxan")
    cached(client, "/therapies/rituximab/")
    cached(client, "/a-z/")
    version = catalog_last_modified()
    record = Therapy.objects.get(slug="rituximab")
    url = reverse("admin:catalog_therapy_change", args=[record.pk])
    data = form_data(staff_client.get(url))
    (field,) = [k for k, v in data.items() if k.startswith("other_names-") and v == "Rituxan"]
    assert data[field.replace("-name", "-id")] == str(rituxan.pk)
    data[field] = "Rituxanovo"
    assert staff_client.post(url, data).status_code == 302

    assert catalog_last_modified() > version
    assert "Rituxanovo" in page_text(client.get("/therapies/rituximab/"))
    assert "Rituxanovo, see Rituximab" in page_text(client.get("/a-z/"))


def test_admin_deletion_shows_on_the_next_request(client, staff_client):
    therapy = Therapy.objects.get(slug="tocilizumab")
    cached(client, "/therapies/")
    cached(client, "/therapies/tocilizumab/")
    url = reverse("admin:catalog_therapy_delete", args=[therapy.pk])
    assert staff_client.post(url, {"post": "yes"}).status_code == 302
    assert not Therapy.objects.filter(slug="tocilizumab").exists()

    assert "Tocilizumab" not in page_text(client.get("/therapies/"))
    assert client.get("/therapies/tocilizumab/").status_code == 404


def test_publishing_action_shows_on_the_next_request(client, staff_client):
    cached(client, "/classes/")
    interferons = TherapyClass.objects.get(slug="interferons")
    response = staff_client.post(
        reverse("admin:catalog_therapyclass_changelist"),
        {"action": "unpublish", "_selected_action": [interferons.pk]},
    )
    assert response.status_code == 302
    assert "Interferons" not in page_text(client.get("/classes/"))


@pytest.fixture
def api_editor(db):
    user = User.objects.create_user("api-editor", password="x", is_staff=True)
    user.groups.add(Group.objects.get(name="Editors"))
    api = Client()
    api.force_login(user)
    return api


def api_etag(api, slug):
    response = api.get(f"/api/v1/therapies/{slug}/", headers={"Accept": "application/json"})
    assert response.status_code == 200
    return response["ETag"]


def test_api_edit_shows_on_the_next_request(client, api_editor):
    cached(client, "/therapies/rituximab/")
    cached(client, "/therapies/?q=rituximab")
    response = api_editor.patch(
        "/api/v1/therapies/rituximab/",
        {"summary": "Edited through the API just now."},
        content_type="application/json",
        headers={"If-Match": api_etag(api_editor, "rituximab")},
    )
    assert response.status_code == 200, response.content
    assert "Edited through the API just now." in page_text(client.get("/therapies/rituximab/"))
    assert "Edited through the API just now." in page_text(client.get("/therapies/?q=rituximab"))


def test_api_deletion_shows_on_the_next_request(client, db):
    superuser = User.objects.create_superuser("api-admin", password="x")
    api = Client()
    api.force_login(superuser)
    cached(client, "/therapies/")
    response = api.delete(
        "/api/v1/therapies/tocilizumab/", headers={"If-Match": api_etag(api, "tocilizumab")}
    )
    assert response.status_code == 204, response.content
    assert "Tocilizumab" not in page_text(client.get("/therapies/"))


# --- The cache backends ----------------------------------------------------------------------


@pytest.mark.parametrize(("page_cache", "expected"), [(None, "on"), ("1", "on"), ("0", "off")])
def test_page_cache_variable(page_cache, expected):
    """PAGE_CACHE=0 (the benchmark's uncached runs) leaves the middleware out; on by default."""
    program = (
        "from django.conf import settings; "
        "print('on' if 'catalog.pagecache.PageCacheMiddleware' in settings.MIDDLEWARE else 'off')"
    )
    env = production_env("sqlite:///:memory:", BASE_DIR / "staticfiles", PAGE_CACHE=page_cache)
    result = subprocess.run(
        [sys.executable, "-c", program],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert result.stdout.strip() == expected


def test_settings_give_pages_their_own_bounded_cache():
    config = settings.CACHES[pagecache.CACHE_ALIAS]
    if settings.REDIS_URL:
        assert config["BACKEND"] == "immunosite.cache.ResilientRedisCache"
        assert config["KEY_PREFIX"] == "pages"
    else:
        assert config["BACKEND"] == "django.core.cache.backends.locmem.LocMemCache"
        assert config["OPTIONS"]["MAX_ENTRIES"] > 0
    assert config["TIMEOUT"] > 0


def test_pages_bigger_than_the_limit_are_rendered_every_time(client, monkeypatch):
    monkeypatch.setattr(pagecache, "MAX_BODY_BYTES", 1000)
    for _ in range(2):
        response = client.get("/matrix/")
        assert response.status_code == 200 and rendered(response)
        assert response["ETag"]  # still answers 304s to If-None-Match
    assert get(client, "/matrix/", If_None_Match=response["ETag"]).status_code == 304


@pytest.mark.servers
def test_redis_backend(client, staff_client, redis_pages, django_assert_num_queries):
    import redis

    first, second = miss_then_hit(client, "/therapies/rituximab/", django_assert_num_queries)
    assert second.content == first.content
    server = redis.Redis.from_url(redis_pages.url)
    (key,) = server.keys("pages:*")
    assert 0 < server.ttl(key) <= 600
    assert stored_pages() == 1

    admin_change(staff_client, Therapy, "rituximab", summary="Edited while Redis caches pages.")
    assert "Edited while Redis caches pages." in page_text(client.get("/therapies/rituximab/"))
    with django_assert_num_queries(1):
        assert not rendered(client.get("/therapies/rituximab/"))

    redis_pages.kill()  # Redis gone: pages are rendered, never an error
    response = client.get("/therapies/rituximab/")
    assert response.status_code == 200 and rendered(response)
