"""List rows (catalog/models/rows.py) and what is made of them: every API list item reads exactly
as the record's detail does, field by field (pages, cursor pages and JSON Lines exports alike, as
the public and as an editor who sees drafts), the downloads hold what the pages list, and the
pages print what the rows hold (the glossary's citations publisher first, as everywhere)."""

import csv
import datetime
import html
import io
import json
import re

import pytest
from django.contrib.auth.models import Group, User
from django.utils import timezone
from rest_framework.renderers import JSONRenderer

from catalog.api.serializers import IndicationSerializer
from catalog.models import (
    Condition,
    GlossaryTerm,
    Indication,
    Source,
    Therapy,
    TherapyClass,
    TherapyName,
)

from .helpers import listed_slugs, page_text

pytestmark = pytest.mark.django_db

API = "/api/v1/"
WITH_DETAIL = [
    "therapies",
    "therapy-classes",
    "conditions",
    "sources",
    "modifier-roles",
    "glossary",
]


def body(response):
    assert response.status_code == 200, response.content[:300]
    return b"".join(response.streaming_content) if response.streaming else response.content


def walk(client, url):
    """Every item of a list, following `next` (page numbers or cursors)."""
    items = []
    while url:
        page = json.loads(body(client.get(url)))
        items += page["results"]
        url = page["next"]
    return items


def jsonl(client, url):
    return [json.loads(line) for line in body(client.get(url)).decode().splitlines()]


def as_json(data):
    """What the client receives: the JSON text, read back."""
    return json.loads(JSONRenderer().render(data))


def assert_reads_the_same(item, detail, where):
    """The same fields, in the same order, with the same values (nested keys in order too)."""
    assert list(item) == list(detail), where
    for name, value in detail.items():
        assert item[name] == value, f"{where}: {name}"
    assert json.dumps(item) == json.dumps(detail), where


@pytest.fixture
def varied(article):
    """Records that exercise every kind of value: a draft therapy with names of three kinds,
    two sources (one without a web address) and a qualified indication with a note; a therapy
    published a moment ago (microseconds) and reviewed by someone; a draft sub-condition
    (hidden from its parent's children for the public)."""
    print_source = Source.objects.create(
        slug="print-only", title="A printed leaflet", publisher="Clinic", url=""
    )
    therapy = Therapy.objects.create(
        slug="draftumab",
        name="Draftumab",
        summary="Not ready.",
        description="Longer text, with “quotes” & <angle brackets>.",
        therapy_class=TherapyClass.objects.get(slug="monoclonal-antibodies"),
    )
    therapy.sources.add(article, print_source)
    for name, kind in [("Sekretin", "brand"), ("Alpha", "brand"), ("DMB", "abbreviation")]:
        TherapyName.objects.create(therapy=therapy, name=name, kind=kind)
    indication = Indication.objects.create(
        therapy=therapy,
        condition=Condition.objects.get(slug="rheumatoid-arthritis"),
        qualifier="may-help",
        note="advanced disease",
        status="published",
        published_at=timezone.now(),
    )
    indication.sources.add(print_source, article)
    fresh = Therapy.objects.get(slug="rituximab")
    fresh.published_at = timezone.now()
    fresh.reviewed_by = "A. Smith, MD"
    fresh.last_reviewed = datetime.date(2025, 2, 3)
    fresh.save()
    Condition.objects.create(
        slug="melanoma-draft-stage",
        name="Melanoma, draft stage",
        summary="s",
        category="cancer",
        parent=Condition.objects.get(slug="melanoma"),
    )
    return therapy


@pytest.fixture(params=["public", "editor"])
def viewer(request, client):
    """The test client as the public, or as an editor (who sees drafts)."""
    client.sees_drafts = request.param == "editor"
    if client.sees_drafts:
        editor = User.objects.create_user("editor", password="x", is_staff=True)
        editor.groups.add(Group.objects.get(name="Editors"))
        client.force_login(editor)
    return client


@pytest.mark.parametrize("name", WITH_DETAIL)
def test_every_list_item_reads_as_its_detail(viewer, varied, name):
    """For every record: its item on the list pages, on the cursor pages and in the JSON Lines
    export is its detail GET's body, field by field."""
    listed = walk(viewer, f"{API}{name}/?page_size=7")
    assert len(listed) > 3
    if name == "therapies":
        assert ("draftumab" in [item["slug"] for item in listed]) == viewer.sees_drafts
    by_cursor = {item["slug"]: item for item in walk(viewer, f"{API}{name}/?cursor=&page_size=7")}
    exported = {item["slug"]: item for item in jsonl(viewer, f"{API}{name}/?format=jsonl")}
    assert list(by_cursor) != [] and set(by_cursor) == set(exported) == {i["slug"] for i in listed}
    for item in listed:
        detail = json.loads(body(viewer.get(f"{API}{name}/{item['slug']}/")))
        assert_reads_the_same(item, detail, f"{name} {item['slug']}")
        assert_reads_the_same(by_cursor[item["slug"]], detail, f"{name} {item['slug']} (cursor)")
        assert_reads_the_same(exported[item["slug"]], detail, f"{name} {item['slug']} (export)")


