"""bench/run.py's output: the machine it ran on, and the Markdown tables (stdout and
bench/results/<UTC time>-<database>.md) next to the raw figures (….json)."""

import importlib.metadata
import json
import os
import platform
import re
import subprocess
from pathlib import Path

from . import costs
from .measure import BASE_DIR, PERCENTILES
from .probe import TRIVIAL
from .targets import fmt_ratio

DB_TITLES = {"postgresql": "PostgreSQL", "sqlite": "SQLite"}


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


def fmt_ms(value):
    return f"{value:.1f}" if value >= 10 else f"{value:.2f}"


def row_targets(result, key):
    """The targets shown in a row, or (None) under the table."""
    return [t for t in result["targets"] if t.get("row", t["key"]) == key]


def target_line(target):
    verdict = "pass" if target["pass"] else "**FAIL**"
    return f"{target['name']}: target {target['target']}, {verdict} ({target['show']})."


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
        "| page | URL | req/s | x trivial | x baseline | p50 ms (x trivial) | p95 ms (x trivial) "
        "| p99 ms (x trivial) | queries | non-2xx | target | result |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |",
        f"| Trivial view (mean) | `{TRIVIAL}` | {fmt_rps(trivial['rps'])} | 1.00 |  | "
        + " | ".join(f"{fmt_ms(trivial['latency_ms'][p])} (1.0x)" for p in PERCENTILES)
        + f" | {trivial['queries']} | {trivial['non_2xx']} |  |  |",
    ]
    for row in result["rows"]:
        targets = row_targets(result, row["key"])
        lat = [
            f"{fmt_ms(row['latency_ms'][p])} ({row['latency_ratio'][p]:.1f}x)" for p in PERCENTILES
        ]
        target_text = "; ".join(t["target"] for t in targets)
        verdict = "; ".join(f"{'pass' if t['pass'] else '**FAIL**'} ({t['show']})" for t in targets)
        if row["problems"]:
            verdict = (verdict + " " if verdict else "") + "⚠ " + "; ".join(row["problems"])
        if row["notes"]:
            verdict = (verdict + " " if verdict else "") + "(" + "; ".join(row["notes"]) + ")"
        non_2xx = f"**{row['non_2xx']}** ⚠" if row["non_2xx"] else "0"
        x_baseline = "" if row.get("x_baseline") is None else f"{row['x_baseline']:.2f}"
        lines.append(
            f"| {row['title']} | `{row['path']}` | {fmt_rps(row['rps'])} | "
            f"{fmt_ratio(row['ratio'])} | {x_baseline} | "
            f"{' | '.join(lat)} | {row['queries']} | {non_2xx} | {target_text} | {verdict} |"
        )
    if any(row["non_2xx"] or row["problems"] for row in result["rows"]):
        for name, excerpt in result["server_log"].items():
            if excerpt:
                lines += ["", f"Server log ({name}), the end:", "", "```", excerpt[-1500:], "```"]
    rss = next(t for t in result["targets"] if t["key"] == "rss")
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
        *(target_line(t) for t in row_targets(result, None) if t["key"] != "rss"),
        "",
        f"Targets: {sum(t['pass'] for t in result['targets'])} of {len(result['targets'])} pass.",
        "",
    ]
    failed = [found["error"] for found in result.get("profiles", []) if "error" in found]
    if failed:
        lines += [f"Profiling failed: {failed[0][-300:]}", ""]
    elif result.get("profiles"):
        lines += [
            "Where one request's time goes (bench/costs.py: in-process, cProfile, page cache off;"
            " ms wall and CPU without the profiler; the slowest query's time):",
            "",
            costs.markdown(result["profiles"], slowest=True),
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
