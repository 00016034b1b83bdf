"""Plain helpers the test modules share: reading list pages, page text and admin forms and
changelists, users and API writes, checking API responses against the OpenAPI schema
(openapi-core), the production settings as a fresh process sees them, and what a real
browser must never meet on our pages (PageProblems)."""

import dataclasses
import functools
import gzip
import html
import json
import os
import re
import subprocess
import sys
from pathlib import Path

from django.contrib.auth.models import Group, User
from django.core.exceptions import DisallowedHost
from django.db import connection
from django.urls import resolve, reverse
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from openapi_core import Config, OpenAPI
from openapi_core.datatypes import RequestParameters
from openapi_core.templating.paths.exceptions import PathError
from werkzeug.datastructures import Headers

# A list page's queries: at most 6, the page cache's catalog version included (tests/test_scale.py),
# plus, while its facet counts are not cached yet, one grouped query per facet
# (catalog/facets.py); with them cached, none.
LIST_PAGE_QUERIES = 6


def list_page_queries(url, facets_cached=False):
    """The most queries the list page (or any page) at `url` may take."""
    from catalog import facets

    view = getattr(resolve(url.split("?")[0]).func, "view_class", None)
    filterset_class = getattr(view, "filterset_class", None)
    extra = 0 if facets_cached else len(facets.names(filterset_class))
    return LIST_PAGE_QUERIES + extra


RESULTS = re.compile(r'<ul class="results">(.*?)</ul>\s*(?:<nav|</section>)', re.S)
RESULT_LINK = re.compile(r'<h3><a href="/(?:therapies|classes|conditions)/([\w-]+)/">')


def listed_slugs(response):
    """The slugs of the records a list page shows, in page order."""
    match = RESULTS.search(response.content.decode())
    assert match, "the page has no result list"
    return RESULT_LINK.findall(match.group(1))


def api_slugs(response):
    return [item["slug"] for item in response.json()["results"]]


