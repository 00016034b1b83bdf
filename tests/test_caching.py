"""catalog/caching.py: the catalog's version read once per request, for pages and API alike
(`request.catalog_version`), and one caching policy per kind of response, the same wherever it
applies; the pages take none of it from the API package. On PostgreSQL, the version read is
also the check of a reused connection: a page-cache hit sends one statement, and a connection
the database dropped is replaced without an error."""

import ast
import tempfile
from pathlib import Path

import psycopg
import pytest
from django.contrib.auth.models import User
from django.db import close_old_connections, connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils.http import http_date
from psycopg import pq

from catalog.models import catalog_last_modified

from .helpers import page_text

pytestmark = pytest.mark.django_db

CATALOG = Path(__file__).resolve().parent.parent / "catalog"
URLS = [
    "/",
    "/therapies/?condition=rheumatoid-arthritis",
    "/a-z/",
    "/therapies/rituximab/",
    "/api/v1/therapies/?page_size=5",
    "/api/v1/therapies/?cursor=",
    "/api/v1/therapies/rituximab/",
    "/api/v1/version/",
    "/api/v1/glossary/?format=csv",
]


def version_reads(queries):
    return [
        q["sql"]
        for q in queries
        if "catalog_catalogversion" in q["sql"] and "changed_at" in q["sql"]
    ]


@pytest.fixture
def staff_client(client):
    client.force_login(User.objects.create_user("staffer", password="x", is_staff=True))
    return client


@pytest.mark.parametrize("url", URLS)
@pytest.mark.parametrize("who", ["anonymous", "staff"])
def test_a_request_reads_the_catalog_version_once(client, article, url, who):
    """The page cache (anonymous pages), the view, the counts and the headers share one read,
    which the request carries as `request.catalog_version`."""
    if who == "staff":
        client.force_login(User.objects.create_user("staffer", password="x", is_staff=True))
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
        b"".join(response.streaming_content) if response.streaming else response.content
    assert response.status_code == 200
    reads = version_reads(captured.captured_queries)
    if who == "staff" and not url.startswith("/api/"):
        assert len(reads) <= 1  # staff pages are never cached: only a list's count asks
        return
    assert len(reads) == 1
    assert response.wsgi_request.catalog_version.changed_at == catalog_last_modified()
    assert response["Last-Modified"] == http_date(catalog_last_modified().timestamp())


def test_a_request_that_does_not_ask_reads_no_version(client, db):
    with CaptureQueriesContext(connection) as captured:
        assert client.get("/robots.txt").status_code == 200
    assert version_reads(captured.captured_queries) == []


def directives(response):
    return {part.strip() for part in response["Cache-Control"].split(",")}


def test_each_caching_policy_reads_the_same_wherever_it_applies(staff_client, article):
    anonymous = Client()
    shared = {"public", "no-cache"}
    briefly = {"public", "max-age=60"}
    private = {"private", "no-cache"}
    for url in ["/therapies/", "/glossary/", "/therapies/rituximab/"]:
        assert directives(anonymous.get(url)) == shared, url
        assert directives(staff_client.get(url)) == private, url
    for url in ["/api/v1/therapies/", "/api/v1/therapies/rituximab/", "/search/suggest/?q=rit"]:
        assert directives(anonymous.get(url)) == briefly, url
    for url in ["/api/v1/therapies/", "/api/v1/therapies/rituximab/"]:
        assert directives(staff_client.get(url)) == private, url


def imported_modules(path):
    """The modules a file imports, absolute (`catalog.api.pagination`)."""
    package = ".".join(path.relative_to(CATALOG.parent).with_suffix("").parts[:-1])
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package.rsplit(".", node.level - 1)[0] if node.level else ""
            module = ".".join(part for part in [base, node.module] if part)
            found += [module] + [f"{module}.{alias.name}" for alias in node.names]
    return found


def test_nothing_outside_the_api_package_imports_from_it():
    """Pages, models, caching and paging point at the models, never at catalog/api/."""
    offenders = {
        str(path.relative_to(CATALOG.parent)): [
            m for m in imported_modules(path) if m.startswith("catalog.api")
        ]
        for path in CATALOG.rglob("*.py")
        if "api" not in path.relative_to(CATALOG).parts[:1] and "migrations" not in path.parts
    }
    assert {path: modules for path, modules in offenders.items() if modules} == {}


# --- The version read stands in for the connection's health check (PostgreSQL) ----------------

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="SQLite has no connection to lose"
)


def a_new_request():
    """What Django does as each request starts (`request_started`), which the test client
    leaves out: a persistent connection is kept, to be checked before its next use."""
    close_old_connections()


def sent_to_postgresql(request):
    """`request()`'s response, and the statements the connection sent the server during it
    (libpq's own trace of the protocol: Django's SELECT 1 health check is not logged)."""
    pgconn = connection.connection.pgconn
    with tempfile.TemporaryFile("w+") as trace:
        pgconn.trace(trace.fileno())
        pgconn.set_trace_flags(pq.Trace.SUPPRESS_TIMESTAMPS | pq.Trace.REGRESS_MODE)
        try:
            response = request()
        finally:
            pgconn.untrace()
        trace.seek(0)
        messages = [line.split("\t") for line in trace]
    return response, [m[3].strip() for m in messages if m[:1] == ["F"] and m[2] == "Query"]


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_a_page_cache_hit_costs_postgresql_one_statement(committed_catalog, client):
    """On a persistent connection, a hit is the version read and nothing else: that read is
    the connection's health check too, so there is no `SELECT 1` before it."""
    assert "Rituximab" in page_text(client.get("/therapies/"))  # rendered and stored
    a_new_request()
    response, statements = sent_to_postgresql(lambda: client.get("/therapies/"))
    assert "Rituximab" in page_text(response)
    assert len(statements) == 1, statements
    assert "catalog_catalogversion" in statements[0]


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_a_connection_the_database_dropped_is_replaced_on_the_next_request(
    committed_catalog, client
):
    """The database closed the worker's persistent connection between two requests (a restart,
    an idle timeout): the next request's version read finds it dead, makes a new one and the
    page is served, as Django's health check would have made sure."""
    assert "Rituximab" in page_text(client.get("/therapies/"))
    dropped = connection.connection.info.backend_pid
    with psycopg.connect(**connection.get_connection_params()) as other:
        other.execute("SELECT pg_terminate_backend(%s)", [dropped])
    a_new_request()
    response = client.get("/therapies/rituximab/")
    assert response.status_code == 200
    assert "Rituximab" in page_text(response)
    assert connection.connection.info.backend_pid != dropped
