"""`python -m bench.synth`: the benchmark's synthetic catalog (small sizes, real database).

Most tests run the command line in this process (`bench.synth.command.run`, on the test
database); the last ones run `python -m bench.synth` as the benchmark does."""

import io
import statistics
import subprocess
from collections import Counter

import pytest
from django.core.management import get_commands
from django.db.models import Count, Q

from bench.synth import MARK, SOURCE_SLUG, SynthError
from bench.synth.command import run
from bench.synth.replace import digest
from catalog.models import (
    Condition,
    ConditionCategory,
    GlossaryTerm,
    Indication,
    ModifierRole,
    Source,
    Status,
    Therapy,
    TherapyClass,
    TherapyName,
)

from .helpers import listed_slugs
from .servers import BASE_DIR, PYTHON, manage, production_env

pytestmark = pytest.mark.django_db

SIZE = 200


def command_line(**options):
    """`therapies=5, no_index=True` -> ["--therapies", "5", "--no-index"]."""
    argv = []
    for name, value in options.items():
        flag = "--" + name.replace("_", "-")
        if value is True:
            argv.append(flag)
        elif value is not False:
            argv += [flag, str(value)]
    return argv


def synth(**options):
    """Run the command line (no search index unless told otherwise); returns (stdout,
    stderr)."""
    out, err = io.StringIO(), io.StringIO()
    options = {"therapies": SIZE, "seed": 1, "no_index": True, **options}
    run(command_line(**options), stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def empty_catalog(db):
    """The test database without the article's content (the session loads it; the test's
    transaction brings it back afterwards)."""
    Indication.objects.all().delete()
    Therapy.objects.all().delete()
    TherapyClass.objects.all().delete()
    Condition.objects.filter(parent__isnull=False).delete()
    Condition.objects.all().delete()
    ModifierRole.objects.all().delete()
    GlossaryTerm.objects.all().delete()
    Source.objects.all().delete()


def synthetic(model):
    return model.objects.filter(sources__slug=SOURCE_SLUG)


def test_refuses_a_database_with_real_content():
    therapies = Therapy.objects.count()
    with pytest.raises(SynthError, match=r"not synthetic.*--force"):
        synth()
    assert Therapy.objects.count() == therapies
    assert not Source.objects.filter(slug=SOURCE_SLUG).exists()


def test_force_adds_beside_real_content_and_replace_keeps_it():
    real = {m: set(m.objects.values_list("slug", flat=True)) for m in (Therapy, Condition)}
    real_indications = Indication.objects.count()
    out, _ = synth(force=True)
    assert "--force" in out
    assert synthetic(Therapy).count() == SIZE
    for model, slugs in real.items():
        assert slugs <= set(model.objects.values_list("slug", flat=True))
    # A second run needs --replace, which deletes only the synthetic rows.
    with pytest.raises(SynthError, match="--replace"):
        synth(force=True, seed=2)
    out, _ = synth(force=True, replace=True, seed=2, therapies=50)
    assert "Deleted" in out
    assert synthetic(Therapy).count() == 50
    for model, slugs in real.items():
        kept = model.objects.exclude(sources__slug=SOURCE_SLUG).values_list("slug", flat=True)
        assert set(kept) == slugs
    assert Indication.objects.exclude(sources__slug=SOURCE_SLUG).count() == real_indications
    assert Therapy.objects.filter(slug="rituximab").exists()


def test_replace_never_deletes_a_real_indication_of_a_synthetic_therapy(article):
    synth(force=True)
    therapy = synthetic(Therapy).first()
    condition = Condition.objects.get(slug="rheumatoid-arthritis")
    indication = Indication.objects.create(therapy=therapy, condition=condition)
    indication.sources.add(article)
    with pytest.raises(SynthError, match="not synthetic point at synthetic"):
        synth(force=True, replace=True)
    assert Indication.objects.filter(pk=indication.pk).exists()
    assert synthetic(Therapy).count() == SIZE


def test_the_catalog_has_the_promised_shape(empty_catalog):
    out, _ = synth()
    assert f"{SIZE:,} therapies" in out
    source = Source.objects.get(slug=SOURCE_SLUG)
    assert "not medical information" in source.title

    # Sizes scale with the number of therapies, with floors for small catalogs.
    assert TherapyClass.objects.count() == 6
    assert Condition.objects.count() == 20
    assert Therapy.objects.count() == SIZE

    # Everything is synthetic, says so, and is published.
    for model in (TherapyClass, Therapy, Condition, Indication):
        assert not model.objects.exclude(sources=source).exists()
        assert not model.objects.exclude(status=Status.PUBLISHED).exists()
        assert not model.objects.filter(published_at__isnull=True).exists()
    for model in (TherapyClass, Therapy, Condition):
        assert not model.objects.exclude(summary__startswith=MARK).exists()

    # Realistic names: INN-style agents, capitalised brand names.
    for name in Therapy.objects.values_list("name", flat=True):
        assert 8 <= len(name) <= 20 and name[0].isupper(), name
    assert Therapy.objects.filter(
        Q(name__endswith="mab") | Q(name__endswith="cept") | Q(name__endswith="nib")
    ).exists()
    brands = TherapyName.objects.filter(kind=TherapyName.Kind.BRAND)
    assert not Therapy.objects.filter(other_names__isnull=True).exists()
    for name in brands.values_list("name", flat=True):
        assert 6 <= len(name) <= 12 and name[0].isupper() and name[1:].islower(), name

    # About four agent-level indications per therapy, some class-level ones, some qualifiers.
    per_therapy = Counter(
        Indication.objects.filter(therapy__isnull=False).values_list("therapy", flat=True)
    )
    assert len(per_therapy) == SIZE
    assert min(per_therapy.values()) >= 2 and max(per_therapy.values()) <= 6
    assert 3.5 <= statistics.mean(per_therapy.values()) <= 4.5
    assert Indication.objects.filter(therapy_class__isnull=False).exists()
    assert Indication.objects.exclude(qualifier="").exists()
    assert Indication.objects.filter(qualifier="").exists()

    # Sub-conditions one level deep, in their parent's category; both categories used.
    children = Condition.objects.filter(parent__isnull=False).select_related("parent")
    assert children.exists()
    for child in children:
        assert child.parent.parent_id is None
        assert child.category == child.parent.category
        assert child.name.startswith(child.parent.name)
    assert set(Condition.objects.values_list("category", flat=True)) == set(
        ConditionCategory.values
    )
    agent = Indication.objects.filter(therapy__isnull=False)
    assert agent.filter(condition__parent__isnull=True).exists()
    assert agent.filter(condition__parent__isnull=False).exists()

    # Skewed: some condition is used by many therapies.
    busiest = Condition.objects.annotate(n=Count("indications")).order_by("-n").first()
    assert busiest.n >= SIZE // 4


def test_same_seed_and_size_give_the_same_catalog(empty_catalog):
    synth(seed=3, therapies=120)
    first = digest()
    names = sorted(Therapy.objects.values_list("name", flat=True))
    # Batches do not change what is generated.
    synth(seed=3, therapies=120, replace=True, batch_size=7)
    assert digest() == first
    assert sorted(Therapy.objects.values_list("name", flat=True)) == names
    synth(seed=4, therapies=120, replace=True)
    assert digest() != first


def test_public_pages_and_api_list_the_synthetic_therapies(empty_catalog, client):
    synth()
    parent = (
        Condition.objects.filter(parent__isnull=True, children__indications__therapy__isnull=False)
        .distinct()
        .first()
    )
    expected = set(
        Therapy.objects.filter(
            Q(indications__condition=parent) | Q(indications__condition__parent=parent)
        ).values_list("slug", flat=True)
    )
    child_only = expected - set(
        Therapy.objects.filter(indications__condition=parent).values_list("slug", flat=True)
    )
    assert child_only, "some therapies match only through a sub-condition"

    response = client.get("/api/v1/therapies/", {"condition": parent.slug, "page_size": 100})
    assert response.status_code == 200
    assert response.json()["count"] == len(expected)
    assert {item["slug"] for item in response.json()["results"]} <= expected

    response = client.get("/therapies/", {"condition": parent.slug})
    assert response.status_code == 200
    listed = listed_slugs(response)
    assert listed and set(listed) <= expected

    therapy = Therapy.objects.get(slug=listed[0])
    response = client.get(f"/therapies/{therapy.slug}/")
    assert response.status_code == 200
    assert MARK in response.content.decode()
    assert client.get(f"/conditions/{parent.slug}/").status_code == 200


def test_progress_lines_and_quiet_modes(empty_catalog):
    out, err = synth(batch_size=50)
    assert "Generating therapies: 200/200 (100%" in err
    assert err.count("Generating therapies:") == 4  # a plain line per batch when not a tty
    assert "Generated" in out
    out, err = synth(replace=True, no_progress=True)
    assert "Generated" in out and not err
    out, err = synth(replace=True, verbosity=0)
    assert not out and not err


def test_search_index_is_rebuilt(empty_catalog, client):
    out, err = synth(no_index=False, therapies=30)
    assert "search index" in out and "Rebuilding the search index" in err
    therapy = Therapy.objects.order_by("name").first()
    response = client.get("/search/", {"q": therapy.name})
    assert response.status_code == 200
    assert f"/therapies/{therapy.slug}/" in response.content.decode()


def test_bad_sizes_are_refused(empty_catalog):
    with pytest.raises(SynthError, match="at least 1"):
        synth(therapies=0)


def test_synth_is_not_part_of_the_site():
    assert "synth" not in get_commands()  # not a manage.py command: the site never ships it


@pytest.mark.slow
def test_python_m_bench_synth_sets_django_up_and_fills_a_fresh_database(tmp_path):
    """The benchmark's way: a migrated database named by DATABASE_URL, the site's settings."""
    env = production_env(f"sqlite:///{tmp_path / 'bench.sqlite3'}", tmp_path / "static")
    manage("migrate", "--no-input", "-v0", env=env)
    command = [PYTHON, "-m", "bench.synth", "--therapies", "30", "--seed", "1", "--no-progress"]

    def synth_process():
        return subprocess.run(
            [str(part) for part in command],
            cwd=BASE_DIR,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    first = synth_process()
    assert first.returncode == 0, first.stderr
    assert "Generated 6 classes, 20 conditions, 30 therapies" in first.stdout
    assert "Rebuilt the search index" in first.stdout
    assert first.stderr == ""
    again = synth_process()
    assert again.returncode == 1
    assert again.stdout == ""
    assert again.stderr.startswith("synth: error: The database already holds synthetic data")
    assert "Use --replace" in again.stderr
