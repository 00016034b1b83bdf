"""API tokens (accounts/): `Authorization: Token <key>`, stored hashed, with an expiry, revoked
by a password change or a deactivation; a refused token is a 401 with `WWW-Authenticate`, except
that it reads public data like no token at all. Editors issue tokens in the admin, the key shown
once."""

import contextlib
import datetime
import json
import re

import pytest
from django.contrib.auth.models import Group, User
from django.db import connection
from django.utils import timezone

from accounts.models import APIToken
from catalog.models import Therapy

from .servers import PostgresCluster, base_env, manage, postgres_bin

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"
NEW_THERAPY = {
    "slug": "newumab",
    "name": "Newumab",
    "therapy_class": "monoclonal-antibodies",
    "summary": "A new monoclonal antibody.",
    "sources": ["drugscom-immunotherapy"],
}


@pytest.fixture
def editor(db):
    user = User.objects.create_user("editor", password="old-Pass-1", is_staff=True)
    user.groups.add(Group.objects.get(name="Editors"))
    return user


@pytest.fixture
def key(editor):
    return APIToken.objects.create(user=editor)[1]


def token(key):
    return {"Authorization": f"Token {key}"}


def create_therapy(client, key):
    return client.post(
        "/api/v1/therapies/", NEW_THERAPY, content_type="application/json", headers=token(key)
    )


def assert_refused(response, detail):
    assert response.status_code == 401, response.content
    assert response["WWW-Authenticate"] == "Token"
    assert response["Content-Type"] == PROBLEM
    body = response.json()
    assert body["status"] == 401 and body["title"] == "Unauthorized"
    assert re.search(detail, body["detail"]), body["detail"]


def expire(key):
    APIToken.objects.filter(token_key=key[:15]).update(
        expiry=timezone.now() - datetime.timedelta(seconds=1)
    )


def change_password(user):
    user.set_password("new-Pass-2")
    user.save()


def deactivate(user):
    user.is_active = False
    user.save()


# --- refused tokens: 401 + WWW-Authenticate on writes and protected reads -------------------


def test_a_valid_token_writes_and_says_who_it_is(client, editor, key):
    response = create_therapy(client, key)
    assert response.status_code == 201, response.content
    assert Therapy.objects.get(slug="newumab").history.latest().history_user == editor
    me = client.get("/api/v1/me/", headers=token(key)).json()
    assert me["username"] == "editor"
    assert me["token"]["prefix"] == key[:15]
    expires = datetime.datetime.fromisoformat(me["token"]["expires"].replace("Z", "+00:00"))
    assert abs(expires - (timezone.now() + datetime.timedelta(days=30))).total_seconds() < 60


@pytest.mark.parametrize(
    ("spoil", "detail"),
    [
        (None, r"^Invalid token\.$"),
        (expire, r"^Invalid token\.$"),
        (change_password, r"revoked when its owner's password changed"),
        (deactivate, r"owner's account is deactivated"),
    ],
    ids=["unknown", "expired", "password-changed", "deactivated"],
)
def test_a_refused_token_is_a_401_with_www_authenticate(client, editor, key, spoil, detail):
    if spoil is expire:
        expire(key)
    elif spoil is not None:
        spoil(editor)
    sent = key if spoil else "0" * 64
    # A write,
    assert_refused(create_therapy(client, sent), detail)
    assert not Therapy.objects.filter(slug="newumab").exists()
    etag = client.get("/api/v1/therapies/rituximab/")["ETag"]
    response = client.patch(
        "/api/v1/therapies/rituximab/",
        {"summary": "Changed."},
        content_type="application/json",
        headers={**token(sent), "If-Match": etag},
    )
    assert_refused(response, detail)
    assert Therapy.objects.get(slug="rituximab").summary != "Changed."
    # and a read that needs a login.
    assert_refused(client.get("/api/v1/me/", headers=token(sent)), detail)


