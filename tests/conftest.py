"""Fixtures every test module can use: Chromium for Playwright, a clean cache per test, the
article's content in every test database, a synthetic catalog of any size, the database
handling of real-browser tests, and the page cache on a real redis-server."""

import datetime
import json
import os
import shlex
import shutil
import sys
import tempfile
import time
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.cache import cache, caches
from django.core.management import call_command
from django.db import connection, connections, models
from django.test import Client, override_settings
from django.utils import timezone

from catalog.history import history_paused
from catalog.models import (
    Condition,
    ConditionCategory,
    Indication,
    SearchTerm,
    Source,
    Therapy,
    TherapyClass,
    TherapyName,
    catalog_version,
)
from catalog.search import rebuild_index

from . import helpers
from .helpers import PageProblems, django_response_schema_errors
from .servers import RedisServer, require

# Playwright's sync API runs an event loop; Django's ORM is used beside it in live_server tests.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Debian's Chromium (never `playwright install`, which cannot download here)."""
    return {
        **browser_type_launch_args,
        "executable_path": shutil.which("chromium") or "/usr/bin/chromium",
        "args": [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-dev-shm-usage",
        ],
    }


@pytest.fixture(scope="session")
def static_root():
    """`collectstatic` once per session, for the modules that serve the app with gunicorn
    (tests/servers/): hashed, compressed files for WhiteNoise."""
    from .servers import collect_static

    root = Path(tempfile.mkdtemp(prefix="immunosite-test-static-"))
    try:
        collect_static(root)
        yield root
    finally:
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def one_rate_window():
    """The clock stopped at this second for the test: a test that spends a small rate ("2/minute")
    must not see its requests split between two of the limits' fixed windows (a window can end
    between any two requests, and did in CI). In-process only: servers keep their own clock,
    so their tests use rates per hour."""
    with time_machine.travel(time.time(), tick=False):
        yield


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Throttling counters, cached values and cached pages never leak from one test to the
    next."""
    cache.clear()
    caches["pages"].clear()
    yield
    cache.clear()
    caches["pages"].clear()


@pytest.fixture(autouse=True, scope="session")
def _jinja2_renders_are_recorded():
    """The test client's `response.templates` and `response.context` for the public pages
    (Jinja2, catalog/templating.py), as Django's test environment records its own engine's
    renders: each render sends `template_rendered` with the template and its context."""
    from django.template.backends.jinja2 import Template
    from django.test.signals import template_rendered

    render = Template.render

    def recorded(self, context=None, request=None):
        content = render(self, context, request)
        template_rendered.send(sender=self, template=self, context=dict(context or {}))
        return content

    Template.render = recorded
    yield
    Template.render = render


@pytest.fixture(autouse=True)
def _api_responses_match_the_schema(monkeypatch):
    """Every response Django's test client gets from /api/v1/ (the `client` and `admin_client`
    fixtures, DRF's APIClient and any Client(): they all send through Client.request) is
    checked against the OpenAPI schema with openapi-core, errors (problem+json) included: a
    mismatch fails the test that made the request. What is not checked, and why:
    helpers.django_response_schema_errors."""
    send = Client.request

    def request(self, **kwargs):
        response = send(self, **kwargs)
        errors = django_response_schema_errors(response)
        assert not errors, "The response does not match the schema:\n" + "\n".join(errors)
        return response

    monkeypatch.setattr(Client, "request", request)


@pytest.fixture
def api_token(db):
    """`api_token(user)`: the `Authorization` header value that authenticates `user` to the
    API. The one place that knows how API credentials are made."""

    def make(user):
        return f"Token {helpers.api_token(user)}"

    return make


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Every test database starts with the article's content (fixtures/catalog.json)."""
    with django_db_blocker.unblock(), history_paused():
        call_command("loaddata", "catalog", verbosity=0)
        rebuild_index()


def restore_database(snapshot):
    """The database as `snapshot` (serialize_db_to_string) had it: emptied without Django's
    post-migrate content (content types, permissions), which the snapshot holds, then loaded."""
    call_command(
        "flush", interactive=False, inhibit_post_migrate=True, reset_sequences=False, verbosity=0
    )
    # The changes feed's queue of noted writes is left out: the triggers note the rows again
    # as they load (with ids of their own, which the snapshot's could clash with once a
    # migration test has made the table anew).
    rows = [row for row in json.loads(snapshot) if row["model"] != "catalog.pendingchange"]
    with history_paused():  # the snapshot holds the versions; loading it records none
        connection.creation.deserialize_db_from_string(json.dumps(rows))
    # The table of uses is derived (catalog/uses.py): the snapshot holds its rows and the
    # triggers wrote them again while the snapshot loaded; made exact once more.
    from catalog import uses

    with connection.cursor() as cursor:
        uses.run(cursor.execute, uses.fill(connection.vendor))


