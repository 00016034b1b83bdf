"""ETags of API records (catalog/versions.py): `"<record token>.<digest>"`. The digest moves with
anything the representation shows, so a 304 is never stale; If-Match compares the record's own
token, so neither the Host a record was read through nor edits to other records refuse a write;
writes answer with the next ETag; HEAD answers with GET's headers; the schema documents If-Match.
"""

import pytest
from django.contrib.auth.models import Group, User

from catalog.models import Condition, Indication, Therapy, TherapyClass, TherapyName

pytestmark = pytest.mark.django_db

RITUXIMAB = "/api/v1/therapies/rituximab/"


@pytest.fixture
def editor(db):
    user = User.objects.create_user("editor", password="x", is_staff=True)
    user.groups.add(Group.objects.get(name="Editors"))
    return user


@pytest.fixture
def api(client, editor):
    client.force_login(editor)
    return client


def patch(client, path, data, etag, host="testserver"):
    return client.patch(
        path, data, content_type="application/json", headers={"If-Match": etag}, HTTP_HOST=host
    )


def test_an_etag_read_through_one_host_is_good_through_another(api):
    first = api.get(RITUXIMAB, HTTP_HOST="localhost")
    second = api.get(RITUXIMAB, HTTP_HOST="127.0.0.1")
    assert first.json()["html_url"] != second.json()["html_url"]  # absolute, per host
    assert first["ETag"] == second["ETag"]
    response = patch(api, RITUXIMAB, {"summary": "Changed."}, first["ETag"], host="127.0.0.1")
    assert response.status_code == 200, response.content
    assert Therapy.objects.get(slug="rituximab").summary == "Changed."


def related_edits():
    """Edits to other records that show in rituximab's representation."""

    def rename_class():
        therapy_class = Therapy.objects.get(slug="rituximab").therapy_class
        therapy_class.name = "Renamed class"
        therapy_class.save()
        return "Renamed class"

    def add_brand_name():
        TherapyName.objects.create(
            therapy=Therapy.objects.get(slug="rituximab"), name="Newbrand", kind="brand"
        )
        return "Newbrand"

    def change_indication_note():
        indication = Indication.objects.filter(therapy__slug="rituximab").first()
        indication.note = "A new note."
        indication.save()
        return "A new note."

    def rename_condition():
        condition = Condition.objects.filter(indications__therapy__slug="rituximab").first()
        condition.name = "Renamed condition"
        condition.save()
        return "Renamed condition"

    return [rename_class, add_brand_name, change_indication_note, rename_condition]


@pytest.mark.parametrize("edit", related_edits(), ids=lambda f: f.__name__)
def test_an_edit_elsewhere_in_the_representation_moves_the_etag_but_refuses_no_write(
    api, client, edit
):
    before = client.get(RITUXIMAB)
    shown = edit()
    # No stale 304: the representation changed, and so does its ETag.
    after = client.get(RITUXIMAB, headers={"If-None-Match": before["ETag"]})
    assert after.status_code == 200
    assert shown in after.content.decode() and shown not in before.content.decode()
    assert after["ETag"] != before["ETag"]
    # The therapy itself did not change: a write based on the earlier read goes through.
    response = patch(api, RITUXIMAB, {"summary": "Mine."}, before["ETag"])
    assert response.status_code == 200, response.content
    assert Therapy.objects.get(slug="rituximab").summary == "Mine."


def test_an_unchanged_record_is_a_304_for_get_and_head(client):
    etag = client.get(RITUXIMAB)["ETag"]
    for method in (client.get, client.head):
        response = method(RITUXIMAB, headers={"If-None-Match": etag})
        assert response.status_code == 304
        assert response["ETag"] == etag


@pytest.mark.parametrize(
    ("one", "other"),
    [
        (RITUXIMAB, f"{RITUXIMAB}?fields=slug,name"),
        (RITUXIMAB, f"{RITUXIMAB}?format=api"),
    ],
)
def test_other_representations_have_other_etags(client, one, other):
    assert client.get(one)["ETag"] != client.get(other)["ETag"]


