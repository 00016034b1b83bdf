"""What a real gunicorn logs (tests/servers/, production settings): one line per client
error, without a traceback; a database outage at a bounded rate, the repeats counted
(immunosite/logfilters.py). Counted in gunicorn's stdout, where the app's logging goes beside
the access log."""

import contextlib
import shutil
import tempfile
import time
from pathlib import Path

import pytest

from .servers import (
    LOG_RECORD_LINE,
    Gunicorn,
    PostgresCluster,
    collect_static,
    postgres_bin,
    wait_until,
)

pytestmark = pytest.mark.servers

# Client errors of every kind the site answers: bad page numbers and filters (pages and API),
# unknown URLs, a foreign Host, a refused method, a bad token.
BAD_REQUESTS = [
    ("GET", "/therapies/?page=abc", {}),
    ("GET", "/therapies/?page=99999", {}),
    ("GET", "/therapies/?condition=no-such-condition", {}),
    ("GET", "/api/v1/therapies/?page=abc", {}),
    ("GET", "/api/v1/therapies/?conditon=psoriasis", {}),
    ("GET", "/no-such-page/", {}),
    ("GET", "/api/v1/therapies/no-such-therapy/", {}),
    ("GET", "/therapies/", {"Host": "evil.example"}),
    ("GET", "/static/css/site.css", {"Host": "evil.example"}),
    ("DELETE", "/therapies/rituximab/", {}),
    ("POST", "/api/v1/therapies/", {"Authorization": "Token not-a-real-token"}),
]
OUTAGE_PATHS = ["/", "/therapies/", "/therapies/rituximab/", "/api/v1/therapies/", "/healthz"]


@contextlib.contextmanager
def temp_dir(prefix):
    path = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="module")
def static_root():
    with temp_dir("immunosite-test-static-") as root:
        collect_static(root)
        yield root


def records(lines):
    return [line for line in lines if LOG_RECORD_LINE.match(line)]


def test_each_client_error_is_one_log_line_without_a_traceback(static_root):
    with Gunicorn(static_root, workers=1) as app:
        start = len(app.output())
        for method, path, headers in BAD_REQUESTS:
            reply = app.get(path, method=method, headers=headers)
            assert 400 <= reply.status < 500, (method, path, reply.status)
        wait_until(lambda: app.output()[start:].count('" 4') >= len(BAD_REQUESTS), 10, "access log")
        lines = app.app_log(start)
        assert "Traceback" not in "\n".join(lines)
        assert len(lines) == len(records(lines)) == len(BAD_REQUESTS), "\n".join(lines)
        assert any("Invalid HTTP_HOST header: 'evil.example" in line for line in lines)
        assert any("Not Found: /no-such-page/" in line for line in lines)


def test_a_database_outage_is_logged_at_a_bounded_rate(static_root):
    window = 4
    with (
        PostgresCluster(postgres_bin()) as pg,
        Gunicorn(static_root, pg.url, workers=1, DJANGO_LOG_REPEAT_SECONDS=str(window)) as app,
    ):
        assert app.get("/therapies/").status == 200
        pg.stop("immediate")
        start = len(app.output())
        began = time.monotonic()
        requests = 0
        for _ in range(8):
            for path in OUTAGE_PATHS:
                assert app.get(path).status == 503, path
                requests += 1
        assert time.monotonic() - began < window, "too slow to stay in one window"
        lines = app.app_log(start)
        logged = records(lines)
        # Each kind of failure once (the request's 503 and the health check's warning), with
        # its traceback; not one record and one traceback per request.
        assert 1 <= len(logged) <= 4, "\n".join(logged)
        assert "\n".join(lines).count("Traceback (most recent call last)") <= 2
        assert len(lines) < requests * 5, f"{len(lines)} lines for {requests} requests"

        # After the window, the next one through says how many were left out.
        time.sleep(window + 0.5)
        assert app.get("/therapies/").status == 503
        again = records(app.app_log(start))[len(logged) :]
        assert any("more like this in the last" in line for line in again), "\n".join(again)
        pg.start()
        assert app.get("/therapies/").status == 200
