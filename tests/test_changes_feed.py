"""The changes feed (`/api/v1/changes/`, catalog/feed/): a consumer that starts from a snapshot
token and the full exports, then applies the feed, holds exactly what new exports hold — after
edits, publishing, unpublishing, renames (even swapped slugs), deletions and scheduled moments
passing; drafts never appear; bad tokens are 400s; a page's cost does not grow with the
catalog."""

import datetime
import io
import json
import re
from unittest import mock

import pytest
import time_machine
from django.conf import settings as settings_module
from django.core.management import call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from catalog.api.changes import viewsets
from catalog.api.serializers import row_keys
from catalog.api.urls import router
from catalog.feed import journal, triggers
from catalog.feed.journal import catch_up_all
from catalog.feed.resources import resources
from catalog.models import (
    Condition,
    FeedChange,
    Indication,
    PendingChange,
    Source,
    Therapy,
    TherapyClass,
    TherapyName,
    catalog_version,
)
from catalog.models.registry import versioned_tables

pytestmark = pytest.mark.django_db

URL = "/api/v1/changes/"
NAMES = [resource.name for resource in resources()]


def key_of(name, record):
    """What a consumer keys an exported record by: its slug; an indication, by its level, its
    therapy's or class's slug and its condition's slug (as the feed's `key`)."""
    if name == "indications":
        subject = record["therapy"] or record["therapy_class"]
        return f"{record['level']}/{subject['slug']}/{record['condition']['slug']}"
    return record["slug"]


def export(client):
    """{resource: {key: record}} from each resource's full JSON Lines export."""
    found = {}
    for name in NAMES:
        response = client.get(f"/api/v1/{name}/?format=jsonl")
        assert response.status_code == 200
        lines = b"".join(response.streaming_content).decode().splitlines()
        records = [json.loads(line) for line in lines]
        found[name] = {key_of(name, record): record for record in records}
        assert len(found[name]) == len(records), f"{name}: two records with one key"
    return found


def snapshot(client, caught_up=True):
    """A snapshot token; `caught_up`: once the feed has read every write before it (else the
    feed may still give changes the exports already hold)."""
    if caught_up:
        catch_up_all(resources())
    body = client.get(URL).json()
    assert body["results"] == [] and set(body["exports"]) == set(NAMES)
    return body["next"]


def follow(client, since, limit=100):
    """Every change after `since`, page by page, and the last token."""
    changes = []
    while True:
        body = client.get(URL, {"since": since, "limit": limit}).json()
        changes += body["results"]
        assert int(body["next"]) >= int(since)
        since = body["next"]
        if not body["more"] and not body["results"]:
            return changes, since


def apply(store, changes, strict=True):
    """A consumer's sync: store created and changed records under their key, remove the keys
    of tombstones. `strict` (after a caught-up snapshot): a tombstone names a key the consumer
    holds, a creation one it does not."""
    for change in changes:
        records = store[change["type"]]
        if change["action"] in ("created", "changed"):
            assert not (strict and change["action"] == "created" and change["key"] in records)
            records[change["key"]] = change["data"]
        else:
            assert not strict or change["key"] in records, change
            records.pop(change["key"], None)
    return store


def differences(held, exported):
    """(resource, key, field) wherever what a consumer holds differs from the export."""
    found = []
    for name in NAMES:
        mine, theirs = held[name], exported[name]
        for key in sorted(set(mine) | set(theirs)):
            if key not in mine or key not in theirs:
                found.append((name, key, "missing" if key not in mine else "extra"))
                continue
            found += [(name, key, f) for f in theirs[key] if mine[key].get(f) != theirs[key][f]]
    return found


def synced(client, edit):
    """The feed's changes over `edit()`, checked: applied to the export before, they give the
    export after."""
    token = snapshot(client)
    before = export(client)
    edit()
    changes, _ = follow(client, token)
    assert apply(before, changes) == export(client)
    return changes


def rituximab():
    return Therapy.objects.get(slug="rituximab")


def test_without_a_token_the_feed_gives_a_snapshot_token_and_each_export(client):
    body = client.get(URL).json()
    assert body["exports"]["therapies"] == "http://testserver/api/v1/therapies/?format=jsonl"
    assert body["results"] == [] and body["more"] is False
    assert client.get(URL, {"since": body["next"]}).json()["results"] == []


