"""SQLite, the embedded default, under two editors saving at the same moment, over real HTTP:
gunicorn (two workers, production settings) on a SQLite file, two threads released together by
a barrier. Saves of different records both go through (admin and API); two saves of the same
record in the admin end with one saved and the other told what changed; nothing answers a 5xx.
A save that waits for the write lock longer than the timeout (another connection holds it) is a
retryable refusal: the admin shows the form again with the input, the API a 409 problem with
Retry-After, and sending it again once the lock is free succeeds.

Like tests/test_production.py these use no pytest-django database: each server has its own.
"""

import contextlib
import html
import re
import shutil
import sqlite3
import tempfile
import threading
import uuid
from pathlib import Path

import pytest

from .servers import Gunicorn, Visitor, collect_static, form_fields, manage

pytestmark = pytest.mark.servers

TRIALS = 5
PASSWORD = "concurrent-editing-test-password"
CREATE_EDITORS = f"""
from django.contrib.auth.models import Group, User
from accounts.models import APIToken

editors = Group.objects.get(name="Editors")
for name in ("alice", "bob"):
    user = User.objects.create_user(name, password={PASSWORD!r}, is_staff=True)
    user.groups.add(editors)
    print("TOKEN", name, APIToken.objects.create(user=user)[1])
"""
STALE = "Someone else saved this therapy after you opened it"
BUSY = "Another save was in progress, so your changes were not saved."


class Editors:
    """The app under gunicorn, and its two editors, alice and bob, with API tokens."""

    def __init__(self, app):
        self.app = app
        self.db = app.root / "db.sqlite3"
        output = manage("shell", "-c", CREATE_EDITORS, env=app.env).stdout
        lines = [line.split() for line in output.splitlines() if line.startswith("TOKEN ")]
        self.tokens = {name: key for _, name, key in lines}

    def admin(self, name):
        return Visitor(self.app.port).log_in(name, PASSWORD)

    def api(self, name):
        return Visitor(self.app.port, headers={"Authorization": f"Token {self.tokens[name]}"})

    def read(self, sql, *params):
        with contextlib.closing(sqlite3.connect(self.db, timeout=20)) as connection:
            return connection.execute(sql, params).fetchone()

    def summary(self, slug):
        return self.read("SELECT summary FROM catalog_therapy WHERE slug = ?", slug)[0]

    def change_url(self, slug):
        pk = self.read("SELECT id FROM catalog_therapy WHERE slug = ?", slug)[0]
        return f"/admin/catalog/therapy/{pk}/change/"


@pytest.fixture(scope="module")
def static_root():
    root = Path(tempfile.mkdtemp(prefix="immunosite-test-static-"))
    try:
        collect_static(root)
        yield root
    finally:
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def editors(static_root):
    with Gunicorn(static_root, workers=2) as app:
        yield Editors(app)


@pytest.fixture(scope="module")
def impatient(static_root):
    """The app with a one-second lock timeout, so a held lock makes a save time out."""
    with Gunicorn(static_root, workers=2, DJANGO_SQLITE_TIMEOUT="1") as app:
        yield Editors(app)


