"""The scale-out the README promises, with real servers: two gunicorn instances of the app on
one PostgreSQL and one Redis, as behind a load balancer (same DJANGO_SECRET_KEY, requests
carrying the public Host name). An edit through one is on the other's very next request, page
cache and ETags included; the anonymous limits are counted together; a login made on one works
on the other; and with Redis gone both keep serving.

The servers are shared by the module (about 20 s to start); each test uses client addresses of
its own, so the limits' counters never mix between tests.
"""

import json
import time
import uuid

import pytest

from .servers import (
    Gunicorn,
    PostgresCluster,
    RedisServer,
    Visitor,
    postgres_bin,
    require,
    secret_key,
)

pytestmark = pytest.mark.servers

ADMIN = ("admin", "correct-Horse-1")
PUBLIC_HOST = "localhost"
PAGE = "/therapies/rituximab/"
API_LIMIT = 120


@pytest.fixture(scope="module")
def backends():
    with PostgresCluster(postgres_bin()) as database, RedisServer(require("redis-server")) as cache:
        yield database, cache


@pytest.fixture(scope="module")
def servers(static_root, backends):
    database, cache = backends
    shared = {
        "DJANGO_SECRET_KEY": secret_key(),
        "REDIS_URL": cache.url,
        "DJANGO_API_ANON_RATE": f"{API_LIMIT}/minute",
        # A generous cache timeout: on a loaded test machine one slow reply from Redis would
        # open the breaker, and reads would go uncounted for its interval (tested in
        # tests/test_cache_outage.py, not here).
        "REDIS_TIMEOUT": "0.5",
    }
    with (
        Gunicorn(static_root, database.url, admin=ADMIN, **shared) as first,
        Gunicorn(static_root, database.url, migrate=False, **shared) as second,
    ):
        yield first, second


def anonymous(server, source):
    return Visitor(server.port, source=source, host=PUBLIC_HOST)


def test_an_edit_through_one_server_is_on_the_others_next_anonymous_request(servers):
    first, _ = servers
    readers = [anonymous(server, "127.0.0.41") for server in servers]
    pages = [reader.get(PAGE) for reader in readers for _ in range(2)]  # cached on both
    assert all(page.status == 200 for page in pages)
    assert len({page.header("ETag") for page in pages}) == 1  # one cache, one version
    old_etag = pages[0].header("ETag")
    assert readers[1].get(PAGE, headers={"If-None-Match": old_etag}).status == 304

    editor = Visitor(first.port, source="127.0.0.42", host=PUBLIC_HOST)
    assert editor.admin_login(*ADMIN).status == 302
    record = editor.get("/api/v1/therapies/rituximab/")
    summary = f"Edited through the first server ({uuid.uuid4().hex[:8]})."
    edited = editor.request(
        "PATCH",
        "/api/v1/therapies/rituximab/",
        headers={
            "Content-Type": "application/json",
            "X-CSRFToken": editor.cookies["csrftoken"],
            "If-Match": record.header("ETag"),
        },
        body=json.dumps({"summary": summary}),
    )
    assert edited.status == 200, edited.text[:500]

    page = readers[1].get(PAGE, headers={"If-None-Match": old_etag})
    assert page.status == 200
    assert summary in page.text
    assert page.header("ETag") != old_etag
    assert readers[1].get("/api/v1/therapies/rituximab/").json()["summary"] == summary
    assert summary in readers[0].get(PAGE).text


def test_a_login_made_on_one_server_works_on_the_other(servers):
    first, second = servers
    editor = Visitor(first.port, source="127.0.0.43", host=PUBLIC_HOST)
    form = editor.get("/admin/login/")  # the form and CSRF cookie from the first server …
    assert form.status == 200
    token = form.text.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
    signed_in = editor.post_form(  # … posted to the second
        "/admin/login/?next=/admin/",
        {"csrfmiddlewaretoken": token, "username": ADMIN[0], "password": ADMIN[1]},
        port=second.port,
    )
    assert signed_in.status == 302, signed_in.text[:500]
    for server in servers:  # … and the session is good on both
        index = editor.get("/admin/", port=server.port)
        assert index.status == 200
        assert "immunosite administration" in index.text and "Log out" in index.text


def test_the_anonymous_api_limit_is_counted_across_servers(servers):
    """The 121st request in a minute is refused, whichever server it reaches. The limit counts
    in fixed windows (README): if one ends during the burst, the count starts again, so the
    burst is repeated from another address (each has a window of its own)."""
    for source in ("127.0.0.51", "127.0.0.52", "127.0.0.53"):
        clients = [anonymous(server, source) for server in servers]
        statuses = [
            clients[n % 2].get("/api/v1/therapies/?page_size=1").status
            for n in range(API_LIMIT + 1)
        ]
        assert 429 not in statuses[:API_LIMIT], statuses
        if statuses[API_LIMIT] == 200:
            continue  # a window ended during the burst
        assert statuses[API_LIMIT] == 429
        for client in clients:  # now refused by both
            refused = client.get("/api/v1/therapies/")
            assert refused.status == 429
            assert refused.header("Content-Type") == "application/problem+json"
            assert "throttled" in refused.json()["detail"]
            assert 0 < int(refused.header("Retry-After")) <= 60
        # Another client is not affected.
        assert anonymous(servers[1], "127.0.0.54").get("/api/v1/therapies/").status == 200
        return
    outages = [server.output().count("Redis unavailable") for server in servers]
    pytest.fail(
        "the 121st request was never refused: the servers do not count together "
        f"(Redis outages logged by each: {outages})"
    )


def test_with_redis_stopped_both_servers_keep_serving(servers, backends):
    _, cache = backends
    cache.kill()
    try:
        for server in servers:
            client = anonymous(server, "127.0.0.61")
            for path in ("/", PAGE, "/therapies/", "/search/?q=ritux", "/api/v1/therapies/"):
                reply = client.get(path)
                assert reply.status == 200, (server.port, path, reply.status, reply.text[:300])
                assert reply.elapsed < 1, (server.port, path, reply.elapsed)
            assert "Rituximab" in client.get(PAGE).text
    finally:
        cache.start()
        time.sleep(0.1)
