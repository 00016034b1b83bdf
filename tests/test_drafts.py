"""Drafts are for editors: the public never sees a draft (or anything only a draft links to)
on any surface, pages, filters, API, exports or counts. Staff preview drafts."""

import csv
import io

import pytest
from django.contrib.auth.models import Group, User
from django.utils import timezone

from catalog.models import (
    Condition,
    Indication,
    SearchTerm,
    Therapy,
    TherapyClass,
    TherapyName,
)

from .helpers import api_slugs, listed_slugs, page_text

pytestmark = pytest.mark.django_db

PUBLIC_THERAPIES = 9


def set_status(model, slug, status):
    model.objects.filter(slug=slug).update(status=status)


@pytest.fixture
def draftumab(article):
    """A new draft therapy in a published class, with a brand name and a published indication
    for a published condition: only the therapy itself is a draft."""
    therapy = Therapy.objects.create(
        slug="draftumab",
        name="Draftumab",
        summary="Not ready.",
        therapy_class=TherapyClass.objects.get(slug="monoclonal-antibodies"),
    )
    assert therapy.status == "draft"
    therapy.sources.add(article)
    TherapyName.objects.create(therapy=therapy, name="Sekretin", kind="brand")
    SearchTerm.objects.index([therapy])  # as the admin and the API do after a save
    indication = Indication.objects.create(
        therapy=therapy,
        condition=Condition.objects.get(slug="rheumatoid-arthritis"),
        status="published",
        published_at=timezone.now(),
    )
    indication.sources.add(article)
    return therapy


@pytest.fixture
def staff(db):
    return User.objects.create_user("staffer", password="x", is_staff=True)


@pytest.fixture
def editor(db):
    user = User.objects.create_user("editor", password="x", is_staff=True)
    user.groups.add(Group.objects.get(name="Editors"))
    return user


def csv_slugs(response):
    assert response.status_code == 200
    content = b"".join(response.streaming_content).decode()
    return [row["slug"] for row in csv.DictReader(io.StringIO(content))]


# A draft therapy


def test_draft_therapy_page_is_404(client, draftumab):
    assert client.get("/therapies/draftumab/").status_code == 404


@pytest.mark.parametrize(
    "query", ["", "?q=Sekretin", "?q=Draftumab", "?condition=rheumatoid-arthritis"]
)
def test_draft_therapy_is_not_listed(client, draftumab, query):
    response = client.get(f"/therapies/{query}")
    assert response.status_code == 200
    assert "draftumab" not in listed_slugs(response)
    assert "(Sekretin)" not in response.content.decode()


def test_draft_therapy_is_not_counted(client, draftumab):
    text = page_text(client.get("/therapies/"))
    assert f"{PUBLIC_THERAPIES} therapies found." in text
    assert "0 therapies found." in page_text(client.get("/therapies/?q=Sekretin"))
    body = client.get("/api/v1/therapies/").json()
    assert body["count"] == PUBLIC_THERAPIES
    assert client.get("/api/v1/therapies/?q=Sekretin").json()["count"] == 0


def test_draft_therapy_is_absent_from_related_pages(client, draftumab):
    for url in ["/classes/monoclonal-antibodies/", "/conditions/rheumatoid-arthritis/", "/"]:
        response = client.get(url)
        assert response.status_code == 200, url
        content = response.content.decode()
        assert "draftumab" not in content and "Draftumab" not in content, url
        assert "Sekretin" not in content, url


def test_draft_therapy_is_absent_from_the_api(client, draftumab):
    assert "draftumab" not in api_slugs(client.get("/api/v1/therapies/?page_size=100"))
    response = client.get("/api/v1/therapies/draftumab/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    indications = client.get("/api/v1/indications/?condition=rheumatoid-arthritis&page_size=100")
    subjects = [(i["therapy"] or i["therapy_class"])["slug"] for i in indications.json()["results"]]
    assert "draftumab" not in subjects and "rituximab" in subjects


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/conditions/?therapy=draftumab",
        "/api/v1/indications/?therapy=draftumab",
        "/conditions/?therapy=draftumab",
    ],
)
def test_draft_therapy_is_an_unknown_filter_choice(client, draftumab, url):
    response = client.get(url)
    assert response.status_code == 400
    if url.startswith("/api/"):
        names = [p["name"] for p in response.json()["invalid_params"]]
        assert names == ["therapy"]


def test_draft_therapy_is_not_exported(client, draftumab):
    slugs = csv_slugs(client.get("/api/v1/therapies/?format=csv"))
    assert len(slugs) == PUBLIC_THERAPIES and "draftumab" not in slugs
    response = client.get("/api/v1/indications/?format=csv")
    assert "draftumab" not in b"".join(response.streaming_content).decode()


def test_publishing_the_draft_shows_it_everywhere(client, draftumab):
    draftumab.publish()
    draftumab.save()
    assert client.get("/therapies/draftumab/").status_code == 200
    assert "draftumab" in listed_slugs(client.get("/therapies/?q=Sekretin"))
    assert "draftumab" in listed_slugs(client.get("/therapies/?condition=rheumatoid-arthritis"))
    assert "Draftumab" in page_text(client.get("/conditions/rheumatoid-arthritis/"))
    assert client.get("/api/v1/therapies/").json()["count"] == PUBLIC_THERAPIES + 1


