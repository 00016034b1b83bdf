"""The production footing, proven with real processes and real HTTP (no mocks): gunicorn serving
the app with DEBUG off (immunosite.settings, not tests.settings), WhiteNoise's static files, a
throwaway PostgreSQL cluster and a redis-server, each started here and always cleaned up
(tests/servers/).

None of these tests uses pytest-django's test database (no `db` fixture, no django_db mark):
every server has a database of its own, and subprocesses get an environment built from scratch,
so the session's DATABASE_URL (make test-postgres) does not reach them.

A missing binary (PostgreSQL, redis-server) skips its tests, unless CI is set: then it fails.
"""

import contextlib
import gzip
import re
import shutil
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import pytest
import redis
from django.utils.http import http_date

from immunosite.cache import ResilientRedisCache

from .servers import (
    HOST,
    PYTHON,
    Gunicorn,
    PostgresCluster,
    RedisServer,
    base_env,
    collect_static,
    free_port,
    manage,
    postgres_bin,
    require,
    secret_key,
    wait_until,
)

pytestmark = pytest.mark.servers

ONE_YEAR = 365 * 24 * 3600
STYLESHEET = re.compile(r'href="(/static/css/site\.([0-9a-f]{12})\.css)"')
# What an outage must answer quickly with 503 + Retry-After, and serve again once it is over.
OUTAGE_PAGES = ["/", "/therapies/", "/therapies/rituximab/"]
OUTAGE_JSON = ["/api/v1/therapies/", "/healthz"]


@contextlib.contextmanager
def temp_dir(prefix):
    path = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def max_age(cache_control):
    match = re.search(r"max-age=(\d+)", cache_control or "")
    return int(match.group(1)) if match else 0


def is_json(reply):
    content_type = reply.header("Content-Type") or ""
    return content_type.split(";")[0] in {"application/json", "application/problem+json"}


def retry_after(reply):
    value = reply.header("Retry-After")
    assert value and value.isdigit() and int(value) > 0, f"Retry-After is {value!r}"
    return int(value)


# --- Servers shared by the module ------------------------------------------------------------


@pytest.fixture(scope="module")
def static_root():
    """`collectstatic` once for the module: hashed, compressed files for WhiteNoise."""
    with temp_dir("immunosite-test-static-") as root:
        collect_static(root)
        yield root


@pytest.fixture(scope="module")
def sqlite_app(static_root):
    """The app under gunicorn (two workers) on a SQLite database of its own."""
    with Gunicorn(static_root, workers=2) as app:
        yield app


@pytest.fixture(scope="module")
def postgres():
    with PostgresCluster(postgres_bin()) as cluster:
        yield cluster


@pytest.fixture(scope="module")
def postgres_app(static_root, postgres):
    with Gunicorn(static_root, postgres.url, workers=2) as app:
        yield app


# --- 1. Serving --------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/", "/therapies/", "/therapies/rituximab/"])
def test_pages_are_served_by_gunicorn(sqlite_app, path):
    reply = sqlite_app.get(path)
    assert reply.status == 200
    assert reply.header("Content-Type").startswith("text/html")
    assert "immunosite" in reply.text


def test_debug_is_off(sqlite_app):
    reply = sqlite_app.get("/no-such-page/")
    assert reply.status == 404
    # Django's debug 404 page lists the URL patterns and names the settings file.
    assert "URLconf" not in reply.text
    assert "DEBUG = True" not in reply.text


