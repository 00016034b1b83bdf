"""`manage.py check_links` against a local web server in a thread (tests/servers/link_targets.py),
never the internet: what each source URL answered is stored and printed, a URL that fails never
makes the command fail (unless --fail-on-broken), and only http(s) addresses are asked."""

import io

import pytest
from django.core.management import CommandError, call_command

from catalog.content_checks.links import check_url
from catalog.models import LinkCheck, Source

from .servers import LinkTargets

pytestmark = pytest.mark.django_db


@pytest.fixture
def site():
    with LinkTargets(slow_seconds=2) as site:
        yield site


def point(slug, url):
    Source.objects.filter(slug=slug).update(url=url)


def run(*args):
    out = io.StringIO()
    call_command("check_links", *args, stdout=out)
    return out.getvalue()


SLUGS = ["fda-label-rituxan", "drugscom-immunotherapy"]


def test_an_answering_url_is_stored_as_ok_with_its_status_and_final_url(site):
    point("fda-label-rituxan", site.url("/ok"))
    output = run("--source", "fda-label-rituxan")
    check = LinkCheck.objects.get(url=site.url("/ok"))
    assert (check.ok, check.status, check.error, check.final_url) == (
        True,
        200,
        "",
        site.url("/ok"),
    )
    assert check.checked_at is not None
    assert output.strip() == "Checked 1 URL: 1 ok, 0 broken."
    assert site.requests == [("HEAD", "/ok")]  # HEAD is enough


def test_a_missing_page_is_broken_with_its_status_in_words_and_the_command_still_exits_0(site):
    point("fda-label-rituxan", site.url("/missing"))
    output = run("--source", "fda-label-rituxan")
    check = LinkCheck.objects.get(url=site.url("/missing"))
    assert (check.ok, check.status, check.error) == (False, 404, "404 Not Found")
    assert output.splitlines() == [
        f"BROKEN {site.url('/missing')} (fda-label-rituxan): 404 Not Found",
        "Checked 1 URL: 0 ok, 1 broken.",
    ]


def test_a_server_refusing_head_is_asked_again_with_get(site):
    point("fda-label-rituxan", site.url("/no-head"))
    run("--source", "fda-label-rituxan")
    check = LinkCheck.objects.get(url=site.url("/no-head"))
    assert (check.ok, check.status, check.error) == (True, 200, "")
    assert site.requests == [("HEAD", "/no-head"), ("GET", "/no-head")]


def test_redirects_are_followed_and_the_final_url_stored(site):
    point("fda-label-rituxan", site.url("/moved"))
    run("--source", "fda-label-rituxan")
    check = LinkCheck.objects.get(url=site.url("/moved"))
    assert (check.ok, check.status, check.final_url) == (True, 200, site.url("/ok"))


def test_a_slow_server_times_out_after_the_timeout_given(site):
    point("fda-label-rituxan", site.url("/slow"))
    output = run("--timeout", "0.5", "--source", "fda-label-rituxan")
    check = LinkCheck.objects.get(url=site.url("/slow"))
    assert (check.ok, check.status, check.error) == (False, None, "timed out after 0.5 s")
    assert "timed out after 0.5 s" in output


def test_a_closed_port_is_connection_refused(site):
    closed = site.closed_url()
    point("fda-label-rituxan", closed)
    output = run("--source", "fda-label-rituxan")
    check = LinkCheck.objects.get(url=closed)
    assert (check.ok, check.status, check.error) == (False, None, "connection refused")
    assert f"BROKEN {closed} (fda-label-rituxan): connection refused" in output


def test_only_http_and_https_are_asked(site):
    assert check_url("ftp://example.org/file").error == "not an http or https address"
    assert check_url("file:///etc/passwd").error == "not an http or https address"
    redirected = check_url(site.url("/to-ftp"), timeout=2)
    assert (redirected.ok, redirected.error) == (
        False,
        "redirected to an address that is not http(s)",
    )


def test_every_source_url_is_checked_once_and_nothing_else(site):
    sources = list(Source.objects.order_by("pk"))
    for index, source in enumerate(sources):
        # two sources share each URL: one request per URL
        Source.objects.filter(pk=source.pk).update(url=site.url(f"/ok?n={index // 2}"))
    output = run()
    urls = {site.url(f"/ok?n={index // 2}") for index in range(len(sources))}
    assert set(LinkCheck.objects.values_list("url", flat=True)) == urls
    assert sorted(path for _, path in site.requests) == sorted(
        u.removeprefix(site.url("")) for u in urls
    )
    assert output.strip() == f"Checked {len(urls)} URLs: {len(urls)} ok, 0 broken."


def test_a_new_check_replaces_the_last_one(site):
    point("fda-label-rituxan", site.url("/no-head"))
    LinkCheck.objects.create(
        url=site.url("/no-head"),
        checked_at="2026-01-01T00:00Z",
        status=500,
        ok=False,
        error="500 Internal Server Error",
    )
    run("--source", "fda-label-rituxan")
    assert list(LinkCheck.objects.filter(url=site.url("/no-head")).values_list("ok", "error")) == [
        (True, "")
    ]


def test_fail_on_broken_exits_1_after_storing_every_result(site):
    point("fda-label-rituxan", site.url("/missing"))
    point("drugscom-immunotherapy", site.url("/ok"))
    with pytest.raises(CommandError, match="1 broken link") as refused:
        run("--fail-on-broken", "--source", *SLUGS)
    assert refused.value.returncode == 1
    assert LinkCheck.objects.count() == 2


def test_an_unknown_source_or_a_bad_timeout_is_refused_with_a_message():
    with pytest.raises(CommandError, match="No source with the slug: no-such-source"):
        run("--source", "no-such-source")
    with pytest.raises(CommandError, match="--timeout: a number of seconds above 0"):
        run("--timeout", "soon")
    assert LinkCheck.objects.count() == 0
