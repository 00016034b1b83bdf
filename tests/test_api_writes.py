"""Writing through the API: Django model permissions decide who may, If-Match with the ETag of
a plain JSON GET prevents lost updates, new records start as drafts, and every write is in the
record's history with its writer."""

import pytest
from django.contrib.auth.models import Group, User

from accounts.models import APIToken
from catalog.models import Condition, Therapy, TherapyClass

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"
NEW_THERAPY = {
    "slug": "newumab",
    "name": "Newumab",
    "therapy_class": "monoclonal-antibodies",
    "summary": "A new monoclonal antibody.",
    "sources": ["drugscom-immunotherapy"],
}


def make_user(username, group=None, **extra):
    user = User.objects.create_user(username, password="x", is_staff=group is not None, **extra)
    if group:
        user.groups.add(Group.objects.get(name=group))
    return user


@pytest.fixture
def editor(db):
    return make_user("editor", "Editors")


@pytest.fixture
def other_editor(db):
    return make_user("other-editor", "Editors")


@pytest.fixture
def reviewer(db):
    return make_user("reviewer", "Reviewers")


@pytest.fixture
def superuser(db):
    return User.objects.create_superuser("admin", password="x")


class API:
    """The test client as one user: session login, or a token header."""

    def __init__(self, client, user=None, token=False):
        self.client = client
        self.headers = {}
        if user and token:
            _, key = APIToken.objects.create(user=user)
            self.headers["Authorization"] = f"Token {key}"
        elif user:
            client.force_login(user)

    def get(self, path):
        return self.client.get(path, headers=self.headers)

    def etag(self, slug, resource="therapies"):
        response = self.get(f"/api/v1/{resource}/{slug}/")
        assert response.status_code == 200
        assert response["Content-Type"] == "application/json"
        return response["ETag"]

    def write(self, method, path, data=None, if_match=None):
        headers = dict(self.headers)
        if if_match:
            headers["If-Match"] = if_match
        kwargs = {"headers": headers}
        if data is not None:
            kwargs.update(data=data, content_type="application/json")
        return getattr(self.client, method)(path, **kwargs)

    def post(self, path, data):
        return self.write("post", path, data)

    def patch(self, slug, data, if_match=None, resource="therapies"):
        return self.write("patch", f"/api/v1/{resource}/{slug}/", data, if_match)

    def delete(self, slug, if_match=None, resource="therapies"):
        return self.write("delete", f"/api/v1/{resource}/{slug}/", None, if_match)


def invalid_names(response):
    assert response.status_code == 400, response.content
    assert response["Content-Type"] == PROBLEM
    body = response.json()
    assert body["status"] == 400 and body["title"] == "Bad Request"
    return [p["name"] for p in body["invalid_params"]]


def snapshot(slug="rituximab"):
    therapy = Therapy.objects.get(slug=slug)
    return (therapy.name, therapy.summary, therapy.status, therapy.therapy_class_id)


# Who may write


@pytest.mark.parametrize(
    ("method", "path", "data"),
    [
        ("post", "/api/v1/therapies/", NEW_THERAPY),
        ("put", "/api/v1/therapies/rituximab/", {**NEW_THERAPY, "slug": "rituximab"}),
        ("patch", "/api/v1/therapies/rituximab/", {"summary": "Changed."}),
        ("delete", "/api/v1/therapies/rituximab/", None),
        ("patch", "/api/v1/conditions/lymphoma/", {"summary": "Changed."}),
        ("patch", "/api/v1/therapy-classes/interferons/", {"summary": "Changed."}),
    ],
)
@pytest.mark.parametrize("who", ["anonymous", "no-permissions", "reviewer"])
def test_users_without_permission_cannot_write(client, method, path, data, who):
    if who == "no-permissions":
        client.force_login(make_user("nobody"))
    elif who == "reviewer":
        client.force_login(make_user("reviewer", "Reviewers"))
    before = (snapshot(), Therapy.objects.count(), Therapy.history.count())
    kwargs = {"data": data, "content_type": "application/json"} if data else {}
    response = getattr(client, method)(path, headers={"If-Match": "*"}, **kwargs)
    # Without credentials: 401 naming the scheme (RFC 9110); logged in without the right: 403.
    status = 401 if who == "anonymous" else 403
    assert response.status_code == status
    assert response["Content-Type"] == PROBLEM
    assert response.get("WWW-Authenticate") == ("Token" if status == 401 else None)
    body = response.json()
    assert body["status"] == status and body["detail"]
    assert (snapshot(), Therapy.objects.count(), Therapy.history.count()) == before


# Editors: create, change, publish


