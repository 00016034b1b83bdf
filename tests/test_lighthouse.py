"""Lighthouse scores 100 in accessibility, best practices, SEO and performance on six public page
types, on a phone (its default mobile emulation) and on a desktop (`--preset=desktop`).

The site is served as in production: gunicorn, DEBUG off, WhiteNoise's hashed and compressed
static files, its own SQLite database seeded with the site's content (tests/servers). Lighthouse
comes from npm (package.json, pinned in package-lock.json; `make install` runs `npm ci`) and
drives Debian's Chromium (CHROME_PATH). Each page and form factor is one Lighthouse run with all
four categories (about 20 seconds each). A run that fails to load the page (Lighthouse's
NO_NAVSTART, NO_FCP…, seen now and then on a first run) is tried once more. A run whose only
loss is in performance is made again, up to three runs in all (as Lighthouse CI does): its
timings, total blocking time above all, suffer when other processes load the machine (the
report's benchmarkIndex falls), so 100 in one of three runs passes. A score under 100 fails
with the audits that cost points. Without node_modules/lighthouse the tests are skipped,
unless CI is set (then they fail).
"""

import json
import os
import shutil
import subprocess

import pytest

from .servers import BASE_DIR, Gunicorn, require

pytestmark = [pytest.mark.browser, pytest.mark.servers, pytest.mark.once]

LIGHTHOUSE = BASE_DIR / "node_modules" / ".bin" / "lighthouse"
CATEGORIES = ["accessibility", "best-practices", "seo", "performance"]
PAGES = {
    "home": "/",
    "therapies": "/therapies/",
    "therapy": "/therapies/rituximab/",
    "condition": "/conditions/rheumatoid-arthritis/",
    "glossary": "/glossary/",
    "matrix": "/matrix/",
}
FORM_FACTORS = {"mobile": [], "desktop": ["--preset=desktop"]}
# Runs more when only performance is under 100: three runs in all, as Lighthouse CI makes.
PERFORMANCE_RETRIES = 2
# Lighthouse 12 sometimes fails to record its trace of a load on a busy 2-core machine
# (NO_NAVSTART), twice in a row once in CI: a run that reported nothing is tried again.
LOAD_RETRIES = 2


@pytest.fixture(scope="module")
def site(static_root):
    require(str(LIGHTHOUSE))
    with Gunicorn(static_root, workers=2) as app:
        yield app


def lighthouse(url, form_factor, folder):
    """Lighthouse's report (the parsed JSON) on `url`: a dict, or an error message."""
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    output = folder / "report.json"
    command = [
        str(LIGHTHOUSE),
        url,
        "--quiet",
        "--output=json",
        f"--output-path={output}",
        f"--only-categories={','.join(CATEGORIES)}",
        "--disable-full-page-screenshot",
        "--chrome-flags=--headless --no-sandbox --disable-gpu --disable-dev-shm-usage",
        *FORM_FACTORS[form_factor],
    ]
    env = {**os.environ, "CHROME_PATH": chromium}
    result = subprocess.run(command, capture_output=True, text=True, timeout=180, env=env)
    if result.returncode != 0 or not output.exists():
        return f"lighthouse exited {result.returncode}:\n{result.stderr[-3000:]}"
    report = json.loads(output.read_text(encoding="utf-8"))
    if report.get("runtimeError"):
        return f"runtime error: {report['runtimeError']}"
    return report


def lost_points(report, category):
    """The audits of `category` that cost points, with what Lighthouse says of them."""
    audits = report["audits"]
    lines = []
    for ref in report["categories"][category]["auditRefs"]:
        audit = audits[ref["id"]]
        if ref["weight"] > 0 and audit["score"] is not None and audit["score"] < 1:
            shown = audit.get("displayValue", "")
            lines.append(f"  {audit['id']} ({audit['score']:.2f}) {audit['title']} {shown}")
            for item in (audit.get("details") or {}).get("items", [])[:3]:
                node = item.get("node") or {}
                where = node.get("snippet") or item.get("url") or ""
                if where:
                    lines.append(f"      {where[:160]}")
    return lines


def performance(report):
    return report["categories"]["performance"]["score"] or 0


def below_100(report):
    return [c for c in CATEGORIES if (report["categories"][c]["score"] or 0) < 1]


@pytest.mark.parametrize("form_factor", FORM_FACTORS)
@pytest.mark.parametrize("name", PAGES)
def test_lighthouse_scores_100_in_every_category(site, tmp_path, name, form_factor):
    url = f"http://127.0.0.1:{site.port}{PAGES[name]}"
    report = lighthouse(url, form_factor, tmp_path)
    for _ in range(LOAD_RETRIES):
        if not isinstance(report, str):
            break
        # The page did not load for Lighthouse (NO_NAVSTART: its trace of the load failed).
        report = lighthouse(url, form_factor, tmp_path)
    assert not isinstance(report, str), f"{url} ({form_factor}): {report}"
    for _ in range(PERFORMANCE_RETRIES):
        # A timing lost to another process on a shared machine; a loss in any other category
        # is not a matter of timing.
        if below_100(report) != ["performance"]:
            break
        again = lighthouse(url, form_factor, tmp_path)
        if not isinstance(again, str) and performance(again) >= performance(report):
            report = again
    assert report["finalDisplayedUrl"] == url
    below = below_100(report)
    scores = {c: report["categories"][c]["score"] for c in CATEGORIES}
    machine = report["environment"]["benchmarkIndex"]  # lower on a busier machine
    assert not below, f"{url} ({form_factor}): scores {scores}, benchmarkIndex {machine}\n" + (
        "\n".join(f"{c}:\n" + "\n".join(lost_points(report, c)) for c in below)
    )
