"""The benchmark (issue 7): builds databases of N synthetic therapies on PostgreSQL and SQLite,
serves each with gunicorn (the project's gunicorn.conf.py: 2 sync workers, production
settings), loads every page with wrk from 127.0.0.1 and prints a table of requests/s, p50/p95/p99
latency, queries per request and non-2xx responses, each also as a ratio to a trivial view
measured on the same server in the same run. docs/performance.md says how to read it.

    .venv/bin/python bench/run.py                        # 1,000, 10,000, 100,000; both databases
    .venv/bin/python bench/run.py --sizes 1000 --databases sqlite --duration 5
    .venv/bin/python bench/run.py --smoke --output /tmp/x  # the CI smoke run (tests/test_bench.py)

Results: a Markdown table on stdout and bench/results/<UTC time>-<database>.md and .json
(rewritten after each size, so an interrupted run keeps what it measured). Progress goes to
stderr. Exit status 0 when every size was measured (whatever the targets say), 1 otherwise.
"""

import argparse
import contextlib
import datetime
import importlib.metadata
import json
import math
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

from bench.probe import TRIVIAL  # noqa: E402
from tests.servers import (  # noqa: E402  (helpers shared with the production tests)
    HOST,
    PostgresCluster,
    base_env,
    fetch,
    free_port,
    secret_key,
    stop_process_group,
    tail,
    wait_until,
)

BENCH_DIR = BASE_DIR / "bench"
PYTHON = Path(sys.executable)
GUNICORN = PYTHON.parent / "gunicorn"
REPORT_LUA = BENCH_DIR / "report.lua"
PROBE = BENCH_DIR / "probe.py"
DATABASES = ("postgresql", "sqlite")
DB_TITLES = {"postgresql": "PostgreSQL", "sqlite": "SQLite"}
PERCENTILES = ("p50", "p95", "p99")
RSS_LIMIT_MB = 150
FEW_REQUESTS = 20  # fewer completed requests than this in a page's run: flagged

# The targets. Ratios are of requests/s unless said otherwise.
RATIO_TARGETS = {"filtered": 0.15, "therapy": 0.3, "api": 0.1, "cache_hit": 0.6}
DEEP_PAGE_TARGET = 0.8  # deep page req/s ≥ 0.8 x the first page's
SEARCH_P95_TARGET = 2.0  # search p95 ≤ 2 x the filtered list's p95
CACHE_HIT_PAGE = "therapies"  # measured again with the page cache on
SECRET_KEY = secret_key()


def log(message):
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --- Processes -------------------------------------------------------------------------------


def app_env(database_url, static_root, page_cache):
    """The server's environment: production settings (DEBUG off) over plain HTTP on loopback,
    as tests/servers/ runs them; the bench's own additions are the trivial view, rate limits
    no benchmark reaches (API, exports, search, type-ahead) and the page cache switch."""
    return base_env(
        DJANGO_SETTINGS_MODULE="immunosite.settings",
        DJANGO_SECRET_KEY=SECRET_KEY,
        DJANGO_ALLOWED_HOSTS=HOST,
        DJANGO_SECURE_SSL_REDIRECT="0",
        DJANGO_STATIC_ROOT=str(static_root),
        DATABASE_URL=database_url,
        DJANGO_API_ANON_RATE="1000000/second",
        DJANGO_EXPORT_RATE="1000000/second",
        DJANGO_SEARCH_RATE="1000000/second",
        DJANGO_SUGGEST_RATE="1000000/second",
        BENCH_TRIVIAL_VIEW="1",
        PAGE_CACHE="1" if page_cache else "0",
    )


