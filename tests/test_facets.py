"""Counts beside filters (facets, catalog/facets.py): each option of a list's filters with how
many published records it gives, the other filters kept, on the page ("Anti-TNF therapy (5)")
and in the API (`?facets=`), equal to each other and to a brute-force count through the
FilterSet with that one filter changed; options without results left out unless selected;
drafts never counted; one grouped query per facet, cached under the catalog's version."""

import html
import re
from urllib.parse import parse_qs, urlencode

import pytest
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from catalog import filters
from catalog.models import (
    Action,
    Condition,
    ConditionCategory,
    Indication,
    Therapy,
    TherapyClass,
)

from .helpers import make_user

pytestmark = pytest.mark.django_db

API = "/api/v1/"
THERAPY_FACETS = ["therapy_class", "condition", "condition_category", "action"]
TYPED_FACETS = {"therapy_class", "condition"}  # typed filters: their options most results first
SELECT = re.compile(r'<select name="(\w+)"[^>]*>(.*?)</select>', re.S)
OPTION = re.compile(r'<option value="([^"]*)"([^>]*)>([^<]*) \(([\d,]+)\)</option>')
TYPED = re.compile(r'<ul class="facet-options" id="id_(\w+)_facets"[^>]*>(.*?)</ul>', re.S)
TYPED_OPTION = re.compile(
    r'<li( class="facet-empty")?><a href="\?([^"]*)"( aria-current="true")?>([^<]*) '
    r'<span class="facet-count">\((\d+)\)</span></a></li>'
)


def page_facets(response):
    """{facet: {value: (label, count, selected, greyed)}} as the page shows them."""
    assert response.status_code == 200, response.content[:500]
    text = response.content.decode()
    shown = {}
    for name, options in SELECT.findall(text):
        found = OPTION.findall(options)
        if found:
            shown[name] = {
                value: (html.unescape(label), int(n.replace(",", "")), "selected" in attrs,
                        "facet-empty" in attrs)
                for value, attrs, label, n in found
            }  # fmt: skip
    for name, items in TYPED.findall(text):
        shown[name] = {}
        for empty, query, current, label, n in TYPED_OPTION.findall(items):
            value = parse_qs(html.unescape(query))[name][-1]
            shown[name][value] = (html.unescape(label), int(n), bool(current), bool(empty))
    return shown


def api_facets(client, path, query, names):
    separator = "&" if query else ""
    response = client.get(f"{API}{path}/?{query}{separator}facets={','.join(names)}")
    assert response.status_code == 200, response.content[:500]
    return {
        name: {o["value"]: (o["label"], o["count"], o["selected"]) for o in options}
        for name, options in response.json()["facets"].items()
    }


def brute_force(filterset_class, query, name, value):
    """How many published records the FilterSet selects with filter `name` given as `value`
    alone, the rest of `query` kept: the definition of a facet's count."""
    data = QueryDict(query, mutable=True)
    data.setlist(name, [value])
    model = filterset_class._meta.model
    filterset = filterset_class(data, queryset=model.objects.published())
    assert filterset.is_valid(), filterset.errors
    return filterset.qs.count()


def test_the_therapy_list_shows_beside_each_option_how_many_therapies_it_gives(client):
    shown = page_facets(client.get("/therapies/?condition_category=cancer"))
    assert set(shown) == set(THERAPY_FACETS)
    assert shown["therapy_class"]["monoclonal-antibodies"] == (
        "Monoclonal antibodies",
        2,
        False,
        False,
    )
    assert shown["condition_category"]["cancer"] == ("Cancer", 3, True, False)
    # The other filters kept: classes count their cancer therapies; categories count all.
    assert "anti-tnf-therapy" not in shown["therapy_class"]
    assert shown["condition_category"]["autoimmune-inflammatory"][1] == 7
    everything = page_facets(client.get("/therapies/"))["therapy_class"]
    assert everything["anti-tnf-therapy"] == ("Anti-TNF therapy", 5, False, False)
    for name, options in shown.items():
        for value, (_, count, _, _) in options.items():
            query = "condition_category=cancer"
            assert count == brute_force(filters.TherapyFilter, query, name, value), (name, value)