# A draft class hides its therapies


def test_draft_class_hides_itself_and_its_therapies(client):
    set_status(TherapyClass, "monoclonal-antibodies", "draft")
    members = {"rituximab", "tocilizumab", "trastuzumab"}
    assert client.get("/classes/monoclonal-antibodies/").status_code == 404
    assert "monoclonal-antibodies" not in listed_slugs(client.get("/classes/"))
    for slug in members:
        assert client.get(f"/therapies/{slug}/").status_code == 404
        assert client.get(f"/api/v1/therapies/{slug}/").status_code == 404
    assert not members & set(listed_slugs(client.get("/therapies/")))
    assert not members & set(api_slugs(client.get("/api/v1/therapies/?page_size=100")))
    assert not members & set(csv_slugs(client.get("/api/v1/therapies/?format=csv")))
    assert client.get("/api/v1/therapies/").json()["count"] == PUBLIC_THERAPIES - 3
    assert "/classes/monoclonal-antibodies/" not in client.get("/").content.decode()
    # Its class-level indications go too, and the rheumatoid arthritis page names none of it.
    page = client.get("/conditions/rheumatoid-arthritis/").content.decode()
    assert "/classes/monoclonal-antibodies/" not in page
    assert "/therapies/rituximab/" not in page and "/therapies/adalimumab/" in page
    assert client.get("/api/v1/therapies/?therapy_class=monoclonal-antibodies").status_code == 400
    assert client.get("/api/v1/therapy-classes/monoclonal-antibodies/").status_code == 404


# A draft condition hides itself, its sub-conditions and the indications to them


def test_draft_condition_hides_itself_its_children_and_their_indications(client):
    set_status(Condition, "lymphoma", "draft")
    hidden = {"lymphoma", "non-hodgkins-lymphoma"}
    for slug in hidden:
        assert client.get(f"/conditions/{slug}/").status_code == 404
        assert client.get(f"/api/v1/conditions/{slug}/").status_code == 404
        assert client.get(f"/therapies/?condition={slug}").status_code == 400
        assert client.get(f"/api/v1/indications/?condition={slug}").status_code == 400
    assert not hidden & set(listed_slugs(client.get("/conditions/?page=1")))
    assert not hidden & set(api_slugs(client.get("/api/v1/conditions/?page_size=100")))
    assert not hidden & set(csv_slugs(client.get("/api/v1/conditions/?format=csv")))
    home = client.get("/").content.decode()
    assert "/conditions/lymphoma/" not in home and "/conditions/non-hodgkins-lymphoma/" not in home
    # Rituximab keeps its published CLL indication and loses the lymphoma one.
    page = client.get("/therapies/rituximab/").content.decode()
    assert "/conditions/chronic-lymphocytic-leukemia/" in page
    assert "lymphoma" not in page.split("<table", 1)[1].lower()
    body = client.get("/api/v1/therapies/rituximab/").json()
    assert "non-hodgkins-lymphoma" not in {i["condition"]["slug"] for i in body["indications"]}
    interferons = client.get("/classes/interferons/").content.decode()
    assert "/conditions/lymphoma/" not in interferons
    indications = client.get("/api/v1/indications/?page_size=100").json()["results"]
    assert not hidden & {i["condition"]["slug"] for i in indications}


def test_draft_child_condition_hides_only_itself(client):
    set_status(Condition, "crohns-disease", "draft")
    assert client.get("/conditions/crohns-disease/").status_code == 404
    parent = client.get("/conditions/inflammatory-bowel-disease/")
    assert parent.status_code == 200
    content = parent.content.decode()
    assert "/conditions/ulcerative-colitis/" in content
    assert "/conditions/crohns-disease/" not in content
    children = client.get("/api/v1/conditions/inflammatory-bowel-disease/").json()["children"]
    assert [c["slug"] for c in children] == ["ulcerative-colitis"]


# A draft indication between published records


def test_draft_indication_is_hidden(client):
    Indication.objects.filter(therapy__slug="trastuzumab", condition__slug="breast-cancer").update(
        status="draft"
    )
    assert client.get("/therapies/trastuzumab/").status_code == 200
    assert (
        "/conditions/breast-cancer/" not in client.get("/therapies/trastuzumab/").content.decode()
    )
    assert (
        "/therapies/trastuzumab/" not in client.get("/conditions/breast-cancer/").content.decode()
    )
    assert client.get("/api/v1/therapies/trastuzumab/").json()["indications"] == []
    assert client.get("/api/v1/indications/?condition=breast-cancer").json()["count"] == 0
    assert client.get("/api/v1/indications/?therapy=trastuzumab").json()["count"] == 0
    # That was trastuzumab's only link to breast cancer: the filters no longer pair them.
    assert "trastuzumab" not in listed_slugs(client.get("/therapies/?condition=breast-cancer"))
    assert api_slugs(client.get("/api/v1/therapies/?condition=breast-cancer")) == []
    assert api_slugs(client.get("/api/v1/conditions/?therapy=trastuzumab")) == []
    assert "trastuzumab" not in listed_slugs(client.get("/therapies/?condition_category=cancer"))