def test_no_credentials_at_all_is_a_401_too(client):
    response = client.get("/api/v1/me/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert "credentials were not provided" in response.json()["detail"]


@pytest.mark.parametrize(
    "path",
    ["/api/v1/therapies/rituximab/", "/api/v1/therapies/?condition=psoriasis", "/api/v1/version/"],
)
def test_a_bad_token_reads_public_data_like_no_token(client, path):
    anonymous = client.get(path)
    response = client.get(path, headers=token("not-a-real-token"))
    assert response.status_code == 200
    assert response.json() == anonymous.json()
    assert response["Cache-Control"] == anonymous["Cache-Control"] == "public, max-age=60"
    assert client.head(path, headers=token("not-a-real-token")).status_code == 200


def test_a_bad_token_does_not_show_drafts(client, editor, key):
    Therapy.objects.filter(slug="rituximab").update(status="draft")
    assert client.get("/api/v1/therapies/rituximab/", headers=token(key)).status_code == 200
    change_password(editor)
    response = client.get("/api/v1/therapies/rituximab/", headers=token(key))
    assert response.status_code == 404
    assert response["Content-Type"] == PROBLEM


def test_a_new_password_ends_old_tokens_but_new_ones_work(client, editor, key):
    change_password(editor)
    assert create_therapy(client, key).status_code == 401
    _, new_key = APIToken.objects.create(user=editor)
    assert create_therapy(client, new_key).status_code == 201


def test_reactivating_a_user_is_a_deliberate_act_that_restores_unexpired_tokens(
    client, editor, key
):
    deactivate(editor)
    assert create_therapy(client, key).status_code == 401
    editor.is_active = True
    editor.save()
    assert create_therapy(client, key).status_code == 201


# --- storage: no key in clear text ---------------------------------------------------------


def every_stored_value():
    """Every value of every row of every table, as text."""
    values = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            values += [str(value) for row in cursor.fetchall() for value in row]
    return values


@pytest.fixture
def editor_client(client, editor):
    client.force_login(editor)
    return client


def issue_in_admin(client, user):
    response = client.post("/admin/accounts/apitoken/add/", {"user": user.pk})
    assert response.status_code == 200, response.content[:2000]
    match = re.search(r'id="api-token-key" [^>]*value="(\w+)"', response.content.decode())
    assert match, response.content.decode()[:3000]
    return response, match.group(1)


def test_the_database_holds_no_key_in_clear_text(editor_client, editor):
    response, key = issue_in_admin(editor_client, editor)
    assert len(key) == 64
    assert "no-store" in response["Cache-Control"]
    stored = every_stored_value()
    assert not [value for value in stored if key in value]
    # Only the first characters (to find the row) and a SHA-512 digest are kept.
    token = APIToken.objects.get(user=editor)
    assert token.token_key == key[:15]
    assert len(token.digest) == 128 and key not in token.digest
    # And the key works.
    assert create_therapy(editor_client.__class__(), key).status_code == 201


def test_the_admin_shows_the_key_once_and_lists_prefix_expiry_owner(editor_client, editor):
    response, key = issue_in_admin(editor_client, editor)
    text = response.content.decode()
    assert "shown only this once" in text
    assert f"Authorization: Token {key}" in text
    listing = editor_client.get("/admin/accounts/apitoken/").content.decode()
    token = APIToken.objects.get(user=editor)
    assert key[:15] in listing and key not in listing
    assert "editor" in listing and "valid" in listing
    assert f"{token.expiry:%Y}" in listing
    detail = editor_client.get(f"/admin/accounts/apitoken/{token.pk}/change/").content.decode()
    assert key not in detail
    change_password(editor)
    editor_client.force_login(editor)
    listing = editor_client.get("/admin/accounts/apitoken/").content.decode()
    assert "revoked when its owner&#x27;s password changed" in listing


def test_editors_issue_and_see_only_their_own_tokens(editor_client, editor):
    other = User.objects.create_user("other", password="x", is_staff=True)
    other.groups.add(Group.objects.get(name="Editors"))
    other_token, other_key = APIToken.objects.create(user=other)
    form = editor_client.get("/admin/accounts/apitoken/add/").content.decode()
    assert f'value="{editor.pk}"' in form and f'value="{other.pk}"' not in form
    response = editor_client.post("/admin/accounts/apitoken/add/", {"user": other.pk})
    assert "Select a valid choice" in response.content.decode()
    assert not APIToken.objects.filter(user=other).exclude(pk=other_token.pk).exists()
    assert other_key[:15] not in editor_client.get("/admin/accounts/apitoken/").content.decode()
    delete = f"/admin/accounts/apitoken/{other_token.pk}/delete/"
    assert editor_client.post(delete, {"post": "yes"}).status_code in (302, 404)
    assert APIToken.objects.filter(pk=other_token.pk).exists()


def test_deleting_a_token_in_the_admin_revokes_it(editor_client, editor, key):
    token = APIToken.objects.get(user=editor)
    response = editor_client.post(f"/admin/accounts/apitoken/{token.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert_refused(create_therapy(editor_client.__class__(), key), r"^Invalid token\.$")


# --- the move from rest_framework.authtoken -------------------------------------------------

OLD_TOKENS_THEN_MIGRATE = """
import json
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder

# A database as rest_framework.authtoken left it: its table with a key in clear text, its
# migrations recorded, its content type and permissions (one held by a group).
call_command("migrate", "accounts", "0002", verbosity=0)
with connection.cursor() as cursor:
    cursor.execute(
        "CREATE TABLE authtoken_token (key varchar(40) PRIMARY KEY, "
        "created timestamp NOT NULL, user_id integer NOT NULL)"
    )
    cursor.execute("INSERT INTO authtoken_token VALUES ('0123456789abcdef', CURRENT_TIMESTAMP, 1)")
for name in ("0001_initial", "0002_auto_20160226_1747", "0003_tokenproxy"):
    MigrationRecorder(connection).record_applied("authtoken", name)
token_type = ContentType.objects.create(app_label="authtoken", model="token")
permission = Permission.objects.create(
    content_type=token_type, codename="add_token", name="Can add Token"
)
Group.objects.get(name="Editors").permissions.add(permission)

call_command("migrate", verbosity=0)
print(json.dumps({
    "tables": sorted(connection.introspection.table_names()),
    "recorded": MigrationRecorder(connection).migration_qs.filter(app="authtoken").count(),
    "content_types": ContentType.objects.filter(app_label="authtoken").count(),
    "permissions": Permission.objects.filter(content_type__app_label="authtoken").count(),
    "editors": sorted(Group.objects.get(name="Editors").permissions.filter(
        content_type__app_label__in=["authtoken", "accounts"]
    ).values_list("codename", flat=True)),
}))
"""


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_migrating_drops_the_old_clear_text_tokens_cleanly(engine, tmp_path):
    with contextlib.ExitStack() as stack:
        if engine == "postgresql":
            url = stack.enter_context(PostgresCluster(postgres_bin())).url
        else:
            url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
        env = base_env(DJANGO_SETTINGS_MODULE="tests.settings", DATABASE_URL=url)
        result = manage("shell", "-c", OLD_TOKENS_THEN_MIGRATE, env=env)
    state = json.loads(result.stdout.strip().splitlines()[-1])
    assert "authtoken_token" not in state["tables"]
    assert "knox_authtoken" not in state["tables"]  # knox's own model is swapped out
    assert "accounts_apitoken" in state["tables"]
    assert (state["recorded"], state["content_types"], state["permissions"]) == (0, 0, 0)
    assert state["editors"] == ["add_apitoken", "delete_apitoken", "view_apitoken"]


def test_the_issue_token_command_prints_a_key_that_writes(client, editor):
    from io import StringIO

    from django.core.management import CommandError, call_command

    out = StringIO()
    call_command("issue_token", "editor", "--days", "2", stdout=out)
    key = re.search(r"^Token (\S+) \(expires ", out.getvalue()).group(1)
    assert create_therapy(client, key).status_code == 201
    (token,) = APIToken.objects.filter(user=editor)
    assert key not in json.dumps(list(APIToken.objects.values()), default=str)
    assert token.expiry - timezone.now() < datetime.timedelta(days=2, minutes=1)
    with pytest.raises(CommandError, match="No user named 'nobody'"):
        call_command("issue_token", "nobody")
