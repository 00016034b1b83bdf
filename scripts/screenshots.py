"""Regenerate the screenshots of docs/screenshots/ (shown in the README) from the site as a
visitor sees it: gunicorn with DEBUG off, on a SQLite database of its own, migrated and seeded
with the site's content, and Debian's Chromium driven by Playwright.

    make screenshots                       # or: .venv/bin/python scripts/screenshots.py
    .venv/bin/python scripts/screenshots.py --full-page    # whole pages, not the first view
    .venv/bin/python scripts/screenshots.py --output /tmp/shots   # somewhere else
    .venv/bin/python scripts/screenshots.py --only admin-change-form-1280   # one shot

Each screenshot is the first view of a page in a window of a desktop's (1280 x 800) or a
phone's (390 x 844) size. The PNGs in docs/screenshots/ that this script does not write are
listed at the end (they are left alone: delete them if the README no longer shows them).
The admin's shots are taken logged in as a superuser made for the run, reaching the record from
its changelist's search (database ids differ from run to run).
"""

import argparse
import secrets
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from playwright.sync_api import sync_playwright  # noqa: E402

from tests.servers import Gunicorn, collect_static  # noqa: E402

TARGET = ROOT / "docs" / "screenshots"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
# (file name, path, window)
SHOTS = [
    ("home-1280", "/", DESKTOP),
    ("rituximab-1280", "/therapies/rituximab/", DESKTOP),
    ("rituximab-390", "/therapies/rituximab/", PHONE),
    ("rheumatoid-arthritis-1280", "/conditions/rheumatoid-arthritis/", DESKTOP),
    ("therapies-rheumatoid-arthritis-390", "/therapies/?condition=rheumatoid-arthritis", PHONE),
    ("matrix-1280", "/matrix/", DESKTOP),
    ("matrix-390", "/matrix/", PHONE),
]
# (file name, changelist, search, link to open, window): a change form, opened from its
# changelist's search as an editor would.
ADMIN_SHOTS = [
    ("admin-change-form-1280", "/admin/catalog/therapy/", "rituximab", "Rituximab", DESKTOP),
]
ADMIN_USERNAME = "screenshots"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]


def log_in(page, base_url, password):
    page.goto(f"{base_url}/admin/login/")
    page.get_by_label("Username").fill(ADMIN_USERNAME)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{base_url}/admin/")


def take_admin(browser, base_url, password, full_page, target, only):
    written = []
    for name, changelist, search, link, window in ADMIN_SHOTS:
        if only and name not in only:
            continue
        context = browser.new_context(viewport=window, device_scale_factor=1)
        page = context.new_page()
        log_in(page, base_url, password)
        page.goto(f"{base_url}{changelist}?q={search}")
        page.locator("#result_list").get_by_role("link", name=link, exact=True).click()
        page.wait_for_load_state("networkidle")
        file = target / f"{name}.png"
        page.screenshot(path=str(file), full_page=full_page)
        written.append(file)
        print(f"{file}  ({page.url.removeprefix(base_url)}, {window['width']} px)")
        context.close()
    return written


def take(base_url, full_page, target, password, only=()):
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    target.mkdir(parents=True, exist_ok=True)
    written = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            for name, path, window in SHOTS:
                if only and name not in only:
                    continue
                context = browser.new_context(viewport=window, device_scale_factor=1)
                page = context.new_page()
                response = page.goto(base_url + path)
                if response.status != 200:
                    raise SystemExit(f"{path} answered {response.status}")
                page.wait_for_load_state("networkidle")
                file = target / f"{name}.png"
                page.screenshot(path=str(file), full_page=full_page)
                written.append(file)
                print(f"{file}  ({path}, {window['width']} px)")
                context.close()
            written += take_admin(browser, base_url, password, full_page, target, only)
        finally:
            browser.close()
    return written


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full-page", action="store_true", help="whole pages, not first views")
    parser.add_argument("--output", type=Path, default=TARGET, help="default: docs/screenshots")
    parser.add_argument(
        "--only", nargs="+", metavar="NAME", default=(), help="only these shots (file names)"
    )
    args = parser.parse_args()
    names = {shot[0] for shot in SHOTS + ADMIN_SHOTS}
    if unknown := set(args.only) - names:
        parser.error(f"no such shot: {', '.join(sorted(unknown))} (known: {', '.join(names)})")
    password = secrets.token_urlsafe(16)
    static_root = Path(tempfile.mkdtemp(prefix="immunosite-screenshots-static-"))
    try:
        collect_static(static_root)
        with Gunicorn(static_root, workers=2, admin=(ADMIN_USERNAME, password)) as site:
            base_url = f"http://127.0.0.1:{site.port}"
            take(base_url, args.full_page, args.output, password, args.only)
    finally:
        shutil.rmtree(static_root, ignore_errors=True)
    others = sorted(p for p in args.output.glob("*.png") if p.stem not in names)
    if others:
        print("Not written by this script:", ", ".join(p.name for p in others))


if __name__ == "__main__":
    main()
