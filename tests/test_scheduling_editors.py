"""Scheduling as editors do it: "Go live at" and "Expire at" in the change form's *Publication
and review* section, guarded by the publish permission in the admin and the API alike (a 403
naming the field), validated (a message for an expiry before going live, a 400 for a malformed
date), the state in words in the changelists with a filter by it, and the staff preview's note."""

import datetime
import re

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from catalog.models import Condition, Indication, Therapy, TherapyClass

from .helpers import admin_url, api_write, form_data, make_user, page_text, problem

pytestmark = pytest.mark.django_db

GO_LIVE = datetime.datetime(2026, 12, 3, 9, 0, tzinfo=datetime.UTC)
EXPIRY = datetime.datetime(2026, 12, 9, 17, 30, tzinfo=datetime.UTC)
TODAY = datetime.datetime(2026, 12, 1, 12, 0, tzinfo=datetime.UTC)
PATH = "/api/v1/therapies/rituximab/"


@pytest.fixture
def editor(client):
    client.force_login(make_user("edna", "Editors"))
    return client


@pytest.fixture
def junior(client):
    """An editor who may edit but not publish: the Editors' permissions less publish_*."""
    group = Group.objects.create(name="Junior editors")
    group.permissions.set(
        Group.objects.get(name="Editors").permissions.exclude(codename__startswith="publish_")
    )
    user = make_user("junior")
    user.groups.set([group])
    client.force_login(user)
    return client


@pytest.fixture
def today(time_machine):
    time_machine.move_to(TODAY, tick=False)


def typed(moment):
    """What the browser's date and time input sends for `moment` (site time, UTC)."""
    return moment.strftime("%Y-%m-%dT%H:%M")


def schedule_data(page, go_live=None, expire=None):
    data = form_data(page)
    for name, moment in (("go_live_at", go_live), ("expire_at", expire)):
        if moment is not None:
            data[name] = typed(moment)
    return data


@pytest.mark.parametrize("model", [Therapy, TherapyClass, Condition])
def test_the_schedule_is_in_the_publication_and_review_section(editor, model):
    record = model.objects.first()
    page = editor.get(admin_url(model, "change", record.pk))
    fieldsets = dict(page.context["adminform"].fieldsets)
    assert {"go_live_at", "expire_at"} <= set(fieldsets["Publication and review"]["fields"])
    content = page.content.decode()
    for name in ("go_live_at", "expire_at"):
        assert re.search(rf'<input type="datetime-local" name="{name}"', content), name
    assert "Go live at" in page_text(page) and "Expire at" in page_text(page)


def test_an_editor_schedules_a_record_in_the_admin(editor, today):
    therapy = Therapy.objects.get(slug="rituximab")
    url = admin_url(Therapy, "change", therapy.pk)
    response = editor.post(url, schedule_data(editor.get(url), GO_LIVE, EXPIRY))
    assert response.status_code == 302, page_text(response)
    therapy.refresh_from_db()
    assert (therapy.go_live_at, therapy.expire_at) == (GO_LIVE, EXPIRY)
    changelist = page_text(editor.get(admin_url(Therapy, "changelist")))
    assert "Scheduled — goes live 3 Dec 2026, 09:00" in changelist
    editor.logout()
    assert editor.get("/therapies/rituximab/").status_code == 404


def test_an_expiry_before_going_live_is_refused_with_a_message(editor):
    therapy = Therapy.objects.get(slug="rituximab")
    url = admin_url(Therapy, "change", therapy.pk)
    response = editor.post(url, schedule_data(editor.get(url), EXPIRY, GO_LIVE))
    assert response.status_code == 200
    assert "“Expire at” must come after “go live at”." in page_text(response)
    therapy.refresh_from_db()
    assert therapy.go_live_at is None and therapy.expire_at is None


def test_without_the_publish_permission_the_schedule_is_read_only_and_a_forged_post_ignored(
    junior,
):
    therapy = Therapy.objects.get(slug="rituximab")
    url = admin_url(Therapy, "change", therapy.pk)
    page = junior.get(url)
    assert 'name="go_live_at"' not in page.content.decode()
    assert "Go live at" in page_text(page)  # shown, not editable
    data = form_data(page)
    data["go_live_at"] = typed(GO_LIVE)
    data["summary"] = "Edited by a junior."
    response = junior.post(url, data)
    assert response.status_code == 302, page_text(response)
    therapy.refresh_from_db()
    assert therapy.summary == "Edited by a junior." and therapy.go_live_at is None


