"""The editorial workflow in the admin, as editors and reviewers see it: publish / unpublish /
mark-reviewed actions, view on site, the review dashboard, history (diff and revert), refusal of
saves based on an outdated copy, and a first history version for seeded content."""

import datetime
import html
import re

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from catalog.history import populate_initial_history
from catalog.models import (
    Condition,
    Indication,
    ReviewerProfile,
    Source,
    Therapy,
    TherapyClass,
    TherapyName,
)

from .helpers import _add_form_data, add_inline_row, admin_url, form_data, page_text, result_rows

MAX_QUERIES = 15


def make_user(django_user_model, username, group, **extra):
    user = django_user_model.objects.create_user(
        username=username, password="not-a-real-password", is_staff=True, **extra
    )
    user.groups.add(Group.objects.get(name=group))
    return user


@pytest.fixture
def editor(django_user_model):
    return make_user(django_user_model, "edna", "Editors", first_name="Edna", last_name="Ed")


@pytest.fixture
def reviewer(django_user_model):
    """A reviewer with her profile: a review names "Rita Md, PharmD, oncology"."""
    user = make_user(django_user_model, "rita", "Reviewers", first_name="Rita", last_name="Md")
    ReviewerProfile.objects.create(
        user=user, full_name="Rita Md", credential="PharmD", specialty="oncology"
    )
    return user


def reviewed_on(slug, date):
    """Tocilizumab & co. as reviewed by someone else long ago."""
    other = ReviewerProfile.objects.filter(full_name="Jane Doe").first()
    if other is None:
        user = make_user(get_user_model(), "jdoe", "Reviewers")
        other = ReviewerProfile.objects.create(user=user, full_name="Jane Doe", credential="MD")
    therapy = Therapy.objects.get(slug=slug)
    therapy.mark_reviewed(other, today=date)
    therapy.save()
    return other


@pytest.fixture
def editor_client(client, editor):
    client.force_login(editor)
    return client


@pytest.fixture
def reviewer_client(client, reviewer):
    client.force_login(reviewer)
    return client


@pytest.fixture
def history(db):
    """The content as `seed` leaves it: every record has a first version."""
    populate_initial_history()


def run_action(client, model, action, *objs):
    return client.post(
        admin_url(model, "changelist"),
        {"action": action, "_selected_action": [o.pk for o in objs], "index": "0"},
        follow=True,
    )


def action_names(response):
    return re.findall(r'<option value="(\w+)">', response.content.decode())


# --- actions -------------------------------------------------------------------------------------


def test_editor_unpublishes_and_publishes_with_history(editor_client, editor):
    rituximab = Therapy.objects.get(slug="rituximab")
    published_at = rituximab.published_at
    response = run_action(editor_client, Therapy, "unpublish", rituximab)
    assert "1 therapy unpublished." in page_text(response)
    rituximab.refresh_from_db()
    assert rituximab.status == "draft"
    assert "Draft" in " ".join(r for r in result_rows(response) if r.startswith("Rituximab"))

    response = run_action(editor_client, Therapy, "publish", rituximab)
    assert "1 therapy published." in page_text(response)
    rituximab.refresh_from_db()
    assert rituximab.status == "published"
    assert rituximab.published_at == published_at  # first publication date kept

    reasons = list(
        rituximab.history.order_by("-history_date").values_list(
            "history_change_reason", "history_user__username", "status"
        )[:2]
    )[::-1]
    assert reasons == [
        ("Unpublished via admin action", "edna", "draft"),
        ("Published via admin action", "edna", "published"),
    ]
    history_page = editor_client.get(admin_url(Therapy, "history", rituximab.pk))
    assert "Published via admin action" in page_text(history_page)


def test_publish_action_on_indications(editor_client):
    indication = Indication.objects.filter(therapy__slug="rituximab").first()
    run_action(editor_client, Indication, "unpublish", indication)
    indication.refresh_from_db()
    assert indication.status == "draft"
    assert indication.history.first().history_change_reason == "Unpublished via admin action"