def test_an_edit_is_a_change_with_its_fields_and_the_record_as_exported(client):
    def edit():
        therapy = rituximab()
        therapy.summary = "Rituximab is a monoclonal antibody."
        therapy.save()

    (change,) = synced(client, edit)
    assert change["type"] == "therapies" and change["action"] == "changed"
    assert change["key"] == "rituximab" and change["old_key"] is None
    assert change["changed_fields"] == ["summary"]
    assert change["data"]["summary"] == "Rituximab is a monoclonal antibody."
    assert change["data"]["html_url"] == "http://testserver/therapies/rituximab/"


def test_a_rename_moves_the_old_key_and_the_change_carries_both_slugs(client):
    def edit():
        Therapy.objects.filter(slug="rituximab").update(slug="rituximab-new")

    changes = synced(client, edit)
    moved = [c for c in changes if c["action"] == "moved" and c["type"] == "therapies"]
    assert moved == [
        {"type": "therapies", "action": "moved", "key": "rituximab", "new_key": "rituximab-new"}
        | {"at": moved[0]["at"]}
    ]
    therapy = next(c for c in changes if c["type"] == "therapies" and c["action"] == "changed")
    assert (therapy["key"], therapy["old_key"]) == ("rituximab-new", "rituximab")
    assert therapy["changed_fields"] == ["slug", "html_url"]
    # Its uses' keys name the therapy: they move too.
    assert any(c["type"] == "indications" and c["action"] == "moved" for c in changes)


def test_a_renamed_condition_changes_every_record_that_names_it(client):
    def edit():
        condition = Condition.objects.get(slug="rheumatoid-arthritis")
        condition.name = "Rheumatoid arthritis (RA)"
        condition.save()

    changes = synced(client, edit)
    changed = {(c["type"], c["key"]) for c in changes}
    assert ("conditions", "rheumatoid-arthritis") in changed
    assert ("therapies", "rituximab") in changed
    assert ("indications", "agent/rituximab/rheumatoid-arthritis") in changed


def test_unpublishing_and_deleting_are_tombstones(client):
    def edit():
        therapy = rituximab()
        therapy.unpublish()
        therapy.save()
        Therapy.objects.get(slug="tocilizumab").delete()

    changes = synced(client, edit)
    tombstones = {(c["key"], c["action"]) for c in changes if c["type"] == "therapies"}
    assert tombstones == {("rituximab", "unpublished"), ("tocilizumab", "deleted")}
    assert all("data" not in c for c in changes if c["action"] != "changed")


def test_a_draft_never_appears_and_publishing_it_is_a_creation(client):
    therapy_class = TherapyClass.objects.get(slug="monoclonal-antibodies")
    token = snapshot(client)
    draft = Therapy.objects.create(
        slug="ocrelizumab", name="Ocrelizumab", therapy_class=therapy_class, summary="Draft."
    )
    TherapyName.objects.create(therapy=draft, name="Ocrevus", kind="brand")
    assert follow(client, token)[0] == []
    draft.publish()
    draft.save()
    (change,) = [c for c in follow(client, token)[0] if c["type"] == "therapies"]
    assert (change["action"], change["key"]) == ("created", "ocrelizumab")
    assert change["data"]["brand_names"] == ["Ocrevus"]


@pytest.mark.parametrize("records", [1, 2000])
def test_two_records_swapping_slugs_sync_exactly(client, records, monkeypatch):
    """Also when a catch-up compares one record at a time: the other one, whose key the first
    takes, is compared with it."""
    monkeypatch.setattr(journal, "RECORDS", records)

    def edit():
        with transaction.atomic():
            Therapy.objects.filter(slug="rituximab").update(slug="swap-tmp")
            Therapy.objects.filter(slug="tocilizumab").update(slug="rituximab")
            Therapy.objects.filter(slug="swap-tmp").update(slug="tocilizumab")

    changes = synced(client, edit)
    assert {c["key"] for c in changes if c["action"] == "moved" and c["type"] == "therapies"} == {
        "rituximab",
        "tocilizumab",
    }