def test_the_changelist_says_each_state_in_words_and_filters_by_it(editor, today):
    Therapy.objects.filter(slug="rituximab").update(go_live_at=GO_LIVE)
    Therapy.objects.filter(slug="trastuzumab").update(
        go_live_at=TODAY - datetime.timedelta(days=30), expire_at=TODAY - datetime.timedelta(days=1)
    )
    Therapy.objects.filter(slug="adalimumab").update(expire_at=EXPIRY)
    Therapy.objects.filter(slug="etanercept").update(status="draft")
    changelist = admin_url(Therapy, "changelist")
    text = page_text(editor.get(changelist))
    assert "Scheduled — goes live 3 Dec 2026, 09:00" in text
    assert "Expired 30 Nov 2026" in text
    assert "Published — expires 9 Dec 2026, 17:30" in text
    assert "Draft" in text and "Published" in text

    def names(state):
        response = editor.get(changelist, {"publication": state})
        return {str(r) for r in response.context["cl"].result_list}

    assert names("scheduled") == {"Rituximab"}
    assert names("expired") == {"Trastuzumab"}
    assert names("draft") == {"Etanercept"} | {
        str(t) for t in Therapy.objects.filter(status="draft")
    }
    live = names("live")
    assert "Adalimumab" in live and not live & {"Rituximab", "Trastuzumab", "Etanercept"}
    filters = page_text(editor.get(changelist))
    assert "By status All Scheduled Live Expired Draft" in filters


def test_an_indications_changelist_shows_its_schedule(editor, today):
    indication = Indication.objects.filter(status="published").first()
    Indication.objects.filter(pk=indication.pk).update(go_live_at=GO_LIVE)
    text = page_text(editor.get(admin_url(Indication, "changelist")))
    assert "Scheduled — goes live 3 Dec 2026, 09:00" in text


def test_the_staff_preview_of_a_scheduled_record_says_when_it_goes_live(editor, today):
    Therapy.objects.filter(slug="rituximab").update(go_live_at=GO_LIVE)
    therapy = Therapy.objects.get(slug="rituximab")
    change_page = editor.get(admin_url(Therapy, "change", therapy.pk)).content.decode()
    # "View on site" opens the preview: the public page is a 404 until it goes live.
    assert re.search(r'href="/preview/therapies/rituximab/"[^>]*class="viewsitelink"', change_page)
    text = page_text(editor.get("/preview/therapies/rituximab/"))
    assert "This record is scheduled. Goes live 3 Dec 2026, 09:00" in text


# --- the API ------------------------------------------------------------------------------------


def test_the_api_shows_the_schedule(client):
    Therapy.objects.filter(slug="rituximab").update(expire_at=timezone.now() + EXPIRY_DELTA)
    body = client.get(PATH).json()
    assert body["go_live_at"] is None
    expire_at = Therapy.objects.get(slug="rituximab").expire_at
    assert body["expire_at"] == expire_at.isoformat().replace("+00:00", "Z")


EXPIRY_DELTA = datetime.timedelta(days=3)


def test_an_editor_schedules_through_the_api(editor, today):
    response = api_write(
        editor, "patch", PATH, {"go_live_at": GO_LIVE.isoformat(), "expire_at": EXPIRY.isoformat()}
    )
    assert response.status_code == 200, response.content
    assert response.json()["go_live_at"] == "2026-12-03T09:00:00Z"
    therapy = Therapy.objects.get(slug="rituximab")
    assert (therapy.go_live_at, therapy.expire_at) == (GO_LIVE, EXPIRY)
    editor.logout()
    assert editor.get(PATH).status_code == 404  # not live yet


def test_scheduling_through_the_api_needs_the_publish_permission(junior):
    body = problem(api_write(junior, "patch", PATH, {"go_live_at": GO_LIVE.isoformat()}), 403)
    assert body["detail"].startswith("go_live_at: ")
    assert "catalog.publish_therapy" in body["detail"]
    assert Therapy.objects.get(slug="rituximab").go_live_at is None
    # Writing the record back as read, the schedule unchanged, is allowed.
    response = api_write(junior, "patch", PATH, {"go_live_at": None, "summary": "Rewritten."})
    assert response.status_code == 200, response.content


def test_an_api_expiry_before_going_live_is_a_400_with_the_message(editor):
    Therapy.objects.filter(slug="rituximab").update(go_live_at=EXPIRY)
    body = problem(api_write(editor, "patch", PATH, {"expire_at": GO_LIVE.isoformat()}), 400)
    assert "“Expire at” must come after “go live at”." in str(body)
    assert Therapy.objects.get(slug="rituximab").expire_at is None


def test_a_malformed_date_is_a_400_naming_the_field(editor):
    body = problem(api_write(editor, "patch", PATH, {"go_live_at": "next tuesday"}), 400)
    assert "go_live_at" in str(body) and "Datetime has wrong format" in str(body)
    assert Therapy.objects.get(slug="rituximab").go_live_at is None
