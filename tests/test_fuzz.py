"""Fuzzing the API: schemathesis against the live OpenAPI schema, and Hypothesis properties.

1. Every operation of /api/v1/schema/ is called through the WSGI application with requests that
   schemathesis generates from the schema (schema-valid and schema-violating ones, plus its
   coverage scenarios), and every check schemathesis has for a single response runs on each
   answer: no server error, status code documented, content type documented, body matching the
   documented schema (CSV and JSON Lines exports too), schema-valid requests accepted,
   schema-violating ones rejected, unsupported methods refused, … Only "schema-valid requests
   accepted" is narrowed, to what a schema can say (see is_data_dependent); CSV exports get
   one check more (export_checks).
2. Properties, with pytest-django's client:
   (a) the API list and the HTML list agree (same items, same order) on random combinations of
       real filter values;
   (b) the page walk, the cursor walk and the CSV/JSON Lines exports list the same items in the
       same order;
   (c) no combination of parameters, valid or garbage, gives a 500 (only 200, 400 or 404).

Runs are reproducible: the seed is fixed unless FUZZ_SEED says otherwise.

    # CI (fixed seed), SQLite then PostgreSQL:
    .venv/bin/pytest tests/test_fuzz.py
    bash scripts/with-postgres.sh .venv/bin/pytest tests/test_fuzz.py

    # Nightly: a new random seed each run, ten times the examples, on both databases:
    export FUZZ_SEED=random FUZZ_EXAMPLES=500
    .venv/bin/pytest tests/test_fuzz.py
    bash scripts/with-postgres.sh .venv/bin/pytest tests/test_fuzz.py

    # Replay a failure: every failure ends with the line to use, e.g.
    # "FUZZ_SEED=1234567 FUZZ_EXAMPLES=500 reproduces this."
    FUZZ_SEED=1234567 FUZZ_EXAMPLES=500 .venv/bin/pytest tests/test_fuzz.py

FUZZ_SEED: an integer, or `random` (default: a fixed seed). FUZZ_EXAMPLES (default 50): the
examples per API operation for schemathesis (besides its deterministic coverage cases); the
properties (a) and (b) run max(40, FUZZ_EXAMPLES * 4 // 5) examples, (c) five times that.
"""

import base64
import contextlib
import csv
import html
import io
import json
import os
import random
import re
from urllib.parse import quote, urlencode, urljoin

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st
from schemathesis.openapi.checks import RejectedPositiveData
from schemathesis.specs.openapi.checks import positive_data_acceptance

from catalog import filters
from catalog.models import (
    Action,
    Condition,
    ConditionCategory,
    ConditionName,
    GlossaryTerm,
    ModifierRole,
    Source,
    Therapy,
    TherapyClass,
    TherapyName,
)
from immunosite.wsgi import application

from .helpers import listed_slugs

pytestmark = pytest.mark.fuzz

# --- seeds and sizes ----------------------------------------------------------------------