def test_reviewer_marks_reviewed_from_the_changelist(reviewer_client):
    adalimumab = Therapy.objects.get(slug="adalimumab")
    rituximab = Therapy.objects.get(slug="rituximab")
    reviewed_on("rituximab", datetime.date(2025, 5, 1))
    changelist = reviewer_client.get(admin_url(Therapy, "changelist"))
    assert action_names(changelist) == ["mark_reviewed"]
    response = run_action(reviewer_client, Therapy, "mark_reviewed", adalimumab, rituximab)
    assert "2 therapies marked reviewed." in page_text(response)
    adalimumab.refresh_from_db()
    rituximab.refresh_from_db()
    assert adalimumab.last_reviewed == rituximab.last_reviewed == timezone.localdate()
    # The review names who made it: Rita's profile, for an earlier reviewer's record too.
    assert adalimumab.reviewer.public_name == "Rita Md, PharmD, oncology"
    assert rituximab.reviewer == adalimumab.reviewer
    latest = adalimumab.history.first()
    assert latest.history_change_reason == "Marked reviewed via admin action"
    assert latest.history_user.username == "rita"


def test_reviewer_cannot_publish(reviewer_client):
    rituximab = Therapy.objects.get(slug="rituximab")
    versions = rituximab.history.count()
    response = run_action(reviewer_client, Therapy, "unpublish", rituximab)
    assert "No action selected." in page_text(response)
    rituximab.refresh_from_db()
    assert rituximab.status == "published"
    assert rituximab.history.count() == versions


def test_editor_cannot_mark_reviewed(editor_client):
    changelist = editor_client.get(admin_url(Therapy, "changelist"))
    assert set(action_names(changelist)) == {"publish", "unpublish", "submit_for_review"}
    adalimumab = Therapy.objects.get(slug="adalimumab")
    run_action(editor_client, Therapy, "mark_reviewed", adalimumab)
    adalimumab.refresh_from_db()
    assert adalimumab.last_reviewed is None


def test_reviewer_cannot_change_or_delete(reviewer_client):
    rituximab = Therapy.objects.get(slug="rituximab")
    url = admin_url(Therapy, "change", rituximab.pk)
    page = reviewer_client.get(url)
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    assert reviewer_client.post(url, {"summary": "Hacked."}).status_code == 403
    assert reviewer_client.post(admin_url(Therapy, "delete", rituximab.pk)).status_code == 403
    rituximab.refresh_from_db()
    assert rituximab.summary != "Hacked."


def test_reviewer_cannot_revert(reviewer_client, history):
    rituximab = Therapy.objects.get(slug="rituximab")
    version = rituximab.history.latest()
    url = reverse("admin:catalog_therapy_simple_history", args=[rituximab.pk, version.pk])
    assert 'value="Revert"' not in reviewer_client.get(url).content.decode()
    assert reviewer_client.post(url, {"summary": "Hacked."}).status_code == 403


# --- view on site --------------------------------------------------------------------------------


def view_on_site(client, obj):
    page = client.get(admin_url(type(obj), "change", obj.pk))
    link = re.search(r'<a href="([^"]+)" class="viewsitelink">', page.content.decode())
    assert link, "no “View on site” link"
    return html.unescape(link.group(1))


@pytest.mark.parametrize(
    ("model", "slug", "preview"),
    [
        (Therapy, "rituximab", "/preview/therapies/rituximab/"),
        (TherapyClass, "interferons", "/preview/classes/interferons/"),
        (Condition, "melanoma", "/preview/conditions/melanoma/"),
    ],
)
def test_view_on_site_for_a_draft_is_its_preview(editor_client, model, slug, preview):
    obj = model.objects.get(slug=slug)
    assert view_on_site(editor_client, obj) == obj.get_absolute_url()
    obj.unpublish()
    obj.save()
    assert view_on_site(editor_client, obj) == preview
    page = editor_client.get(preview)
    assert page.status_code == 200
    assert obj.name in page_text(page)


# --- changelists and the review dashboard --------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("model", [Therapy, TherapyClass, Condition, Indication])
@pytest.mark.parametrize("query", [{}, {"status__exact": "draft"}, {"review": "overdue"}])
def test_changelists_show_status_in_bounded_queries(
    editor_client, make_catalog, django_assert_max_num_queries, model, query
):
    make_catalog(150)
    if model is Indication:
        query = {k: v for k, v in query.items() if k != "review"}
    with django_assert_max_num_queries(MAX_QUERIES):
        response = editor_client.get(admin_url(model, "changelist"), query)
    assert response.status_code == 200
    text = page_text(response)
    assert "By status" in text
    assert ("By review" in text) is (model is not Indication)