@pytest.mark.parametrize("token", [False, True], ids=["session", "token"])
def test_editor_creates_a_draft_then_changes_and_publishes_it(client, editor, token):
    api = API(client, editor, token=token)
    response = api.post("/api/v1/therapies/", NEW_THERAPY)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "draft" and body["published_at"] is None
    assert body["therapy_class"]["slug"] == "monoclonal-antibodies"
    assert body["sources"] == ["drugscom-immunotherapy"]
    therapy = Therapy.objects.get(slug="newumab")
    assert therapy.status == "draft"
    # The public cannot see the draft; the editor can.
    assert API(client.__class__()).get("/api/v1/therapies/newumab/").status_code == 404
    assert api.get("/api/v1/therapies/newumab/").status_code == 200

    # Change: with the ETag of a plain JSON GET.
    etag = api.etag("newumab")
    response = api.patch("newumab", {"summary": "Changed."}, if_match=etag)
    assert response.status_code == 200, response.content
    assert response.json()["summary"] == "Changed."
    assert Therapy.objects.get(slug="newumab").summary == "Changed."
    # The old ETag is stale now.
    assert api.patch("newumab", {"summary": "Again."}, if_match=etag).status_code == 412

    # Publish: Editors hold catalog.publish_therapy.
    response = api.patch("newumab", {"status": "published"}, if_match=api.etag("newumab"))
    assert response.status_code == 200, response.content
    therapy = Therapy.objects.get(slug="newumab")
    assert therapy.status == "published" and therapy.published_at is not None
    assert response.json()["published_at"] is not None
    public = API(client.__class__())
    assert public.get("/api/v1/therapies/newumab/").status_code == 200
    assert public.get("/therapies/newumab/").status_code == 200

    # Every write is in the history, with the editor as its author.
    # (Saving the sources on create adds a "~" record of its own: django-simple-history
    # records m2m changes as changes.)
    history = list(Therapy.history.filter(slug="newumab").order_by("history_date"))
    assert history[0].history_type == "+"
    assert {h.history_user for h in history} == {editor}
    assert [(h.summary, h.status) for h in history][-2:] == [
        ("Changed.", "draft"),
        ("Changed.", "published"),
    ]


def test_editor_may_put_a_whole_record(client, editor):
    api = API(client, editor)
    data = {**NEW_THERAPY, "slug": "rituximab", "name": "Rituximab", "summary": "Rewritten."}
    response = api.write("put", "/api/v1/therapies/rituximab/", data, api.etag("rituximab"))
    assert response.status_code == 200, response.content
    assert Therapy.objects.get(slug="rituximab").summary == "Rewritten."
    assert Therapy.history.filter(slug="rituximab").latest("history_date").history_user == editor


def test_changes_without_if_match_are_428(client, editor):
    api = API(client, editor)
    before = snapshot()
    for response in [
        api.patch("rituximab", {"summary": "Changed."}),
        api.write("put", "/api/v1/therapies/rituximab/", {**NEW_THERAPY, "slug": "rituximab"}),
    ]:
        assert response.status_code == 428
        assert response["Content-Type"] == PROBLEM
        assert "If-Match" in response.json()["detail"]
    assert snapshot() == before


def test_a_stale_etag_is_412_and_keeps_the_other_change(client, editor, other_editor):
    api = API(client, editor, token=True)
    etag = api.etag("rituximab")
    other = API(client.__class__(), other_editor, token=True)
    response = other.patch("rituximab", {"summary": "Theirs."}, if_match=other.etag("rituximab"))
    assert response.status_code == 200
    response = api.patch("rituximab", {"summary": "Mine."}, if_match=etag)
    assert response.status_code == 412
    assert response["Content-Type"] == PROBLEM
    assert Therapy.objects.get(slug="rituximab").summary == "Theirs."
    latest = Therapy.history.filter(slug="rituximab").latest("history_date")
    assert latest.history_user == other_editor and latest.summary == "Theirs."
    # GET again, and the change goes through.
    assert api.patch("rituximab", {"summary": "Mine."}, api.etag("rituximab")).status_code == 200
    assert Therapy.objects.get(slug="rituximab").summary == "Mine."


def test_if_match_may_list_several_etags_or_be_a_star(client, editor):
    api = API(client, editor)
    etag = api.etag("rituximab")
    assert api.patch("rituximab", {"summary": "A."}, f'"nope", {etag}').status_code == 200
    assert api.patch("rituximab", {"summary": "B."}, "*").status_code == 200


def test_editor_writes_to_classes_and_conditions(client, editor):
    api = API(client, editor)
    etag = api.etag("interferons", "therapy-classes")
    response = api.patch("interferons", {"summary": "New."}, etag, resource="therapy-classes")
    assert response.status_code == 200, response.content
    response = api.post(
        "/api/v1/conditions/",
        {
            "slug": "hairy-cell-leukemia",
            "name": "Hairy cell leukemia",
            "category": "cancer",
            "parent": "leukemia",
            "summary": "A rare leukemia.",
            "sources": ["drugscom-immunotherapy"],
        },
    )
    assert response.status_code == 201, response.content
    assert response.json()["parent"] == {"slug": "leukemia", "name": "Leukemia"}
    assert Condition.objects.get(slug="hairy-cell-leukemia").status == "draft"
    # The draft child is not among its published parent's public children.
    public = API(client.__class__())
    children = public.get("/api/v1/conditions/leukemia/").json()["children"]
    assert "hairy-cell-leukemia" not in [c["slug"] for c in children]


