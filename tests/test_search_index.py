"""The search index (SearchTerm rows and the database's own indexes over them): it follows
every way an editor changes names, the databases use their indexes, and the type-ahead's JSON.
"""

from urllib.parse import urlencode

import pytest
from django.core.management import call_command
from django.db import connection
from django.http import QueryDict
from django.urls import reverse

from catalog.filters import ConditionFilter, GlossaryFilter, TherapyFilter
from catalog.history import populate_initial_history
from catalog.models import Condition, Indication, SearchTerm, Therapy
from catalog.search import Query, rebuild_index, records_named, search, similarity

from .helpers import _add_form_data, add_inline_row, form_data

pytestmark = pytest.mark.django_db


def titles(text, group="therapy"):
    for key, _, matches, _ in search(text).groups:
        if key == group:
            return [result.title for result in matches]
    return []


def index_rows():
    return sorted(
        SearchTerm.objects.values_list(
            "therapy", "therapy_class", "condition", "glossary_term", "name", "relation", "key"
        ),
        key=repr,
    )


def assert_index_is_fresh():
    """What editors' saves left equals a rebuild from the records."""
    before = index_rows()
    rebuild_index()
    assert index_rows() == before


def admin_change(client, obj, **changes):
    url = reverse(f"admin:catalog_{obj._meta.model_name}_change", args=[obj.pk])
    data = form_data(client.get(url))
    brand = changes.pop("brand", None)
    data.update(changes)
    if brand:
        add_inline_row(data, "other_names", name=brand, kind="brand")
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]


# --- editors' changes reach search ------------------------------------------------------------


def test_admin_rename_and_new_brand_name_are_found_at_once(admin_client):
    rituximab = Therapy.objects.get(slug="rituximab")
    assert titles("Truxima") == []
    admin_change(admin_client, rituximab, name="Rituximab-abbs", brand="Truxima")
    assert titles("Truxima") == ["Rituximab-abbs"]
    assert search("Truxima").groups[0][2][0].why == "Truxima is a brand name of Rituximab-abbs"
    assert titles("rituximababbs") == ["Rituximab-abbs"]
    assert titles("rituxan") == ["Rituximab-abbs"]  # the old brand name still points at it
    assert_index_is_fresh()


def test_admin_delete_removes_the_record_from_search(admin_client):
    condition = Condition.objects.get(slug="psoriasis")
    assert titles("psoriasis", "condition")[0] == "Psoriasis"
    url = reverse("admin:catalog_condition_delete", args=[condition.pk])
    Indication.objects.filter(condition=condition).delete()
    response = admin_client.post(url, {"post": "yes"})
    assert response.status_code == 302
    assert titles("psoriasis", "condition") == []
    assert titles("psoria", "condition") == ["Psoriatic arthritis"]
    assert_index_is_fresh()


def test_admin_revert_brings_the_old_name_back_to_search(admin_client):
    populate_initial_history()
    therapy = Therapy.objects.get(slug="tocilizumab")
    first = therapy.history.latest()
    admin_change(admin_client, therapy, name="Tocilizumab-xyz")
    assert titles("tocilizumab") == ["Tocilizumab-xyz"]
    url = reverse("admin:catalog_therapy_simple_history", args=[therapy.pk, first.pk])
    page = admin_client.get(url)
    data = {}
    _add_form_data(data, page.context["adminform"].form)
    assert admin_client.post(url, data).status_code == 302
    assert titles("tocilizumab") == ["Tocilizumab"]
    assert titles("xyz") == []
    assert_index_is_fresh()


def test_api_create_and_rename_are_found(admin_client):
    new = {
        "slug": "newumab",
        "name": "Newumab",
        "therapy_class": "monoclonal-antibodies",
        "summary": "A new monoclonal antibody.",
        "sources": ["drugscom-immunotherapy"],
        "status": "published",
    }
    response = admin_client.post("/api/v1/therapies/", new, content_type="application/json")
    assert response.status_code == 201, response.content
    assert titles("newumab") == ["Newumab"]
    etag = admin_client.get("/api/v1/therapies/newumab/")["ETag"]
    response = admin_client.patch(
        "/api/v1/therapies/newumab/",
        {"name": "Renamedumab"},
        content_type="application/json",
        headers={"If-Match": etag},
    )
    assert response.status_code == 200, response.content
    assert titles("renamedumab") == ["Renamedumab"]
    assert titles("newumab") == []
    assert_index_is_fresh()