def test_review_filter(editor_client):
    reviewed_on("rituximab", timezone.localdate())
    reviewed_on("tocilizumab", datetime.date(2022, 1, 12))
    url = admin_url(Therapy, "changelist")

    def names(review):
        return {
            row.split(" ")[0] for row in result_rows(editor_client.get(url, {"review": review}))
        }

    assert "Rituximab" in names("up-to-date")
    assert "Rituximab" not in names("overdue")
    # Never reviewed is not overdue: the dashboard's buckets.
    assert "Adalimumab" in names("never") and "Adalimumab" not in names("overdue")
    assert "Tocilizumab" in names("overdue")  # reviewed 2022-01-12, due a year later
    assert "Tocilizumab" not in names("never")


def test_dashboard_is_staff_only(client, django_user_model):
    url = reverse("admin:catalog_review_dashboard")
    assert client.get(url)["Location"].startswith(reverse("admin:login"))
    client.force_login(django_user_model.objects.create_user(username="reader"))
    assert client.get(url)["Location"].startswith(reverse("admin:login"))


# --- history: diff and revert --------------------------------------------------------------------


def edit_therapy(client, slug="rituximab", **changes):
    therapy = Therapy.objects.get(slug=slug)
    url = admin_url(Therapy, "change", therapy.pk)
    data = form_data(client.get(url))
    names = changes.pop("names", [])
    data.update(changes)
    for name in names:
        add_inline_row(data, "other_names", name=name, kind="brand")
    response = client.post(url, data)
    assert response.status_code == 302, page_text(response)
    return therapy


def compare(client, therapy, old, new):
    url = reverse("admin:catalog_therapy_history_compare", args=[therapy.pk])
    return client.get(url, {"old": old.pk, "new": new.pk})


@pytest.mark.slow
def test_diff_shows_field_names_and_brand_names_as_of_each_version(editor_client, history):
    rituximab = Therapy.objects.get(slug="rituximab")
    old_summary = rituximab.summary
    first = rituximab.history.latest()  # the version before this test's edits
    therapy = edit_therapy(editor_client, summary="An antibody against CD20.")
    edit_therapy(editor_client, names=["MabThera"])
    last = therapy.history.latest()

    page = editor_client.get(admin_url(Therapy, "history", therapy.pk))
    assert f'name="old" value="{first.pk}"' in page.content.decode()
    assert 'value="Compare the selected versions"' in page.content.decode()
    assert "Therapy name: MabThera (brand name)" in page_text(page)  # names' changes listed

    text = page_text(compare(editor_client, therapy, first, last))
    assert "Brand names: Rituxan → Rituxan, MabThera" in text
    assert f"Summary: {old_summary} → An antibody against CD20." in text
    assert "Sources:" not in text  # unchanged (the first version has its sources)
    assert "Updated at" not in text

    # Either order of selection compares older → newer.
    reverse_text = page_text(compare(editor_client, therapy, last, first))
    assert "Brand names: Rituxan → Rituxan, MabThera" in reverse_text


@pytest.mark.slow
def test_diff_shows_sources_and_status(editor_client, history):
    therapy = Therapy.objects.get(slug="rituximab")
    Source.objects.create(slug="fda-label", title="Rituxan label", publisher="FDA")
    before = ", ".join(str(s) for s in therapy.sources.all())
    first = therapy.history.latest()
    after = Source.objects.filter(slug__in=["drugscom-immunotherapy", "fda-label"])
    edit_therapy(editor_client, sources=[str(s.pk) for s in after])
    run_action(editor_client, Therapy, "unpublish", therapy)
    last = therapy.history.first()
    text = page_text(compare(editor_client, therapy, first, last))
    assert f"Sources: {before} → {', '.join(str(s) for s in after)}" in text
    assert "Status: Published → Draft" in text


@pytest.mark.slow
def test_indication_changes_show_on_therapy_and_condition(editor_client, history):
    therapy = Therapy.objects.get(slug="rituximab")
    melanoma = Condition.objects.get(slug="melanoma")
    first = therapy.history.latest()
    url = admin_url(Therapy, "change", therapy.pk)
    data = form_data(editor_client.get(url))
    source = str(Source.objects.get(slug="drugscom-immunotherapy").pk)
    add_inline_row(data, "indications", condition=str(melanoma.pk), sources=[source])
    assert editor_client.post(url, data).status_code == 302
    last = therapy.history.first()
    text = page_text(compare(editor_client, therapy, first, last))
    assert re.search(r"Indications: [^→]*→ [^→]*Melanoma", text), text

    condition_history = page_text(editor_client.get(admin_url(Condition, "history", melanoma.pk)))
    assert "Indication: Rituximab → Melanoma" in condition_history
    assert "edna" in condition_history


