"""What changed on the public pages: a detail page's "What changed" section (the latest few,
linked to the record's full "What changed" page), the site-wide "What's new" page, paginated,
and its Atom feed, read by a real feed parser; all through the page cache, which a publish
refreshes; a bounded number of queries at any size."""

import datetime
import html
import re

import feedparser
import pytest
from django.urls import reverse

from catalog.models import Indication, Therapy, TherapyName
from catalog.views import RECENT_CHANGES
from catalog.views.changes import WHATS_NEW_PAGE_SIZE

from .helpers import make_reviewer, page_text, review

pytestmark = pytest.mark.django_db


def rituximab():
    return Therapy.objects.get(slug="rituximab")


def add_brand(therapy, name):
    therapy.summary += " More."
    therapy.save()  # the record, then its inline rows, as the admin saves them
    TherapyName.objects.create(therapy=therapy, name=name, kind="brand")


def section(response, marker='id="changes"'):
    html = response.content.decode()
    return html.split(marker, 1)[1].split("</section>", 1)[0]


def listed(content):
    """The entries of a list of changes, as text."""
    items = re.findall(r"<li id=\"change-[^\"]+\">(.*?)</li>", content, flags=re.S)
    return [" ".join(html.unescape(re.sub(r"<[^>]+>", "", item)).split()) for item in items]


def test_a_detail_page_shows_the_latest_changes_and_links_to_them_all(client, seeded_history):
    therapy = rituximab()
    for number in range(RECENT_CHANGES + 1):
        add_brand(therapy, f"Brand{number}")
    html = section(client.get("/therapies/rituximab/"))
    entries = listed(html)
    assert len(entries) == RECENT_CHANGES
    assert entries[0].endswith("— summary rewritten; added the brand name Brand3")
    today = datetime.date.today()
    assert f'<time datetime="{today:%Y-%m-%d}' in html
    assert f"{today.day} {today:%B %Y} —" in entries[0]
    assert '<a href="/therapies/rituximab/changes/">Every change to Rituximab</a>' in html

    page = client.get("/therapies/rituximab/changes/")
    assert page.status_code == 200
    assert "<h1>What changed: Rituximab</h1>" in page.content.decode()
    everything = listed(page.content.decode())
    assert len(everything) == RECENT_CHANGES + 2  # and the first publication
    assert everything[:RECENT_CHANGES] == entries
    assert everything[-1].endswith("— first published")


def test_a_detail_pages_what_changed_is_read_once_per_version_and_never_stale(
    client, seeded_history
):
    """The section is kept under the catalog's version: a second render reads no history,
    and the next publish shows at once."""
    from django.core.cache import caches
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    HISTORY = 'SELECT "catalog_historical'  # a query of a history table, not a subquery
    with CaptureQueriesContext(connection) as cold:
        first = client.get("/therapies/rituximab/")
    caches["pages"].clear()  # rendered again, not the page cache's copy
    with CaptureQueriesContext(connection) as warm:
        second = client.get("/therapies/rituximab/")
    assert listed(section(second)) == listed(section(first))
    history = [q["sql"] for q in warm.captured_queries if q["sql"].startswith(HISTORY)]
    assert history == []
    assert len(warm.captured_queries) <= len(cold.captured_queries) - 5

    add_brand(rituximab(), "Brandnew")
    entries = listed(section(client.get("/therapies/rituximab/")))
    assert entries[0].endswith("— summary rewritten; added the brand name Brandnew")


def test_class_and_condition_pages_have_their_changes_too(client, seeded_history):
    use = Indication.objects.get(therapy__slug="rituximab", condition__slug="rheumatoid-arthritis")
    use.note = "only after methotrexate"
    use.save()
    condition = section(client.get("/conditions/rheumatoid-arthritis/"))
    assert "uses: Rituximab now " in listed(condition)[0]
    assert "only after methotrexate'" in listed(condition)[0]
    page = client.get("/classes/monoclonal-antibodies/changes/")
    assert listed(page.content.decode())[-1].endswith("— first published")
    assert "What changed: Monoclonal antibodies" in page_text(page)


def test_a_draft_records_changes_page_is_a_404(client, seeded_history):
    therapy = rituximab()
    therapy.unpublish()
    therapy.save()
    response = client.get("/therapies/rituximab/changes/")
    assert response.status_code == 404
    assert "There is no page at" in page_text(response)


def test_whats_new_lists_the_sites_changes_newest_first_with_names(client, seeded_history):
    add_brand(rituximab(), "MabThera")
    review(rituximab(), make_reviewer(), datetime.date(2026, 12, 3))
    response = client.get("/whats-new/")
    html = response.content.decode()
    assert (
        '<link rel="alternate" type="application/atom+xml" title="What\'s new (Atom feed)" '
        'href="/whats-new/feed/">' in html
    )
    entries = listed(html)
    assert entries[0].endswith("— Rituximab: medically reviewed by Jane Doe, MD, rheumatology")
    assert entries[1].endswith("— Rituximab: summary rewritten; added the brand name MabThera")
    assert '<a href="/therapies/rituximab/">Rituximab</a>: summary rewritten' in html
    assert len(entries) == WHATS_NEW_PAGE_SIZE
    assert "Page 1 of " in page_text(response)
    assert '<a href="/whats-new/">What\'s new</a>' in html  # in every page's footer