@pytest.fixture(scope="module")
def _database_snapshot(django_db_setup, django_db_blocker):
    """The database as the tests before this module left it (content, groups, permissions),
    put back after the module: its transactional tests flush it."""
    with django_db_blocker.unblock():
        snapshot = connection.creation.serialize_db_to_string()
    yield snapshot
    with django_db_blocker.unblock():
        restore_database(snapshot)


@pytest.fixture
def committed_catalog(transactional_db, _database_snapshot):
    """The database as the other tests see it, the site's content and the editors' groups
    included (restored if a transactional test before this one flushed it), for a test that
    runs outside a transaction. Use with `pytest.mark.django_db(transaction=True)`."""
    if not Group.objects.exists():
        restore_database(_database_snapshot)


@pytest.fixture
def live_catalog(committed_catalog, live_server):
    """The live server (another thread: the test's writes must be committed, so the test is
    transactional) over `committed_catalog`. Use with `pytest.mark.django_db(transaction=True)`."""
    return live_server


@pytest.fixture
def article(db):
    return Source.objects.get(slug="drugscom-immunotherapy")


@pytest.fixture
def make_catalog(db):
    """Add `n` synthetic therapies, each with a brand name and two indications, to one new
    class and two new conditions (a parent and its child). Returns the class."""

    def make(n, prefix="synth"):
        published = {"status": "published", "published_at": timezone.now()}
        source = Source.objects.create(
            slug=f"{prefix}-source", title="Synthetic", publisher="Tests", last_updated=None
        )
        therapy_class = TherapyClass.objects.create(
            slug=f"{prefix}-class",
            name=f"{prefix} class",
            summary="s",
            action="stimulates",
            **published,
        )
        therapy_class.sources.add(source)
        parent = Condition.objects.create(
            slug=f"{prefix}-parent",
            name=f"{prefix} parent",
            summary="s",
            category=ConditionCategory.CANCER,
            **published,
        )
        child = Condition.objects.create(
            slug=f"{prefix}-child",
            name=f"{prefix} child",
            summary="s",
            category=ConditionCategory.CANCER,
            parent=parent,
            **published,
        )
        therapies = Therapy.objects.bulk_create(
            Therapy(
                slug=f"{prefix}-{i:05d}",
                name=f"{prefix} therapy {i:05d}",
                summary="s",
                therapy_class=therapy_class,
                last_reviewed=datetime.date(2024, 1, 1),
                **published,
            )
            for i in range(n)
        )
        TherapyName.objects.bulk_create(
            TherapyName(therapy=t, name=f"Brand{t.slug}", kind="brand") for t in therapies
        )
        indications = Indication.objects.bulk_create(
            Indication(therapy=t, condition=c, **published)
            for t in therapies
            for c in (parent, child)
        )
        Therapy.sources.through.objects.bulk_create(
            Therapy.sources.through(therapy=t, source=source) for t in therapies
        )
        Indication.sources.through.objects.bulk_create(
            Indication.sources.through(indication=i, source=source) for i in indications
        )
        therapies = Therapy.objects.filter(therapy_class=therapy_class)
        SearchTerm.objects.index(
            [therapy_class, parent, child, *therapies.prefetch_related("other_names")]
        )
        # As a running site would be by the next request: the first request after a write
        # reads the next scheduled boundary (once per process), which query counts leave out.
        catalog_version()
        return therapy_class

    return make


# --- real-browser tests (Playwright + live_server) ----------------------------------------------


@pytest.fixture(scope="session")
def _playwright_connections_closed(playwright, django_db_blocker):
    """While Playwright's sync API runs, Django sees an event loop and gives the test code
    connections of their own (asgiref's Local); close them before Playwright stops, or
    PostgreSQL refuses to drop the test database ("being accessed by other users")."""
    yield
    with django_db_blocker.unblock():
        connections.close_all()


@pytest.fixture(scope="module")
def _database_restored_after_module(django_db_setup, django_db_blocker):
    """The database as it was before the module (content, the Editors group, content types…)
    once the module's transactional tests have flushed it."""
    with django_db_blocker.unblock():
        snapshot = connection.creation.serialize_db_to_string()
    yield
    with django_db_blocker.unblock():
        # Sequences keep counting (as in TransactionTestCase), past every restored id.
        restore_database(snapshot)


@pytest.fixture
def browser_db(_playwright_connections_closed, _database_restored_after_module, transactional_db):
    """For live_server tests in a real browser (the live server reads the database from another
    thread, so the tests are transactional): the site's content loaded before each test, the
    database put back after the module. Browser modules use it for every test:
    `pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("browser_db")]`."""
    with history_paused():
        call_command("loaddata", "catalog", verbosity=0)
    rebuild_index()


@pytest.fixture
def browse(page):
    """The Playwright page, watched for CSP violations, JavaScript and console errors."""
    return PageProblems(page)


