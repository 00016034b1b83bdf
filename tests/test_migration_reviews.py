"""Migration catalog 0010 on a database that has content: the test database is taken back to
catalog 0009, records are written there with the models of that time, and it is migrated
forward again. A review date no user recorded (the article's own date, loaded with the content)
is cleared; a review an editor recorded is kept, under a reviewer profile for that editor.
The module leaves the database migrated, with the site's content (_database_snapshot)."""

import datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from catalog.models import ReviewerProfile, Therapy

pytestmark = [
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("_database_snapshot"),
]

BEFORE = [("catalog", "0009_drop_updated_at_indexes")]
ARTICLE_DATE = datetime.date(2022, 1, 12)
RECORDED = datetime.date(2025, 3, 4)


def migrate_back_and_forth(build):
    """Take the database back to catalog 0009, call `build(apps)` with the models of then, and
    migrate everything to the latest migrations."""
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes()
    executor.migrate(BEFORE)
    executor = MigrationExecutor(connection)
    apps = executor.loader.project_state(BEFORE).apps
    try:
        build(apps)
        executor.loader.build_graph()
        executor.migrate(latest)
    except Exception:
        # Still at 0009: with no review date left the migration has nothing to keep, and the
        # module's other tests (and the restore) find the database migrated.
        for name in ["Therapy", "TherapyClass", "Condition"]:
            apps.get_model("catalog", name).objects.update(last_reviewed=None)
        MigrationExecutor(connection).migrate(latest)
        raise


def make_therapy(apps, slug, **fields):
    """A published therapy, in a class of its own (a transactional test before this one may
    have emptied the database)."""
    therapy_class = apps.get_model("catalog", "TherapyClass").objects.create(
        slug=f"{slug}-class", name=f"{slug} class", summary="s", action="stimulates"
    )
    return apps.get_model("catalog", "Therapy").objects.create(
        slug=slug,
        name=slug.replace("-", " ").title(),
        summary="A therapy written for this test.",
        therapy_class=therapy_class,
        status="published",
        **fields,
    )


def add_version(apps, therapy, user, when, kind="~", **changes):
    """A history version of `therapy` as django-simple-history writes one: the record's values
    (with `changes` applied to the record first), who made it and when."""
    Therapy = apps.get_model("catalog", "Therapy")
    if changes:
        Therapy.objects.filter(pk=therapy.pk).update(**changes)
        therapy = Therapy.objects.get(pk=therapy.pk)
    values = {f.attname: getattr(therapy, f.attname) for f in Therapy._meta.concrete_fields}
    apps.get_model("catalog", "HistoricalTherapy").objects.create(
        **values,
        history_date=datetime.datetime(*when, tzinfo=datetime.UTC),
        history_type=kind,
        history_user=user,
    )
    return therapy


def test_only_a_review_a_user_recorded_survives_with_a_profile_named_as_they_typed():
    """At 0009, three therapies carry a review date:
    - one loaded with the content: the article's date and a typed name, no history at all
      (loaddata records no version);
    - one written by a script: its only version has no user;
    - one a reviewer recorded: created by an editor without a date, then a version by the
      reviewer (login `jdoe`, Janet Doe) setting the date and typing "Jane Q. Doe, MD", then an
      unrelated edit by another editor that kept the date.
    After the migration the first two show no review and no reviewer; the third keeps its date
    and names a profile of the reviewer (not of the later editor) whose public name and
    credential are the typed ones, split at the comma: the typed name wins over the account's
    full name, and the login name appears nowhere in it. (With nothing typed the migration
    would take the account's full name, then the login name: not exercised here.)"""

    def build(apps):
        User = apps.get_model("auth", "User")
        editor = User.objects.create(username="editor-before", first_name="Ed", last_name="Itor")
        reviewer = User.objects.create(username="jdoe", first_name="Janet", last_name="Doe")
        typed = {"last_reviewed": ARTICLE_DATE, "reviewed_by": "Article Reviewer, PharmD"}
        make_therapy(apps, "loaded-with-the-content", **typed)
        scripted = make_therapy(apps, "written-by-a-script", **typed)
        add_version(apps, scripted, None, (2024, 5, 1), kind="+")
        recorded = make_therapy(apps, "reviewed-by-an-editor")
        add_version(apps, recorded, editor, (2025, 1, 2), kind="+")
        add_version(
            apps,
            recorded,
            reviewer,
            (2025, 3, 4),
            last_reviewed=RECORDED,
            reviewed_by=" Jane Q. Doe , MD ",
        )
        add_version(apps, recorded, editor, (2025, 6, 7), summary="Edited later by an editor.")

    migrate_back_and_forth(build)

    for slug in ["loaded-with-the-content", "written-by-a-script"]:
        therapy = Therapy.objects.get(slug=slug)
        assert (slug, therapy.last_reviewed, therapy.reviewer) == (slug, None, None)
    therapy = Therapy.objects.select_related("reviewer__user").get(slug="reviewed-by-an-editor")
    assert therapy.last_reviewed == RECORDED
    assert therapy.summary == "Edited later by an editor."
    profile = therapy.reviewer
    assert profile.user.username == "jdoe"
    assert (profile.full_name, profile.credential, profile.specialty) == ("Jane Q. Doe", "MD", "")
    assert "jdoe" not in profile.full_name
    assert list(ReviewerProfile.objects.values_list("user__username", flat=True)) == ["jdoe"]


def test_an_edit_of_a_record_loaded_with_the_content_does_not_make_its_date_a_review():
    """A therapy loaded with the content (the article's date and a typed name, no version), then
    edited by an editor who changed only its summary: that editor's version is the record's
    first, and carries the article's date. No user set that date, so it is cleared."""

    def build(apps):
        editor = apps.get_model("auth", "User").objects.create(username="summary-editor")
        therapy = make_therapy(
            apps,
            "loaded-then-edited",
            last_reviewed=ARTICLE_DATE,
            reviewed_by="Article Reviewer, PharmD",
        )
        add_version(apps, therapy, editor, (2025, 6, 7), summary="Edited by an editor.")

    migrate_back_and_forth(build)

    therapy = Therapy.objects.select_related("reviewer__user").get(slug="loaded-then-edited")
    assert therapy.summary == "Edited by an editor."
    assert (therapy.last_reviewed, therapy.reviewer) == (None, None)


def test_a_review_recorded_with_no_name_typed_takes_the_reviewers_full_name():
    """A review a user recorded without typing a name: the profile takes the account's full
    name; with no name at all the review is cleared (never the login name)."""

    def build(apps):
        reviewer = apps.get_model("auth", "User").objects.create(
            username="scarter", first_name="Sam", last_name="Carter"
        )
        therapy = make_therapy(apps, "reviewed-without-a-name")
        add_version(apps, therapy, reviewer, (2025, 3, 4), kind="+", last_reviewed=RECORDED)
        login_only = apps.get_model("auth", "User").objects.create(username="x9")
        therapy = make_therapy(apps, "reviewed-by-a-login")
        add_version(apps, therapy, login_only, (2025, 3, 4), kind="+", last_reviewed=RECORDED)

    migrate_back_and_forth(build)

    therapy = Therapy.objects.select_related("reviewer").get(slug="reviewed-without-a-name")
    assert therapy.last_reviewed == RECORDED
    assert (therapy.reviewer.full_name, therapy.reviewer.credential) == ("Sam Carter", "")
    nameless = Therapy.objects.get(slug="reviewed-by-a-login")
    assert (nameless.last_reviewed, nameless.reviewer) == (None, None)
    assert not ReviewerProfile.objects.filter(user__username="x9").exists()