# Staff previews


@pytest.mark.parametrize(
    ("model", "slug", "url"),
    [
        (Therapy, "rituximab", "/preview/therapies/rituximab/"),
        (TherapyClass, "interferons", "/preview/classes/interferons/"),
        (Condition, "lymphoma", "/preview/conditions/lymphoma/"),
    ],
)
def test_staff_preview_shows_drafts(client, staff, model, slug, url):
    set_status(model, slug, "draft")
    assert client.get(url.replace("/preview", "")).status_code == 404
    anonymous = client.get(url)
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith("/admin/login/")
    client.force_login(staff)
    response = client.get(url)
    assert response.status_code == 200
    assert "This is a draft" in page_text(response)
    assert response.context["preview"] is True


def test_preview_of_a_draft_therapy_shows_its_draft_indications(client, staff, draftumab):
    Indication.objects.filter(therapy=draftumab).update(status="draft")
    client.force_login(staff)
    response = client.get("/preview/therapies/draftumab/")
    assert response.status_code == 200
    assert "Sekretin" in page_text(response)
    assert "/conditions/rheumatoid-arthritis/" in response.content.decode()


def test_preview_of_a_published_record(client, staff):
    client.force_login(staff)
    response = client.get("/preview/therapies/rituximab/")
    assert response.status_code == 200
    assert "This record is published." in page_text(response)


def test_preview_is_for_staff_only(client, draftumab):
    user = User.objects.create_user("member", password="x")
    client.force_login(user)
    response = client.get("/preview/therapies/draftumab/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_preview_of_a_missing_record_is_404(client, staff):
    client.force_login(staff)
    assert client.get("/preview/therapies/no-such-therapy/").status_code == 404


# Editors see drafts in the API


def test_editors_see_drafts_in_the_api(client, editor, draftumab):
    set_status(Condition, "lymphoma", "draft")
    client.force_login(editor)
    body = client.get("/api/v1/therapies/?page_size=100").json()
    assert "draftumab" in api_slugs_of(body)
    assert body["count"] == PUBLIC_THERAPIES + 1
    detail = client.get("/api/v1/therapies/draftumab/")
    assert detail.status_code == 200
    assert detail.json()["status"] == "draft"
    assert detail.json()["brand_names"] == ["Sekretin"]
    assert "private" in detail["Cache-Control"]
    assert client.get("/api/v1/conditions/lymphoma/").status_code == 200
    # …and the public still does not, on the same URLs.
    client.logout()
    assert client.get("/api/v1/therapies/draftumab/").status_code == 404
    assert client.get("/api/v1/conditions/lymphoma/").status_code == 404


def test_users_without_change_permission_do_not_see_drafts(client, draftumab):
    reviewer = User.objects.create_user("reviewer", password="x", is_staff=True)
    reviewer.groups.add(Group.objects.get(name="Reviewers"))
    client.force_login(reviewer)
    assert client.get("/api/v1/therapies/draftumab/").status_code == 404
    assert client.get("/api/v1/therapies/").json()["count"] == PUBLIC_THERAPIES


def api_slugs_of(body):
    return [item["slug"] for item in body["results"]]


# Query counts stay bounded with drafts about


def add_drafts(make_catalog, n):
    therapy_class = make_catalog(n)
    # Every other therapy a draft, and one condition: the filters must not cost per row.
    drafts = Therapy.objects.filter(therapy_class=therapy_class).order_by("slug")[::2]
    Therapy.objects.filter(pk__in=[t.pk for t in drafts]).update(status="draft")
    set_status(Condition, "synth-child", "draft")
    return therapy_class


@pytest.mark.slow
@pytest.mark.parametrize("size", [4, 40])
@pytest.mark.parametrize(
    "url",
    [
        "/therapies/",
        "/therapies/?condition=synth-parent",
        "/classes/synth-class/",
        "/conditions/synth-parent/",
        "/",
        "/api/v1/therapies/?page_size=100",
        "/api/v1/indications/?page_size=100",
        "/api/v1/conditions/?page_size=100",
    ],
)
def test_query_counts_are_bounded(client, make_catalog, django_assert_max_num_queries, size, url):
    add_drafts(make_catalog, size)
    # 16: a condition's page with its "What changed" (4 queries: tests/test_scale_details.py).
    with django_assert_max_num_queries(16):
        response = client.get(url)
    assert response.status_code == 200


@pytest.mark.parametrize("size", [4, 40])
def test_editor_api_query_counts_are_bounded(
    client, editor, make_catalog, django_assert_max_num_queries, size
):
    add_drafts(make_catalog, size)
    client.force_login(editor)
    with django_assert_max_num_queries(14):
        response = client.get("/api/v1/therapies/?page_size=100")
    assert response.json()["count"] == PUBLIC_THERAPIES + size