def test_a_count_reads_as_part_of_the_options_label(client):
    """What a screen reader reads: the option's own text, "Cancer (3)"."""
    text = client.get("/therapies/?condition_category=cancer").content.decode()
    assert '<option value="cancer" selected>Cancer (3)</option>' in text
    assert (
        '<li><a href="?condition_category=cancer&amp;therapy_class=monoclonal-antibodies">'
        'Monoclonal antibodies <span class="facet-count">(2)</span></a></li>'
    ) in text
    assert 'aria-label="Class: results with each"' in text


def test_options_without_results_are_left_out_unless_selected_then_greyed(client):
    everything = page_facets(client.get("/therapies/"))
    assert "enhances" not in everything["action"]  # no published therapy enhances
    shown = page_facets(client.get("/therapies/?action=enhances"))
    assert shown["action"]["enhances"] == ("Enhances the immune response", 0, True, True)
    response = client.get("/therapies/?therapy_class=interleukins&condition=rheumatoid-arthritis")
    typed = page_facets(response)["therapy_class"]
    assert typed["interleukins"] == ("Interleukins", 0, True, True)  # selected, kept, greyed
    assert typed["anti-tnf-therapy"][1:] == (5, False, False)
    assert "0 therapies" in response.content.decode()


def test_options_keep_the_facets_order_with_a_selected_option_without_results_in_its_place(
    client,
):
    """Classes most results first (then by name), a selected one without results last;
    actions in the order of their choices, a selected one without results among them."""
    query = "therapy_class=interleukins&condition=rheumatoid-arthritis&facets=therapy_class"
    classes = client.get(f"{API}therapies/?{query}").json()["facets"]["therapy_class"]
    counts = [option["count"] for option in classes]
    assert counts == sorted(counts, reverse=True) and counts[0] == 5
    assert classes[-1] == {
        "value": "interleukins", "label": "Interleukins", "count": 0, "selected": True
    }  # fmt: skip
    actions = client.get(f"{API}therapies/?action=enhances&facets=action").json()["facets"]
    order = [value for value, _label in Action.choices]
    shown = [option["value"] for option in actions["action"]]
    assert "enhances" in shown and shown == [value for value in order if value in shown]
    assert len(shown) > 1


def test_the_api_gives_the_counts_the_page_shows(client):
    query = "condition_category=cancer&q=rituximab"
    shown = page_facets(client.get(f"/therapies/?{query}"))
    given_ = api_facets(client, "therapies", query, ["therapy_class", "condition_category"])
    assert list(given_) == ["therapy_class", "condition_category"]
    for name, options in given_.items():
        assert {v: o[:3] for v, o in shown[name].items()} == {
            v: o for v, o in options.items() if v in shown[name]
        }
    assert given_["condition_category"]["cancer"] == ("Cancer", 1, True)
    assert given_["therapy_class"] == {"monoclonal-antibodies": ("Monoclonal antibodies", 1, False)}


def test_the_class_and_condition_lists_count_their_choices(client):
    classes = page_facets(client.get("/classes/"))
    assert classes["action"]["stimulates"][:2] == ("Stimulates the immune system", 2)
    assert api_facets(client, "therapy-classes", "", ["action"])["action"]["stimulates"][1] == 2
    conditions = page_facets(client.get("/conditions/?q=arthritis"))
    for value, (_, count, _, _) in conditions["category"].items():
        assert count == brute_force(filters.ConditionFilter, "q=arthritis", "category", value)


@pytest.fixture
def draft_therapy(db):
    draft = Therapy.objects.create(
        slug="draftimab",
        name="Draftimab",
        summary="s",
        therapy_class=TherapyClass.objects.get(slug="anti-tnf-therapy"),
        status="draft",
    )
    Indication.objects.create(
        therapy=draft,
        condition=Condition.objects.get(slug="rheumatoid-arthritis"),
        status="published",
        published_at=timezone.now(),
    )
    return draft


def test_drafts_are_never_counted(client, draft_therapy, api_token):
    shown = page_facets(client.get("/therapies/"))
    assert shown["therapy_class"]["anti-tnf-therapy"][1] == 5
    assert shown["condition"]["rheumatoid-arthritis"][1] == 7
    editor = make_user("editor", "Editors")
    headers = {"Authorization": api_token(editor)}
    response = client.get(f"{API}therapies/?facets=therapy_class&page_size=100", headers=headers)
    assert "draftimab" in [row["slug"] for row in response.json()["results"]]  # editors see it
    counts = {o["value"]: o["count"] for o in response.json()["facets"]["therapy_class"]}
    assert counts["anti-tnf-therapy"] == 5