def test_stylesheet_has_a_hashed_name_and_is_cached_for_a_year(sqlite_app, static_root):
    match = STYLESHEET.search(sqlite_app.get("/").text)
    assert match, "the home page does not link css/site.<hash>.css"
    url, digest = match.groups()

    reply = sqlite_app.get(url)
    assert reply.status == 200
    assert reply.header("Content-Type").startswith("text/css")
    assert reply.header("Content-Encoding") is None
    assert reply.body == (static_root / "css" / f"site.{digest}.css").read_bytes()
    assert max_age(reply.header("Cache-Control")) >= ONE_YEAR
    assert "immutable" in reply.header("Cache-Control")
    assert "Accept-Encoding" in reply.header("Vary")

    compressed = sqlite_app.get(url, headers={"Accept-Encoding": "gzip, deflate"})
    assert compressed.status == 200
    assert compressed.header("Content-Encoding") == "gzip"
    assert len(compressed.body) < len(reply.body)
    assert gzip.decompress(compressed.body) == reply.body
    assert max_age(compressed.header("Cache-Control")) >= ONE_YEAR

    if (static_root / "css" / f"site.{digest}.css.br").exists():  # the brotli package is installed
        brotli = sqlite_app.get(url, headers={"Accept-Encoding": "gzip, br"})
        assert brotli.header("Content-Encoding") == "br"
        assert len(brotli.body) < len(reply.body)


def test_unhashed_stylesheet_of_the_error_pages_is_served_briefly_cached(sqlite_app):
    # 500.html/503.html link /static/css/site.css (no template tags: the database may be down).
    reply = sqlite_app.get("/static/css/site.css")
    assert reply.status == 200
    assert 0 < max_age(reply.header("Cache-Control")) < ONE_YEAR


def test_requests_appear_in_the_access_log_on_stdout(sqlite_app):
    marker = uuid.uuid4().hex
    assert sqlite_app.get(f"/therapies/?q={marker}").status == 200
    line = wait_until(
        lambda: next((ln for ln in sqlite_app.output().splitlines() if marker in ln), None),
        timeout=5,
        what="the access log line",
    )
    assert f'"GET /therapies/?q={marker} HTTP/1.1" 200' in line


def test_security_headers(sqlite_app):
    reply = sqlite_app.get("/therapies/")
    assert reply.status == 200
    assert reply.header("X-Content-Type-Options") == "nosniff"
    assert reply.header("Referrer-Policy") == "strict-origin-when-cross-origin"
    assert reply.header("X-Frame-Options") == "DENY"
    csp = reply.header("Content-Security-Policy")
    assert csp, "no Content-Security-Policy header"
    for directive in ("default-src 'self'", "script-src 'self'", "frame-ancestors 'none'"):
        assert directive in csp
    assert "unsafe-inline" not in csp
    # Plain HTTP on loopback: HSTS is only ever sent over HTTPS.
    assert reply.header("Strict-Transport-Security") is None


# --- 2. Refusing to run misconfigured ----------------------------------------------------------


@pytest.mark.parametrize("missing", ["DJANGO_SECRET_KEY", "DJANGO_ALLOWED_HOSTS"])
def test_check_refuses_to_run_without(missing):
    env = base_env(
        DJANGO_SETTINGS_MODULE="immunosite.settings",
        DJANGO_SECRET_KEY=secret_key(),
        DJANGO_ALLOWED_HOSTS="immunosite.example.org",
    )
    del env[missing]
    result = manage("check", env=env, check=False)
    assert result.returncode != 0
    assert f"{missing} must be set when DJANGO_DEBUG is off" in result.stderr


def test_gunicorn_refuses_to_start_without_a_secret_key():
    port = free_port()
    env = base_env(
        DJANGO_SETTINGS_MODULE="immunosite.settings",
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        GUNICORN_BIND=f"{HOST}:{port}",
        WEB_CONCURRENCY="1",
    )
    result = subprocess.run(
        [require(PYTHON.parent / "gunicorn"), "immunosite.wsgi", "-c", "gunicorn.conf.py"],
        cwd=Path(__file__).resolve().parent.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        start_new_session=True,
    )
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stdout + result.stderr


def deploy_check(**variables):
    env = base_env(
        DJANGO_SETTINGS_MODULE="immunosite.settings",
        DJANGO_SECRET_KEY=secret_key(),
        DJANGO_ALLOWED_HOSTS="immunosite.example.org",
        DATABASE_URL="sqlite://:memory:",  # no db.sqlite3 left behind by the schema check
    )
    env.update(variables)
    return manage("check", "--deploy", "--fail-level", "WARNING", env=env, check=False)