@pytest.mark.parametrize(
    ("name", "fields"),
    [
        ("therapies", "sources,slug,therapy_class,published_at"),
        ("conditions", "children,parent,category_label"),
        ("glossary", "html_url,slug"),
    ],
)
def test_selected_fields_read_as_in_the_detail(client, varied, name, fields):
    details = walk(client, f"{API}{name}/?page_size=100")
    items = walk(client, f"{API}{name}/?fields={fields}&page_size=100")
    assert len(items) == len(details)
    for item, full in zip(items, details, strict=True):
        detail = json.loads(body(client.get(f"{API}{name}/{full['slug']}/?fields={fields}")))
        assert_reads_the_same(item, detail, f"{name} {full['slug']}")


def test_every_indication_reads_as_the_serializer_gives_it(viewer, varied):
    """Indications have no detail: each item is what the serializer gives the record."""
    listed = walk(viewer, f"{API}indications/?page_size=9")
    exported = jsonl(viewer, f"{API}indications/?format=jsonl")
    assert exported == listed and any(item["therapy"] is None for item in listed)
    records = Indication.objects.for_display()
    for item in listed:
        subject = item["therapy"] or item["therapy_class"]
        level = "therapy" if item["therapy"] else "therapy_class"
        record = records.get(
            **{f"{level}__slug": subject["slug"]}, condition__slug=item["condition"]["slug"]
        )
        detail = as_json(IndicationSerializer(record).data)
        assert_reads_the_same(item, detail, str(record))


# --- the downloads hold what the pages list --------------------------------------------------

EXPORT_LINK = re.compile(r'<a href="([^"]+)" type="(text/csv|application/jsonl)" download>')
RESULT = re.compile(r'<li class="result">(.*?)</li>\s*(?=<li class="result">|</ul>)', re.S)


def every_page(client, url):
    """The rows' HTML of every page of a list, and its download links."""
    response = client.get(url)
    html = response.content.decode()
    links = {kind: href.replace("&amp;", "&") for href, kind in EXPORT_LINK.findall(html)}
    rows, slugs, number = [], [], 1
    while True:
        rows += RESULT.findall(html)
        slugs += listed_slugs(response)
        if 'rel="next"' not in html:
            return rows, slugs, links
        number += 1
        response = client.get(f"{url}{'&' if '?' in url else '?'}page={number}")
        html = response.content.decode()


def text(fragment):
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


@pytest.mark.parametrize(
    "url",
    [
        "/therapies/",
        "/therapies/?condition=rheumatoid-arthritis,psoriasis&ordering=-name",
        "/therapies/?therapy_class=synth-class&ordering=class",
        "/conditions/?category=cancer",
        "/classes/?ordering=-name",
    ],
)
def test_downloads_hold_what_the_pages_list(client, make_catalog, url):
    """The page's "Download CSV" and "Download JSON": every row the pages list, in the same
    order, each showing what its page row shows."""
    make_catalog(45)  # three pages of therapies
    rows, slugs, links = every_page(client, url)
    assert len(slugs) > 3
    exported = jsonl(client, links["application/jsonl"])
    assert [item["slug"] for item in exported] == slugs
    table = list(csv.DictReader(io.StringIO(body(client.get(links["text/csv"])).decode())))
    assert [row["slug"] for row in table] == slugs
    assert [row["name"] for row in table] == [item["name"] for item in exported]
    for row, item in zip(rows, exported, strict=True):
        shown = text(row)
        assert item["name"] in shown and item["summary"] in shown
        if "brand_names" in item:
            brands = ", ".join(item["brand_names"])
            assert (f"({brands})" in shown) == bool(brands)
            assert f"Class: {item['therapy_class']['name']}" in shown
            conditions = ", ".join(i["condition"]["name"] for i in item["indications"])
            assert (f"Used for: {conditions}" in shown) == bool(conditions)
        if "category_label" in item:
            assert item["category_label"] in shown
            assert (item["parent"] is not None) == ("a kind of" in shown)
        if "action_label" in item:
            assert item["action_label"] in shown


def test_the_glossary_download_holds_its_terms(client, article):
    html = client.get("/glossary/").content.decode()
    terms = re.findall(r'<dt id="([\w-]+)">', html)
    link = dict((kind, href) for href, kind in EXPORT_LINK.findall(html))["application/jsonl"]
    assert (
        [item["slug"] for item in jsonl(client, link)]
        == terms
        == list(GlossaryTerm.objects.values_list("slug", flat=True))
    )