def test_a_record_going_live_at_its_scheduled_moment_appears_without_a_write(client):
    live_at = timezone.now() + datetime.timedelta(hours=1)
    therapy = rituximab()
    therapy.summary = "Scheduled."
    therapy.save()
    Therapy.objects.filter(pk=therapy.pk).update(go_live_at=live_at)  # published, not yet live
    token = snapshot(client)
    before = export(client)
    assert "rituximab" not in before["therapies"]
    with time_machine.travel(live_at + datetime.timedelta(seconds=1), tick=False):
        changes, _ = follow(client, token)
        assert ("therapies", "rituximab", "created") in {
            (c["type"], c["key"], c["action"]) for c in changes
        }
        assert apply(before, changes) == export(client)


@pytest.mark.parametrize(
    "query, reason",
    [
        ({"since": "abc"}, "Not a token of this feed"),
        ({"since": "-1"}, "Not a token of this feed"),
        ({"since": "1" * 19}, "Not a token of this feed"),
        ({"since": "0", "limit": "0"}, "A whole number from 1 to 1000."),
        ({"since": "0", "limit": "1001"}, "A whole number from 1 to 1000."),
        ({"since": "0", "limit": "ten"}, "A whole number from 1 to 1000."),
        ({"sinse": "0"}, "Did you mean `since`?"),
    ],
)
def test_bad_tokens_and_limits_are_400s_saying_why(client, query, reason):
    response = client.get(URL, query)
    assert response.status_code == 400
    assert reason in response.json()["detail"]


def test_a_well_formed_token_the_feed_never_gave_is_a_404_saying_start_again(client):
    response = client.get(URL, {"since": "99999999"})
    assert response.status_code == 404
    assert response.json()["detail"] == (
        "This feed has given no such token. Start again without `since`."
    )


def test_reading_the_feed_moves_no_catalog_version(client):
    stamp = catalog_version().stamp
    follow(client, "0")
    assert catalog_version().stamp == stamp


def test_every_content_table_has_feed_triggers():
    assert set(versioned_tables()) <= triggers.installed(connection)


def test_the_schema_documents_the_feed(client):
    schema = client.get("/api/v1/schema/?format=json").json()
    operation = schema["paths"]["/api/v1/changes/"]["get"]
    assert {p["name"] for p in operation["parameters"]} >= {"since", "limit"}
    assert {"200", "400", "429"} <= set(operation["responses"])


def test_a_page_of_changes_costs_the_same_queries_whatever_the_catalog_size(client, make_catalog):
    """Reading a page of 100 changes costs the same few queries for 30 therapies as for 300;
    catching up reads by kinds of record and by hundreds of rows, never record by record."""

    def cost(n, prefix):
        therapy_class = make_catalog(n, prefix=prefix)
        catch_up_all(resources())
        token = snapshot(client)
        Therapy.objects.filter(therapy_class=therapy_class).update(summary=f"{prefix} edited")
        with CaptureQueriesContext(connection) as catching_up:  # in the command's steps
            catch_up_all(resources(), journal.COMMAND_BATCH, journal.COMMAND_RECORDS)
        with CaptureQueriesContext(connection) as reading:
            body = client.get(URL, {"since": token, "limit": 100}).json()
        assert len([c for c in body["results"] if c["type"] == "therapies"]) == min(n, 100)
        return len(catching_up), len(reading)

    (small_catch_up, small_page), (large_catch_up, large_page) = cost(30, "s"), cost(300, "l")
    assert small_page == large_page <= 12
    # 270 more therapies changed (and 540 more uses read again): a few more batches.
    assert large_catch_up - small_catch_up <= 12


operations = st.lists(
    st.tuples(
        st.sampled_from(
            [
                "edit",
                "rename",
                "unpublish",
                "publish",
                "delete",
                "brand",
                "rename-condition",
                "drop-use",
                "rename-class",
                "rename-source",
                "unpublish-condition",
            ]
        ),
        st.integers(min_value=0, max_value=50),
    ),
    min_size=1,
    max_size=8,
)


def pick(queryset, n):
    records = list(queryset.order_by("pk"))
    return records[n % len(records)] if records else None