def test_writes_answer_with_the_next_etag_to_chain_writes(api):
    etag = api.get(RITUXIMAB)["ETag"]
    first = patch(api, RITUXIMAB, {"summary": "One."}, etag)
    assert first.status_code == 200, first.content
    assert first["ETag"] != etag
    assert first["ETag"] == api.get(RITUXIMAB)["ETag"]  # what the next GET gives
    second = patch(api, RITUXIMAB, {"summary": "Two."}, first["ETag"])
    assert second.status_code == 200, second.content
    assert Therapy.objects.get(slug="rituximab").summary == "Two."
    stale = patch(api, RITUXIMAB, {"summary": "Three."}, first["ETag"])
    assert stale.status_code == 412
    assert "GET it again" in stale.json()["detail"]
    assert Therapy.objects.get(slug="rituximab").summary == "Two."
    # PUT, and a POST's 201, too.
    whole = {
        **{k: v for k, v in api.get(RITUXIMAB).json().items() if k in ("slug", "name")},
        "therapy_class": "monoclonal-antibodies",
        "summary": "Whole.",
        "sources": ["drugscom-immunotherapy"],
    }
    put = api.put(
        RITUXIMAB, whole, content_type="application/json", headers={"If-Match": second["ETag"]}
    )
    assert put.status_code == 200, put.content
    assert put["ETag"] == api.get(RITUXIMAB)["ETag"]
    created = api.post(
        "/api/v1/therapy-classes/",
        {
            "slug": "new-class",
            "name": "New class",
            "summary": "s",
            "action": "stimulates",
            "sources": ["drugscom-immunotherapy"],
        },
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    assert created["ETag"] == api.get("/api/v1/therapy-classes/new-class/")["ETag"]
    assert (
        patch(
            api, "/api/v1/therapy-classes/new-class/", {"summary": "t"}, created["ETag"]
        ).status_code
        == 200
    )
    assert TherapyClass.objects.get(slug="new-class").summary == "t"


def test_if_match_with_a_weak_or_unknown_etag_is_412(api):
    token = api.get(RITUXIMAB)["ETag"]
    for given in (f"W/{token}", '"0.abc"', "garbage"):
        response = patch(api, RITUXIMAB, {"summary": "No."}, given)
        assert response.status_code == 412, given
    assert Therapy.objects.get(slug="rituximab").summary != "No."


@pytest.mark.parametrize(
    "path",
    [
        RITUXIMAB,
        "/api/v1/therapies/",
        "/api/v1/therapies/?condition=psoriasis&fields=slug",
        "/api/v1/sources/drugscom-immunotherapy/",
        "/api/v1/version/",
        "/api/v1/",
        "/therapies/rituximab/",
    ],
)
@pytest.mark.parametrize("logged_in", [False, True], ids=["anonymous", "editor"])
def test_head_answers_with_the_get_headers_and_no_body(client, editor, path, logged_in):
    if logged_in:
        client.force_login(editor)
    get = client.get(path)
    head = client.head(path)
    assert get.status_code == head.status_code == 200
    assert get["ETag"]
    assert dict(head.items()) == dict(get.items())
    assert head.content == b""


def test_the_schema_requires_if_match_on_changes_and_documents_401(client):
    schema = client.get("/api/v1/schema/?format=json").json()
    writes = 0
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            if method in ("put", "patch", "delete"):
                headers = {
                    p["name"]: p for p in operation.get("parameters", []) if p["in"] == "header"
                }
                assert headers["If-Match"]["required"] is True, (method, path)
                assert "ETag" in headers["If-Match"]["description"]
                writes += 1
            if method in ("post", "put", "patch", "delete"):
                assert "401" in operation["responses"], (method, path)
            if method == "get":
                headers = [p for p in operation.get("parameters", []) if p["in"] == "header"]
                assert not headers, path
    assert writes == 9  # therapies, classes, conditions: PUT, PATCH, DELETE
