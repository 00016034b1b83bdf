"""Who may publish and who may record a medical review, on every path: the admin form (fields
read-only, forged POSTs ignored), reverting to an old version, the inlines, the changelist
actions and the API (PATCH, PUT, POST answer a 403 problem naming the field). The public page
and its JSON-LD never show a review an editor forged."""

import datetime

import pytest
from django.contrib.auth.models import Group, User
from django.urls import reverse

from catalog.history import populate_initial_history
from catalog.models import (
    Condition,
    Indication,
    ReviewerProfile,
    Source,
    Therapy,
    TherapyClass,
)

from .helpers import (
    _add_form_data,
    admin_url,
    api_write,
    form_data,
    json_ld_nodes,
    make_reviewer,
    make_user,
    page_text,
    problem,
)

pytestmark = pytest.mark.django_db

FORGED_REVIEW = {
    "reviewer": {"name": "Dr Fake", "credential": "MD", "specialty": ""},
    "last_reviewed": "2026-11-30",
}
REVIEW_FIELDS = ("last_reviewed", "reviewer", "review_interval_days")
NEW_THERAPY = {
    "slug": "newumab",
    "name": "Newumab",
    "therapy_class": "monoclonal-antibodies",
    "summary": "A new monoclonal antibody.",
    "sources": ["drugscom-immunotherapy"],
}
RESOURCES = [
    ("therapies", Therapy, "rituximab"),
    ("therapy-classes", TherapyClass, "monoclonal-antibodies"),
    ("conditions", Condition, "melanoma"),
]


@pytest.fixture
def junior(db):
    """An editor who may edit but not publish: the Editors' permissions less publish_*."""
    group = Group.objects.create(name="Junior editors")
    group.permissions.set(
        Group.objects.get(name="Editors").permissions.exclude(codename__startswith="publish_")
    )
    user = make_user("junior")
    user.groups.set([group])
    return user


@pytest.fixture
def editor(db):
    return make_user("edna", "Editors")


@pytest.fixture
def editor_reviewer(db):
    return make_user("rex", "Editors", "Reviewers")


@pytest.fixture
def superuser(db):
    return User.objects.create_superuser("admin", password="x")


def logged_in(client, user):
    client.force_login(user)
    return client


def review_of(model, slug):
    record = model.objects.get(slug=slug)
    return tuple(getattr(record, name) for name in REVIEW_FIELDS)


def assert_public_page_shows_no_forged_review(client, slug="rituximab"):
    client.logout()
    page = client.get(f"/therapies/{slug}/")
    assert "Dr Fake" not in page.content.decode()
    assert "Not yet reviewed by our medical reviewers." in page_text(page)
    web_page = json_ld_nodes(page)["MedicalWebPage"]
    assert "lastReviewed" not in web_page and "reviewedBy" not in web_page


# --- publication state: the API ---------------------------------------------------------------


@pytest.mark.parametrize(("resource", "model", "slug"), RESOURCES)
def test_unpublishing_through_the_api_needs_the_publish_permission(
    client, junior, resource, model, slug
):
    path = f"/api/v1/{resource}/{slug}/"
    api = logged_in(client, junior)
    body = problem(api_write(api, "patch", path, {"status": "draft"}), 403)
    assert body["detail"].startswith("status: ")
    assert "not publish or unpublish it" in body["detail"]
    assert model.objects.get(slug=slug).status == "published"
    client.logout()
    assert client.get(path).status_code == 200  # still on the public site


def test_a_put_that_unpublishes_needs_the_publish_permission(client, junior):
    path = "/api/v1/therapies/rituximab/"
    api = logged_in(client, junior)
    record = {**api.get(path).json(), "therapy_class": "monoclonal-antibodies"}
    body = problem(api_write(api, "put", path, {**record, "status": "draft"}), 403)
    assert "status: " in body["detail"]
    assert Therapy.objects.get(slug="rituximab").status == "published"
    # The record as read, with other changes, goes through: the status did not change.
    response = api_write(api, "put", path, {**record, "summary": "Rewritten."})
    assert response.status_code == 200, response.content
    assert Therapy.objects.get(slug="rituximab").summary == "Rewritten."