@pytest.mark.slow
def test_revert_restores_an_older_summary(editor_client, history):
    therapy = Therapy.objects.get(slug="rituximab")
    old_summary = therapy.summary
    sources = list(therapy.sources.values_list("slug", flat=True))
    first = therapy.history.latest()
    edit_therapy(editor_client, summary="A mistaken summary.")
    url = reverse("admin:catalog_therapy_simple_history", args=[therapy.pk, first.pk])
    page = editor_client.get(url)
    assert 'value="Revert"' in page.content.decode()
    data = {}
    _add_form_data(data, page.context["adminform"].form)
    assert data["summary"] == old_summary
    response = editor_client.post(url, data)
    assert response.status_code == 302
    therapy.refresh_from_db()
    assert therapy.summary == old_summary
    assert therapy.brand_names == ["Rituxan"]
    assert list(therapy.sources.values_list("slug", flat=True)) == sources
    latest = therapy.history.first()
    assert latest.history_change_reason.startswith("Reverted to the version of")
    assert latest.history_user.username == "edna"


# --- no lost updates -----------------------------------------------------------------------------


def as_shown_again(response, posted):
    """What a refused form submits when sent again as re-rendered: the inlines as posted, the
    main form's fields as the page now shows them (with the new version stamp)."""
    data = dict(posted)
    _add_form_data(data, response.context["adminform"].form)
    return data


@pytest.mark.slow
def test_stale_save_is_refused_then_succeeds_after_reading(client, django_user_model, history):
    from django.test import Client

    alice = make_user(django_user_model, "alice", "Editors")
    bob = make_user(django_user_model, "bob", "Editors")
    a, b = Client(), Client()
    a.force_login(alice)
    b.force_login(bob)
    therapy = Therapy.objects.get(slug="rituximab")
    old_summary = therapy.summary
    url = admin_url(Therapy, "change", therapy.pk)
    data_a = form_data(a.get(url))
    data_b = form_data(b.get(url))  # both open the page

    data_a["summary"] = "Alice's summary."
    assert a.post(url, data_a).status_code == 302

    data_b["description"] = "Bob's description."
    add_inline_row(data_b, "other_names", name="MabThera", kind="brand")
    refused = b.post(url, data_b)
    assert refused.status_code == 200
    text = page_text(refused)
    assert "Someone else saved this therapy after you opened it" in text
    assert "alice, " in text
    assert f"Summary: {old_summary} → Alice's summary." in text
    form = refused.context["adminform"].form
    assert form["description"].value() == "Bob's description."  # Bob's input kept
    assert form["summary"].value() == "Alice's summary."  # untouched field brought up to date
    assert 'value="MabThera"' in refused.content.decode()
    therapy.refresh_from_db()
    assert therapy.summary == "Alice's summary."  # nothing of Alice's lost
    assert therapy.description != "Bob's description."
    assert therapy.brand_names == ["Rituxan"]

    resubmitted = b.post(url, as_shown_again(refused, data_b))
    assert resubmitted.status_code == 302, page_text(resubmitted)
    therapy.refresh_from_db()
    assert therapy.summary == "Alice's summary."
    assert therapy.description == "Bob's description."
    assert therapy.brand_names == ["MabThera", "Rituxan"]


@pytest.mark.parametrize(
    ("model", "lookup", "field"),
    [
        (TherapyClass, {"slug": "interferons"}, "summary"),
        (Condition, {"slug": "melanoma"}, "summary"),
        (Indication, {"therapy__slug": "rituximab", "condition__slug": "melanoma"}, "note"),
    ],
)
@pytest.mark.slow
def test_stale_save_is_refused_for_other_content(editor_client, model, lookup, field):
    if model is Indication:
        obj = Indication.objects.filter(therapy__slug="rituximab").first()
    else:
        obj = model.objects.get(**lookup)
    url = admin_url(model, "change", obj.pk)
    stale = form_data(editor_client.get(url))
    setattr(obj, field, "Changed elsewhere.")
    obj.save()
    stale[field] = "My edit."
    response = editor_client.post(url, stale)
    assert response.status_code == 200
    assert "after you opened it" in page_text(response)
    obj.refresh_from_db()
    assert getattr(obj, field) == "Changed elsewhere."
    assert editor_client.post(url, as_shown_again(response, stale)).status_code == 302
    obj.refresh_from_db()
    assert getattr(obj, field) == "My edit."


