"""Serving and loading for bench/run.py: the benchmarked server's environment, gunicorn on a
free port (its workers' CPU and memory from /proc), wrk with bench/report.lua, and each page
measured between two runs of the trivial view, its ratios to them and to its idiomatic
baseline (bench/baseline/)."""

import contextlib
import json
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

from tests.servers import (  # helpers shared with the production tests
    HOST,
    base_env,
    fetch,
    free_port,
    secret_key,
    stop_process_group,
    tail,
    wait_until,
)

from .probe import TRIVIAL, baseline_key

BASE_DIR = Path(__file__).resolve().parent.parent
BENCH_DIR = BASE_DIR / "bench"
PYTHON = Path(sys.executable)
GUNICORN = PYTHON.parent / "gunicorn"
REPORT_LUA = BENCH_DIR / "report.lua"
PROBE = BENCH_DIR / "probe.py"
PERCENTILES = ("p50", "p95", "p99")
SECRET_KEY = secret_key()


def log(message):
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --- Processes -------------------------------------------------------------------------------


def app_env(database_url, static_root, page_cache):
    """The server's environment: production settings (DEBUG off) over plain HTTP on loopback,
    as tests/servers/ runs them; the bench's own additions are the trivial view and the
    idiomatic baseline (bench/baseline/) at /_bench/, rate limits
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
        BENCH_BASELINE="1",
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


def profile_pages(env, paths, requests):
    """bench/costs.py's figures for each path, with the server's environment."""
    command = [PYTHON, BENCH_DIR / "costs.py", "--json", "--requests", requests, *paths]
    stdout, _ = run(command, env, 1800, "costs")
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


def compare_with_baselines(rows):
    """`x_baseline` of each page with a baseline row (bench/baseline/, measured right after
    it): the page's ratio to its trivial neighbours ÷ the baseline's ratio to its own (the
    trivial run between the two is a neighbour of both). None for the other rows."""
    by_key = {row["key"]: row for row in rows}
    for row in rows:
        baseline = by_key.get(baseline_key(row["key"]))
        row["x_baseline"] = None
        if baseline is not None:
            row["baseline"] = baseline["key"]
            baseline["baseline_of"] = row["key"]
            row["x_baseline"] = row["ratio"] / baseline["ratio"] if baseline["ratio"] else 0.0


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