DEFAULT_SEED = 20240112
_SEED_SETTING = os.environ.get("FUZZ_SEED", "").strip().lower()
SEED = (
    random.SystemRandom().randrange(2**32)
    if _SEED_SETTING == "random"
    else int(_SEED_SETTING or DEFAULT_SEED)
)
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES") or 50)
PROPERTY_EXAMPLES = max(40, EXAMPLES * 4 // 5)
REPRODUCE = f"FUZZ_SEED={SEED} FUZZ_EXAMPLES={EXAMPLES} reproduces this."


def fuzz_settings(max_examples):
    # database=None: no replay of examples saved by earlier runs, so a seed means one run.
    return settings(
        max_examples=max_examples,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        database=None,
    )


@contextlib.contextmanager
def naming_the_seed(*details):
    """Every failure says how to reproduce it (the seed is random in nightly runs)."""
    try:
        yield
    except BaseException as error:
        for note in (*details, REPRODUCE):
            error.add_note(note)
        raise


API = "/api/v1/"

# --- 1. schemathesis ----------------------------------------------------------------------

# Loaded once, eagerly (schemathesis.pytest.from_fixture does not work with pytest 9).
schema = schemathesis.openapi.from_wsgi(f"{API}schema/?format=json", application)


@schemathesis.deserializer("text/csv")
def _csv_as_text(ctx, response):
    """CSV is documented as a string; validate it as one (and see export_checks)."""
    return response.content.decode(response.encoding or "utf-8")


@schemathesis.deserializer("application/jsonl")
def _jsonl_as_sequence(ctx, response):
    """JSON Lines: the documented schema describes the sequence of lines as an array."""
    text = response.content.decode(response.encoding or "utf-8")
    return [json.loads(line) for line in text.splitlines()]


# The slug filters take database slugs: a schema-valid string is usually not one of them, and
# the API answers 400 naming it (by design, README). The schema cannot list them (they change
# with every edit), so this rejection is not a schema mismatch.
SLUG_FILTERS = {"therapy", "therapy_class", "condition"}
NOT_A_CHOICE = re.compile(r"No (therapy|class|condition) called “.*”\.( Did you mean .*\?)?", re.S)
# `cursor` is an opaque token the API hands out (documented as "give it empty to start, then
# follow `next`"), and OpenAPI 3.0 cannot say "not together with `page` or `ordering`" (both
# documented in the parameter's description).
CURSOR_RULES = {
    ("cursor", "Invalid cursor."),
    ("cursor", "Use either `cursor` or `page`, not both."),
    ("ordering", "Cursor pagination has its own stable order; drop `ordering` or use `page`."),
}

# Nor "`facets` counts beside a page, not in a download" (said in the parameter's description).
FACET_RULES = {("facets", "Downloads hold rows only: leave `facets` out, or ask a page.")}


def is_data_dependent(problem):
    name, reason = problem["name"], problem["reason"]
    if name in SLUG_FILTERS and NOT_A_CHOICE.fullmatch(reason):
        return True
    return (name, reason) in CURSOR_RULES | FACET_RULES


def positive_data_acceptance_within_the_schemas_reach(ctx, response, case):
    """schemathesis's positive_data_acceptance (a schema-valid request is not rejected),
    except for a 400 whose every complaint is one the schema cannot express (above)."""
    try:
        return positive_data_acceptance(ctx, response, case)
    except RejectedPositiveData:
        if response.status_code == 400:
            problems = json.loads(response.content).get("invalid_params") or []
            if problems and all(is_data_dependent(p) for p in problems):
                return None
        raise


def documented_item_fields(case):
    """The property names of one record of this operation's 200 JSON response."""
    raw = case.operation.schema.raw_schema
    body = case.operation.definition.raw["responses"]["200"]["content"]["application/json"]

    def resolve(node):
        while "$ref" in node:
            node = raw["components"]["schemas"][node["$ref"].split("/")[-1]]
        return node

    body = resolve(body["schema"])
    if "results" in body.get("properties", {}):
        body = resolve(body["properties"]["results"]["items"])
    return list(body["properties"])


def export_checks(ctx, response, case):
    """A CSV export has a header row of the record's documented fields (or the `fields` asked
    for) and one row per record; every row has as many cells as the header."""
    if response.status_code != 200 or case.method.upper() != "GET":
        return None
    media_type = response.headers.get("content-type", [""])[0].split(";")[0].strip()
    if media_type != "text/csv":
        return None
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8"))))
    assert rows, "a CSV export without a header row"
    header, *data = rows
    documented = documented_item_fields(case)
    if "fields" in (case.query or {}):
        assert set(header) <= set(documented), f"CSV columns {header} not in {documented}"
    else:
        assert header == documented, f"CSV columns {header} are not the fields {documented}"
    assert all(len(row) == len(header) for row in data), "a CSV row with a missing cell"
    return None


@pytest.fixture(autouse=True)
def wsgi_requests_keep_the_test_connection():
    """Calling the WSGI application directly sends request_started/request_finished, whose
    close_old_connections would close the test transaction's connection (on PostgreSQL every
    case then fails with "the connection is closed"). Django's test Client disconnects it the
    same way."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def test_write_operations_document_their_refusals():
    """Anonymous clients can only read (fuzzed below); editors' writes (tests/test_api_writes.py)
    document the 401 an anonymous client gets, the 403 of a user without the permission, and
    412/428 for stale or missing If-Match."""
    operations = [result.ok() for result in schema.get_all_operations()]
    reads = [op for op in operations if op.method.upper() == "GET"]
    assert len(reads) == 16  # 7 lists, 6 details, version, me, changes
    for operation in operations:
        if operation.method.upper() == "GET":
            continue
        assert operation.path.startswith(
            ("/api/v1/therapies/", "/api/v1/therapy-classes/", "/api/v1/conditions/")
        )
        codes = set(operation.definition.raw["responses"])
        assert {"401", "403"} <= codes
        if operation.method.upper() in ("PUT", "PATCH", "DELETE"):
            assert {"412", "428"} <= codes


@pytest.mark.django_db
@schema.include(method="GET").parametrize()
@seed(SEED)
@fuzz_settings(EXAMPLES)
def test_api_conforms_to_its_schema(case):
    with naming_the_seed():
        case.call_and_validate(
            # The WSGI transport sends requests' default "Accept-Encoding: gzip" but hands the
            # body back undecoded; compression has its own tests (tests/test_compression*.py).
            headers={"Accept-Encoding": "identity"},
            excluded_checks=[positive_data_acceptance],
            additional_checks=[positive_data_acceptance_within_the_schemas_reach, export_checks],
        )


# --- 2. properties ------------------------------------------------------------------------

NEXT_PAGE = re.compile(r'<a rel="next" href="([^"]+)"')


def html_walk(client, path, query):
    """The slugs every page of an HTML list shows, following its "Next" links."""
    slugs, url = [], f"{path}?{query}"
    while url:
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        slugs += listed_slugs(response)
        found = NEXT_PAGE.search(response.content.decode())
        url = urljoin(path, html.unescape(found.group(1))) if found else None
        assert len(slugs) < 10_000
    return slugs


def api_walk(client, url, key="slug"):
    """Every item of an API list, following `next`; also checks `count` on every page."""
    items, count = [], None
    while url:
        response = client.get(url)
        assert response.status_code == 200, (url, response.content[:300])
        body = response.json()
        count = body["count"] if count is None else count
        assert body["count"] == count
        items += [item[key] for item in body["results"]]
        url = body["next"]
        assert len(items) <= count
    assert len(items) == count
    return items


def body_of(response):
    return b"".join(response.streaming_content) if response.streaming else response.content


def multi_value(values):
    """One or more of `values` for a multi-value filter, as the query string carries them:
    comma-separated in one parameter or the parameter repeated."""
    chosen = st.lists(st.sampled_from(sorted(values)), min_size=1, max_size=3, unique=True)
    return chosen.flatmap(lambda vs: st.sampled_from([[",".join(vs)], vs]))


def fragments(texts):
    """Pieces of real names (any case), and a few that match nothing."""
    texts = sorted(texts)

    def piece(text):
        return st.tuples(st.integers(0, len(text) - 1), st.integers(1, 8), st.booleans()).map(
            lambda t: text[t[0] : t[0] + t[1]].upper() if t[2] else text[t[0] : t[0] + t[1]]
        )

    return st.one_of(
        st.sampled_from(texts).flatmap(piece),
        st.sampled_from(["", " ", "zzz", "mab", "-", "%", "_"]),
    ).map(lambda value: [value])


def query_of(chosen):
    return urlencode([(name, value) for name, values in chosen.items() for value in values])


def ordering_values(filterset):
    keys = [key for key, _ in filterset.base_filters["ordering"].field.choices if key]
    return st.lists(st.sampled_from(keys), min_size=1, max_size=2, unique=True).map(
        lambda ks: [",".join(ks)]
    )


def therapy_filters():
    names = [*Therapy.objects.values_list("name", flat=True)]
    names += TherapyName.objects.values_list("name", flat=True)
    return st.fixed_dictionaries(
        {},
        optional={
            "q": fragments(names),
            "therapy_class": multi_value(TherapyClass.objects.values_list("slug", flat=True)),
            "condition": multi_value(Condition.objects.values_list("slug", flat=True)),
            "condition_category": multi_value(ConditionCategory.values),
            "action": multi_value(Action.values),
            "ordering": ordering_values(filters.TherapyFilter),
        },
    )


def condition_filters():
    names = [*Condition.objects.values_list("name", flat=True)]
    names += ConditionName.objects.values_list("name", flat=True)
    return st.fixed_dictionaries(
        {},
        optional={
            "q": fragments(names),
            "category": multi_value(ConditionCategory.values),
            "therapy": multi_value(Therapy.objects.values_list("slug", flat=True)),
            "therapy_class": multi_value(TherapyClass.objects.values_list("slug", flat=True)),
            "ordering": ordering_values(filters.ConditionFilter),
        },
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("html_path", "api_path", "strategy"),
    [
        ("/therapies/", f"{API}therapies/", therapy_filters),
        ("/conditions/", f"{API}conditions/", condition_filters),
    ],
)
def test_the_api_and_the_html_list_show_the_same_items_in_the_same_order(
    client, make_catalog, html_path, api_path, strategy
):
    make_catalog(25)  # 34 therapies: the HTML list (20 a page) has two pages to walk

    @seed(SEED)
    @fuzz_settings(PROPERTY_EXAMPLES)
    @given(chosen=strategy())
    def check(chosen):
        query = query_of(chosen)
        with naming_the_seed(f"query: {query}"):
            from_html = html_walk(client, html_path, query)
            from_api = api_walk(client, f"{api_path}?{query}&page_size=100")
            assert from_api == from_html, query
            # Empty parts of multi-value parameters change nothing (the pages' `?ordering=,`
            # sorted by database id); the API refuses parameters with nothing in them.
            padded = {name: [f",{v},," for v in vs] for name, vs in chosen.items() if name != "q"}
            padded = chosen | padded
            assert api_walk(client, f"{api_path}?{query_of(padded)}&page_size=100") == from_api
            padded = {"ordering": [","]} | padded
            assert html_walk(client, html_path, query_of(padded)) == from_html

    check()


def synthetic_therapy_filters():
    """Filters within make_catalog's class: its therapies' names ("synth therapy 00007") and
    slugs ("synth-00007") sort alike, so every walk has one expected order. (Across the whole
    catalog they do not: "Trastuzumab" sorts before "synth therapy …" but "trastuzumab" after
    "synth-…".)"""
    return st.fixed_dictionaries(
        {"therapy_class": st.just(["synth-class"])},
        optional={
            "q": st.sampled_from(
                ["synth", "therapy 000", "0001", "Brandsynth-0002", "3", "zzz"]
            ).map(lambda q: [q]),
            "condition": multi_value(["synth-parent", "synth-child"]),
            "condition_category": st.just(["cancer"]),
            "action": st.just(["stimulates"]),
        },
    )


@pytest.mark.django_db
def test_the_page_walk_the_cursor_walk_and_the_exports_agree(client, make_catalog):
    make_catalog(45)
    everything = [f"synth-{i:05d}" for i in range(45)]

    @seed(SEED)
    @fuzz_settings(PROPERTY_EXAMPLES)
    # Page sizes 1 to 20, Hypothesis's favourite (the smallest draw) mapped to 20, the cheapest.
    @given(chosen=synthetic_therapy_filters(), page_size=st.integers(1, 20).map(lambda n: 21 - n))
    def check(chosen, page_size):
        query = query_of(chosen)
        with naming_the_seed(f"query: {query}, page_size={page_size}"):
            url = f"{API}therapies/?{query}&fields=slug&page_size={page_size}"
            pages = api_walk(client, url)
            assert pages == [slug for slug in everything if slug in set(pages)]
            assert api_walk(client, f"{url}&cursor=") == pages, query
            export = body_of(client.get(f"{API}therapies/?{query}&format=csv")).decode()
            header, *rows = csv.reader(io.StringIO(export))
            assert header[0] == "slug"
            assert [row[0] for row in rows] == pages, query
            export = body_of(client.get(f"{API}therapies/?{query}&format=jsonl&fields=slug"))
            assert [json.loads(line)["slug"] for line in export.splitlines()] == pages, query

    check()


# Values that have broken parsers before.
ODD_VALUES = [
    *["", " ", ",", ",,", "-", "\t\n", "\u202e", "\ufeff"],  # blank, separators, invisible
    *["0", "00", "-1", "1.5", "1e2", "9" * 30, "0" * 25 + "7"],  # numbers, huge numbers
    *["\u00b2", "\u0661", "\u0663\u0663"],  # digits to str.isdigit(), not all to int()
    *["\x00", "a\x00b", "null", "true", "[]", "{}", "%", "_", "'", "\\", "a" * 101],
    *["' OR 1=1 --", "<script>", "last", "-name", "--name", "name,,-name"],
]


def crafted_cursor(draw_text):
    """A base64 cursor of DRF's shape (o=offset&r=reverse&p=position) with odd contents."""

    def encode(parts):
        return base64.b64encode(urlencode(parts).encode()).decode()

    part = st.one_of(draw_text, st.integers(-5, 10**25).map(str))
    return st.lists(st.tuples(st.sampled_from("orpx"), part), max_size=3).map(encode)


def garbage():
    text = st.one_of(st.text(max_size=12), st.sampled_from(ODD_VALUES))
    raw_bytes = st.binary(min_size=1, max_size=6)  # percent-encoded as is: invalid UTF-8 too
    return st.one_of(text, st.integers(-(10**25), 10**25).map(str), raw_bytes, crafted_cursor(text))


def parameters_of(filterset, slugs_of):
    """For each parameter of a filterset: a strategy for one plausible value."""
    plausible = {}
    for name, filter_ in filterset.base_filters.items() if filterset else []:
        if isinstance(filter_, filters.OrderingFilter):
            keys = [key for key, _ in filter_.field.choices if key]
            plausible[name] = st.sampled_from(keys)
        elif isinstance(filter_, filters.SlugMultipleFilter):
            plausible[name] = st.sampled_from(slugs_of(filter_.queryset.model))
        elif "choices" in filter_.extra:
            plausible[name] = st.sampled_from([value for value, _ in filter_.extra["choices"]])
        else:  # text search
            plausible[name] = st.sampled_from(["a", "mab", "ritux", "Crohn", "synth"])
    return plausible


def requests_to_try():
    """(path, {parameter: strategy of plausible values}) for every list and detail of the API
    and every HTML list."""

    def slugs_of(model):
        return sorted(model.objects.values_list("slug", flat=True))

    lists = {
        "therapies": (filters.TherapyFilter, Therapy),
        "therapy-classes": (filters.TherapyClassFilter, TherapyClass),
        "conditions": (filters.ConditionFilter, Condition),
        "indications": (filters.IndicationFilter, None),
        "glossary": (filters.GlossaryFilter, GlossaryTerm),
        "sources": (None, Source),
        "modifier-roles": (None, ModifierRole),
    }
    html_lists = {
        "/therapies/": filters.TherapyFilter,
        "/classes/": filters.TherapyClassFilter,
        "/conditions/": filters.ConditionFilter,
        "/glossary/": filters.GlossaryFilter,
    }
    rendering = {
        "format": st.sampled_from(["json", "csv", "jsonl", "api"]),
        "fields": st.lists(
            st.sampled_from(["slug", "name", "term", "title", "level", "sources"])
        ).map(",".join),
    }
    paging = {
        "page": st.one_of(st.integers(0, 4).map(str), st.just("last")),
        "page_size": st.integers(0, 101).map(str),
        "cursor": st.one_of(
            st.just(""), crafted_cursor(st.sampled_from(["a", "m", "synth-00003", "5"]))
        ),
    }
    found = []
    # The lists' facets (catalog/facets.py), known names or not.
    facets = {
        "facets": st.lists(
            st.sampled_from(["therapy_class", "condition", "condition_category", "action",
                             "category", "q", ""])
        ).map(",".join)
    }  # fmt: skip
    for name, (filterset, model) in lists.items():
        given_ = parameters_of(filterset, slugs_of) | rendering | paging | facets
        found.append((f"{API}{name}/", given_))
        if model is not None:
            slug = st.one_of(st.sampled_from(slugs_of(model)), st.text(min_size=1, max_size=10))
            found.append(((f"{API}{name}/", slug), rendering))
    for path, filterset in html_lists.items():
        found.append((path, parameters_of(filterset, slugs_of) | {"page": paging["page"]}))
    found.append((f"{API}version/", {"format": rendering["format"]}))
    return found


def a_request(path, plausible):
    """A path and a query: some known parameters with plausible values (one or two each), and
    half the time one more value that is garbage, for a known parameter or an unknown one."""
    if isinstance(path, tuple):
        base, slug = path
        path = slug.map(lambda s: f"{base}{quote(s, safe='')}/")
    else:
        path = st.just(path)
    chosen = st.fixed_dictionaries(
        {}, optional={name: st.lists(s, min_size=1, max_size=2) for name, s in plausible.items()}
    )
    odd_name = st.one_of(st.sampled_from(sorted(plausible)), st.text(max_size=6))
    odd = st.one_of(st.none(), st.tuples(odd_name, garbage()))
    return st.tuples(path, chosen, odd)


@pytest.mark.django_db
def test_no_parameters_make_a_server_error(client, make_catalog):
    make_catalog(3)
    candidates = requests_to_try()
    requests = st.sampled_from(candidates).flatmap(lambda c: a_request(*c))

    @seed(SEED)
    @fuzz_settings(PROPERTY_EXAMPLES * 5)  # one request per example: cheap
    @given(request=requests)
    def check(request):
        path, chosen, odd = request
        pairs = [(name, value) for name, values in chosen.items() for value in values]
        url = f"{path}?{urlencode(pairs + ([odd] if odd else []))}"
        with naming_the_seed(f"GET {url}"):
            response = client.get(url)
            body = body_of(response)  # exports stream: errors could come late
            assert response.status_code in {200, 400, 404}, body[:300]
            if path.startswith(API) and response.status_code != 200:
                assert response["Content-Type"] == "application/problem+json"

    check()