def operate(name, n):
    """One random edit, as an editor or a bulk write would make it."""
    therapy = pick(Therapy.objects.all(), n)
    if name == "edit" and therapy:
        therapy.summary = f"Edited {n}."
        therapy.save()
    elif name == "rename" and therapy:
        Therapy.objects.filter(pk=therapy.pk).update(slug=f"renamed-{therapy.pk}-{n}")
    elif name == "unpublish" and therapy:
        therapy.unpublish()
        therapy.save()
    elif name == "publish" and therapy:
        therapy.publish()
        therapy.save()
    elif name == "delete" and therapy:
        therapy.delete()
    elif name == "brand" and therapy:
        TherapyName.objects.get_or_create(therapy=therapy, name=f"Brand{n}", kind="brand")
    elif name == "rename-condition":
        condition = pick(Condition.objects.all(), n)
        condition.name = f"{condition.name} {n}"
        condition.slug = f"{condition.slug[:40]}-{n}"
        condition.save()
    elif name == "drop-use":
        use = pick(Indication.objects.all(), n)
        if use:
            use.delete()
    elif name == "rename-class":
        TherapyClass.objects.filter(pk=pick(TherapyClass.objects.all(), n).pk).update(
            name=f"Class {n}", slug=f"class-{n}"
        )
    elif name == "rename-source":
        source = pick(Source.objects.all(), n)
        Source.objects.filter(pk=source.pk).update(slug=f"source-{source.pk}-{n}")
    elif name == "unpublish-condition":
        condition = pick(Condition.objects.all(), n)
        condition.unpublish()
        condition.save()


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    steps=operations,
    limit=st.sampled_from([1, 7, 100]),
    batch=st.sampled_from([1, 3, journal.BATCH]),
    records=st.sampled_from([1, 2, journal.RECORDS]),
    from_the_start=st.booleans(),
)
def test_the_feed_applied_to_an_old_export_gives_the_new_export(
    client, steps, limit, batch, records, from_the_start
):
    """Pages of 1, 7 or 100 changes; catch-ups of 1, 3 or 250 noted rows and of 1, 2 or
    250 records of a kind (a change split over many catch-ups); a consumer that started from
    a snapshot and the exports, or from nothing and the whole feed (`since=0`)."""
    with transaction.atomic():
        catch_up_all(resources())  # the site's content read into the feed, in full batches
        with (
            mock.patch.object(journal, "BATCH", batch),
            mock.patch.object(journal, "RECORDS", records),
        ):
            synced_steps(client, steps, limit, from_the_start)
        transaction.set_rollback(True)


def synced_steps(client, steps, limit, from_the_start):
    if from_the_start:
        token, store = "0", {name: {} for name in NAMES}
    else:
        token = snapshot(client, caught_up=False)  # the snapshot catches up by itself
        store = export(client)
    for number, (name, n) in enumerate(steps):
        with transaction.atomic():
            operate(name, n)
        if number % 3 == 2:  # a consumer reading in between
            changes, token = follow(client, token, limit)
            apply(store, changes)
    changes, _ = follow(client, token, limit)
    assert differences(apply(store, changes), export(client)) == [], steps


def test_a_request_after_a_big_change_catches_up_a_bounded_part_and_says_more(client, make_catalog):
    """A renamed class changes every therapy of it: one feed request compares at most
    `journal.RECORDS` of them (its consumer waits for that) and says `more`; the requests
    after it give the rest, and the consumer ends up with the export."""
    therapy_class = make_catalog(300, prefix="big")
    token = snapshot(client)
    before = export(client)
    TherapyClass.objects.filter(pk=therapy_class.pk).update(slug="big-renamed")
    first = client.get(URL, {"since": token, "limit": 1000}).json()
    assert first["more"] is True
    renamed = [c for c in first["results"] if c["type"] == "therapies"]
    assert len(renamed) == journal.RECORDS == 250
    assert {c["data"]["therapy_class"]["slug"] for c in renamed} == {"big-renamed"}
    rest, _ = follow(client, first["next"])
    assert len(renamed) + len([c for c in rest if c["type"] == "therapies"]) == 300
    assert apply(before, first["results"] + rest) == export(client)


def test_the_catch_up_command_reads_everything_noted_into_the_feed(client):
    token = snapshot(client)
    Therapy.objects.filter(slug="rituximab").update(summary="Bulk loaded.")
    out = io.StringIO()
    call_command("catch_up_changes", stdout=out)
    assert out.getvalue() == "The changes feed caught up: 1 change in 1 batch.\n"
    assert not PendingChange.objects.exists()
    (change,) = client.get(URL, {"since": token}).json()["results"]
    assert change["data"]["summary"] == "Bulk loaded."