def test_creating_a_published_record_needs_the_publish_permission(client, junior, editor):
    api = logged_in(client, junior)
    response = api_write(api, "post", "/api/v1/therapies/", {**NEW_THERAPY, "status": "published"})
    assert "status: " in problem(response, 403)["detail"]
    assert not Therapy.objects.filter(slug="newumab").exists()
    response = api_write(api, "post", "/api/v1/therapies/", {**NEW_THERAPY, "status": "draft"})
    assert response.status_code == 201, response.content

    api = logged_in(client, editor)
    data = {**NEW_THERAPY, "slug": "otherumab", "name": "Otherumab", "status": "published"}
    response = api_write(api, "post", "/api/v1/therapies/", data)
    assert response.status_code == 201, response.content
    assert response.json()["published_at"] is not None


def test_the_first_publication_date_is_kept_through_unpublishing(client, editor):
    api = logged_in(client, editor)
    path = "/api/v1/therapies/rituximab/"
    first = Therapy.objects.get(slug="rituximab").published_at
    assert api_write(api, "patch", path, {"status": "draft"}).status_code == 200
    response = api_write(api, "patch", path, {"status": "published"})
    assert response.status_code == 200
    assert Therapy.objects.get(slug="rituximab").published_at == first


# --- publication state: the admin ---------------------------------------------------------------


def test_reverting_to_a_draft_version_keeps_the_status_without_the_publish_permission(
    client, junior
):
    populate_initial_history()
    therapy = Therapy.objects.get(slug="rituximab")
    therapy.unpublish()
    therapy.summary = "Summary while a draft."
    therapy.save()
    draft_version = therapy.history.latest()
    therapy.publish()
    therapy.summary = "Published summary."
    therapy.save()

    admin = logged_in(client, junior)
    url = reverse("admin:catalog_therapy_simple_history", args=[therapy.pk, draft_version.pk])
    page = admin.get(url)
    data = {}
    _add_form_data(data, page.context["adminform"].form)
    assert "status" not in data
    response = admin.post(url, data)
    assert response.status_code == 302, page_text(response)
    therapy.refresh_from_db()
    assert therapy.summary == "Summary while a draft."  # what the junior may change is reverted
    assert therapy.status == "published"  # the publication state is not
    assert client.get("/therapies/rituximab/").status_code == 200


def test_a_forged_status_in_the_admin_form_is_ignored(client, junior):
    admin = logged_in(client, junior)
    therapy = Therapy.objects.get(slug="rituximab")
    url = admin_url(Therapy, "change", therapy.pk)
    data = form_data(admin.get(url))
    assert "status" not in data
    indication = data["indications-0-id"]
    assert "indications-0-status" not in data  # the inline's status is read-only too
    data.update({"status": "draft", "indications-0-status": "draft", "summary": "Edited."})
    response = admin.post(url, data)
    assert response.status_code == 302, page_text(response)
    therapy.refresh_from_db()
    assert (therapy.summary, therapy.status) == ("Edited.", "published")
    assert Indication.objects.get(pk=indication).status == "published"


def test_actions_that_change_publication_state_need_the_permission(client, junior):
    admin = logged_in(client, junior)
    changelist = admin.get(admin_url(Therapy, "changelist"))
    assert 'value="unpublish"' not in changelist.content.decode()
    rituximab = Therapy.objects.get(slug="rituximab")
    response = admin.post(
        admin_url(Therapy, "changelist"),
        {"action": "unpublish", "_selected_action": [rituximab.pk], "index": "0"},
        follow=True,
    )
    assert response.status_code == 200
    assert "unpublished" not in page_text(response)
    assert Therapy.objects.get(slug="rituximab").status == "published"


# --- medical review: the API ----------------------------------------------------------------------