def test_publishing_needs_no_reindex(admin_client):
    Therapy.objects.filter(slug="etanercept").update(status="draft")
    assert titles("enbrel") == []
    Therapy.objects.filter(slug="etanercept").update(status="published")
    assert titles("enbrel") == ["Etanercept"]


def test_reindex_command_rebuilds_from_records(db):
    SearchTerm.objects.all().delete()
    assert search("rituxan").groups == []
    call_command("reindex_search", verbosity=0)
    assert titles("rituxan") == ["Rituximab"]


# --- the databases' own indexes ---------------------------------------------------------------


def plan(queryset):
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET enable_seqscan = off")
        sql, params = queryset.query.sql_with_params()
        prefix = "EXPLAIN" if connection.vendor == "postgresql" else "EXPLAIN QUERY PLAN"
        cursor.execute(f"{prefix} {sql}", params)
        text = "\n".join(" ".join(str(c) for c in row) for row in cursor.fetchall())
        if connection.vendor == "postgresql":
            cursor.execute("RESET enable_seqscan")
    return text


@pytest.mark.parametrize(
    ("text", "postgresql", "sqlite"),
    [
        ("tuxim", "catalog_searchterm_key_trgm", "catalog_searchterm_trigram"),
        ("arthritis rheum", "catalog_searchterm_words_fts", "catalog_searchterm_words"),
        ("il", "catalog_searchterm_key", "catalog_searchterm_key"),
    ],
)
def test_search_uses_the_database_indexes(text, postgresql, sqlite):
    query = Query(text)
    text_plan = plan(SearchTerm.objects.filter(query.matches()).order_by().values("pk"))
    expected = postgresql if connection.vendor == "postgresql" else sqlite
    assert expected in text_plan, text_plan
    if connection.vendor == "sqlite" and len(query.needle) >= 3:
        assert "VIRTUAL TABLE INDEX" in text_plan


@pytest.mark.parametrize(
    ("filterset", "text", "postgresql", "sqlite"),
    [
        (TherapyFilter, "rítuximab", "catalog_searchterm_key_trgm", "catalog_searchterm_trigram"),
        (
            ConditionFilter,
            "arthritis rheum",
            "catalog_searchterm_words_fts",
            "catalog_searchterm_words",
        ),
        (GlossaryFilter, "antigen", "catalog_searchterm_key_trgm", "catalog_searchterm_trigram"),
    ],
)
def test_list_q_uses_the_search_indexes(filterset, text, postgresql, sqlite):
    """The lists' `q` filters through the search index, whose names the database finds with
    its text indexes (PostgreSQL: the plan of the names the list takes; it chooses that plan
    for the whole list once scanning the small test tables costs more)."""
    model = filterset._meta.model
    records = model.objects
    records = records.published() if hasattr(records, "published") else records.all()
    lists = filterset(QueryDict(urlencode({"q": text})), queryset=records).qs
    assert lists.exists()
    list_plan = plan(lists.order_by().values("pk"))
    assert "catalog_searchterm" in list_plan, list_plan
    names_plan = plan(records_named(model, text))
    expected = postgresql if connection.vendor == "postgresql" else sqlite
    assert expected in names_plan, names_plan
    if connection.vendor == "sqlite":
        assert expected in list_plan and "VIRTUAL TABLE INDEX" in list_plan, list_plan


def test_misspelling_lookup_uses_the_trigram_index():
    query = Query("tocilizumb")
    text_plan = plan(SearchTerm.objects.filter(query.spelled_like()).order_by().values("pk"))
    if connection.vendor == "postgresql":
        assert "catalog_searchterm_key_trgm" in text_plan, text_plan
    else:
        assert "VIRTUAL TABLE INDEX" in text_plan, text_plan


def test_similarity_is_pg_trgm_similarity():
    assert similarity("tocilizumab", "tocilizumab") == 1.0
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for a, b in [("tocilizumb", "tocilizumab"), ("remicaid", "remicade"), ("a", "xyz")]:
                cursor.execute("SELECT similarity(%s, %s)", [a, b])
                assert cursor.fetchone()[0] == pytest.approx(similarity(a, b), abs=1e-6)