def test_the_admin_form_carries_the_token_api_writes_compare(editor_client, history):
    """One version token for both (catalog/versions.py): the admin's hidden field is the token
    part of the API's ETag, so an API write since the form was opened refuses the admin save."""
    therapy = Therapy.objects.get(slug="rituximab")
    url = admin_url(Therapy, "change", therapy.pk)
    stale = form_data(editor_client.get(url))
    etag = editor_client.get(f"/api/v1/therapies/{therapy.slug}/")["ETag"]
    assert etag.strip('"').split(".")[0] == stale["loaded_version"]

    written = editor_client.patch(
        f"/api/v1/therapies/{therapy.slug}/",
        {"summary": "Written through the API."},
        content_type="application/json",
        headers={"If-Match": etag},
    )
    assert written.status_code == 200, written.content
    assert written["ETag"].strip('"').split(".")[0] != stale["loaded_version"]
    stale["description"] = "My edit."
    refused = editor_client.post(url, stale)
    assert refused.status_code == 200
    text = page_text(refused)
    assert "Someone else saved this therapy after you opened it" in text
    assert "Written through the API." in text
    resubmitted = editor_client.post(url, as_shown_again(refused, stale))
    assert resubmitted.status_code == 302, page_text(resubmitted)
    therapy.refresh_from_db()
    assert (therapy.summary, therapy.description) == ("Written through the API.", "My edit.")


def test_an_altered_version_field_is_refused_not_an_error(editor_client, history):
    therapy = Therapy.objects.get(slug="rituximab")
    url = admin_url(Therapy, "change", therapy.pk)
    data = form_data(editor_client.get(url))
    data["loaded_version"] = "not-a-version"
    data["description"] = "My edit."
    refused = editor_client.post(url, data)
    assert refused.status_code == 200
    assert "Someone else saved this therapy after you opened it" in page_text(refused)
    therapy.refresh_from_db()
    assert therapy.description != "My edit."
    assert editor_client.post(url, as_shown_again(refused, data)).status_code == 302
    therapy.refresh_from_db()
    assert therapy.description == "My edit."


# --- seeding -------------------------------------------------------------------------------------


@pytest.mark.slow
def test_seed_gives_every_record_a_first_version(db, capsys):
    Therapy.objects.all().delete()
    Source.objects.all().delete()
    tracked = (Therapy, TherapyClass, Condition, Indication, TherapyName, Source)
    for model in tracked:
        model.history.all().delete()
    call_command("seed")
    assert "Loaded the catalog content" in capsys.readouterr().out
    for model in tracked:
        versioned = model.history.values("id").distinct().count()
        assert versioned == model.objects.count() > 0, model
    # One first version per record, a creation: loading set the therapies' sources without
    # recording a "changed" version ahead of it. It cites the therapy's sources.
    for model in tracked:
        assert set(model.history.values_list("history_type", flat=True)) == {"+"}, model
    rituxan = TherapyName.objects.get(name="Rituxan")
    assert rituxan.history.get().history_type == "+"
    rituximab = Therapy.objects.get(slug="rituximab")
    first = rituximab.history.get()
    cited = {s.slug for s in rituximab.sources.all()}
    assert {s.source.slug for s in first.sources.all()} == cited
    assert {"drugscom-immunotherapy", "fda-label-rituxan"} <= cited


def test_status_is_read_only_for_users_who_may_not_publish(client, django_user_model):
    from django.contrib.auth.models import Permission

    user = django_user_model.objects.create_user("writer", password="x", is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(codename__in=["view_therapy", "change_therapy"])
    )
    client.force_login(user)
    therapy = Therapy.objects.get(slug="rituximab")
    page = client.get(admin_url(Therapy, "change", therapy.pk))
    assert page.status_code == 200
    assert 'name="status"' not in page.content.decode()  # shown, not editable
    assert "Published" in page_text(page)