def test_whats_new_answers_a_bad_page_with_a_400_and_its_reason(client, seeded_history):
    response = client.get("/whats-new/?page=two")
    assert response.status_code == 400
    assert "The page must be a whole number from 1." in page_text(response)
    assert client.get("/whats-new/?page=999").status_code == 404


def test_the_feed_is_valid_atom_with_the_pages_wording(client, seeded_history):
    add_brand(rituximab(), "MabThera")
    response = client.get("/whats-new/feed/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    feed = feedparser.parse(response.content)
    assert feed.bozo is False, feed.get("bozo_exception")
    assert feed.version == "atom10"
    assert feed.feed.title == "What's new · immunosite"
    assert feed.feed.link == "http://testserver/whats-new/"
    newest = feed.entries[0]
    assert newest.title == "Rituximab: summary rewritten; added the brand name MabThera"
    assert newest.link.startswith("http://testserver/therapies/rituximab/changes/#change-")
    assert newest.id == newest.link
    assert newest.updated_parsed is not None
    # The same wording as the page, and the same ids on the next request.
    anchor = newest.link.split("#")[1]
    page = client.get("/therapies/rituximab/changes/").content.decode()
    assert f'<li id="{anchor}">' in page
    assert "summary rewritten; added the brand name MabThera" in listed(page)[0]
    again = feedparser.parse(client.get("/whats-new/feed/").content)
    assert [e.id for e in again.entries] == [e.id for e in feed.entries]


def test_whats_new_and_its_feed_update_through_the_page_cache_after_a_publish(
    client, seeded_history, django_assert_num_queries
):
    therapy = rituximab()
    therapy.unpublish()
    therapy.save()
    therapy.summary = "Rewritten while a draft."
    therapy.save()
    before = client.get("/whats-new/")
    feed_before = client.get("/whats-new/feed/")
    for url, first in [("/whats-new/", before), ("/whats-new/feed/", feed_before)]:
        with django_assert_num_queries(1):  # a hit: the catalog's version only
            assert client.get(url).content == first.content
    assert "Rewritten" not in before.content.decode()
    assert "Rituximab: summary rewritten" not in page_text(before)

    therapy.publish()
    therapy.save()  # moves the catalog's version
    after = client.get("/whats-new/")
    assert after.templates  # rendered again, not the cached copy
    assert listed(after.content.decode())[0].endswith(
        "— Rituximab: withdrawn on " + f"{datetime.date.today():%-d %B %Y}"
        " and published again; summary rewritten"
    )
    feed = feedparser.parse(client.get("/whats-new/feed/").content)
    assert feed.entries[0].title.startswith("Rituximab: withdrawn on ")


@pytest.mark.parametrize("size", [3, 30])
@pytest.mark.parametrize(
    "url",
    [
        "/whats-new/",
        "/whats-new/feed/",
        "/therapies/synth-00000/changes/",
        "/classes/synth-class/changes/",
        "/conditions/synth-parent/changes/",
    ],
)
def test_change_pages_use_a_bounded_number_of_queries(
    client, make_catalog, django_assert_max_num_queries, size, url
):
    """The catalog's version, the record (on its own page), then one query for the kind's
    versions, one per kind of child and one for the sources their versions cite (the record's,
    its uses' and its sections', in one UNION ALL), and the versions of the records its uses
    name at their other end (and of their classes or parents). What's new and the feed first
    find each kind's records changed last (one query per history: the kind's and its
    children's; two per kind for the moves in or out of view of classes, parents and the
    records at uses' other ends, and one per relation followed when one moved: at most 46 in
    tests/test_changes.py), then read those records and their versions, sources and
    children's: the same number at every size."""
    make_catalog(size)
    from catalog.history import populate_initial_history

    populate_initial_history()
    for therapy in Therapy.objects.filter(slug__startswith="synth-")[:size]:
        TherapyName.objects.create(therapy=therapy, name=f"{therapy.name} X", kind="brand")
    bound = 46 if "whats-new" in url else 12
    with django_assert_max_num_queries(bound):
        response = client.get(url)
    assert response.status_code == 200, reverse("catalog:whats-new")


@pytest.mark.parametrize(
    "url", ["/therapies/rituximab/", "/classes/monoclonal-antibodies/", "/conditions/lymphoma/"]
)
def test_the_what_changed_section_costs_the_same_queries_however_many_changes(
    client, seeded_history, url
):
    """The section reads the record's versions, their sources and its children's in one query
    per kind and one for all the sources (5 for a therapy or a condition, 3 for a class), not one
    per change."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        client.get(url)
    therapy = rituximab()
    for number in range(8):
        add_brand(therapy, f"Brand{number}")
        use = Indication.objects.filter(therapy=therapy).first()
        use.note = f"note {number}"
        use.save()
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)
    assert response.status_code == 200
    assert "What changed" in page_text(response)
    assert len(many.captured_queries) == len(few.captured_queries)


def test_whats_new_is_in_the_sitemap_and_a_records_changes_sit_in_its_section(client):
    pages = client.get("/sitemap-pages.xml").content.decode()
    assert "<loc>http://testserver/whats-new/</loc>" in pages
    html = client.get("/therapies/rituximab/changes/").content.decode()
    assert '<a href="/therapies/" aria-current="true">Therapies</a>' in html
    trail = html.split('aria-label="Breadcrumb"', 1)[1].split("</nav>", 1)[0]
    assert '<a href="/therapies/rituximab/">Rituximab</a>' in trail
    assert "What changed" in trail
