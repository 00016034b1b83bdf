"""The benchmark's smoke run (`bench/run.py --smoke`), end to end and for real: a throwaway
PostgreSQL cluster and a SQLite file of 300 synthetic therapies each, gunicorn with production
settings, wrk for 1 s per page. The benchmark itself is not part of CI; this proves it still
works and that every page it measures, and each one's idiomatic baseline, answers 200 in a
plausible number of queries, with its ratio to the baseline in the JSON and the table.

Needs wrk and PostgreSQL (`make system-deps`): skipped without them, unless CI is set.
The results go to a temporary folder, never into bench/results/.
"""

import json
import subprocess
import time

import pytest

from .servers import BASE_DIR, PYTHON, base_env, postgres_bin, require

pytestmark = pytest.mark.bench

# Each measured page, and (BASELINES) those with an idiomatic baseline row (bench/baseline/).
BASELINES = {"home", "therapies", "filtered", "therapy", "condition", "api", "api_filtered"}
BASELINE_ROWS = {f"{key}_baseline" for key in BASELINES}
PAGES = BASELINES | BASELINE_ROWS | {"search", "deep", "facets", "cache_hit"}
RATIO_TARGETS = BASELINES | {"cache_hit"}
# A page is built in a fixed number of queries; 20 would be one per row of a list page.
MAX_QUERIES = 20


def test_smoke_run(tmp_path):
    require("wrk")
    postgres_bin()
    output = tmp_path / "results"
    started = time.monotonic()
    result = subprocess.run(
        [str(PYTHON), "bench/run.py", "--smoke", "--output", str(output)],
        cwd=BASE_DIR,
        env=base_env(),
        capture_output=True,
        text=True,
        timeout=600,
    )
    elapsed = time.monotonic() - started
    assert result.returncode == 0, f"{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
    print(f"smoke run: {elapsed:.0f} s")

    for database in ("postgresql", "sqlite"):
        (json_file,) = output.glob(f"*-{database}.json")
        (md_file,) = output.glob(f"*-{database}.md")
        report = json.loads(json_file.read_text())
        markdown = md_file.read_text()
        assert report["errors"] == []
        assert report["machine"]["nproc"] >= 1 and report["machine"]["git_commit"]
        (run,) = report["results"]
        assert run["size"] == 300 and run["picks"]["therapies"] >= 300

        trivial = run["trivial"]
        assert trivial["rps"] > 0 and trivial["non_2xx"] == 0 and trivial["queries"] == 0
        assert run["cached_trivial"]["rps"] > 0

        rows = {row["key"]: row for row in run["rows"]}
        assert set(rows) == PAGES
        for key, row in rows.items():
            where = f"{database} {key} {row['path']}"
            assert row["path"] in markdown, where
            assert row["requests"] > 0 and row["rps"] > 0 and row["ratio"] > 0, where
            assert row["non_2xx"] == 0, where
            assert row["probe_status"] == 200 and row["warmup_statuses"] == ["200"], where
            assert all(row["latency_ms"][p] > 0 for p in ("p50", "p95", "p99")), where
            if key != "cache_hit":
                assert 1 <= row["queries"] <= MAX_QUERIES, f"{where}: {row['queries']} queries"
        assert "| x trivial | x baseline |" in markdown
        for key in BASELINES:
            page, baseline = rows[key], rows[f"{key}_baseline"]
            assert page["baseline"] == baseline["key"] and baseline["baseline_of"] == key
            assert baseline["path"].startswith("/_bench/baseline/"), baseline["path"]
            assert baseline["title"] == f"{page['title']}, baseline"
            expected = page["ratio"] / baseline["ratio"]
            assert page["x_baseline"] == pytest.approx(expected), key
            assert f"{page['x_baseline']:.2f} |" in markdown, key
        for key in PAGES - BASELINES:
            assert rows[key]["x_baseline"] is None, key
        if (BASE_DIR / "catalog" / "pagecache.py").exists():
            assert rows["cache_hit"]["hit_confirmed"], rows["cache_hit"]

        targets = {target["key"]: target for target in run["targets"]}
        assert set(targets) == RATIO_TARGETS | {f"{key}_x_baseline" for key in BASELINES} | {
            "deep",
            "facets",
            "search",
            "queries",
            "rss",
        }
        for key in BASELINES:
            against = targets[f"{key}_x_baseline"]
            assert against["row"] == key and against["target"] == "≥ 3x baseline", against
            assert against["value"] == rows[key]["x_baseline"]
        assert "≥ 3x baseline | " in markdown
        assert targets["cache_hit"]["target"] == "≥ 0.8x trivial"
        assert targets["api"]["target"] == "≥ 0.2x trivial"
        assert targets["search"]["target"] == "≤ 1x filtered list p95"
        assert targets["facets"]["target"] == "≥ 0.8x the same list without"
        most = max(row["queries"] for key, row in rows.items() if key not in BASELINE_ROWS)
        assert targets["queries"]["value"] == most
        assert "Queries per request: target ≤ 6 on every page" in markdown
        # Each page profiled in-process after the load: its time by part and its slowest
        # query's plan, in the JSON and under the table.
        profiles = {found["path"]: found for found in run["profiles"]}
        assert set(profiles) == {row["path"] for row in run["rows"] if not row.get("cache_hit")}
        for path, found in profiles.items():
            assert found["status"] == 200 and found["cpu_ms"] > 0, path
            assert sum(found["shares"].values()) == pytest.approx(1, abs=0.01), path
            assert found["top_functions"], path
            assert found["slowest_query"] and found["slowest_query"]["plan"], path
        assert "Where one request's time goes" in markdown
        assert "| SQL building |" in markdown
        memory = run["worker_memory"]
        assert len(memory["uncached"]) == 2 and len(memory["cached"]) == 2
        assert all(0 < worker["rss_mb"] < 1000 for ms in memory.values() for worker in ms)