@pytest.mark.parametrize(("resource", "model", "slug"), RESOURCES)
def test_an_editor_cannot_forge_a_review_through_a_patch(client, editor, resource, model, slug):
    before = review_of(model, slug)
    api = logged_in(client, editor)
    response = api_write(api, "patch", f"/api/v1/{resource}/{slug}/", FORGED_REVIEW)
    detail = problem(response, 403)["detail"]
    assert "last_reviewed: only reviewers record a medical review" in detail
    assert "reviewer: only reviewers record a medical review" in detail
    assert review_of(model, slug) == before
    assert_public_page_shows_no_forged_review(client)


def test_an_editor_cannot_forge_a_review_through_a_put_or_a_post(client, editor):
    api = logged_in(client, editor)
    path = "/api/v1/therapies/rituximab/"
    record = {**api.get(path).json(), "therapy_class": "monoclonal-antibodies"}
    for change in (FORGED_REVIEW, {"review_interval_days": 5000}):
        response = api_write(api, "put", path, {**record, **change})
        assert f"{next(iter(change))}: only reviewers" in problem(response, 403)["detail"]
        response = api_write(api, "post", "/api/v1/therapies/", {**NEW_THERAPY, **change})
        assert f"{next(iter(change))}: only reviewers" in problem(response, 403)["detail"]
    assert not Therapy.objects.filter(slug="newumab").exists()
    # The record as read (its review unchanged) may still be written back.
    response = api_write(api, "put", path, {**record, "summary": "Rewritten."})
    assert response.status_code == 200, response.content
    assert_public_page_shows_no_forged_review(client)


@pytest.mark.parametrize("who", ["editor_reviewer", "superuser"])
def test_even_a_reviewer_records_a_review_in_the_admin_not_through_the_api(client, request, who):
    """A review names its reviewer's profile, which only the admin's action sets: a review
    typed into an API write would name whoever the client says."""
    api = logged_in(client, request.getfixturevalue(who))
    response = api_write(api, "patch", "/api/v1/therapies/rituximab/", FORGED_REVIEW)
    detail = problem(response, 403)["detail"]
    assert "with “Mark as reviewed” in the admin" in detail
    assert review_of(Therapy, "rituximab") == (None, None, 365)
    assert_public_page_shows_no_forged_review(client)


def test_a_reviewer_without_the_change_permission_cannot_write_through_the_api(client):
    api = logged_in(client, make_user("rita", "Reviewers"))
    response = api_write(api, "patch", "/api/v1/therapies/rituximab/", FORGED_REVIEW)
    assert problem(response, 403)["detail"]
    assert_public_page_shows_no_forged_review(client)


# --- medical review: the admin --------------------------------------------------------------------


def test_review_fields_are_read_only_for_an_editor_and_a_forged_post_is_ignored(client, editor):
    admin = logged_in(client, editor)
    therapy = Therapy.objects.get(slug="rituximab")
    url = admin_url(Therapy, "change", therapy.pk)
    page = admin.get(url)
    content = page.content.decode()
    for name in REVIEW_FIELDS:
        assert f'name="{name}"' not in content
    assert "Last reviewed:" in page_text(page)  # shown, not editable
    data = form_data(page)
    forged = {"last_reviewed": "2026-11-30", "reviewer": str(make_reviewer().pk)}
    data.update({**forged, "review_interval_days": "5000", "summary": "Edited."})
    response = admin.post(url, data)
    assert response.status_code == 302, page_text(response)
    therapy.refresh_from_db()
    assert therapy.summary == "Edited."
    assert review_of(Therapy, "rituximab") == (None, None, 365)
    assert_public_page_shows_no_forged_review(client)