def test_an_unknown_facet_is_a_400_naming_the_facets_there_are(client):
    response = client.get(f"{API}therapies/?facets=therapy_class,colour")
    assert response.status_code == 400
    assert response.json()["invalid_params"] == [
        {
            "name": "facets",
            "reason": "Unknown facet(s): “colour”. Available: therapy_class, condition, "
            "condition_category, action.",
        }
    ]
    response = client.get(f"{API}glossary/?facets=q")
    assert response.status_code == 400
    assert "Unknown parameter" in response.json()["invalid_params"][0]["reason"]


@pytest.mark.parametrize(
    ("query", "reason"),
    [
        ("facets=", "Empty: give a value"),
        ("facets=,", "Empty: give a value"),
        ("facets=%00", "Unknown facet(s): “\x00”"),
        ("facets=%ff%fe", "Unknown facet(s): “\ufffd\ufffd”"),
        ("facets=action&facets=colour", "Unknown facet(s): “colour”"),
        (f"facets={'x' * 5000}", f"Unknown facet(s): “{'x' * 50}”"),
        ("facets=action&format=csv", "Downloads hold rows only"),
        ("facets=action&therapy_class=no-such-class", "No class called “no-such-class”"),
        ("facets=action&page=x", "Must be a whole number"),
    ],
)
def test_malformed_facets_are_400s_with_a_message(client, query, reason):
    response = client.get(f"{API}therapies/?{query}")
    assert response.status_code == 400, response.content[:300]
    assert reason in " ".join(p["reason"] for p in response.json()["invalid_params"])


def test_a_malformed_filter_on_the_page_shows_no_counts_and_no_error_page(client):
    response = client.get("/therapies/?therapy_class=no-such-class&action=%00")
    assert response.status_code == 400
    text = response.content.decode()
    assert "No class called “no-such-class”" in text and "facet-options" not in text


SUGGEST = "/search/suggest/?q=anti&type=class&list=therapies&facet=therapy_class&within="


def test_a_typed_filters_suggestions_carry_the_count_the_list_page_shows(client):
    page = client.get("/therapies/?condition_category=autoimmune-inflammatory")
    assert 'spellcheck="false" data-suggest-list="therapies"' in page.content.decode()
    shown = page_facets(page)["therapy_class"]
    within = "condition_category%3Dautoimmune-inflammatory%26therapy_class%3Dinterleukins"
    body = client.get(SUGGEST + within).json()
    (suggestion,) = [s for s in body["suggestions"] if s["slug"] == "anti-tnf-therapy"]
    assert suggestion["label"] == "Anti-TNF therapy"
    assert suggestion["count"] == shown["anti-tnf-therapy"][1] == 5
    cancer = client.get(SUGGEST + "condition_category%3Dcancer").json()["suggestions"]
    assert [s["count"] for s in cancer if s["slug"] == "anti-tnf-therapy"] == [0]
    # Plain suggestions (the search boxes) have no counts.
    plain = client.get("/search/suggest/?q=anti&type=class").json()["suggestions"]
    assert plain and all("count" not in s for s in plain)
    # Other filters still to correct: suggestions, without counts.
    wrong = client.get(SUGGEST + "action%3Dexplodes").json()["suggestions"]
    assert wrong and all("count" not in s for s in wrong)


@pytest.mark.parametrize(
    ("query", "detail"),
    [
        ("list=drugs&facet=therapy_class", "Unknown list “drugs”. Available: therapies."),
        ("list=therapies&facet=action", "Unknown facet “action”. Available: therapy_class, "
         "condition."),
        ("list=therapies", "Unknown facet “”. Available: therapy_class, condition."),
        ("list=therapies&facet=condition&within=" + "x" * 2001,
         "The list's query is limited to 2000 characters."),
    ],
)  # fmt: skip
def test_bad_suggestion_counts_are_400s_saying_why(client, query, detail):
    response = client.get(f"/search/suggest/?q=anti&type=class&{query}")
    assert response.status_code == 400
    assert response.json() == {"detail": detail}


