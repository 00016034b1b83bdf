"""The benchmark's idiomatic baseline (bench/baseline/) without a server: its URLs do not exist
unless BENCH_BASELINE=1, and with it they show the same published therapies as the site's own
pages and API, on the article's content and on a synthetic class of 25 therapies."""

import importlib.util
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import clear_url_caches

from catalog.models import Condition, Indication, Therapy

from .helpers import api_slugs, listed_slugs, page_text, settings_in_subprocess
from .servers import BASE_DIR

BASELINE = "/_bench/baseline/"
BASELINE_LINK = re.compile(r'<h3><a href="/_bench/baseline/therapies/([\w-]+)/">')


@pytest.fixture
def with_baseline(settings):
    """The site as the benchmark serves it (BENCH_BASELINE=1): the app installed and
    immunosite/urls.py evaluated afresh with the setting on."""
    settings.BENCH_BASELINE = True
    settings.INSTALLED_APPS = [*settings.INSTALLED_APPS, "bench.baseline"]
    spec = importlib.util.spec_from_file_location(
        "immunosite.urls_with_baseline", BASE_DIR / "immunosite" / "urls.py"
    )
    urls = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(urls)
    settings.ROOT_URLCONF = urls
    yield
    clear_url_caches()


def baseline_slugs(response):
    assert response.status_code == 200, response.content[:500]
    return BASELINE_LINK.findall(response.content.decode())


@pytest.mark.parametrize(
    ("env", "installed"), [({}, "False False"), ({"BENCH_BASELINE": "1"}, "True True")]
)
def test_production_settings_install_the_baseline_only_with_bench_baseline(env, installed):
    production = {"DJANGO_SECRET_KEY": "x" * 50, "DJANGO_ALLOWED_HOSTS": "example.org"}
    expression = "settings.BENCH_BASELINE, 'bench.baseline' in settings.INSTALLED_APPS"
    code, out, err = settings_in_subprocess(f"*({expression},)", **production, **env)
    assert code == 0, err
    assert out == installed


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path", ["", "therapies/", "therapies/rituximab/", "conditions/lymphoma/", "api/therapies/"]
)
def test_baseline_urls_are_absent_without_bench_baseline(client, settings, path):
    assert not settings.BENCH_BASELINE
    assert "bench.baseline" not in settings.INSTALLED_APPS
    response = client.get(BASELINE + path)
    assert response.status_code == 404
    assert "Page not found" in page_text(response)


@pytest.mark.django_db
def test_baseline_list_shows_the_same_therapies_as_the_therapy_list(client, with_baseline):
    real = listed_slugs(client.get("/therapies/"))
    baseline = client.get(f"{BASELINE}therapies/")
    assert baseline_slugs(baseline) == real and real
    text = page_text(baseline)
    assert f"Therapies ({Therapy.objects.published().count()})" in text
    for therapy in Therapy.objects.filter(slug__in=real).select_related("therapy_class"):
        assert therapy.name in text and therapy.therapy_class.name in text
        for name in therapy.brand_names:
            assert name in text


@pytest.mark.django_db
def test_baseline_filtered_list_and_api_match_the_sites(client, with_baseline, make_catalog):
    """A parent condition includes its sub-conditions, each therapy once (every synthetic
    therapy is used for the parent and the child), only published ones."""
    therapy_class = make_catalog(25)
    Therapy.objects.filter(slug="synth-00003").update(status="draft")
    query = f"?condition=synth-parent&therapy_class={therapy_class.slug}"
    for page in ("", "&page=2"):
        real = listed_slugs(client.get(f"/therapies/{query}{page}"))
        assert baseline_slugs(client.get(f"{BASELINE}therapies/{query}{page}")) == real and real
    assert "Therapies (24)" in page_text(client.get(f"{BASELINE}therapies/{query}"))

    for api_query in ("", "?condition=synth-parent", "?condition=synth-parent&page=2"):
        real = api_slugs(client.get(f"/api/v1/therapies/{api_query}"))
        baseline = client.get(f"{BASELINE}api/therapies/{api_query}")
        assert baseline.status_code == 200
        assert api_slugs(baseline) == real and real, api_query
    body = client.get(f"{BASELINE}api/therapies/?condition=synth-parent").json()
    assert body["count"] == 24 and "synth-00003" not in [r["slug"] for r in body["results"]]
    first = body["results"][0]
    assert first["therapy_class"]["name"] == "synth class"
    assert first["brand_names"] == ["Brandsynth-00000"]
    assert {u["condition"]["slug"] for u in first["indications"]} == {"synth-parent", "synth-child"}


@pytest.mark.django_db
def test_baseline_unknown_filter_values_are_400s_saying_so(client, with_baseline):
    response = client.get(f"{BASELINE}therapies/?condition=no-such-condition")
    assert response.status_code == 400
    assert "condition: Select a valid choice." in page_text(response)
    response = client.get(f"{BASELINE}api/therapies/?therapy_class=no-such-class")
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()


@pytest.mark.django_db
def test_baseline_detail_pages_show_what_the_sites_do(client, with_baseline):
    therapy = Therapy.objects.published().order_by("name").first()
    uses = Indication.objects.published().filter(therapy=therapy).select_related("condition")
    text = page_text(client.get(f"{BASELINE}therapies/{therapy.slug}/"))
    assert therapy.name in text and therapy.therapy_class.name in text and therapy.summary in text
    for use in uses:
        assert use.condition.name in text

    condition = Condition.objects.published().filter(indications__therapy=therapy).first()
    real = page_text(client.get(condition.get_absolute_url()))
    text = page_text(client.get(f"{BASELINE}conditions/{condition.slug}/"))
    assert condition.name in text
    matching = Condition.objects.matching([condition])
    used = Therapy.objects.published().filter(
        indications__in=Indication.objects.published().filter(condition__in=matching)
    )
    assert used.exists()
    for name in used.values_list("name", flat=True):
        assert name in text and name in real

    home = page_text(client.get(BASELINE))
    assert condition.name in home or condition.parent.name in home
    assert therapy.therapy_class.name in home


@pytest.mark.django_db
def test_baseline_hides_drafts(client, with_baseline):
    therapy = Therapy.objects.published().order_by("name").first()
    Therapy.objects.filter(pk=therapy.pk).update(status="draft")
    assert client.get(f"{BASELINE}therapies/{therapy.slug}/").status_code == 404
    assert therapy.slug not in baseline_slugs(client.get(f"{BASELINE}therapies/"))
    assert client.get(f"{BASELINE}api/therapies/{therapy.slug}/").status_code == 404


@pytest.mark.django_db
def test_baseline_pages_are_rendered_every_time_with_the_sites_security_headers(
    client, with_baseline, settings
):
    """The page cache (on in these settings) never serves or stores them: the second request
    of a page makes the same queries as the first; the CSP and frame headers are the site's."""
    assert "catalog.pagecache.PageCacheMiddleware" in settings.MIDDLEWARE
    for path in ("", "therapies/", "api/therapies/"):
        counts = []
        for _ in range(3):
            with CaptureQueriesContext(connection) as queries:
                response = client.get(BASELINE + path)
            assert response.status_code == 200, path
            counts.append(len(queries))
        assert counts[1] == counts[2] >= 3, (path, counts)
        assert "default-src" in response["Content-Security-Policy"], path
        assert response["X-Frame-Options"] == "DENY", path