def run(command, env, timeout, what):
    started = time.monotonic()
    result = subprocess.run(
        [str(c) for c in command],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if result.returncode != 0:
        raise RuntimeError(
            f"{what} exited {result.returncode}:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
        )
    return result.stdout, time.monotonic() - started


def manage(env, *args, timeout=3600):
    return run([PYTHON, "manage.py", *args], env, timeout, f"manage.py {' '.join(args)}")


def probe(env, *args, timeout=900):
    stdout, _ = run([PYTHON, PROBE, *args], env, timeout, f"probe {args[0]}")
    return json.loads(stdout.strip().splitlines()[-1])


class Server:
    """gunicorn immunosite.wsgi -c gunicorn.conf.py (2 sync workers) on a free port."""

    def __init__(self, env, root, database_name=None, workers=2):
        self.port = free_port()
        self.database_name = database_name  # PostgreSQL: whose backends wait_idle() watches
        self.env = {**env, "GUNICORN_BIND": f"{HOST}:{self.port}", "WEB_CONCURRENCY": str(workers)}
        self.workers = workers
        self.log = Path(root) / f"gunicorn-{self.port}.log"
        self.process = None
        self.errors = ""

    def __enter__(self):
        with open(self.log, "ab") as output:
            self.process = subprocess.Popen(
                [str(GUNICORN), "immunosite.wsgi", "-c", "gunicorn.conf.py"],
                cwd=BASE_DIR,
                env=self.env,
                stdout=output,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        try:
            wait_until(self._ready, 60, f"gunicorn on port {self.port}", interval=0.1)
        except BaseException:
            self.__exit__()
            raise
        self.first_workers = set(self.worker_pids())
        return self

    def replaced_workers(self):
        """How many of the first workers are gone (killed after gunicorn's 30 s timeout, or
        crashed): memory figures are then of their younger replacements."""
        return len(self.first_workers - set(self.worker_pids()))

    def _ready(self):
        if self.process.poll() is not None:
            raise RuntimeError(f"gunicorn exited {self.process.returncode}:\n{tail(self.log)}")
        try:
            up = fetch(self.port, "/healthz", timeout=10).status == 200
        except OSError:
            return False
        return up and len(self.worker_pids()) == self.workers

    def __exit__(self, *exc_info):
        stop_process_group(self.process)
        self.process = None
        self.errors = self.log_excerpt()
        with contextlib.suppress(OSError):
            self.log.unlink()

    ACCESS_LOG = re.compile(r'"[A-Z]+ \S* HTTP/[\d.]+" \d{3} ')
    GUNICORN_INFO = re.compile(r"^\[[^]]+\] \[\d+\] \[INFO\] ")

    def log_excerpt(self, chars=6000):
        """What the server logged besides access-log lines and gunicorn's start/stop notes:
        warnings, errors and tracebacks (the end of them)."""
        text = tail(self.log, 5_000_000)
        if len(text) == 5_000_000:
            text = text.partition("\n")[2]  # the first line was cut
        lines = [
            line
            for line in text.splitlines()
            if not (self.ACCESS_LOG.search(line) or self.GUNICORN_INFO.match(line))
        ]
        return "\n".join(lines)[-chars:]

    def url(self, path):
        return f"http://{HOST}:{self.port}{path}"

    def worker_pids(self):
        try:
            children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
            return [int(pid) for pid in children.read_text().split()]
        except (OSError, ValueError):
            return []

    def database_backends(self):
        """The pids of PostgreSQL backends serving this server's database."""
        if not self.database_name:
            return []
        marker = f"postgres: {self.database_name} ".encode()
        found = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                with contextlib.suppress(OSError):
                    if marker in (entry / "cmdline").read_bytes().replace(b"\0", b" "):
                        found.append(int(entry.name))
        return found

    def cpu_ticks(self):
        total = 0
        for pid in self.worker_pids() + self.database_backends():
            with contextlib.suppress(OSError, IndexError, ValueError):
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                total += int(fields[11]) + int(fields[12])  # utime, stime
        return total

    def wait_idle(self, quiet=0.3, timeout=600):
        """Wait until the workers (and their database backends) have used no CPU for `quiet`
        seconds: when wrk stops, requests it already sent are still being served, and they
        must not eat into the next measurement. Returns the seconds waited."""
        started = time.monotonic()
        last, quiet_since = None, started
        while time.monotonic() - started < timeout:
            ticks = self.cpu_ticks()
            now = time.monotonic()
            if ticks != last:
                last, quiet_since = ticks, now
            elif now - quiet_since >= quiet:
                break
            time.sleep(0.05)
        return time.monotonic() - started

    def worker_memory(self):
        """VmRSS and VmHWM (peak) of each worker, in MB (10^6 bytes), from /proc."""
        memory = []
        for pid in self.worker_pids():
            with contextlib.suppress(OSError):
                status = Path(f"/proc/{pid}/status").read_text()
                fields = dict(re.findall(r"^(VmRSS|VmHWM):\s+(\d+) kB", status, re.MULTILINE))
                memory.append(
                    {
                        "pid": pid,
                        "rss_mb": round(int(fields["VmRSS"]) * 1024 / 1e6, 1),
                        "peak_mb": round(int(fields["VmHWM"]) * 1024 / 1e6, 1),
                    }
                )
        return memory


def warm_up(server, paths, rounds):
    """Every page through both workers (two clients at once) before anything is measured;
    returns the statuses seen per path."""
    statuses = {path: set() for path in paths}

    def client():
        for _ in range(rounds):
            for path in paths:
                try:
                    statuses[path].add(fetch(server.port, path, timeout=60).status)
                except OSError as error:
                    statuses[path].add(f"error: {error}")

    threads = [threading.Thread(target=client) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {path: sorted(map(str, seen)) for path, seen in statuses.items()}


def wrk(server, path, args, seconds):
    command = [
        "wrk", "-t", str(args.threads), "-c", str(args.connections), "-d", f"{seconds}s",
        "--timeout", "30s", "-s", str(REPORT_LUA), server.url(path),
    ]  # fmt: skip
    result = subprocess.run(
        command, capture_output=True, text=True, timeout=seconds + 120, env=base_env()
    )
    line = next((x for x in result.stdout.splitlines() if x.startswith("BENCH_JSON ")), None)
    if result.returncode != 0 or line is None:
        raise RuntimeError(
            f"wrk {path} exited {result.returncode}:\n{result.stdout}{result.stderr}"
        )
    raw = json.loads(line.removeprefix("BENCH_JSON "))
    seconds = raw["duration_us"] / 1e6
    latency = raw["latency_us"]
    errors = raw["errors"]
    return {
        "requests": raw["requests"],
        "seconds": round(seconds, 3),
        "rps": raw["requests"] / seconds if seconds else 0.0,
        "latency_ms": {
            key: round(latency[key] / 1000, 3) for key in ("p50", "p75", "p90", "p95", "p99")
        }
        | {"max": round(latency["max"] / 1000, 3), "mean": round(latency["mean"] / 1000, 3)},
        "non_2xx": errors["status"],  # wrk counts statuses of 400 and more
        "socket_errors": {k: v for k, v in errors.items() if k != "status" and v},
        "bytes_per_request": round(raw["bytes"] / raw["requests"]) if raw["requests"] else 0,
    }


def measure(server, rows, args):
    """Every page with the trivial view measured just before and just after it (T P1 T P2 … T):
    each page's ratios are to the mean of its two neighbours, so load that comes and goes on
    a shared machine affects both sides of a ratio alike. Returns every trivial run."""
    trivial_seconds = max(1, args.duration // 2)
    server.wait_idle()
    trivial_runs = [wrk(server, TRIVIAL, args, trivial_seconds)]
    for row in rows:
        log(f"  wrk {row['path']}")
        row.update(wrk(server, row["path"], args, args.duration))
        row["drain_seconds"] = round(server.wait_idle(), 2)
        trivial_runs.append(wrk(server, TRIVIAL, args, trivial_seconds))
        server.wait_idle()
        neighbours = trivial_runs[-2:]
        row["reference"] = {
            "rps": sum(t["rps"] for t in neighbours) / 2,
            "latency_ms": {p: sum(t["latency_ms"][p] for t in neighbours) / 2 for p in PERCENTILES},
        }
        row["ratio"] = row["rps"] / row["reference"]["rps"] if row["reference"]["rps"] else 0.0
        row["latency_ratio"] = {
            p: row["latency_ms"][p] / ref if (ref := row["reference"]["latency_ms"][p]) else 0.0
            for p in PERCENTILES
        }
    return trivial_runs


def trivial_summary(runs):
    rps = [t["rps"] for t in runs]
    return {
        "runs": len(runs),
        "rps": sum(rps) / len(rps),
        "rps_min": min(rps),
        "rps_max": max(rps),
        "drift": (max(rps) - min(rps)) / max(max(rps), 1e-9),
        "latency_ms": {p: sum(t["latency_ms"][p] for t in runs) / len(runs) for p in PERCENTILES},
        "non_2xx": sum(t["non_2xx"] for t in runs),
        "socket_errors": [t["socket_errors"] for t in runs if t["socket_errors"]],
    }


def problems(row):
    """What makes a row's figures untrustworthy: errors, statuses other than 200, a page that
    made no query (served from a cache?)."""
    found = []
    if row.get("non_2xx"):
        found.append(f"{row['non_2xx']} non-2xx")
    if row.get("socket_errors"):
        found.append(
            "socket errors " + ", ".join(f"{k} {v}" for k, v in row["socket_errors"].items())
        )
    if row.get("probe_status") != 200 or row.get("warmup_statuses") != ["200"]:
        found.append(
            f"status {row.get('probe_status')} / {','.join(row.get('warmup_statuses', []))}"
        )
    if row["key"] != "trivial" and not row.get("cache_hit") and row.get("queries") == 0:
        found.append("no queries: served from a cache?")
    if row.get("cache_hit") and not row.get("hit_confirmed"):
        found.append("not a cache hit: page cache missing or off")
    return found


def notes(row):
    """Warnings that do not invalidate a row's figures."""
    if row.get("requests", 0) < FEW_REQUESTS:
        return [f"only {row.get('requests', 0)} requests: percentiles are rough"]
    return []


def evaluate(result):
    """The issue's targets, each with its measured value and pass/fail."""
    rows = {row["key"]: row for row in result["rows"]}
    targets = []

    def add(key, name, value, target, ok, show):
        bad = problems(rows[key]) if key in rows else ["not measured"]
        targets.append(
            {
                "key": key,
                "name": name,
                "value": value,
                "target": target,
                "pass": bool(ok) and not bad,
                "show": show,
                "problems": bad,
            }
        )

    for key, name in (
        ("filtered", "Filtered therapy list"),
        ("therapy", "Therapy detail"),
        ("api", "API therapy list"),
        ("cache_hit", "Cache hit"),
    ):
        if key in rows:
            ratio = rows[key]["ratio"]
            add(key, name, ratio, f"≥ {RATIO_TARGETS[key]}x trivial",
                ratio >= RATIO_TARGETS[key], f"{fmt_ratio(ratio)}x")  # fmt: skip
    if "deep" in rows and "therapies" in rows:
        # Each side as measured against its own neighbouring trivial runs.
        first = rows["therapies"]["ratio"]
        ratio = rows["deep"]["ratio"] / first if first else 0.0
        add("deep", "Deep page", ratio, f"≥ {DEEP_PAGE_TARGET}x first page",
            ratio >= DEEP_PAGE_TARGET, f"{ratio:.2f}x first page")  # fmt: skip
    if "search" in rows and "filtered" in rows:
        filtered_p95 = rows["filtered"]["latency_ms"]["p95"]
        ratio = rows["search"]["latency_ms"]["p95"] / filtered_p95 if filtered_p95 else math.inf
        add("search", "Search p95", ratio, f"≤ {SEARCH_P95_TARGET}x filtered list p95",
            ratio <= SEARCH_P95_TARGET, f"{ratio:.2f}x filtered p95")  # fmt: skip
    memory = result["worker_memory"]
    worst = max((m["rss_mb"] for ms in memory.values() for m in ms), default=None)
    replaced = sum(result.get("workers_replaced", {}).values())
    targets.append(
        {
            "key": "rss",
            "name": "Worker RSS after the run",
            "value": worst,
            "target": f"< {RSS_LIMIT_MB} MB",
            "pass": worst is not None and worst < RSS_LIMIT_MB and not replaced,
            "show": f"{worst} MB" if worst is not None else "not measured",
            "problems": [f"{replaced} worker(s) replaced during the run"] if replaced else [],
        }
    )
    return targets


# --- Databases -------------------------------------------------------------------------------


class SQLiteDatabases:
    """One file per size, copied from a migrated base file."""

    name = "sqlite"

    def __init__(self, root):
        self.root = Path(root)
        self.base = self.root / "base.sqlite3"

    @property
    def base_url(self):
        return f"sqlite:///{self.base}"

    def database_name(self, size):
        return None

    def create(self, size):
        shutil.copyfile(self.base, self.root / f"{size}.sqlite3")
        return f"sqlite:///{self.root / f'{size}.sqlite3'}"

    def drop(self, size):
        with contextlib.suppress(OSError):
            (self.root / f"{size}.sqlite3").unlink()

    def close(self):
        pass


class PostgresDatabases:
    """A throwaway cluster (tests/servers/); one database per size, copied from a migrated
    template database."""

    name = "postgresql"

    def __init__(self):
        found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: p.parts)
        if not found:
            raise SystemExit("PostgreSQL is not installed: run `make system-deps`.")
        self.cluster = PostgresCluster(found[-1].parent).__enter__()
        self.version = self.cluster.psql("SHOW server_version").stdout.strip()

    @property
    def base_url(self):
        return self.cluster.url

    def url(self, database):
        return self.cluster.url.rsplit("/", 1)[0] + f"/{database}"

    def database_name(self, size):
        return f"bench_{size}"

    def create(self, size):
        name = self.cluster.name
        self.cluster.psql(f"CREATE DATABASE bench_{size} OWNER {name} TEMPLATE {name}")
        return self.url(f"bench_{size}")

    def drop(self, size):
        with contextlib.suppress(RuntimeError):
            self.cluster.psql(f"DROP DATABASE IF EXISTS bench_{size} WITH (FORCE)")

    def close(self):
        self.cluster.__exit__(None, None, None)


def build(databases, size, static_root, args):
    """A database of `size` therapies, from the migrated base: `python -m bench.synth` (which
    also builds the search index and, on PostgreSQL, analyzes)."""
    started = time.monotonic()
    url = databases.create(size)
    env = app_env(url, static_root, page_cache=False)
    builder = f"bench.synth --therapies {size} --seed {args.seed}"
    run([PYTHON, "-m", *builder.split(), "--no-progress"], env, 3600, builder)
    return url, builder, time.monotonic() - started


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
    }
    for row in rows:
        row["problems"] = problems(row)
        row["notes"] = notes(row)
    result["targets"] = evaluate(result)
    return result


# --- Reporting -------------------------------------------------------------------------------


def command_output(*command):
    try:
        return subprocess.run(
            command, capture_output=True, text=True, timeout=10, cwd=BASE_DIR
        ).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return ""


def machine_info():
    cpuinfo = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    model = re.search(r"^model name\s*:\s*(.+)$", cpuinfo, re.MULTILINE)
    meminfo = Path("/proc/meminfo").read_text() if Path("/proc/meminfo").exists() else ""
    memory = re.search(r"^MemTotal:\s+(\d+) kB", meminfo, re.MULTILINE)
    dirty = command_output("git", "status", "--porcelain", "--untracked-files=no")
    return {
        "nproc": os.cpu_count(),
        "cpu": model.group(1).strip() if model else platform.processor(),
        "memory_gb": round(int(memory.group(1)) / 1024**2, 1) if memory else None,
        "kernel": platform.release(),
        "python": platform.python_version(),
        "django": importlib.metadata.version("django"),
        "wrk": command_output("wrk", "--version").splitlines()[0:1],
        "git_commit": command_output("git", "rev-parse", "HEAD"),
        "git_modified_files": len(dirty.splitlines()),
        "loadavg_start": os.getloadavg(),
    }


def fmt_rps(value):
    return f"{value:,.0f}" if value >= 100 else f"{value:.1f}"


def fmt_ratio(value):
    return f"{value:.2f}" if value >= 0.1 else f"{value:.3f}"


def fmt_ms(value):
    return f"{value:.1f}" if value >= 10 else f"{value:.2f}"


def row_target(result, key):
    return next((t for t in result["targets"] if t["key"] == key), None)


def markdown_size(result, args):
    picks = result["picks"]
    trivial, cached = result["trivial"], result["cached_trivial"]
    lines = [
        f"### {DB_TITLES[result['database']]}, {result['size']:,} therapies",
        "",
        f"{picks['therapies']:,} published therapies (`{result['builder']}`), "
        f"{picks['list_pages']:,} list pages; built in {result['build_seconds']:.0f} s, measured "
        f"in {result['measure_seconds']:.0f} s. Trivial view: {fmt_rps(trivial['rps'])} req/s "
        f"on average over {trivial['runs']} runs ({fmt_rps(trivial['rps_min'])} to "
        f"{fmt_rps(trivial['rps_max'])}); on the page-cache server {fmt_rps(cached['rps'])}.",
        "",
    ]
    if trivial["drift"] > 0.25:
        lines += [
            f"**Noisy machine:** the trivial view's req/s varied by {trivial['drift']:.0%} "
            "during the run; read ratios with care.",
            "",
        ]
    lines += [
        "| page | URL | req/s | x trivial | p50 ms (x trivial) | p95 ms (x trivial) "
        "| p99 ms (x trivial) | queries | non-2xx | target | result |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |",
        f"| Trivial view (mean) | `{TRIVIAL}` | {fmt_rps(trivial['rps'])} | 1.00 | "
        + " | ".join(f"{fmt_ms(trivial['latency_ms'][p])} (1.0x)" for p in PERCENTILES)
        + f" | {trivial['queries']} | {trivial['non_2xx']} |  |  |",
    ]
    for row in result["rows"]:
        target = row_target(result, row["key"])
        lat = [
            f"{fmt_ms(row['latency_ms'][p])} ({row['latency_ratio'][p]:.1f}x)" for p in PERCENTILES
        ]
        if target:
            verdict = "pass" if target["pass"] else "**FAIL**"
            verdict += f" ({target['show']})"
            target_text = target["target"]
        else:
            verdict, target_text = "", ""
        if row["problems"]:
            verdict = (verdict + " " if verdict else "") + "⚠ " + "; ".join(row["problems"])
        if row["notes"]:
            verdict = (verdict + " " if verdict else "") + "(" + "; ".join(row["notes"]) + ")"
        non_2xx = f"**{row['non_2xx']}** ⚠" if row["non_2xx"] else "0"
        lines.append(
            f"| {row['title']} | `{row['path']}` | {fmt_rps(row['rps'])} | "
            f"{fmt_ratio(row['ratio'])} | "
            f"{' | '.join(lat)} | {row['queries']} | {non_2xx} | {target_text} | {verdict} |"
        )
    if any(row["non_2xx"] or row["problems"] for row in result["rows"]):
        for name, excerpt in result["server_log"].items():
            if excerpt:
                lines += ["", f"Server log ({name}), the end:", "", "```", excerpt[-1500:], "```"]
    rss = row_target(result, "rss")
    per_server = "; ".join(
        f"{name}: " + ", ".join(f"{m['rss_mb']} MB (peak {m['peak_mb']})" for m in memory)
        for name, memory in result["worker_memory"].items()
    )
    replaced = sum(result["workers_replaced"].values())
    lines += [
        "",
        f"Worker RSS after the run ({per_server}): target {rss['target']}, "
        f"{'pass' if rss['pass'] else '**FAIL**'}."
        + (
            f" ⚠ {replaced} worker(s) were replaced during the run (gunicorn's timeout?): "
            "their figures are of the replacements."
            if replaced
            else ""
        ),
        "",
        f"Targets: {sum(t['pass'] for t in result['targets'])} of {len(result['targets'])} pass.",
        "",
    ]
    return "\n".join(lines)


def markdown(report, args):
    machine = report["machine"]
    settings = report["settings"]
    lines = [
        f"## Benchmark, {DB_TITLES[report['database']]}{' (smoke run)' if args.smoke else ''}",
        "",
        f"{report['started']} · git {machine['git_commit'][:10]}"
        f"{' (+ uncommitted changes)' if machine['git_modified_files'] else ''} · "
        f"{machine['nproc']} CPUs ({machine['cpu']}), {machine['memory_gb']} GB · load average at "
        f"start {', '.join(f'{x:.2f}' for x in machine['loadavg_start'])} · "
        f"{report.get('database_version', '')} · "
        f"wrk -t{settings['threads']} -c{settings['connections']} -d{settings['duration']}s per "
        f"URL, gunicorn 2 sync workers, production settings.",
        "",
    ]
    for result in report["results"]:
        lines.append(markdown_size(result, args))
    for error in report["errors"]:
        lines += [f"**Error** at {error['size']:,} therapies: `{error['error']}`", ""]
    if report.get("finished"):
        lines.append(f"Whole run: {report['duration_seconds'] / 60:.1f} minutes.")
    return "\n".join(lines) + "\n"


def write_report(report, args, stamp):
    out = Path(args.output)
    out.mkdir(parents=True, exist_ok=True)
    base = out / f"{stamp}-{report['database']}"
    Path(f"{base}.json").write_text(json.dumps(report, indent=2, default=str) + "\n")
    Path(f"{base}.md").write_text(markdown(report, args))
    return base


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
        "--smoke",
        action="store_true",
        help="a quick check that everything works: 300 therapies, 1 s per URL (CI)",
    )
    args = parser.parse_args(argv)
    if args.smoke:
        args.sizes, args.duration, args.warmup_rounds = "300", 1, 1
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