# --- markers: a test that starts a server or drives a browser says so ---------------------------
# `make test-fast` leaves out the tests marked browser, servers, fuzz, bench and slow, so an
# unmarked test that starts gunicorn or PostgreSQL would slow the quick loop down unnoticed. The
# run fails instead: at collection for a test using Playwright's fixtures without `browser`, and
# at the end of a test (or its set-up) that started a server program without `servers`/`bench`.

BROWSER_FIXTURES = {"page", "context", "browser", "new_context", "browse", "browser_db"}
# A program started from this process -> the marker its test needs (`bench` covers them all).
PROGRAM_MARKERS = {
    **dict.fromkeys(
        ["gunicorn", "pg_ctl", "postgres", "initdb", "redis-server", "nginx"], "servers"
    ),
    **dict.fromkeys(["chromium", "chromium-browser", "chrome"], "browser"),
}
_started_programs = []


def _program_names(executable, argv):
    if isinstance(argv, str | bytes | os.PathLike):
        try:
            parts = shlex.split(os.fsdecode(argv))  # a command line (shell=True) or one path
        except ValueError:
            parts = [os.fsdecode(argv)]
    else:
        parts = [os.fsdecode(part) for part in argv or ()]
    if executable:
        parts.append(os.fsdecode(executable))
    return {os.path.basename(part) for part in parts}


def _note_program_start(event, args):
    """Audit hook: every subprocess.Popen of this process, whoever calls it (args: executable,
    args, cwd, env)."""
    if event == "subprocess.Popen":
        _started_programs.extend(_program_names(args[0], args[1]) & PROGRAM_MARKERS.keys())


sys.addaudithook(_note_program_start)


def _browser_fixtures(item):
    """The Playwright fixtures the test uses (not a parameter that happens to be called
    `page`: its value comes from @pytest.mark.parametrize)."""
    callspec = getattr(item, "callspec", None)
    parameters = set(callspec.params) if callspec else set()
    return BROWSER_FIXTURES & (set(getattr(item, "fixturenames", ())) - parameters)


# What reaches pytest-django's test database: a test without one of these runs the same on
# SQLite and on PostgreSQL.
DATABASE_FIXTURES = {"db", "transactional_db", "django_db_reset_sequences", "live_server"}


def uses_own_servers_only(item):
    """A test that starts servers of its own (`servers`, `bench`) and never opens the session's
    test database: its outcome cannot depend on DATABASE_URL, so the PostgreSQL run skips it."""
    starts_servers = item.get_closest_marker("servers") or item.get_closest_marker("bench")
    opens_database = item.get_closest_marker("django_db") or DATABASE_FIXTURES & set(
        item.fixturenames
    )
    return bool(starts_servers) and not opens_database


def pytest_collection_modifyitems(config, items):
    for item in items:
        if uses_own_servers_only(item):
            item.add_marker(pytest.mark.once)
    unmarked = [
        item.nodeid
        for item in items
        if _browser_fixtures(item) and not item.get_closest_marker("browser")
    ]
    if unmarked:
        raise pytest.UsageError(
            "these tests drive a browser but are not marked `browser`:\n  " + "\n  ".join(unmarked)
        )


def _check_started_programs(item, phase):
    started = sorted(set(_started_programs))
    _started_programs.clear()
    missing = {
        program: PROGRAM_MARKERS[program]
        for program in started
        if not (
            item.get_closest_marker(PROGRAM_MARKERS[program]) or item.get_closest_marker("bench")
        )
    }
    if missing:
        markers = sorted(set(missing.values()))
        pytest.fail(
            f"{item.nodeid} starts {', '.join(missing)} (in its {phase}) but is not marked "
            f"{' and '.join(markers)}: add `pytestmark = pytest.mark.{markers[0]}` to the module "
            f"or @pytest.mark.{markers[0]} to the test",
            pytrace=False,
        )


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item):
    _started_programs.clear()
    result = yield
    _check_started_programs(item, "set-up")
    return result


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    _started_programs.clear()
    result = yield
    _check_started_programs(item, "call")
    return result


@pytest.fixture
def redis_pages():
    """The "pages" alias on a real redis-server, as settings.py configures it for REDIS_URL."""
    with RedisServer(require("redis-server")) as server:
        config = {
            "BACKEND": "immunosite.cache.ResilientRedisCache",
            "LOCATION": server.url,
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
        caches_setting = {
            "default": settings.CACHES["default"],
            "pages": {**config, "KEY_PREFIX": "pages", "TIMEOUT": 600},
        }
        with override_settings(CACHES=caches_setting):
            yield server


@pytest.fixture
def seeded_history(db):
    """Every record with its first version ("Loaded from the source article"), as `manage.py
    seed` left them a day ago: later edits are changes of their own, not part of that load."""
    from catalog.history import SEEDED, populate_initial_history
    from catalog.models import registry

    populate_initial_history(SEEDED)
    for model in registry.versioned_models():
        if hasattr(model, "history"):
            earlier = models.F("history_date") - datetime.timedelta(days=1)
            model.history.update(history_date=earlier)