def test_deploy_check_passes_with_production_settings():
    result = deploy_check()
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "System check identified no issues" in output
    assert "WARNING" not in output


@pytest.mark.parametrize(
    ("variables", "warning"),
    [
        ({"DJANGO_SECURE_SSL_REDIRECT": "0"}, "security.W008"),
        ({"DJANGO_SECRET_KEY": "too-short-to-be-a-secret-key"}, "security.W009"),
    ],
)
def test_deploy_check_fails_on_a_weakened_setting(variables, warning):
    """The deploy check above would notice: relaxing one setting makes it fail."""
    result = deploy_check(**variables)
    assert result.returncode != 0
    assert warning in result.stdout + result.stderr


# --- 3. /healthz -------------------------------------------------------------------------------


def test_healthz_ok_with_postgresql_up(postgres_app):
    reply = postgres_app.get("/healthz")
    assert reply.status == 200
    assert reply.header("Content-Type") == "application/json"
    assert reply.json()["status"] == "ok"
    assert "no-cache" in reply.header("Cache-Control")
    assert postgres_app.get("/therapies/rituximab/").status == 200


def test_healthz_503_quickly_when_nothing_listens_on_the_database_port(static_root):
    dead = f"postgres://immunosite:immunosite@{HOST}:{free_port()}/immunosite"
    with Gunicorn(static_root, dead, migrate=False) as app:
        reply = app.get("/healthz")
        assert reply.status == 503
        assert reply.elapsed < 5
        retry_after(reply)
        assert is_json(reply), reply.header("Content-Type")
        assert reply.json()["status"] != "ok"


# --- 4. PostgreSQL goes down and comes back ----------------------------------------------------


def assert_outage_answer(reply, path):
    assert reply.status == 503, (path, reply.status, reply.text[:500])
    assert reply.elapsed < 5, (path, reply.elapsed)
    retry_after(reply)
    assert "Traceback" not in reply.text
    if path in OUTAGE_JSON:
        assert is_json(reply), reply.header("Content-Type")
        assert reply.json()
    else:
        assert reply.header("Content-Type").startswith("text/html")
        assert "Temporarily unavailable" in reply.text


def test_database_outage_is_a_quick_503_and_recovery_is_immediate(static_root):
    pgbin = postgres_bin()
    # One worker, so the persistent connection checked after a restart is certainly the one
    # that served the requests before it. CONN_MAX_AGE is left at its default (60 s).
    with PostgresCluster(pgbin) as pg, Gunicorn(static_root, pg.url, workers=1) as app:
        for path in ("/therapies/", "/api/v1/therapies/"):
            assert app.get(path).status == 200

        pg.stop("immediate")
        for path in OUTAGE_PAGES + OUTAGE_JSON:
            assert_outage_answer(app.get(path), path)

        pg.start()  # same data folder, same port
        for path in OUTAGE_PAGES + OUTAGE_JSON:
            reply = app.get(path)
            assert reply.status == 200, (path, reply.status, reply.text[:500])

        # A restart between two requests: the worker's persistent connection is dead, and the
        # health check before its reuse must replace it, so the next request is still a 200.
        pg.stop("immediate")
        pg.start()
        for path in ("/therapies/", "/api/v1/therapies/", "/healthz"):
            reply = app.get(path)
            assert reply.status == 200, (path, reply.status, reply.text[:500])

        assert "WORKER TIMEOUT" not in app.errors()


# --- 5. Redis goes down and comes back ---------------------------------------------------------

REDIS_PATHS = ["/", "/therapies/", "/api/v1/therapies/"]


def throttle_keys(server):
    client = redis.Redis(host=HOST, port=server.port, socket_timeout=2)
    try:
        return client.keys("*ratelimit:*")
    finally:
        client.close()