def test_a_new_record_from_an_editor_starts_unreviewed(client, editor):
    admin = logged_in(client, editor)
    data = form_data(admin.get(admin_url(TherapyClass, "add")))
    data.update(
        {
            "name": "Vaccines",
            "slug": "vaccines",
            "summary": "s",
            "action": "stimulates",
            "sources": [str(Source.objects.get(slug="drugscom-immunotherapy").pk)],
            "last_reviewed": "2026-11-30",
            "reviewer": str(make_reviewer().pk),
        }
    )
    response = admin.post(admin_url(TherapyClass, "add"), data)
    assert response.status_code == 302, page_text(response)
    assert review_of(TherapyClass, "vaccines") == (None, None, 365)


@pytest.mark.parametrize("who", ["editor", "editor_reviewer"])
def test_reverting_to_an_old_version_keeps_the_current_review(client, request, who):
    """A review is recorded only by the reviewer's own action: reverting restores an old
    version's content, never its review, even for a reviewer."""
    populate_initial_history()
    therapy = Therapy.objects.get(slug="rituximab")
    old_reviewer = make_reviewer("old", "Dr Old")
    current = make_reviewer("current", "A. Current")
    therapy.mark_reviewed(old_reviewer, today=datetime.date(2020, 1, 1))
    therapy.save()
    old = therapy.history.latest()
    therapy.mark_reviewed(current, today=datetime.date(2026, 11, 1))
    therapy.save()

    admin = logged_in(client, request.getfixturevalue(who))
    url = reverse("admin:catalog_therapy_simple_history", args=[therapy.pk, old.pk])
    data = {}
    _add_form_data(data, admin.get(url).context["adminform"].form)
    assert admin.post(url, data).status_code == 302
    assert review_of(Therapy, "rituximab") == (datetime.date(2026, 11, 1), current, 365)


@pytest.mark.parametrize("who", ["editor_reviewer", "superuser"])
def test_no_one_types_a_review_into_the_admin_form(client, request, who):
    """The form shows the review; only the action records one, naming the reviewer."""
    admin = logged_in(client, request.getfixturevalue(who))
    url = admin_url(Therapy, "change", Therapy.objects.get(slug="rituximab").pk)
    data = form_data(admin.get(url))
    assert "last_reviewed" not in data and "reviewer" not in data
    data.update({"last_reviewed": "2026-11-30", "reviewer": str(make_reviewer().pk)})
    response = admin.post(url, data)
    assert response.status_code == 302, page_text(response)
    assert review_of(Therapy, "rituximab") == (None, None, 365)


def test_mark_reviewed_is_an_action_for_reviewers_only(client, editor):
    admin = logged_in(client, editor)
    assert (
        'value="mark_reviewed"' not in admin.get(admin_url(Therapy, "changelist")).content.decode()
    )
    rituximab = Therapy.objects.get(slug="rituximab")
    response = admin.post(
        admin_url(Therapy, "changelist"),
        {"action": "mark_reviewed", "_selected_action": [rituximab.pk], "index": "0"},
        follow=True,
    )
    assert "No action selected." in page_text(response)
    assert review_of(Therapy, "rituximab") == (None, None, 365)

    # A reviewer without a profile is asked for one: a review names a person.
    rita = make_user("rita", "Reviewers", first_name="Rita", last_name="Md")
    admin = logged_in(client, rita)
    action = {"action": "mark_reviewed", "_selected_action": [rituximab.pk], "index": "0"}
    response = admin.post(admin_url(Therapy, "changelist"), action, follow=True)
    assert "A review names its reviewer: ask an administrator for a reviewer profile" in (
        page_text(response)
    )
    assert review_of(Therapy, "rituximab") == (None, None, 365)

    profile = ReviewerProfile.objects.create(
        user=rita, full_name="Rita Md", credential="PharmD", specialty="oncology"
    )
    response = admin.post(admin_url(Therapy, "changelist"), action, follow=True)
    assert "1 therapy marked reviewed." in page_text(response)
    assert review_of(Therapy, "rituximab")[1] == profile
    client.logout()
    text = page_text(client.get("/therapies/rituximab/"))
    assert "Medically reviewed by Rita Md, PharmD, oncology" in text
    assert "rita " not in text
