"""Helpers shared by the test modules: reading pages and admin forms, users, API writes."""

import html
import json
import re

from django.contrib.auth.models import Group, User
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


# --- users, the admin and the API as a logged-in editor ---------------------------------------

PROBLEM = "application/problem+json"


def make_user(username, *groups, **extra):
    """A staff user in the given groups ("Editors", "Reviewers"), password "x"."""
    user = User.objects.create_user(username, password="x", is_staff=True, **extra)
    user.groups.set([Group.objects.get(name=name) for name in groups])
    return user


def admin_url(model, view, *args):
    return reverse(f"admin:catalog_{model._meta.model_name}_{view}", args=args)


def api_etag(client, path):
    """The ETag of a plain JSON GET of `path`: what a write sends back in If-Match."""
    response = client.get(path)
    assert response.status_code == 200, response.content
    return response["ETag"]


def api_write(client, method, path, data=None):
    """POST, PUT or PATCH `data` as JSON; PUT and PATCH with If-Match of the current ETag."""
    headers = {} if method == "post" else {"If-Match": api_etag(client, path)}
    return getattr(client, method)(path, data, content_type="application/json", headers=headers)


def problem(response, status):
    """The body of an RFC 9457 problem response with this status."""
    assert response.status_code == status, response.content
    assert response["Content-Type"] == PROBLEM
    body = response.json()
    assert body["status"] == status
    return body


JSON_LD = re.compile(r'<script type="application/ld\+json">(.*?)</script>', re.S)


def json_ld_nodes(response):
    """The page's schema.org nodes by type."""
    assert response.status_code == 200
    (block,) = JSON_LD.findall(response.content.decode())
    return {node["@type"]: node for node in json.loads(block)["@graph"]}


def api_token(user):
    """A new API token's key for `user` (as the admin issues them)."""
    from accounts.models import APIToken

    return APIToken.objects.create(user=user)[1]
