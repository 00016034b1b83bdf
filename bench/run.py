"""The benchmark (issues 7 and 17): builds databases of N synthetic therapies on PostgreSQL and
SQLite, serves each with gunicorn (the project's gunicorn.conf.py: 2 sync workers, production
settings), loads every page with wrk from 127.0.0.1 and prints a table of requests/s, p50/p95/p99
latency, queries per request and non-2xx responses, each also as a ratio to a trivial view
measured on the same server in the same run, and to the page's idiomatic Django baseline
(bench/baseline/) where it has one. docs/performance.md says how to read it. The parts:
measure.py (server, wrk), databases.py, targets.py, report.py (Markdown, files).

    .venv/bin/python bench/run.py                        # 1,000, 10,000, 100,000; both databases
    .venv/bin/python bench/run.py --sizes 1000 --databases sqlite --duration 5
    .venv/bin/python bench/run.py --smoke --output /tmp/x  # the CI smoke run (tests/test_bench.py)

Results: a Markdown table on stdout and bench/results/<UTC time>-<database>.md and .json
(rewritten after each size, so an interrupted run keeps what it measured). Progress goes to
stderr. Exit status 0 when every size was measured (whatever the targets say), 1 otherwise.
"""

import argparse
import datetime
import os
import shutil
import sys
import tempfile
import time
import traceback
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

from bench.databases import PostgresDatabases, SQLiteDatabases, build  # noqa: E402
from bench.measure import (  # noqa: E402
    Server,
    app_env,
    compare_with_baselines,
    log,
    manage,
    measure,
    probe,
    profile_pages,
    trivial_summary,
    warm_up,
)
from bench.probe import TRIVIAL  # noqa: E402
from bench.report import DB_TITLES, machine_info, markdown_size, write_report  # noqa: E402
from bench.targets import CACHE_HIT_PAGE, evaluate, notes, problems  # noqa: E402

BENCH_DIR = BASE_DIR / "bench"
DATABASES = ("postgresql", "sqlite")

# --- One size on one database ----------------------------------------------------------------


def bench_size(databases, size, static_root, tmp, args):
    log(f"{DB_TITLES[databases.name]}, {size:,} therapies: building")
    url, builder, build_seconds = build(databases, size, static_root, args)
    started = time.monotonic()
    env = app_env(url, static_root, page_cache=False)
    # VACUUM ANALYZE, the pages, their query counts: one process.
    found = probe(env, "pick", "--analyze", *(["--q", args.search_q] if args.search_q else []))
    picks, counts = found["picks"], found["counts"]
    log(f"  {picks['therapies']:,} published therapies, built in {build_seconds:.0f} s")
    if counts[TRIVIAL]["status"] != 200:
        raise RuntimeError(f"{TRIVIAL} answers {counts[TRIVIAL]['status']}: is it routed?")
    rows = [{"key": k, "title": t, "path": p} for k, t, p in found["pages"]]
    paths = [TRIVIAL] + [row["path"] for row in rows]
    for row in rows:
        row["probe_status"] = counts[row["path"]]["status"]
        row["queries"] = counts[row["path"]]["queries"]
        row["probe_bytes"] = counts[row["path"]]["bytes"]
    memory = {}
    with Server(env, tmp, databases.database_name(size)) as server:
        log(f"  serving on port {server.port} (page cache off); warming up")
        statuses = warm_up(server, paths, args.warmup_rounds)
        for row in rows:
            row["warmup_statuses"] = statuses[row["path"]]
        trivial_runs = measure(server, rows, args)
        compare_with_baselines(rows)
        memory["uncached"] = server.worker_memory()
        replaced = {"uncached": server.replaced_workers()}
    server_log = {"uncached": server.errors}
    trivial = trivial_summary(trivial_runs)
    trivial.update(queries=counts[TRIVIAL]["queries"], warmup_statuses=statuses[TRIVIAL])

    # The page cache (catalog/pagecache.py) on: one page served from it, against the trivial
    # view of that same server.
    cached_env = app_env(url, static_root, page_cache=True)
    source = next(row for row in rows if row["key"] == CACHE_HIT_PAGE)
    hit = {
        "key": "cache_hit",
        "title": f"{source['title']}, page cache hit",
        "path": source["path"],
        "cache_hit": True,
        "x_baseline": None,
    }
    hit_counts = probe(cached_env, "count", TRIVIAL, hit["path"])
    hit.update(
        probe_status=hit_counts[hit["path"]]["status"],
        queries=hit_counts[hit["path"]]["queries"],
        hit_confirmed=hit_counts[hit["path"]]["queries"] < source["queries"],
    )
    with Server(cached_env, tmp, databases.database_name(size)) as server:
        log(f"  serving on port {server.port} (page cache on)")
        statuses = warm_up(server, [TRIVIAL, hit["path"]], args.warmup_rounds)
        hit["warmup_statuses"] = statuses[hit["path"]]
        cached_trivial = trivial_summary(measure(server, [hit], args))
        memory["cached"] = server.worker_memory()
        replaced["cached"] = server.replaced_workers()
    server_log["cached"] = server.errors
    rows.append(hit)
    # Where each page's time goes (bench/costs.py, in-process, page cache off): after the load,
    # so profiling never overlaps a measurement.
    profiles = []
    if args.profile_requests:
        log("  profiling each page in-process")
        profiled = [row["path"] for row in rows if not row.get("cache_hit")]
        try:
            profiles = profile_pages(env, profiled, args.profile_requests)
        except Exception as error:  # the measurements stand without their profiles
            log(f"  profiling failed: {error}")
            profiles = [{"error": str(error)[-2000:]}]
    databases.drop(size)

    result = {
        "database": databases.name,
        "size": size,
        "builder": builder,
        "picks": picks,
        "build_seconds": round(build_seconds, 1),
        "measure_seconds": round(time.monotonic() - started, 1),
        "trivial": trivial,
        "cached_trivial": cached_trivial,
        "rows": rows,
        "worker_memory": memory,
        "workers_replaced": replaced,
        "server_log": server_log,  # warnings, errors, tracebacks
        "profiles": profiles,  # bench/costs.py: time by part, top functions, slowest query's plan
    }
    for row in rows:
        row["problems"] = problems(row)
        row["notes"] = notes(row)
    result["targets"] = evaluate(result)
    return result


