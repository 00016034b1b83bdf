"""Helpers shared by the test modules: what a page lists or shows, what a form would POST,
and the production settings as a fresh process sees them."""

import html
import os
import re
import subprocess
import sys
from pathlib import Path

RESULTS = re.compile(r'<ul class="results">(.*?)</ul>\s*(?:<nav|</section>)', re.S)
RESULT_LINK = re.compile(r'<h3><a href="/(?:therapies|classes|conditions)/([\w-]+)/">')


def listed_slugs(response):
    """The slugs of the records a list page shows, in page order."""
    match = RESULTS.search(response.content.decode())
    assert match, "the page has no result list"
    return RESULT_LINK.findall(match.group(1))


def api_slugs(response):
    return [item["slug"] for item in response.json()["results"]]


def page_text(response):
    """The page's visible text, tags stripped and entities decoded, whitespace collapsed."""
    content = response.content.decode()
    content = re.sub(r"<(script|style)\b.*?</\1>", " ", content, flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", content)).split())


def _add_form_data(data, form):
    for bound_field in form:
        value = bound_field.value()
        if value is None or value is False:
            continue
        if value is True:
            data[bound_field.html_name] = "on"
        elif isinstance(value, list | tuple):
            data[bound_field.html_name] = [str(v) for v in value]
        else:
            data[bound_field.html_name] = str(value)


def form_data(response):
    """What the add/change page would POST if submitted unchanged: the main form's values,
    and every inline's management form and rows (extra rows stay empty, so they are ignored)."""
    assert response.status_code == 200
    data = {}
    _add_form_data(data, response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        management = formset.management_form
        for name in management.fields:
            data[f"{formset.prefix}-{name}"] = str(management.initial.get(name, ""))
        for form in formset.forms:
            _add_form_data(data, form)
    return data


def settings_in_subprocess(expression, **env):
    """Load the production settings in a fresh process with only `env` (plus PATH and HOME)
    and print `expression` (Python, with `settings` in scope). Returns (exit code, stdout,
    stderr): how a deployment would see its environment variables taken, or refused."""
    code = (
        "import os; os.environ['DJANGO_SETTINGS_MODULE'] = 'immunosite.settings';"
        f"from django.conf import settings; print({expression})"
    )
    base = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG")}
    result = subprocess.run(
        [sys.executable, "-c", code],
        env={**base, **env},
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parent.parent,
        check=False,
        timeout=60,
    )
    return result.returncode, result.stdout.strip(), result.stderr