def test_an_editor_without_publish_permission_cannot_publish(client):
    user = make_user("junior", "Editors")
    user.user_permissions.clear()
    group = Group.objects.create(name="Junior editors")
    group.permissions.set(
        Group.objects.get(name="Editors").permissions.exclude(codename__startswith="publish_")
    )
    user.groups.set([group])
    api = API(client, user)
    assert api.post("/api/v1/therapies/", NEW_THERAPY).status_code == 201
    response = api.patch("newumab", {"status": "published"}, api.etag("newumab"))
    assert response.status_code == 403
    assert Therapy.objects.get(slug="newumab").status == "draft"
    response = api.post(
        "/api/v1/therapies/", {**NEW_THERAPY, "slug": "b", "name": "B", "status": "published"}
    )
    assert response.status_code == 403
    assert not Therapy.objects.filter(slug="b").exists()


# Validation errors


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"therapy_class": "no-such-class"}, "therapy_class"),
        ({"slug": "rituximab"}, "slug"),
        ({"name": "Rituximab"}, "name"),
        ({"name": None}, "name"),
        ({"sources": ["no-such-source"]}, "sources"),
        ({"slug": "not a slug"}, "slug"),
        ({"status": "retired"}, "status"),
    ],
)
def test_invalid_therapies_are_400s_naming_the_field(client, editor, change, field):
    api = API(client, editor)
    count = Therapy.objects.count()
    response = api.post("/api/v1/therapies/", {**NEW_THERAPY, **change})
    assert field in invalid_names(response)
    assert Therapy.objects.count() == count


def test_a_missing_name_is_a_400(client, editor):
    data = {k: v for k, v in NEW_THERAPY.items() if k != "name"}
    assert invalid_names(API(client, editor).post("/api/v1/therapies/", data)) == ["name"]


def test_an_invalid_change_is_a_400_and_changes_nothing(client, editor):
    api = API(client, editor)
    before = snapshot()
    response = api.patch("rituximab", {"therapy_class": "nope"}, api.etag("rituximab"))
    assert invalid_names(response) == ["therapy_class"]
    assert snapshot() == before


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"parent": "non-hodgkins-lymphoma"}, "parent"),  # a sub-condition: one level only
        ({"parent": "rheumatoid-arthritis"}, "parent"),  # another category
        ({"parent": "no-such-condition"}, "parent"),
        ({"category": "unknown"}, "category"),
    ],
)
def test_invalid_conditions_are_400s_naming_the_field(client, editor, change, field):
    data = {
        "slug": "new-condition",
        "name": "New condition",
        "category": "cancer",
        "summary": "s",
        "sources": ["drugscom-immunotherapy"],
        **change,
    }
    assert field in invalid_names(API(client, editor).post("/api/v1/conditions/", data))
    assert not Condition.objects.filter(slug="new-condition").exists()


# Deleting


def test_editors_cannot_delete(client, editor):
    api = API(client, editor)
    response = api.delete("rituximab", api.etag("rituximab"))
    assert response.status_code == 403
    assert response["Content-Type"] == PROBLEM
    assert Therapy.objects.filter(slug="rituximab").exists()


def test_superuser_deletes_with_if_match(client, superuser):
    api = API(client, superuser)
    assert api.post("/api/v1/therapies/", NEW_THERAPY).status_code == 201
    assert api.delete("newumab").status_code == 428
    assert api.delete("newumab", '"stale"').status_code == 412
    assert Therapy.objects.filter(slug="newumab").exists()
    response = api.delete("newumab", api.etag("newumab"))
    assert response.status_code == 204
    assert not Therapy.objects.filter(slug="newumab").exists()
    history = list(Therapy.history.filter(slug="newumab").order_by("history_date"))
    assert (history[0].history_type, history[-1].history_type) == ("+", "-")
    assert {h.history_user for h in history} == {superuser}


def test_editor_publishes_a_condition(client, editor):
    Condition.objects.filter(slug="psoriasis").update(status="draft")
    api = API(client, editor)
    etag = api.etag("psoriasis", "conditions")
    response = api.patch("psoriasis", {"status": "published"}, etag, resource="conditions")
    assert response.status_code == 200, response.content
    assert Condition.objects.get(slug="psoriasis").published_at is not None


def test_editor_publishes_a_therapy_class(client, editor):
    TherapyClass.objects.filter(slug="interferons").update(status="draft")
    api = API(client, editor)
    etag = api.etag("interferons", "therapy-classes")
    response = api.patch("interferons", {"status": "published"}, etag, resource="therapy-classes")
    assert response.status_code == 200, response.content
