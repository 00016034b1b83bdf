"""Where a page's time goes, in-process: `python bench/costs.py PATH... [--requests N]` with
the benchmarked server's environment (DATABASE_URL and the rest, as bench/run.py sets them);
`--json` prints the figures as JSON instead (bench/run.py keeps them in its results).
Each path is requested through Django's test client (the whole middleware stack) under
cProfile, after three warm-up requests; the output gives the milliseconds of one request
(wall and CPU), the share of its own time by part (database, SQL building in Django's ORM,
templates, forms and filters, REST framework, JSON, copying, the rest), and the plan of its
slowest query (`EXPLAIN (ANALYZE, BUFFERS)` on PostgreSQL, `EXPLAIN QUERY PLAN` on SQLite)."""

import argparse
import cProfile
import json
import os
import pstats
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

PARTS = [  # (part, what its functions' file names contain), the first that matches
    ("database", ("sqlite3", "psycopg", "CursorWrapper.execute", "fetchall", "fetchone")),
    ("SQL building", ("django/db/",)),
    (
        "templates",
        ("django/template/", "jinja2", "templatetags", "django/utils/html", "safestring"),
    ),
    ("forms and filters", ("django/forms/", "django_filters/", "catalog/filters")),
    ("REST framework", ("rest_framework/", "catalog/api/")),
    ("JSON", ("json/",)),
    ("copying", ("copy.py",)),
]


def short(filename):
    return filename.split("site-packages/")[-1].split("/work/main/")[-1]


def part(function):
    filename, _line, name = function
    where = f"{filename} {name}"
    for label, needles in PARTS:
        if any(needle in where for needle in needles):
            return label
    return "the rest"


def slowest_query(client, path):
    """(milliseconds, SQL, plan lines) of the slowest query of one request."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        client.get(path)
    if not queries.captured_queries:
        return None
    slowest = max(queries.captured_queries, key=lambda q: float(q["time"]))
    sql = slowest["sql"]
    explain = (
        "EXPLAIN (ANALYZE, BUFFERS) "
        if connection.vendor == "postgresql"
        else "EXPLAIN QUERY PLAN "
    )
    with connection.cursor() as cursor:
        cursor.execute(explain + sql)
        plan = [" ".join(str(c) for c in row) for row in cursor.fetchall()]
    return {"ms": round(float(slowest["time"]) * 1000, 2), "sql": sql[:2000], "plan": plan[:40]}


SLOW = 1.0  # seconds: a page whose first request takes longer is warmed and measured once


def profile(client, path, requests):
    started = time.perf_counter()
    response = client.get(path)
    if time.perf_counter() - started > SLOW:  # a page of seconds: one request of each kind
        requests = 1
    else:
        for _ in range(2):
            response = client.get(path)
    started, cpu = time.perf_counter(), time.process_time()
    for _ in range(requests):
        client.get(path)
    wall = (time.perf_counter() - started) / requests * 1000
    cpu = (time.process_time() - cpu) / requests * 1000
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(requests):
        client.get(path)
    profiler.disable()
    shares = {}
    stats = pstats.Stats(profiler).stats
    for function, (_cc, _nc, tottime, _ct, callers) in stats.items():
        label = part(function)
        if function[0] == "~" and label == "the rest" and callers:
            # A built-in (getattr, isinstance …): its time goes to its callers' parts.
            total_calls = sum(c[2] for c in callers.values()) or 1
            for caller, (_c, _n, caller_time, _t) in callers.items():
                share = tottime * caller_time / total_calls
                shares[part(caller)] = shares.get(part(caller), 0) + share
            continue
        shares[label] = shares.get(label, 0) + tottime
    total = sum(shares.values()) or 1
    top = sorted(stats.items(), key=lambda item: -item[1][2])[:12]
    return {
        "path": path,
        "status": response.status_code,
        "wall_ms": round(wall, 2),
        "cpu_ms": round(cpu, 2),
        "shares": {k: round(v / total, 3) for k, v in sorted(shares.items(), key=lambda i: -i[1])},
        "top_functions": [  # (file:line(function), share of the time, calls per request)
            (f"{short(f[0])}:{f[1]}({f[2]})", round(v[2] / total, 3), round(v[1] / requests))
            for f, v in top
        ],
        "slowest_query": slowest_query(client, path),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", nargs="+")
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--json", action="store_true", help="print JSON")
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "immunosite.settings")
    import django

    django.setup()
    from django.test import Client

    client = Client(HTTP_HOST="127.0.0.1", headers={"x-forwarded-proto": "https"})
    if args.json:
        print(json.dumps([profile(client, path, args.requests) for path in args.paths]))
        return
    print(markdown(profile(client, path, args.requests) for path in args.paths))


def markdown(found_pages, slowest=False):
    """The share-by-part table of profiled pages (`slowest`: with the slowest query's ms)."""
    labels = [label for label, _ in PARTS] + ["the rest"]
    extra = ["slowest query ms"] if slowest else []
    lines = [
        "| page | ms (CPU) | " + " | ".join(labels + extra) + " |",
        "| --- | ---: | " + " | ".join("---:" for _ in labels + extra) + " |",
    ]
    for found in found_pages:
        cells = [f"{found['shares'].get(label, 0):.0%}" for label in labels]
        if slowest:
            query = found.get("slowest_query")
            cells.append(f"{query['ms']:.1f}" if query else "none")
        status = "" if found["status"] == 200 else f" ⚠ {found['status']}"
        ms = f"{found['wall_ms']:.1f} ({found['cpu_ms']:.1f})"
        lines.append(f"| `{found['path']}`{status} | {ms} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
