"""Regenerate the screenshots of docs/screenshots/ (shown in the README) from the site as a
visitor sees it: gunicorn with DEBUG off, on a SQLite database of its own, migrated and seeded
with the site's content, and Debian's Chromium driven by Playwright.

    make screenshots                       # or: .venv/bin/python scripts/screenshots.py
    .venv/bin/python scripts/screenshots.py --full-page    # whole pages, not the first view
    .venv/bin/python scripts/screenshots.py --output /tmp/shots   # somewhere else
    .venv/bin/python scripts/screenshots.py --only admin-review-queue-1280 admin-review-1280

Each screenshot is the first view of a page in a window of a desktop's (1280 x 800) or a
phone's (390 x 844) size. The admin's (ADMIN_SHOTS) are taken as an editor who is also a
reviewer, after an edit of rituximab through its change form (a summary changed, a brand name
added) and its submission for review: the review queue, the review with its word differences,
and the record's history. The PNGs in docs/screenshots/ that this script does not write are
listed at the end (they are left alone: delete them if the README no longer shows them).
"""

import argparse
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
# (file name, path or None for the therapy's, window): after the edit and submission.
ADMIN_SHOTS = [
    ("admin-review-queue-1280", "/admin/review/queue/", DESKTOP),
    ("admin-review-1280", "review", DESKTOP),
    ("admin-history-1280", "history", DESKTOP),
]
ADMIN = ("screenshots", "Screenshots-only-pw-1")
# The reviewer profile the admin's user gets (so the review page shows the decision).
PROFILE = (
    "from django.contrib.auth.models import User; from catalog.models import ReviewerProfile; "
    "u = User.objects.get(username='screenshots'); u.first_name, u.last_name = 'Edna', 'Ed'; "
    "u.save(); ReviewerProfile.objects.get_or_create(user=u, defaults={'full_name': "
    "'Jane Doe', 'credential': 'MD', 'specialty': 'rheumatology'})"
)
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]


def shoot(page, base_url, path, name, window, full_page, target):
    response = page.goto(base_url + path)
    if response.status != 200:
        raise SystemExit(f"{path} answered {response.status}")
    page.wait_for_load_state("networkidle")
    file = target / f"{name}.png"
    page.screenshot(path=str(file), full_page=full_page)
    print(f"{file}  ({path}, {window['width']} px)")
    return file


def take(base_url, full_page, target, only=()):
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
                written.append(shoot(page, base_url, path, name, window, full_page, target))
                context.close()
            admin = [shot for shot in ADMIN_SHOTS if not only or shot[0] in only]
            if admin:
                written += take_admin(browser, base_url, full_page, target, admin)
        finally:
            browser.close()
    return written


def take_admin(browser, base_url, full_page, target, shots):
    """Log in, edit rituximab as an editor would, submit it for review, then take `shots`."""
    context = browser.new_context(viewport=DESKTOP, device_scale_factor=1)
    page = context.new_page()
    page.goto(f"{base_url}/admin/login/?next=/admin/")
    page.get_by_label("Username").fill(ADMIN[0])
    page.get_by_label("Password").fill(ADMIN[1])
    page.get_by_role("button", name="Log in").click()
    page.goto(f"{base_url}/admin/catalog/therapy/?q=rituximab")
    page.locator("#result_list a", has_text="Rituximab").first.click()
    page.wait_for_load_state("networkidle")
    therapy_url = page.url.split("?")[0].removesuffix("change/")
    summary = page.get_by_label("Summary:")
    summary.fill(summary.input_value().replace("a monoclonal antibody", "an antibody to CD20"))
    empty = page.locator("#other_names-group tr.form-row:not(.has_original):not(.empty-form)")
    empty.first.locator("input[name$='-name']").fill("Truxima")
    empty.first.locator("select[name$='-kind']").select_option("brand")
    page.get_by_role("button", name="Save and continue editing").click()
    page.locator("#review-banner").get_by_role("button", name="Submit for review").click()
    page.wait_for_load_state("networkidle")
    review = page.locator("#review-banner a", has_text="Open its review").get_attribute("href")
    paths = {"review": review, "history": therapy_url.removeprefix(base_url) + "history/"}
    written = []
    for name, path, window in shots:
        path = paths.get(path, path)
        written.append(shoot(page, base_url, path, name, window, full_page, target))
    context.close()
    return written


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full-page", action="store_true", help="whole pages, not first views")
    parser.add_argument("--output", type=Path, default=TARGET, help="default: docs/screenshots")
    parser.add_argument("--only", nargs="+", default=(), help="only these shots (file names)")
    args = parser.parse_args()
    static_root = Path(tempfile.mkdtemp(prefix="immunosite-screenshots-static-"))
    try:
        collect_static(static_root)
        with Gunicorn(static_root, workers=2, admin=ADMIN) as site:
            site.manage("shell", "-c", PROFILE)
            base_url = f"http://127.0.0.1:{site.port}"
            written = take(base_url, args.full_page, args.output, set(args.only))
    finally:
        shutil.rmtree(static_root, ignore_errors=True)
    others = sorted(set(args.output.glob("*.png")) - set(written))
    if others:
        print("Not written by this script:", ", ".join(p.name for p in others))


if __name__ == "__main__":
    main()
