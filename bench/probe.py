"""The Django side of bench/run.py, run as a subprocess with the benchmarked server's own
environment (production settings, the same DATABASE_URL), so the server itself is never slowed
by query logging. Prints JSON on stdout.

    python bench/probe.py pick [--analyze] [--q TEXT]  # the pages to benchmark, and `count`s
    python bench/probe.py count PATH...                 # per path: status, bytes, queries

`pick` chooses the pages from the data (after VACUUM ANALYZE on PostgreSQL with --analyze)
and counts their queries, the trivial view's and the baselines' included. `count` requests
each path twice through Django's test client (the whole middleware stack, as gunicorn runs
it) and counts the queries of the second request: the steady state of a warm worker, whose
per-process caches are filled.
"""

import argparse
import json
import math
import os
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

HOST = "127.0.0.1"
LIST_PAGE_SIZE = 20  # catalog.views.FilteredListView.paginate_by
TRIVIAL = "/_bench/trivial/"  # immunosite.views.bench_trivial, with BENCH_TRIVIAL_VIEW=1
BASELINE = "/_bench/baseline/"  # bench/baseline/, with BENCH_BASELINE=1
FACETS = "therapy_class,condition,condition_category,action"  # every facet of the therapy list


def baseline_key(key):
    """The key of a page's idiomatic-baseline row (bench/baseline/)."""
    return f"{key}_baseline"


def pages(picks):
    """(key, title, path) of every benchmarked page, in the order they are measured: pages
    compared with each other by a target (deep and first page, search and filtered list, the
    filtered API list with and without facets) are
    measured one after the other, and each page with an idiomatic baseline (bench/baseline/,
    at BASELINE with BENCH_BASELINE=1) is followed by its baseline, with the same picks."""
    parent, cls = picks["parent_condition"], picks["therapy_class"]
    filters = f"?condition={parent}&therapy_class={cls}"
    therapy = picks["therapy"]
    site = [
        ("home", "Home", "/", BASELINE),
        ("deep", "Therapy list, deep page", f"/therapies/?page={picks['deep_page']}", None),
        ("therapies", "Therapy list", "/therapies/", f"{BASELINE}therapies/"),
        ("search", "Search", f"/search/?q={picks['search_q']}", None),
        (
            "filtered",
            "Therapy list, filtered",
            f"/therapies/{filters}",
            f"{BASELINE}therapies/{filters}",
        ),
        (
            "therapy",
            "Therapy detail",
            f"/therapies/{therapy}/",
            f"{BASELINE}therapies/{therapy}/",
        ),
        (
            "condition",
            "Condition detail",
            f"/conditions/{parent}/",
            f"{BASELINE}conditions/{parent}/",
        ),
        ("api", "API therapy list", "/api/v1/therapies/", f"{BASELINE}api/therapies/"),
        # Against the same list without facets (the next row): measured one after the other.
        (
            "facets",
            "API therapy list, filtered, with facets",
            f"/api/v1/therapies/?condition={parent}&facets={FACETS}",
            None,
        ),
        (
            "api_filtered",
            "API therapy list, filtered",
            f"/api/v1/therapies/?condition={parent}",
            f"{BASELINE}api/therapies/?condition={parent}",
        ),
    ]
    found = []
    for key, title, path, baseline in site:
        found.append((key, title, path))
        if baseline:
            found.append((baseline_key(key), f"{title}, baseline", baseline))
    return found


def analyze():
    """Planner statistics and visibility maps, as autovacuum keeps them on a live database."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")


def therapies_for(condition):
    from catalog.models import Therapy

    return Therapy.objects.published().for_conditions([condition])


def pick(search_q=None):
    """The benchmarked pages, chosen from whatever data the database holds:
    - the parent condition (one with sub-conditions, else any top-level one) with the most
      therapies, for the filtered lists and the condition page;
    - within it, the class with the most therapies;
    - the therapy with the most published indications, for the therapy page;
    - a search for the first five letters of that therapy's name (or `search_q`);
    - the second-to-last page of the unfiltered therapy list."""
    from django.db.models import Count

    from catalog.models import Condition, Therapy

    therapies = Therapy.objects.published()
    total = therapies.count()
    top = Condition.objects.published().filter(parent=None)
    parents = top.filter(children__in=Condition.objects.published()).distinct() or top
    ranked = sorted(((therapies_for(c).count(), c.slug, c) for c in parents), reverse=True)
    if not ranked or not total:
        raise SystemExit("The database has no published therapies or conditions to benchmark.")
    parent_count, _, parent = ranked[0]
    best_class = (
        therapies_for(parent)
        .values("therapy_class__slug")
        .annotate(n=Count("pk"))
        .order_by("-n", "therapy_class__slug")
        .first()
    )
    therapy = (
        therapies.annotate(n=Count("indications"))
        .order_by("-n", "slug")
        .only("slug", "name")
        .first()
    )
    letters = "".join(c for c in therapy.name.split()[0] if c.isalnum()).lower()
    q = search_q or letters[:5] or therapy.slug[:5]
    pages = max(1, math.ceil(total / LIST_PAGE_SIZE))
    deep_page = max(1, pages - 1)
    filtered = therapies_for(parent).filter(therapy_class__slug=best_class["therapy_class__slug"])
    return {
        "therapies": total,
        "therapies_in_database": Therapy.objects.count(),
        "conditions": Condition.objects.published().count(),
        "list_pages": pages,
        "parent_condition": parent.slug,
        "parent_condition_therapies": parent_count,
        "therapy_class": best_class["therapy_class__slug"],
        "filtered_therapies": filtered.count(),
        "therapy": therapy.slug,
        "search_q": q,
        "deep_page": deep_page,
    }


def count(paths):
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST=HOST, raise_request_exception=False)
    results = {}
    for path in paths:
        client.get(path)  # warm: templates, per-process caches, the connection
        with CaptureQueriesContext(connection) as queries:
            response = client.get(path)
            body = b"".join(response) if response.streaming else response.content
        results[path] = {
            "status": response.status_code,
            "bytes": len(body),
            "queries": len(queries.captured_queries),
        }
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    pick_parser = commands.add_parser("pick")
    pick_parser.add_argument("--analyze", action="store_true", help="VACUUM ANALYZE first")
    pick_parser.add_argument("--q", default=None, help="the search text (default: from the data)")
    count_parser = commands.add_parser("count")
    count_parser.add_argument("paths", nargs="+")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "immunosite.settings")
    import django

    django.setup()
    if args.command == "pick":
        if args.analyze:
            analyze()
        picks = pick(args.q)
        found = pages(picks)
        result = {
            "picks": picks,
            "pages": found,
            "counts": count([TRIVIAL] + [path for _, _, path in found]),
        }
    else:
        result = count(args.paths)
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