@pytest.mark.parametrize(
    "text",
    ["' OR 1=1 --", 'NEAR("a" "b")', "a* AND b*", "%_%", "::*", "利妥昔单抗", "ß²", "-", "\x00x"],
)
def test_hostile_or_odd_searches_are_harmless(client, text):
    before = SearchTerm.objects.count()
    response = client.get("/search/", {"q": text})
    assert response.status_code in (200, 400)
    if response.status_code == 200:
        assert 'name="q"' in response.content.decode()
    assert client.get("/search/suggest/", {"q": text}).status_code in (200, 400)
    assert SearchTerm.objects.count() == before


# --- type-ahead suggestions (JSON) -----------------------------------------------------------


def test_suggestions_best_first_with_why_and_url(client, django_assert_max_num_queries):
    with django_assert_max_num_queries(3):
        response = client.get("/search/suggest/", {"q": "ritux"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    first = response.json()["suggestions"][0]
    assert first == {
        "label": "Rituximab",
        "why": "Name starts with your search",
        "type": "therapy",
        "slug": "rituximab",
        "url": "/therapies/rituximab/",
    }


def test_suggestions_of_one_type_for_filter_inputs(client):
    body = client.get("/search/suggest/", {"q": "arthritis", "type": "condition"}).json()
    assert [s["slug"] for s in body["suggestions"]] == [
        "psoriatic-arthritis",
        "rheumatoid-arthritis",
    ]
    assert {s["type"] for s in body["suggestions"]} == {"condition"}


def test_suggestions_bad_input_is_a_400_with_a_message(client):
    response = client.get("/search/suggest/", {"q": "x", "type": "drug"})
    assert response.status_code == 400
    assert "Unknown type 'drug'" in response.json()["detail"]
    too_long = client.get("/search/suggest/", {"q": "x" * 101})
    assert too_long.status_code == 400
    assert "100 characters" in too_long.json()["detail"]


def test_suggestions_for_nothing_are_empty(client):
    assert client.get("/search/suggest/").json() == {"query": "", "suggestions": []}
    assert client.get("/search/suggest/", {"q": "zzzzzz"}).json()["suggestions"] == []


def test_suggestions_hide_drafts(client):
    Therapy.objects.filter(slug="rituximab").update(status="draft")
    labels = [s["label"] for s in client.get("/search/suggest/?q=ritux").json()["suggestions"]]
    assert "Rituximab" not in labels


@pytest.mark.parametrize("size", [5, 400])
def test_suggest_query_count_is_constant(client, make_catalog, django_assert_max_num_queries, size):
    make_catalog(size)
    with django_assert_max_num_queries(3):
        body = client.get("/search/suggest/", {"q": "synth therapy 0000"}).json()
    assert [s["label"] for s in body["suggestions"]][:2] == [
        "synth therapy 00000",
        "synth therapy 00001",
    ]
    assert len(body["suggestions"]) == min(size, 8)


def test_counts_stop_at_the_cap_and_say_so(client, make_catalog, monkeypatch):
    make_catalog(30)
    monkeypatch.setattr("catalog.search.ranking.COUNT_CAP", 25)
    results = search("synth therapy")
    therapies = next(n for key, _, _, n in results.groups if key == "therapy")
    assert therapies == 25 and therapies.capped and str(therapies) == "25+"
    html = client.get("/search/?q=synth+therapy").content.decode()
    assert "Showing the best 20 of 25+" in html
    monkeypatch.setattr("catalog.search.ranking.COUNT_CAP", 1000)
    exact = next(n for key, _, _, n in search("synth therapy").groups if key == "therapy")
    assert exact == 30 and not exact.capped and str(exact) == "30"


def test_drafts_crowding_the_best_matches_do_not_hide_published_ones(make_catalog):
    make_catalog(260)
    drafts = Therapy.objects.filter(slug__startswith="synth-").order_by("name")[:250]
    Therapy.objects.filter(pk__in=list(drafts.values_list("pk", flat=True))).update(status="draft")
    results = {key: (matches, n) for key, _, matches, n in search("synth therapy").groups}
    matches, count = results["therapy"]
    assert count == 10
    assert [r.title for r in matches] == [f"synth therapy {i:05d}" for i in range(250, 260)]