def grouped(queries):
    return [q["sql"] for q in queries if "GROUP BY" in q["sql"]]


def test_each_facet_is_one_grouped_query_cached_under_the_catalog_version(client, make_catalog):
    make_catalog(30)
    url = "/therapies/?condition=synth-parent"
    with CaptureQueriesContext(connection) as cold:
        first = page_facets(client.get(url))
    assert len(grouped(cold.captured_queries)) == len(THERAPY_FACETS)
    assert first["therapy_class"]["synth-class"][1] == 30
    with CaptureQueriesContext(connection) as warm:
        assert page_facets(client.get(url)) == first
    assert grouped(warm.captured_queries) == []
    # The API reads what the page cached (the same queries, the same key).
    with CaptureQueriesContext(connection) as api:
        api_facets(client, "therapies", "condition=synth-parent", THERAPY_FACETS)
    assert grouped(api.captured_queries) == []
    make_catalog(12, prefix="more")  # a write moves the catalog's version: counted again
    with CaptureQueriesContext(connection) as after:
        shown = page_facets(client.get("/therapies/?condition_category=cancer"))
    assert len(grouped(after.captured_queries)) == len(THERAPY_FACETS)
    assert shown["therapy_class"]["more-class"][1] == 12


def test_facet_counts_are_cached_by_the_other_filters_values_not_how_they_are_written(
    client, make_catalog
):
    """The key is the other filters' values as the form cleaned them: a record typed by name or
    by slug, or another sort, reads the same counts; a filter added counts again every facet
    but its own (whose other filters did not change)."""
    make_catalog(30)
    first = page_facets(client.get("/therapies/?condition=synth-parent"))
    with CaptureQueriesContext(connection) as same:
        again = page_facets(client.get("/therapies/?condition=Synth+parent&ordering=-name"))
    assert grouped(same.captured_queries) == []
    assert again == first
    with CaptureQueriesContext(connection) as other:
        shown = page_facets(client.get("/therapies/?condition=synth-parent&action=targets"))
    assert len(grouped(other.captured_queries)) == len(THERAPY_FACETS) - 1  # not the action's
    assert shown["action"] == first["action"] | {
        "targets": (shown["action"]["targets"][0], 0, True, True)
    }
    assert "therapy_class" not in shown or "synth-class" not in shown["therapy_class"]


def test_the_apis_written_facets_follow_the_selection_and_the_catalog_version(client, make_catalog):
    """The API writes each facet's options once per catalog version and query: a facet's own
    value (which it marks selected) is part of that query, a write starts again, and the
    indented response reads the same options back."""
    make_catalog(30)
    query = "condition_category=cancer"
    plain = api_facets(client, "therapies", query, ["action"])
    assert not any(selected for _label, _n, selected in plain["action"].values())
    chosen = api_facets(client, "therapies", f"{query}&action=targets", ["action"])
    assert chosen["action"]["targets"][2] is True
    assert {v: (label, n) for v, (label, n, _s) in chosen["action"].items() if n} == {
        v: (label, n) for v, (label, n, _s) in plain["action"].items()
    }
    assert api_facets(client, "therapies", query, ["action"]) == plain  # not the selected one
    indented = client.get(
        f"{API}therapies/?{query}&facets=therapy_class", HTTP_ACCEPT="application/json; indent=4"
    )
    assert b'\n    "facets": {' in indented.content
    compact = client.get(f"{API}therapies/?{query}&facets=therapy_class")
    assert indented.json()["facets"] == compact.json()["facets"]
    assert (
        "more-class"
        not in api_facets(client, "therapies", query, ["therapy_class"])["therapy_class"]
    )
    make_catalog(12, prefix="more")  # a write moves the catalog's version
    after = api_facets(client, "therapies", query, ["therapy_class"])
    assert after["therapy_class"]["more-class"][1] == 12


