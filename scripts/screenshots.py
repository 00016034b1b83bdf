"""Regenerate the screenshots of docs/screenshots/ (shown in the README) from the site as a
visitor sees it: gunicorn with DEBUG off, on a SQLite database of its own, migrated and seeded
with the site's content, and Debian's Chromium driven by Playwright.

    make screenshots                       # or: .venv/bin/python scripts/screenshots.py
    .venv/bin/python scripts/screenshots.py --full-page    # whole pages, not the first view
    .venv/bin/python scripts/screenshots.py --output /tmp/shots   # somewhere else
    .venv/bin/python scripts/screenshots.py --only admin-review-queue-1280 admin-review-1280

Each screenshot is the first view of a page in a window of a desktop's (1280 x 800) or a
phone's (390 x 844) size. The admin's (ADMIN_SHOTS) are taken logged in as an editor who is also
a reviewer: the change form and an import preview first, then, after an edit of rituximab
through its change form (a summary changed, a brand name added) and its submission for review,
the review queue, the review with its word differences, and the record's history. The PNGs in
docs/screenshots/ that this script does not write are listed at the end (they are left alone:
delete them if the README no longer shows them).
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
# A superuser of the site's own throwaway database, with a password made for the run, and the
# reviewer profile it gets (so the review page offers the decision).
ADMIN = ("screenshots", secrets.token_urlsafe(16))
PROFILE = (
    "from django.contrib.auth.models import User; from catalog.models import ReviewerProfile; "
    "u = User.objects.get(username='screenshots'); u.first_name, u.last_name = 'Edna', 'Ed'; "
    "u.save(); ReviewerProfile.objects.get_or_create(user=u, defaults={'full_name': "
    "'Jane Doe', 'credential': 'MD', 'specialty': 'rheumatology'})"
)
# An import of brand names with one bad row (a misspelt therapy address), as its preview shows it.
BAD_NAMES = (
    "therapy,name,kind\nrituximab,Truxima,brand\nrituximab,Ruxience,brand\nrituxinab,Riabni,brand\n"
)


def import_preview(page, base_url):
    page.goto(base_url + "/admin/catalog/therapy/import/")
    page.get_by_label("Resource").select_option(
        label="Other names (brand names, abbreviations, synonyms)"
    )
    page.get_by_label("File to import").set_input_files(
        {"name": "biosimilars.csv", "mimeType": "text/csv", "buffer": BAD_NAMES.encode()}
    )
    page.get_by_role("button", name="Submit").click()


def change_form(page, base_url):
    """Rituximab's change form, opened from the changelist's search as an editor would."""
    page.goto(base_url + "/admin/catalog/therapy/?q=rituximab")
    page.locator("#result_list").get_by_role("link", name="Rituximab", exact=True).click()


# Where the review shots go, once rituximab has been edited and submitted (submitted_rituximab).
SUBMITTED = {}


def submitted_rituximab(page, base_url):
    """Edit rituximab as an editor would (summary, a new brand name), submit it for review and
    note the addresses of its review and its history; once per run."""
    if SUBMITTED:
        return
    change_form(page, base_url)
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
    SUBMITTED.update(review=review, history=therapy_url.removeprefix(base_url) + "history/")


def review_queue(page, base_url):
    submitted_rituximab(page, base_url)
    page.goto(base_url + "/admin/review/queue/")


def review(page, base_url):
    submitted_rituximab(page, base_url)
    page.goto(base_url + SUBMITTED["review"])


def history(page, base_url):
    submitted_rituximab(page, base_url)
    page.goto(base_url + SUBMITTED["history"])


# (file name, window, steps): admin pages, taken logged in as ADMIN after the steps, in this
# order (the change form before the edit the review shots need).
ADMIN_SHOTS = [
    ("admin-change-form-1280", DESKTOP, change_form),
    ("admin-import-preview-1280", DESKTOP, import_preview),
    ("admin-review-queue-1280", DESKTOP, review_queue),
    ("admin-review-1280", DESKTOP, review),
    ("admin-history-1280", DESKTOP, history),
]
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]


def log_in(page, base_url):
    page.goto(base_url + "/admin/login/")
    page.get_by_label("Username").fill(ADMIN[0])
    page.get_by_label("Password").fill(ADMIN[1])
    page.get_by_role("button", name="Log in").click()


def take(base_url, full_page, target, only=None):
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    target.mkdir(parents=True, exist_ok=True)
    written = []
    shots = [(name, window, path) for name, path, window in SHOTS]
    shots += [(name, window, steps) for name, window, steps in ADMIN_SHOTS]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            for name, window, how in shots:
                if only and name not in only:
                    continue
                context = browser.new_context(viewport=window, device_scale_factor=1)
                page = context.new_page()
                if callable(how):
                    log_in(page, base_url)
                    how(page, base_url)
                    where = page.url.removeprefix(base_url)
                else:
                    response = page.goto(base_url + how)
                    if response.status != 200:
                        raise SystemExit(f"{how} answered {response.status}")
                    where = how
                page.wait_for_load_state("networkidle")
                file = target / f"{name}.png"
                page.screenshot(path=str(file), full_page=full_page)
                written.append(file)
                print(f"{file}  ({where}, {window['width']} px)")
                context.close()
        finally:
            browser.close()
    return written


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full-page", action="store_true", help="whole pages, not first views")
    parser.add_argument("--output", type=Path, default=TARGET, help="default: docs/screenshots")
    parser.add_argument("--only", nargs="+", metavar="NAME", help="these shots only (no .png)")
    args = parser.parse_args()
    names = {shot[0] for shot in SHOTS + ADMIN_SHOTS}
    if unknown := set(args.only or ()) - names:
        parser.error(
            f"no such shot: {', '.join(sorted(unknown))} (known: {', '.join(sorted(names))})"
        )
    static_root = Path(tempfile.mkdtemp(prefix="immunosite-screenshots-static-"))
    try:
        collect_static(static_root)
        with Gunicorn(static_root, workers=2, admin=ADMIN) as site:
            site.manage("shell", "-c", PROFILE)
            base_url = f"http://127.0.0.1:{site.port}"
            written = take(base_url, args.full_page, args.output, args.only)
    finally:
        shutil.rmtree(static_root, ignore_errors=True)
    others = sorted(set(args.output.glob("*.png")) - set(written))
    if others and not args.only:
        print("Not written by this script:", ", ".join(p.name for p in others))


if __name__ == "__main__":
    main()