def page_text(response):
    """The page's visible text, tags stripped and entities decoded, whitespace collapsed."""
    content = response.content.decode()
    content = re.sub(r"<(script|style)\b.*?</\1>", " ", content, flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", content)).split())


def _add_form_data(data, form):
    for bound_field in form:
        value = bound_field.value()
        if value is None or value is False:
            continue
        if value is True:
            data[bound_field.html_name] = "on"
        elif isinstance(value, list | tuple):
            data[bound_field.html_name] = [str(v) for v in value]
        else:
            data[bound_field.html_name] = str(value)


def form_data(response):
    """What the add/change page would POST if submitted unchanged: the main form's values,
    and every inline's management form and rows (extra rows stay empty, so they are ignored)."""
    assert response.status_code == 200
    data = {}
    _add_form_data(data, response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        management = formset.management_form
        for name in management.fields:
            data[f"{formset.prefix}-{name}"] = str(management.initial.get(name, ""))
        for form in formset.forms:
            _add_form_data(data, form)
    return data


# --- users, the admin and the API as a logged-in editor ---------------------------------------

PROBLEM = "application/problem+json"


def make_user(username, *groups, **extra):
    """A staff user in the given groups ("Editors", "Reviewers"), password "x"."""
    user = User.objects.create_user(username, password="x", is_staff=True, **extra)
    user.groups.set([Group.objects.get(name=name) for name in groups])
    return user


def make_reviewer(username="jdoe", full_name="Jane Doe", credential="MD", specialty="rheumatology"):
    """A medical reviewer as a review names them: a user in the Reviewers group with a
    reviewer profile ("Jane Doe, MD, rheumatology"). Returns the profile."""
    from catalog.models import ReviewerProfile

    user = make_user(username, "Reviewers")
    return ReviewerProfile.objects.create(
        user=user, full_name=full_name, credential=credential, specialty=specialty
    )


def review(record, profile, on):
    """`profile` reviews `record` on the date `on` (as the admin's action records it)."""
    record.mark_reviewed(profile, today=on)
    record.save()
    return record


# --- the admin --------------------------------------------------------------------------------


def admin_url(model, view, *args):
    return reverse(f"admin:catalog_{model._meta.model_name}_{view}", args=args)


def api_etag(client, path):
    """The ETag of a plain JSON GET of `path`: what a write sends back in If-Match."""
    response = client.get(path)
    assert response.status_code == 200, response.content
    return response["ETag"]


def api_write(client, method, path, data=None):
    """POST, PUT or PATCH `data` as JSON; PUT and PATCH with If-Match of the current ETag."""
    headers = {} if method == "post" else {"If-Match": api_etag(client, path)}
    return getattr(client, method)(path, data, content_type="application/json", headers=headers)


def problem(response, status):
    """The body of an RFC 9457 problem response with this status."""
    assert response.status_code == status, response.content
    assert response["Content-Type"] == PROBLEM
    body = response.json()
    assert body["status"] == status
    return body


# One page of each public page type, with the status it answers: what the page-wide checks
# (HTML validation, layout in a browser, schema.org data, Lighthouse) go through.
PAGE_TYPES = {
    "home": ("/", 200),
    "therapies": ("/therapies/", 200),
    "therapies-filtered": ("/therapies/?condition=rheumatoid-arthritis", 200),
    "therapy": ("/therapies/rituximab/", 200),
    "classes": ("/classes/", 200),
    "class": ("/classes/monoclonal-antibodies/", 200),
    "conditions": ("/conditions/", 200),
    "condition": ("/conditions/rheumatoid-arthritis/", 200),
    "glossary": ("/glossary/", 200),
    "a-z": ("/a-z/", 200),
    "matrix": ("/matrix/", 200),
    "search": ("/search/?q=antibod", 200),
    "search-no-results": ("/search/?q=zzqxv", 200),
    "whats-new": ("/whats-new/", 200),
    "therapy-changes": ("/therapies/rituximab/changes/", 200),
    "404": ("/no-such-page/", 404),
    "400": ("/therapies/?page=abc", 400),
}


JSON_LD = re.compile(r'<script type="application/ld\+json">(.*?)</script>', re.S)


def json_ld_nodes(response):
    """The page's schema.org nodes by type."""
    assert response.status_code == 200
    (block,) = JSON_LD.findall(response.content.decode())
    return {node["@type"]: node for node in json.loads(block)["@graph"]}


def api_token(user):
    """A new API token's key for `user` (as the admin issues them)."""
    from accounts.models import APIToken

    return APIToken.objects.create(user=user)[1]


# --- the OpenAPI contract: responses checked against /api/v1/schema/ with openapi-core ------

API_PREFIX = "/api/v1/"
# Under /api/v1/ but not operations of the schema: the schema itself, its Swagger UI page (HTML
# for people) and the root (an index of links for the browsable API; the schema is the
# machine-readable index).
NOT_OPERATIONS = ("/api/v1/schema/", "/api/v1/docs/")


@dataclasses.dataclass
class OpenAPIRequest:
    """What openapi-core needs of the request to find the operation a response answers."""

    method: str
    path: str
    host_url: str = "http://testserver"
    content_type: str = ""
    body: bytes | None = None
    parameters: RequestParameters = dataclasses.field(default_factory=RequestParameters)


@dataclasses.dataclass
class OpenAPIResponse:
    status_code: int
    content_type: str
    data: bytes
    headers: Headers


@functools.cache
def openapi():
    """The API's schema as served at /api/v1/schema/, ready for openapi-core, which reads
    `application/problem+json` bodies (every error) as the JSON they are."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    spec = json.loads(OpenApiJsonRenderer().render(schema, renderer_context={}))
    config = Config(extra_media_type_deserializers={"application/problem+json": json.loads})
    return OpenAPI.from_dict(spec, config=config)


def schema_errors(method, path, status, headers, body):
    """What is wrong with a response to `method path` by the schema, as readable lines (none:
    it matches). `headers` is a mapping of the response's headers."""
    request = OpenAPIRequest(method=method.lower(), path=path)
    response = OpenAPIResponse(
        status_code=status,
        content_type=headers.get("Content-Type", ""),
        data=body,
        headers=Headers(list(headers.items())),
    )
    errors = list(openapi().iter_response_errors(request, response))
    lines = []
    for error in errors:
        if isinstance(error, PathError) and status in (404, 405):
            # No such operation (an unknown URL or method): the server said so.
            continue
        causes = [error, error.__cause__, *getattr(error.__cause__, "schema_errors", [])]
        lines.append(" / ".join(str(cause)[:500] for cause in causes if cause))
    return [f"{method.upper()} {path} → {status}: {line}" for line in lines]


def django_response_schema_errors(response):
    """schema_errors() for a response of Django's test client; None when the schema has
    nothing to say about it: not under /api/v1/, one of NOT_OPERATIONS or the root, HEAD or
    OPTIONS (the schema documents GET, whose bodies HEAD leaves out, and no preflights), or a
    streamed export (CSV and JSON Lines, described but not parsed: openapi-core reads neither;
    tests/test_api_contract.py reads them), or a request for a host not in ALLOWED_HOSTS
    (refused before any URL is routed, as the site's 400 page: not addressed to this API), or
    the browsable API's HTML pages."""
    request = response.wsgi_request
    path, method = request.path, request.method
    if not path.startswith(API_PREFIX) or path == API_PREFIX or path.startswith(NOT_OPERATIONS):
        return None
    try:
        request.get_host()
    except DisallowedHost:
        return None
    if method in ("HEAD", "OPTIONS") or response.streaming:
        return None
    if response.get("Content-Type", "").startswith(("text/csv", "application/jsonl")):
        return None  # an export of one record: described, not parsed (as the streamed ones)
    if response.get("Content-Type", "").startswith("text/html"):
        return None  # the browsable API (`format=api`): pages for people, not in the schema
    body = decoded(response.content, response.get("Content-Encoding"))
    return schema_errors(method, path, response.status_code, response.headers, body)


def decoded(body, coding):
    """A response body as it was before its Content-Encoding (`coding`: gzip or none)."""
    if coding == "gzip":
        return gzip.decompress(body)
    assert not coding, f"unexpected Content-Encoding {coding!r}"
    return body


def settings_in_subprocess(expression, **env):
    """Load the production settings in a fresh process with only `env` (plus PATH and HOME)
    and print `expression` (Python, with `settings` in scope). Returns (exit code, stdout,
    stderr): how a deployment would see its environment variables taken, or refused."""
    code = (
        "import os; os.environ['DJANGO_SETTINGS_MODULE'] = 'immunosite.settings';"
        f"from django.conf import settings; print({expression})"
    )
    base = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG")}
    result = subprocess.run(
        [sys.executable, "-c", code],
        env={**base, **env},
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parent.parent,
        check=False,
        timeout=60,
    )
    return result.returncode, result.stdout.strip(), result.stderr


def result_rows(response):
    """The text of each row of the changelist's result table (not the filter sidebar)."""
    content = response.content.decode()
    table = re.search(r'<table id="result_list">(.*?)</table>', content, flags=re.S)
    assert table, "no result table on the changelist"
    body = re.search(r"<tbody>(.*?)</tbody>", table.group(1), flags=re.S)
    rows = re.findall(r"<tr\b.*?</tr>", body.group(1), flags=re.S)
    return [" ".join(html.unescape(re.sub(r"<[^>]+>", " ", row)).split()) for row in rows]


def matrix_column_keys(response):
    """The matrix's columns, each as the slug of its therapy, or of its class when it stands
    for the class."""
    return [(c.therapy or c.therapy_class).slug for c in response.context["matrix"]["columns"]]


def matrix_rows(response):
    """The matrix table's rows, in order, across its categories."""
    return [row for s in response.context["matrix"]["sections"] for row in s.rows]


def add_inline_row(data, prefix, **values):
    """Append a new row to the inline formset `prefix` in `data` (indication rows start as
    drafts, as the form's status select does)."""
    if prefix == "indications":
        values.setdefault("status", "draft")
    index = int(data[f"{prefix}-TOTAL_FORMS"])
    for name, value in values.items():
        data[f"{prefix}-{index}-{name}"] = value
    data[f"{prefix}-TOTAL_FORMS"] = str(index + 1)


# --- a real browser (Playwright pages) ----------------------------------------------------------

# Reports `securitypolicyviolation` events from the page; Playwright injects it before the
# page's own scripts, and the page's CSP does not apply to it.
CSP_VIOLATION_LISTENER = """
document.addEventListener("securitypolicyviolation", (e) => {
  window.reportCspViolation(
    `${e.effectiveDirective} blocked ${e.blockedURI || "(inline)"}: ${e.sample}`
  );
});
"""


class PageProblems:
    """What must never happen on our pages, collected while a tab browses: CSP violations
    (console messages and DOM events), JavaScript errors, console errors (such as a static
    file that failed to load) and HTML documents served without a CSP header."""

    def __init__(self, page, *, javascript=True):
        self.page = page
        self.problems = []
        self.expected_404s = set()
        self.expected_statuses = set()  # (status, URL): a form refused with a 400, say
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.problems.append(f"JavaScript error: {error}"))
        page.on("response", self._response)
        if javascript:
            page.expose_function("reportCspViolation", self._csp_event)
            page.add_init_script(CSP_VIOLATION_LISTENER)

    def _csp_event(self, text):
        self.problems.append(f"CSP violation: {text}")

    def _console(self, message):
        text = message.text
        if re.search(r"Content Security Policy|Refused to|violates the following", text):
            self.problems.append(f"CSP violation (console): {text}")
        elif message.type == "error":
            url = message.location.get("url", "")
            # Chromium asks for /favicon.ico, which the site does not have; a 404 page is a 404.
            expected = "status of 404" in text and (
                url.endswith("/favicon.ico") or url in self.expected_404s
            )
            expected = expected or any(
                f"status of {status} " in text and url == where
                for status, where in self.expected_statuses
            )
            if not expected:
                self.problems.append(f"console error: {text} ({url})")

    def _response(self, response):
        if response.request.resource_type == "document" and response.frame == self.page.main_frame:
            csp = response.headers.get("content-security-policy", "")
            if "script-src 'self'" not in csp:
                self.problems.append(f"no CSP header on {response.url}: {csp!r}")

    def expect_status(self, url, status):
        """A document at `url` may answer `status` (a refused form) without it counting."""
        self.expected_statuses.add((status, url))

    def goto(self, url, status=200):
        if status == 404:
            self.expected_404s.add(url)
        response = self.page.goto(url)
        assert response.status == status, url
        assert "default-src 'self'" in response.headers["content-security-policy"]
        return response

    def assert_none(self, where):
        self.page.wait_for_load_state("load")
        problems, self.problems = self.problems, []
        assert not problems, f"{where}:\n" + "\n".join(problems)


def h1(page):
    return page.locator("h1").first


def log_in_to_admin(browse, site, username, password):
    """Log in through the admin's own form, as an editor does, in a watched tab (PageProblems),
    and land on the admin index."""
    from playwright.sync_api import expect

    page = browse.page
    browse.goto(f"{site}/admin/login/?next=/admin/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(h1(page)).to_have_text("Content")


def result_names(page):
    return page.locator(".results h3 a").all_inner_texts()


def scrolls_sideways(page):
    """Whether the Playwright page is wider than its window (a phone reader scrolls sideways)."""
    return page.evaluate(
        "document.documentElement.scrollWidth > document.documentElement.clientWidth"
    )


class Statements:
    """The part of a schema editor the trigger operations use (executing SQL), inside the
    test's transaction (SQLite's own schema editor refuses to run inside one)."""

    connection = connection

    def execute(self, sql, params=()):
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