# --- Main ------------------------------------------------------------------------------------


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="1000,10000,100000", help="therapies per database")
    parser.add_argument("--databases", default="postgresql,sqlite", help="postgresql,sqlite")
    parser.add_argument("--duration", type=int, default=10, help="seconds of wrk per URL")
    parser.add_argument("--connections", type=int, default=4, help="wrk connections")
    parser.add_argument("--threads", type=int, default=1, help="wrk threads")
    parser.add_argument("--seed", type=int, default=1, help="bench.synth's random seed")
    parser.add_argument("--search-q", default=None, help="the search text (default: from data)")
    parser.add_argument("--warmup-rounds", type=int, default=2, help="requests per page/client")
    parser.add_argument("--output", default=str(BENCH_DIR / "results"), help="results folder")
    parser.add_argument(
        "--profile-requests",
        type=int,
        default=3,
        help="requests per page profiled in-process after the load (bench/costs.py); 0: none",
    )
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="a quick check that everything works: 300 therapies, 1 s per URL (CI)",
    )
    args = parser.parse_args(argv)
    if args.smoke:
        args.sizes, args.duration, args.warmup_rounds = "300", 1, 1
        args.profile_requests = min(args.profile_requests, 1)
    args.size_list = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    args.database_list = [d.strip() for d in args.databases.split(",") if d.strip()]
    unknown = set(args.database_list) - set(DATABASES)
    if unknown:
        parser.error(f"unknown database(s): {', '.join(sorted(unknown))}")
    return args


def main(argv=None):
    args = parse_args(argv)
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed: run `make system-deps` (Debian package wrk).")
    run_started = time.monotonic()
    stamp = datetime.datetime.now(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")
    machine = machine_info()
    failed = False
    tmp = Path(tempfile.mkdtemp(prefix="immunosite-bench-"))
    try:
        static_root = tmp / "static"
        log("collectstatic")
        manage(
            app_env("sqlite://:memory:", static_root, False), "collectstatic", "--no-input", "-v0"
        )
        for database in args.database_list:
            db_started = time.monotonic()
            report = {
                "database": database,
                "started": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
                "machine": machine,
                "settings": {
                    "sizes": args.size_list,
                    "duration": args.duration,
                    "connections": args.connections,
                    "threads": args.threads,
                    "seed": args.seed,
                    "smoke": args.smoke,
                    "workers": 2,
                },
                "results": [],
                "errors": [],
            }
            log(f"{DB_TITLES[database]}: migrating the base database")
            if database == "postgresql":
                databases = PostgresDatabases()
                report["database_version"] = f"PostgreSQL {databases.version}"
            else:
                databases = SQLiteDatabases(tmp)
                import sqlite3

                report["database_version"] = f"SQLite {sqlite3.sqlite_version}"
            try:
                manage(app_env(databases.base_url, static_root, False), "migrate", "--no-input")
                for size in args.size_list:
                    try:
                        result = bench_size(databases, size, static_root, tmp, args)
                    except Exception as error:
                        failed = True
                        log(f"  FAILED: {error}")
                        traceback.print_exc()
                        report["errors"].append({"size": size, "error": str(error)[-2000:]})
                        databases.drop(size)
                    else:
                        report["results"].append(result)
                        print(markdown_size(result, args), flush=True)
                    write_report(report, args, stamp)
            finally:
                databases.close()
            report["finished"] = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
            report["duration_seconds"] = round(time.monotonic() - db_started, 1)
            report["machine"] = {**machine, "loadavg_end": os.getloadavg()}
            base = write_report(report, args, stamp)
            minutes = report["duration_seconds"] / 60
            log(f"{DB_TITLES[database]} done in {minutes:.1f} min: {base}.md")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    log(f"whole run: {(time.monotonic() - run_started) / 60:.1f} minutes")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