def test_a_feed_nobody_read_yet_is_filled_from_the_catalog_at_once(client):
    """After a load nobody read the feed for (here the seeded catalog, its rows all noted), the
    command gives each public record one `created` change, reading each resource a chunk of
    records at a time (not each noted row), and drops the noted rows; from nothing, the whole
    feed gives exactly the exports, and later writes follow as before."""
    assert PendingChange.objects.count() > 400 and not FeedChange.objects.exists()
    out = io.StringIO()
    with CaptureQueriesContext(connection) as queries:
        call_command("catch_up_changes", stdout=out)
    exported = export(client)
    records = sum(len(held) for held in exported.values())
    assert out.getvalue() == (
        f"The changes feed was filled from the catalog: {records} records.\n"
        "The changes feed caught up: 0 changes in 1 batch.\n"
    )
    assert len(queries) <= 8 * len(NAMES)  # a few per resource, whatever the number of rows
    assert not PendingChange.objects.exists()
    changes, token = follow(client, "0")
    assert {change["action"] for change in changes} == {"created"}
    assert differences(apply({name: {} for name in NAMES}, changes), exported) == []
    Therapy.objects.filter(slug="rituximab").update(summary="Loaded after the fill.")
    (change,) = follow(client, token)[0]
    assert change["action"] == "changed" and change["data"]["summary"] == "Loaded after the fill."
    call_command("catch_up_changes", stdout=io.StringIO())
    assert FeedChange.objects.count() == records + 1  # filled once only


def test_the_feed_follows_every_resource_the_api_lists_with_the_keys_it_represents():
    assert {prefix for prefix, _viewset, _basename in router.registry} == set(NAMES)
    for resource in resources():
        serializer_class = viewsets()[resource.name].serializer_class
        assert set(resource.keys) == set(row_keys(serializer_class)), resource.name


def test_anonymous_calls_to_the_feed_count_against_the_api_rate_limit(
    client, settings, one_rate_window
):
    settings.API_ANON_RATE = "2/minute"
    assert client.get(URL).status_code == 200
    assert client.get("/api/v1/version/").status_code == 200
    response = client.get(URL, {"since": "0"})
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert response.json()["status"] == 429


def test_a_snapshot_that_could_not_catch_up_says_ask_again(client, monkeypatch):
    catch_up_all(resources())
    monkeypatch.setattr(journal, "BATCH", 1)
    monkeypatch.setattr("catalog.api.changes.SNAPSHOT_SECONDS", 0)
    Therapy.objects.filter(slug__in=["rituximab", "tocilizumab"]).update(summary="Edited.")
    answers = [client.get(URL).json()["more"] for _ in range(8)]  # one noted row each
    assert answers[0] is True and answers[-1] is False
    assert answers == sorted(answers, reverse=True)  # once caught up, it stays so


SYNC_LOOP = re.compile(r"A sync loop \(Python, `requests`\):\n\n```python\n(.*?)\n```", re.DOTALL)


@pytest.mark.django_db(transaction=True)
def test_the_readmes_sync_loop_keeps_a_copy_exact_over_real_http(live_catalog):
    """The README's example, run as written against the live server: after an edit and a
    rename, the copy it keeps equals new exports."""
    code = SYNC_LOOP.search((settings_module.BASE_DIR / "README.md").read_text()).group(1)
    first, then = code.split("# Then, as often as you like:")
    api = f"{live_catalog.url}/api/v1/"
    scope = {}
    exec(first.replace("https://immunosite.example/api/v1/", api), scope)
    therapy = rituximab()
    therapy.summary = "Synced over HTTP."
    therapy.save()
    Therapy.objects.filter(slug="tocilizumab").update(slug="tocilizumab-renamed")
    exec(then, scope)
    assert scope["store"]["therapies"]["rituximab"]["summary"] == "Synced over HTTP."
    assert "tocilizumab" not in scope["store"]["therapies"]
    again = {}
    exec(first.replace("https://immunosite.example/api/v1/", api), again)
    assert scope["store"] == again["store"]
