"""Plain helpers the test modules share: reading list pages and page text, admin forms and
changelists, and what a real browser must never meet on our pages (PageProblems)."""

import html
import re

from django.urls import reverse

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


# --- the admin --------------------------------------------------------------------------------


def admin_url(model, view, *args):
    return reverse(f"admin:catalog_{model._meta.model_name}_{view}", args=args)


def result_rows(response):
    """The text of each row of the changelist's result table (not the filter sidebar)."""
    content = response.content.decode()
    table = re.search(r'<table id="result_list">(.*?)</table>', content, flags=re.S)
    assert table, "no result table on the changelist"
    body = re.search(r"<tbody>(.*?)</tbody>", table.group(1), flags=re.S)
    rows = re.findall(r"<tr\b.*?</tr>", body.group(1), flags=re.S)
    return [" ".join(html.unescape(re.sub(r"<[^>]+>", " ", row)).split()) for row in rows]


def add_inline_row(data, prefix, **values):
    """Append a new row to the inline formset `prefix` in `data` (indication rows start as
    drafts, as the form's status select does)."""
    if prefix == "indications":
        values.setdefault("status", "draft")
    index = int(data[f"{prefix}-TOTAL_FORMS"])
    for name, value in values.items():
        data[f"{prefix}-{index}-{name}"] = value
    data[f"{prefix}-TOTAL_FORMS"] = str(index + 1)


# --- a real browser (Playwright pages) ----------------------------------------------------------

# Reports `securitypolicyviolation` events from the page; Playwright injects it before the
# page's own scripts, and the page's CSP does not apply to it.
CSP_VIOLATION_LISTENER = """
document.addEventListener("securitypolicyviolation", (e) => {
  window.reportCspViolation(
    `${e.effectiveDirective} blocked ${e.blockedURI || "(inline)"}: ${e.sample}`
  );
});
"""


class PageProblems:
    """What must never happen on our pages, collected while a tab browses: CSP violations
    (console messages and DOM events), JavaScript errors, console errors (such as a static
    file that failed to load) and HTML documents served without a CSP header."""

    def __init__(self, page, *, javascript=True):
        self.page = page
        self.problems = []
        self.expected_404s = set()
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.problems.append(f"JavaScript error: {error}"))
        page.on("response", self._response)
        if javascript:
            page.expose_function("reportCspViolation", self._csp_event)
            page.add_init_script(CSP_VIOLATION_LISTENER)

    def _csp_event(self, text):
        self.problems.append(f"CSP violation: {text}")

    def _console(self, message):
        text = message.text
        if re.search(r"Content Security Policy|Refused to|violates the following", text):
            self.problems.append(f"CSP violation (console): {text}")
        elif message.type == "error":
            url = message.location.get("url", "")
            # Chromium asks for /favicon.ico, which the site does not have; a 404 page is a 404.
            expected = "status of 404" in text and (
                url.endswith("/favicon.ico") or url in self.expected_404s
            )
            if not expected:
                self.problems.append(f"console error: {text} ({url})")

    def _response(self, response):
        if response.request.resource_type == "document" and response.frame == self.page.main_frame:
            csp = response.headers.get("content-security-policy", "")
            if "script-src 'self'" not in csp:
                self.problems.append(f"no CSP header on {response.url}: {csp!r}")

    def goto(self, url, status=200):
        if status == 404:
            self.expected_404s.add(url)
        response = self.page.goto(url)
        assert response.status == status, url
        assert "default-src 'self'" in response.headers["content-security-policy"]
        return response

    def assert_none(self, where):
        self.page.wait_for_load_state("load")
        problems, self.problems = self.problems, []
        assert not problems, f"{where}:\n" + "\n".join(problems)


def h1(page):
    return page.locator("h1").first


def result_names(page):
    return page.locator(".results h3 a").all_inner_texts()
