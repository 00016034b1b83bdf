"""What bench/run.py's figures are judged by: each row's problems (errors, statuses, no
queries) and notes, and the issue's targets, each with its measured value and pass/fail."""

import math

RSS_LIMIT_MB = 150
FEW_REQUESTS = 20  # fewer completed requests than this in a page's run: flagged

# The targets (17). Ratios are of requests/s unless said otherwise.
RATIO_TARGETS = {
    "therapies": 0.15,
    "filtered": 0.15,
    "therapy": 0.3,
    "condition": 0.15,
    "home": 0.15,
    "api": 0.2,
    "api_filtered": 0.15,
    "cache_hit": 0.8,
}
BASELINE_TARGET = 3.0  # a target row with a baseline: req/s ≥ 3 x the baseline's
DEEP_PAGE_TARGET = 0.8  # deep page req/s ≥ 0.8 x the first page's
FACETS_TARGET = 0.8  # the filtered API list with facets req/s ≥ 0.8 x the same list without
SEARCH_P95_TARGET = 1.0  # search p95 ≤ 1 x the filtered list's p95
QUERIES_LIMIT = 6  # queries per request of every page (baselines aside)
CACHE_HIT_PAGE = "therapies"  # measured again with the page cache on


def fmt_ratio(value):
    return f"{value:.2f}" if value >= 0.1 else f"{value:.3f}"


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
    """The issue's targets, each with its measured value and pass/fail; `row` is the key of
    the row it is shown in (None: under the table)."""
    rows = {row["key"]: row for row in result["rows"]}
    targets = []

    def add(key, row, name, value, target, ok, show, also=()):
        bad = [p for k in (row, *also) for p in (problems(rows[k]) if k in rows else [])]
        if row not in rows:
            bad.append("not measured")
        targets.append(
            {
                "key": key,
                "row": row,
                "name": name,
                "value": value,
                "target": target,
                "pass": bool(ok) and not bad,
                "show": show,
                "problems": bad,
            }
        )

    for key, limit in RATIO_TARGETS.items():
        if key not in rows:
            continue
        row = rows[key]
        add(key, key, row["title"], row["ratio"], f"≥ {limit}x trivial",
            row["ratio"] >= limit, f"{fmt_ratio(row['ratio'])}x")  # fmt: skip
        if row.get("baseline"):
            ratio = row["x_baseline"]
            add(f"{key}_x_baseline", key, f"{row['title']} against its baseline", ratio,
                f"≥ {BASELINE_TARGET:g}x baseline", ratio >= BASELINE_TARGET,
                f"{ratio:.2f}x baseline", also=(row["baseline"],))  # fmt: skip
    if "deep" in rows and "therapies" in rows:
        # Each side as measured against its own neighbouring trivial runs.
        first = rows["therapies"]["ratio"]
        ratio = rows["deep"]["ratio"] / first if first else 0.0
        add("deep", "deep", "Deep page", ratio, f"≥ {DEEP_PAGE_TARGET}x first page",
            ratio >= DEEP_PAGE_TARGET, f"{ratio:.2f}x first page", also=("therapies",))  # fmt: skip
    if "facets" in rows and "api_filtered" in rows:
        # The same list (the filtered API list) with all its facets and without.
        without = rows["api_filtered"]["ratio"]
        ratio = rows["facets"]["ratio"] / without if without else 0.0
        add("facets", "facets", "Therapy list with facets", ratio,
            f"≥ {FACETS_TARGET}x the same list without", ratio >= FACETS_TARGET,
            f"{ratio:.2f}x without facets", also=("api_filtered",))  # fmt: skip
    if "search" in rows and "filtered" in rows:
        filtered_p95 = rows["filtered"]["latency_ms"]["p95"]
        ratio = rows["search"]["latency_ms"]["p95"] / filtered_p95 if filtered_p95 else math.inf
        add("search", "search", "Search p95", ratio, f"≤ {SEARCH_P95_TARGET:g}x filtered list p95",
            ratio <= SEARCH_P95_TARGET, f"{ratio:.2f}x filtered p95")  # fmt: skip
    counted = [r for r in result["rows"] if not r.get("baseline_of") and "queries" in r]
    most = max((r["queries"] for r in counted), default=None)
    over = [f"{r['title']} {r['queries']}" for r in counted if r["queries"] > QUERIES_LIMIT]
    targets.append(
        {
            "key": "queries",
            "row": None,
            "name": "Queries per request",
            "value": most,
            "target": f"≤ {QUERIES_LIMIT} on every page",
            "pass": most is not None and most <= QUERIES_LIMIT,
            "show": f"at most {most}" + (f" ({', '.join(over)})" if over else ""),
            "problems": [],
        }
    )
    memory = result["worker_memory"]
    worst = max((m["rss_mb"] for ms in memory.values() for m in ms), default=None)
    replaced = sum(result.get("workers_replaced", {}).values())
    targets.append(
        {
            "key": "rss",
            "row": None,
            "name": "Worker RSS after the run",
            "value": worst,
            "target": f"< {RSS_LIMIT_MB} MB",
            "pass": worst is not None and worst < RSS_LIMIT_MB and not replaced,
            "show": f"{worst} MB" if worst is not None else "not measured",
            "problems": [f"{replaced} worker(s) replaced during the run"] if replaced else [],
        }
    )
    return targets