def test_redis_outage_serves_uncached(static_root):
    program = require("redis-server")
    with (
        RedisServer(program) as cache,
        Gunicorn(static_root, workers=1, REDIS_URL=cache.url, REDIS_RETRY_INTERVAL="1") as app,
    ):
        for path in REDIS_PATHS:
            assert app.get(path).status == 200, path
        assert throttle_keys(cache), "the API's throttling did not use Redis"

        cache.kill()  # SIGKILL, as in a crash
        for path in REDIS_PATHS:
            reply = app.get(path)
            assert reply.status == 200, (path, reply.status, reply.text[:500])
            assert reply.elapsed < 3, (path, reply.elapsed)
        assert reply.json()["results"]
        assert "Redis unavailable" in app.output()

        # Frozen rather than gone (a stopped process, as in a network partition): the socket
        # timeouts (0.1 s) bound each cache call, so an API call still answers within 3 s.
        cache.start()
        cache.freeze()
        for path in REDIS_PATHS:
            reply = app.get(path)
            assert reply.status == 200, (path, reply.status, reply.text[:500])
            assert reply.elapsed < 3, (path, reply.elapsed)
        cache.kill()

        cache.start()  # same port: used again once the breaker's interval (1 s here) is over

        def reconnected():
            assert all(app.get(path).status == 200 for path in REDIS_PATHS)
            return throttle_keys(cache)

        wait_until(reconnected, 5, "the cache to reconnect to Redis", interval=0.2)


def test_resilient_cache_without_a_server():
    """Every operation answers like a cache miss or a no-op, quickly, when nothing listens."""
    cache = ResilientRedisCache(
        f"redis://{HOST}:{free_port()}/0",
        {"OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}},
    )
    started = time.monotonic()
    assert cache.get("key") is None
    assert cache.get("key", "fallback") == "fallback"
    assert cache.get("key", default="fallback") == "fallback"
    assert cache.set("key", "value", 30) is None
    assert cache.add("key", "value") is False
    assert cache.has_key("key") is False
    assert cache.touch("key") is False
    assert cache.delete("key") is False
    assert cache.get_many(["a", "b"]) == {}
    assert cache.set_many({"a": 1, "b": 2}) == []
    assert cache.delete_many(["a", "b"]) is None
    assert cache.incr("counter") is None
    assert cache.get_or_set("key", "computed") == "computed"
    assert cache.clear() is False
    assert time.monotonic() - started < 5


# --- Scheduled publishing ------------------------------------------------------------------------

SCHEDULE_IN_SECONDS = (
    "import datetime; from django.utils import timezone; from catalog.models import Therapy; "
    "moment = (timezone.now() + datetime.timedelta(seconds=8)).replace(microsecond=0); "
    "Therapy.objects.filter(slug='rituximab').update(go_live_at=moment); "
    "print(moment.timestamp())"
)


def test_a_scheduled_record_goes_live_through_the_cached_pages_on_time(static_root):
    """gunicorn (two workers), PostgreSQL and the page cache in Redis: a record scheduled to go
    live a few seconds ahead (eight: the `manage.py shell` that schedules it takes one or two)
    is missing from the cached pages up to that moment and on them right after, with no write
    and no cron job."""
    with (
        PostgresCluster(postgres_bin()) as database,
        RedisServer(require("redis-server")) as cache,
        Gunicorn(static_root, database.url, workers=2, REDIS_URL=cache.url) as app,
    ):
        result = app.manage("shell", "-c", SCHEDULE_IN_SECONDS)
        moment = float(result.stdout.split()[-1])
        seen_before = []
        while time.time() < moment - 0.5:
            listing = app.get("/therapies/")
            seen_before.append(listing.header("ETag"))
            assert 'href="/therapies/rituximab/"' not in listing.text
            assert app.get("/therapies/rituximab/").status == 404
            time.sleep(0.1)
        assert len(seen_before) > 2 and len(set(seen_before)) == 1  # one cached version
        time.sleep(max(0.0, moment - time.time()) + 0.05)
        for _ in range(4):  # both workers
            listing = app.get("/therapies/")
            assert listing.status == 200
            assert 'href="/therapies/rituximab/"' in listing.text
            assert listing.header("ETag") != seen_before[0]
            assert listing.header("Last-Modified") == http_date(moment)
            assert app.get("/therapies/rituximab/").status == 200
            assert "/therapies/rituximab/</loc>" in app.get("/sitemap-therapies.xml").text
