"""The public pages' Jinja2 templates (catalog/templating.py): rendered by Jinja2, the admin by
Django's engine, and what the templates take from Django gives what Django's own tags and
filters give: the query string of a link, dates in the site's time zone, escaping, line
breaks, and a missing name shown as nothing."""

import datetime

import pytest
from django.template import engines
from django.test import RequestFactory, override_settings
from django.utils import timezone

from catalog import templating

jinja = engines["jinja2"]
django_engine = engines["django"]


@pytest.mark.parametrize(
    "url", ["/", "/therapies/", "/therapies/rituximab/", "/conditions/lymphoma/", "/matrix/"]
)
def test_public_pages_are_rendered_by_jinja2(client, article, url):
    response = client.get(url)
    assert response.status_code == 200
    # the page's template, and on the lists the filter form's widgets (catalog/form_rendering.py)
    assert {type(t).__module__ for t in response.templates} == {"django.template.backends.jinja2"}
    assert "<h1>" in response.content.decode()


def test_the_admin_keeps_djangos_template_engine(admin_client):
    response = admin_client.get("/admin/catalog/therapy/")
    assert response.status_code == 200
    assert response.templates[0].engine.__class__.__name__ == "Engine"


@pytest.mark.parametrize(
    "query, changes",
    [
        ("", {"page": 2}),
        ("condition=lymphoma&page=3", {"page": 4}),
        ("therapy_class=a&therapy_class=b&q=x%20y", {"page": 1}),
        ("columns=2&category=cancer", {"columns": None}),
        ("columns=2", {"columns": None}),
        ("q=%3Cscript%3E", {"page": 2}),
    ],
)
def test_querystring_gives_what_djangos_tag_gives(query, changes):
    request = RequestFactory().get("/therapies/?" + query)
    ours = jinja.from_string(
        "{{ querystring(" + ", ".join(f"{k}={v!r}" for k, v in changes.items()) + ") }}"
    ).render({}, request)
    args = " ".join(f"{k}={v!r}" if v is not None else f"{k}=None" for k, v in changes.items())
    theirs = django_engine.from_string("{% querystring " + args + " %}").render({}, request)
    assert ours == theirs
    assert "<" not in ours


@override_settings(TIME_ZONE="America/New_York")
def test_dates_show_in_the_sites_time_zone_as_djangos_filter_shows_them():
    moment = datetime.datetime(2026, 1, 1, 2, 30, tzinfo=datetime.UTC)
    with timezone.override("America/New_York"):
        ours = jinja.from_string("{{ m|date('j F Y H:i') }}").render({"m": moment})
        theirs = django_engine.from_string('{{ m|date:"j F Y H:i" }}').render({"m": moment})
    assert ours == theirs == "31 December 2025 21:30"


def test_values_are_escaped_and_safe_html_is_kept():
    template = jinja.from_string("{{ text }}|{{ text|linebreaks }}|{{ safe|linebreaks }}")
    html = template.render({"text": "<b>a</b>\n\nb", "safe": templating.Markup("<i>c</i>")})
    assert html == (
        "&lt;b&gt;a&lt;/b&gt;\n\nb|<p>&lt;b&gt;a&lt;/b&gt;</p>\n\n<p>b</p>|<p><i>c</i></p>"
    )


def test_a_missing_name_shows_as_nothing_as_in_djangos_templates():
    assert jinja.from_string("[{{ missing.name.first }}]").render({}) == "[]"
    assert jinja.from_string("[{% if missing.name %}x{% endif %}]").render({}) == "[]"


def test_numbers_and_plurals_read_as_before():
    rendered = jinja.from_string("{{ n|floatformat('0g') }} result{{ n|pluralize }}").render(
        {"n": 12345}
    )
    assert rendered == "12,345 results"