def test_the_schema_documents_the_facets_parameter_and_field():
    spec = SchemaGenerator().get_schema(request=None, public=True)
    operation = spec["paths"]["/api/v1/therapies/"]["get"]
    (parameter,) = [p for p in operation["parameters"] if p["name"] == "facets"]
    assert parameter["schema"]["pattern"].startswith("^(therapy_class|condition|")
    assert "Unknown facet" not in parameter["description"]  # it says what is allowed
    assert "therapy_class, condition, condition_category, action" in parameter["description"]
    glossary = spec["paths"]["/api/v1/glossary/"]["get"]
    assert "facets" not in [p["name"] for p in glossary["parameters"]]


def bench_row(key, ratio):
    return {
        "key": key,
        "title": key,
        "ratio": ratio,
        "probe_status": 200,
        "warmup_statuses": ["200"],
        "queries": 3,
        "requests": 100,
    }


def test_the_benchmark_measures_the_list_with_facets_against_the_same_list_without(client):
    from bench import probe, targets

    picks = {
        "parent_condition": "rheumatoid-arthritis",
        "therapy_class": "anti-tnf-therapy",
        "therapy": "rituximab",
        "search_q": "ritux",
        "deep_page": 1,
    }
    pages = {key: path for key, _, path in probe.pages(picks)}
    keys = list(pages)
    assert keys.index("facets") + 1 == keys.index("api_filtered")  # measured one after the other
    assert pages["facets"] == f"{pages['api_filtered']}&facets={probe.FACETS}"
    response = client.get(pages["facets"])
    assert response.status_code == 200 and set(response.json()["facets"]) == set(THERAPY_FACETS)
    for ratio, passed in [(0.3, True), (0.2, False)]:
        result = {"rows": [bench_row("facets", ratio), bench_row("api_filtered", 0.35)]}
        result["worker_memory"] = {}
        (target,) = [t for t in targets.evaluate(result) if t["key"] == "facets"]
        assert target["target"] == "≥ 0.8x the same list without"
        assert target["pass"] is passed
        assert target["show"] == f"{ratio / 0.35:.2f}x without facets"


# --- the property: page == API == brute force ---------------------------------------------

CLASSES = ["anti-tnf-therapy", "monoclonal-antibodies", "interleukins", "interferons"]
CONDITIONS = ["rheumatoid-arthritis", "psoriasis", "lymphoma", "breast-cancer", "leukemia"]
queries = st.fixed_dictionaries(
    {},
    optional={
        "therapy_class": st.lists(st.sampled_from(CLASSES), min_size=1, max_size=2, unique=True),
        "condition": st.lists(st.sampled_from(CONDITIONS), min_size=1, max_size=2, unique=True),
        "condition_category": st.lists(
            st.sampled_from(ConditionCategory.values), min_size=1, max_size=2, unique=True
        ),
        "action": st.lists(
            st.sampled_from(["stimulates", "targets", "suppresses", "enhances"]),
            min_size=1,
            max_size=2,
            unique=True,
        ),
        "q": st.sampled_from(["ritux", "inter", "Humira", "zzz"]).map(lambda q: [q]),
    },
)


@pytest.mark.fuzz
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(chosen=queries)
def test_page_api_and_brute_force_counts_agree_for_any_filters(client, chosen):
    query = urlencode([(name, ",".join(values)) for name, values in chosen.items()])
    shown = page_facets(client.get(f"/therapies/?{query}"))
    given_ = api_facets(client, "therapies", query, THERAPY_FACETS)
    for name in THERAPY_FACETS:
        for value, (_, count, selected) in given_[name].items():
            assert count == brute_force(filters.TherapyFilter, query, name, value), (name, value)
            assert selected == (value in chosen.get(name, []))
        for value, (label, count, selected, greyed) in shown.get(name, {}).items():
            assert given_[name][value] == (label, count, selected)
            assert greyed == (count == 0)
        if name not in TYPED_FACETS:
            assert set(shown.get(name, {})) == set(given_[name])
        # Every option with results is offered (none dropped), and every selected one.
        model_filter = filters.TherapyFilter.base_filters[name]
        options = (
            [v for v, _ in model_filter.extra["choices"]]
            if name not in TYPED_FACETS
            else list(model_filter.queryset.values_list("slug", flat=True))
        )
        for value in options:
            expected = brute_force(filters.TherapyFilter, query, name, value)
            if expected or value in chosen.get(name, []):
                assert given_[name][value][1] == expected, (name, value)
            else:
                assert value not in given_[name], (name, value)