def test_the_glossary_cites_publisher_then_title(client, article):
    """As every other citation on the site ("Drugs.com, “Immunotherapy”"): the page's rows
    name each source's fields, whatever their order in the model."""
    shown = page_text(client.get("/glossary/"))
    assert "Source: Drugs.com, “Immunotherapy”" in shown
    assert "Immunotherapy, “Drugs.com”" not in shown
    term = GlossaryTerm.objects.get(slug="antigen")
    term.sources.add(Source.objects.create(slug="z", title="Antigens", publisher="NCI"))
    herceptin = (
        "Genentech, Inc.; label on DailyMed, “HERCEPTIN (trastuzumab) prescribing information”"
    )
    # By title; the antigen's definition also cites the label that corrects the article (issue 14).
    assert f"Source: NCI, “Antigens”; {herceptin}; Drugs.com, “Immunotherapy”" in page_text(
        client.get("/glossary/?q=antigen")
    )


# --- the rows themselves ------------------------------------------------------------------------


def test_a_row_is_a_dict_of_what_lists_show(article):
    (row,) = Therapy.objects.filter(slug="rituximab").rows(
        "name", "url", "therapy_class", "brand_names", "indications"
    )
    assert type(row) is dict
    assert set(row) == {"pk", "name", "url", "therapy_class", "brand_names", "indications"}
    assert row["url"] == Therapy.objects.get(slug="rituximab").get_absolute_url()
    assert row["therapy_class"] == {
        "slug": "monoclonal-antibodies",
        "name": "Monoclonal antibodies",
        "action": "targets",
        "url": "/classes/monoclonal-antibodies/",
    }
    assert row["brand_names"] == ["Rituxan"]
    assert {i["condition"]["slug"] for i in row["indications"]} == {
        "non-hodgkins-lymphoma",
        "chronic-lymphocytic-leukemia",
        "rheumatoid-arthritis",
    }
    (term,) = GlossaryTerm.objects.filter(slug="antigen").rows("url", "sources")
    assert term["url"] == GlossaryTerm.objects.get(slug="antigen").get_absolute_url()
    # Its sources in the sources' order (by title): the corrected definition cites a label.
    assert term["sources"] == [
        {
            "slug": "fda-label-herceptin",
            "publisher": "Genentech, Inc.; label on DailyMed",
            "title": "HERCEPTIN (trastuzumab) prescribing information",
        },
        {"slug": "drugscom-immunotherapy", "publisher": "Drugs.com", "title": "Immunotherapy"},
    ]


def test_an_unknown_row_key_is_an_error(db):
    with pytest.raises(ValueError, match="Therapy rows have no colour"):
        Therapy.objects.rows("name", "colour")


def test_rows_read_by_their_keys_are_the_rows_of_the_list(article):
    """`rows_of()` (SQL compiled once per process) gives the same rows as the list's own
    query, in the order of the keys asked for; a key that is not there is left out."""
    keys = ("slug", "name", "url", "brand_names", "therapy_class", "summary", "indications")
    pks = list(Therapy.objects.order_by("-name").values_list("pk", flat=True))
    expected = {row["pk"]: row for row in Therapy.objects.rows(*keys)}
    assert Therapy.objects.rows_of([*pks, 10**9], keys) == [expected[pk] for pk in pks]
    assert Therapy.objects.rows_of([], keys) == []


def test_a_use_going_live_later_shows_in_the_list_from_its_moment(client, article, time_machine):
    """The moment a row's query runs is put into the SQL compiled once, at every request: a
    use of rituximab scheduled for later is not on the therapy list's row a second before it
    goes live, and is at that moment, in the same process."""
    goes_live = timezone.now() + datetime.timedelta(days=2)
    use = Indication.objects.get(therapy__slug="rituximab", condition__slug="rheumatoid-arthritis")
    Indication.objects.filter(pk=use.pk).update(go_live_at=goes_live)

    def used_for():
        text = page_text(client.get("/therapies/?q=rituximab"))
        return "Rheumatoid arthritis" in text.split("Used for:", 1)[-1]

    time_machine.move_to(goes_live - datetime.timedelta(seconds=1), tick=False)
    assert not used_for()
    time_machine.move_to(goes_live, tick=False)
    assert used_for()


def test_the_home_pages_lists_follow_the_clock_and_every_edit(client, article, time_machine):
    """The home page's lists run SQL compiled once per process (`fixed_rows`): a class
    scheduled for later is not listed a second before it goes live and is at that moment, and
    a condition unpublished is gone from the next request."""
    goes_live = timezone.now() + datetime.timedelta(days=3)
    TherapyClass.objects.filter(slug="interferons").update(go_live_at=goes_live)

    def listed():
        return page_text(client.get("/")).split("Browse by condition", 1)

    time_machine.move_to(goes_live - datetime.timedelta(seconds=1), tick=False)
    classes, conditions = listed()
    assert "Interferons" not in classes and "Monoclonal antibodies" in classes
    assert "Rheumatoid arthritis" in conditions
    time_machine.move_to(goes_live, tick=False)
    assert "Interferons" in listed()[0]
    Condition.objects.filter(slug="rheumatoid-arthritis").update(status="draft")
    assert "Rheumatoid arthritis" not in listed()[1]