def at_once(*actions):
    """Run each action in a thread of its own, released together; their results in order."""
    barrier = threading.Barrier(len(actions))
    results = [None] * len(actions)

    def run(index, action):
        try:
            results[index] = action(barrier.wait)
        except BaseException as error:  # re-raised in the test's thread
            results[index] = error

    threads = [threading.Thread(target=run, args=item) for item in enumerate(actions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return results


def admin_save(browser, url, **changes):
    """Open the change form now; when `go()` returns, submit it with `changes`."""
    fields = form_fields(browser.get(url).text, "therapy_form")
    fields.update(changes)

    def save(go):
        go()
        return browser.post_form(url, fields)

    return save


def api_patch(browser, slug, data):
    path = f"/api/v1/therapies/{slug}/"
    etag = browser.get(path).header("ETag")
    assert etag

    def patch(go):
        go()
        return browser.send_json("PATCH", path, data, {"If-Match": etag})

    return patch


def assert_no_server_error(app):
    errors = re.findall(r'"[A-Z]+ [^"]*" 5\d\d ', app.output())
    assert not errors, errors


def test_two_editors_save_different_records_in_the_admin_at_once(editors):
    alice, bob = editors.admin("alice"), editors.admin("bob")
    for trial in range(TRIALS):
        mine, theirs = f"Alice's summary {trial}.", f"Bob's summary {trial}."
        replies = at_once(
            admin_save(alice, editors.change_url("rituximab"), summary=mine),
            admin_save(bob, editors.change_url("trastuzumab"), summary=theirs),
        )
        assert [reply.status for reply in replies] == [302, 302], [r.text[-2000:] for r in replies]
        assert (editors.summary("rituximab"), editors.summary("trastuzumab")) == (mine, theirs)
    assert_no_server_error(editors.app)


def test_two_editors_save_different_records_through_the_api_at_once(editors):
    alice, bob = editors.api("alice"), editors.api("bob")
    for trial in range(TRIALS):
        mine, theirs = f"Alice's API summary {trial}.", f"Bob's API summary {trial}."
        replies = at_once(
            api_patch(alice, "tocilizumab", {"summary": mine}),
            api_patch(bob, "interleukin-2", {"summary": theirs}),
        )
        assert [reply.status for reply in replies] == [200, 200], [r.text for r in replies]
        assert [reply.json()["summary"] for reply in replies] == [mine, theirs]
        assert (editors.summary("tocilizumab"), editors.summary("interleukin-2")) == (mine, theirs)
    assert_no_server_error(editors.app)


def test_two_editors_save_the_same_record_in_the_admin_at_once(editors):
    alice, bob = editors.admin("alice"), editors.admin("bob")
    url = editors.change_url("adalimumab")
    for trial in range(TRIALS):
        typed = {"alice": f"Alice's version {trial}.", "bob": f"Bob's version {trial}."}
        replies = at_once(
            admin_save(alice, url, summary=typed["alice"]),
            admin_save(bob, url, summary=typed["bob"]),
        )
        assert sorted(reply.status for reply in replies) == [200, 302]
        saved, refused = sorted(replies, key=lambda reply: reply.status, reverse=True)
        winner, loser = ("alice", "bob") if replies[0] is saved else ("bob", "alice")
        assert editors.summary("adalimumab") == typed[winner]
        assert STALE in refused.text
        assert f"→ {typed[winner]}" in html.unescape(refused.text)  # what changed meanwhile
        kept = form_fields(refused.text, "therapy_form")
        assert kept["summary"] == [typed[loser]]  # the refused editor's input is kept
    assert_no_server_error(editors.app)


@contextlib.contextmanager
def write_lock_held(db):
    """Another connection holds the write lock (as a long save would) until the block ends."""
    connection = sqlite3.connect(db, isolation_level=None)
    try:
        connection.execute("BEGIN IMMEDIATE")
        yield
    finally:
        connection.execute("ROLLBACK")
        connection.close()


def test_a_save_that_times_out_waiting_for_the_lock_keeps_the_input(impatient):
    alice = impatient.admin("alice")
    url = impatient.change_url("rituximab")
    typed = f"Typed while the database was busy {uuid.uuid4().hex[:8]}."
    fields = form_fields(alice.get(url).text, "therapy_form")
    fields["summary"] = typed
    with write_lock_held(impatient.db):
        refused = alice.post_form(url, fields)
    assert refused.status == 200, refused.text[-2000:]
    assert BUSY in refused.text and "save again" in refused.text
    assert "Temporarily unavailable" not in refused.text
    kept = form_fields(refused.text, "therapy_form")
    assert kept["summary"] == [typed]
    assert impatient.summary("rituximab") != typed  # nothing saved

    saved = alice.post_form(url, kept)  # the lock is free again: saving again works
    assert saved.status == 302, saved.text[-2000:]
    assert impatient.summary("rituximab") == typed


def test_an_api_write_that_times_out_waiting_for_the_lock_is_a_retryable_409(impatient):
    bob = impatient.api("bob")
    path = "/api/v1/therapies/trastuzumab/"
    etag = bob.get(path).header("ETag")
    with write_lock_held(impatient.db):
        reply = bob.send_json("PATCH", path, {"summary": "Busy."}, {"If-Match": etag})
    assert reply.status == 409
    assert reply.header("Content-Type") == "application/problem+json"
    assert reply.header("Retry-After") == "5"
    body = reply.json()
    assert body["title"] == "Conflict" and body["status"] == 409
    assert "Another save was in progress" in body["detail"]
    assert "Retry the same request" in body["detail"]
    assert impatient.summary("trastuzumab") != "Busy."

    retried = bob.send_json("PATCH", path, {"summary": "Busy."}, {"If-Match": etag})
    assert retried.status == 200, retried.text
    assert impatient.summary("trastuzumab") == "Busy."


def test_an_admin_action_that_times_out_is_a_retry_page_not_the_outage_page(impatient):
    alice = impatient.admin("alice")
    changelist = "/admin/catalog/therapy/"
    alice.get(changelist)
    pk = impatient.read("SELECT id FROM catalog_therapy WHERE slug = ?", "tocilizumab")[0]
    fields = {
        "csrfmiddlewaretoken": alice.cookies["csrftoken"],
        "action": "unpublish",
        "_selected_action": str(pk),
        "index": "0",
    }
    with write_lock_held(impatient.db):
        reply = alice.post_form(changelist, fields)
    assert reply.status == 409
    assert reply.header("Retry-After") == "5"
    assert "Not saved: another save was in progress" in reply.text
    assert "Temporarily unavailable" not in reply.text
    assert impatient.read("SELECT status FROM catalog_therapy WHERE id = ?", pk) == ("published",)
