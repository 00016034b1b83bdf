"""The admin as editors use it: pages render, permissions hold, bad input is refused politely."""

import html
import json
import pkgutil
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.models import Group
from django.urls import reverse

from catalog import versions
from catalog.models import (
    Condition,
    GlossaryTerm,
    Indication,
    ModifierRole,
    ReviewerProfile,
    Source,
    Therapy,
    TherapyClass,
    TherapyName,
)
from immunosite.admin import ImmunositeAdminSite

from .helpers import form_data, make_user, page_text

MAX_CHANGELIST_QUERIES = 15


# --- helpers -------------------------------------------------------------------------------


def admin_url(model, view, *args):
    return reverse(f"admin:catalog_{model._meta.model_name}_{view}", args=args)


def result_rows(response):
    """The text of each row of the changelist's result table (not the filter sidebar)."""
    content = response.content.decode()
    table = re.search(r'<table id="result_list">(.*?)</table>', content, flags=re.S)
    assert table, "no result table on the changelist"
    body = re.search(r"<tbody>(.*?)</tbody>", table.group(1), flags=re.S)
    rows = re.findall(r"<tr\b.*?</tr>", body.group(1), flags=re.S)
    return [" ".join(html.unescape(re.sub(r"<[^>]+>", " ", row)).split()) for row in rows]


def inline_prefixes(response):
    return {inline.formset.prefix for inline in response.context["inline_admin_formsets"]}


def add_inline_row(data, prefix, **values):
    """Append a new row to the inline formset `prefix` in `data` (indication rows start as
    drafts, as the form's status select does)."""
    if prefix == "indications":
        values.setdefault("status", "draft")
    index = int(data[f"{prefix}-TOTAL_FORMS"])
    for name, value in values.items():
        data[f"{prefix}-{index}-{name}"] = value
    data[f"{prefix}-TOTAL_FORMS"] = str(index + 1)


def errors_of(response):
    """Every error message on the re-rendered page: main form, inline rows and formsets."""
    assert response.status_code == 200, "an invalid form must re-render, not redirect or fail"
    messages = [m for errors in response.context["adminform"].form.errors.values() for m in errors]
    for inline in response.context["inline_admin_formsets"]:
        messages += inline.formset.non_form_errors()
        for form_errors in inline.formset.errors:
            messages += [m for errors in form_errors.values() for m in errors]
    return messages


# --- users ---------------------------------------------------------------------------------


@pytest.fixture
def editor(django_user_model):
    user = django_user_model.objects.create_user(
        username="editor", password="not-a-real-password", is_staff=True
    )
    user.groups.add(Group.objects.get(name="Editors"))
    return user


@pytest.fixture
def editor_client(client, editor):
    client.force_login(editor)
    return client


@pytest.fixture(params=["superuser", "editor"])
def staff_client(request):
    """Both kinds of people who use the admin."""
    if request.param == "superuser":
        return request.getfixturevalue("admin_client")
    return request.getfixturevalue("editor_client")


# --- what each model's admin should show -------------------------------------------------


@dataclass
class Case:
    model: type
    lookup: dict  # an existing fixture record
    listed: list  # text a changelist row shows for some fixture records
    search: str  # a `?q=` term ...
    found: list  # ... whose result rows show these
    not_found: list = field(default_factory=list)  # ... and not these
    add_shows: list = field(default_factory=list)  # labels on the add form

    def __str__(self):
        return self.model._meta.model_name


CASES = [
    Case(
        Source,
        {"slug": "drugscom-immunotherapy"},
        listed=["Immunotherapy", "HUMIRA (adalimumab) prescribing information"],
        search="HUMIRA",
        found=["HUMIRA (adalimumab) prescribing information"],
        not_found=["CIMZIA", "Immunotherapy"],
        add_shows=["Title:", "Publisher:", "URL:"],
    ),
    Case(
        TherapyClass,
        {"slug": "interferons"},
        listed=["Interferons", "Interleukins", "Monoclonal antibodies", "Anti-TNF therapy"],
        search="interleukins",
        found=["Interleukins"],
        not_found=["Interferons", "Monoclonal antibodies"],
        add_shows=["Name:", "Action:", "Indications (class level: the whole class)"],
    ),
    Case(
        Therapy,
        {"slug": "rituximab"},
        listed=[
            "Rituximab",
            "Tocilizumab",
            "Trastuzumab",
            "Interleukin-2",
            "Adalimumab",
            "Rituxan",
        ],
        search="Rituxan",  # a brand name: found through other_names
        found=["Rituximab"],
        not_found=["Tocilizumab", "Trastuzumab"],
        add_shows=["Name:", "Class:", "Therapy names", "Indications (agent level)"],
    ),
    Case(
        Condition,
        {"slug": "rheumatoid-arthritis"},
        listed=["Rheumatoid arthritis", "Leukemia", "Chronic lymphocytic leukemia"],
        search="Non-Hodgkin lymphoma",  # another name: found through other_names
        found=["Non-Hodgkin's lymphoma"],
        not_found=["Rheumatoid arthritis", "Leukemia"],
        add_shows=["Name:", "Category:", "Parent:", "Condition names", "Indications"],
    ),
    Case(
        Indication,
        {"therapy__slug": "tocilizumab", "condition__slug": "rheumatoid-arthritis"},
        listed=["Rheumatoid arthritis", "Tocilizumab", "Interferons", "Kidney cancer"],
        search="tocilizumab",
        found=["Rheumatoid arthritis Tocilizumab"],
        not_found=["Trastuzumab", "Interferons"],
        add_shows=["Therapy:", "Class:", "Condition:", "Qualifier:"],
    ),
    Case(
        ModifierRole,
        {"slug": "recruit-immune-cells"},
        listed=["Recruit immune cells against a tumor", "Alter how cancer cells grow"],
        search="Recruit",
        found=["Recruit immune cells against a tumor"],
        not_found=["Alter how cancer cells grow"],
        add_shows=["Position:", "Title:", "Explanation:"],
    ),
    Case(
        GlossaryTerm,
        {"slug": "antigen"},
        listed=["Antigen", "Antibody", "Lymphocyte", "Interferon"],
        search="Tumor necrosis",
        found=["Tumor necrosis factor"],
        not_found=["Antigen", "Lymphocyte"],
        add_shows=["Term:", "Also called:", "Definition:"],
    ),
]


def test_cases_cover_every_registered_catalog_model():
    catalog = apps.get_app_config("catalog").get_models()
    registered = {model for model in catalog if admin.site.is_registered(model)}
    # Reviewer profiles hold people, not content: their own test below.
    assert registered - {ReviewerProfile} == {case.model for case in CASES}


def test_a_reviewer_profile_belongs_to_a_user_who_may_review(admin_client):
    """An administrator makes the profile a review names; a user without the review
    permission cannot have one (a public "Medically reviewed by" must be a reviewer)."""
    url = admin_url(ReviewerProfile, "add")
    page = page_text(admin_client.get(url))
    assert "Full name:" in page and "Credential:" in page and "Specialty:" in page
    writer = make_user("writer", "Editors")
    data = {"full_name": "Ed Itor", "credential": "MD", "specialty": "", "user": writer.pk}
    response = admin_client.post(url, data)
    assert "Only a user who may record medical reviews" in page_text(response)
    assert not ReviewerProfile.objects.exists()
    rita = make_user("rita", "Reviewers")
    response = admin_client.post(url, {**data, "full_name": "Rita Md", "user": rita.pk})
    assert response.status_code == 302, page_text(response)
    assert str(ReviewerProfile.objects.get(user=rita)) == "Rita Md, MD"


def test_the_admin_is_a_package_of_small_modules_each_loaded_by_autodiscover():
    """Importing catalog.admin (as `admin.autodiscover` does) imports every module in it, so a
    model's admin needs only its own module; each says what it is for and stays small."""
    import catalog.admin

    modules = {info.name for info in pkgutil.iter_modules(catalog.admin.__path__)}
    assert {"history", "publishing", "review", "indications", "therapies"} <= modules
    for name in modules:
        module = sys.modules[f"catalog.admin.{name}"]
        assert module.__doc__, name
        assert len(Path(module.__file__).read_text().splitlines()) < 400, name
    for case in CASES:
        model_admin = admin.site.get_model_admin(case.model)
        assert type(model_admin).__module__.removeprefix("catalog.admin.") in modules


def test_every_admin_is_on_the_projects_site_with_the_review_dashboard(admin_client):
    """The project's admin site is the default one: the catalog's admins, accounts/'s and
    third-party apps' (auth, axes) are on it, and the review dashboard is its own page."""
    assert isinstance(admin.site, ImmunositeAdminSite)
    url = reverse("admin:catalog_review_dashboard")
    assert url == "/admin/review/"
    index = admin_client.get(reverse("admin:index"))
    text = page_text(index)
    for label in ("Users", "Groups", "API tokens", "Access attempts", "Therapies", "Sources"):
        assert label in text
    assert f'<a href="{url}">Due for review</a>' in index.content.decode()
    for page in (url, "/admin/axes/accessattempt/", "/admin/accounts/apitoken/"):
        response = admin_client.get(page)
        assert response.status_code == 200, page
        header = "| immunosite admin Skip to main content immunosite administration Welcome"
        assert header in page_text(response), page
    dashboard = page_text(admin_client.get(url))
    assert "Home \u203a Due for review" in dashboard and "Never reviewed (" in dashboard


# --- 1. pages render for superusers and editors -----------------------------------------------


def test_admin_index_lists_catalog_models(staff_client):
    response = staff_client.get(reverse("admin:index"))
    assert response.status_code == 200
    text = page_text(response)
    for label in ("Therapies", "Therapy classes", "Conditions", "Indications", "Sources"):
        assert label in text


@pytest.mark.parametrize("case", CASES, ids=str)
def test_changelist_lists_records(staff_client, case, django_assert_max_num_queries):
    with django_assert_max_num_queries(MAX_CHANGELIST_QUERIES):
        response = staff_client.get(admin_url(case.model, "changelist"))
    assert response.status_code == 200
    rows = result_rows(response)
    assert len(rows) == case.model.objects.count()
    text = " | ".join(rows)
    for expected in case.listed:
        assert expected in text


@pytest.mark.parametrize("case", CASES, ids=str)
def test_changelist_query_count_does_not_grow_with_rows(
    staff_client, case, make_catalog, django_assert_max_num_queries
):
    make_catalog(150)  # more than a full page (100) of therapies, 300 more indications
    with django_assert_max_num_queries(MAX_CHANGELIST_QUERIES):
        response = staff_client.get(admin_url(case.model, "changelist"))
    assert response.status_code == 200
    assert result_rows(response)


@pytest.mark.parametrize("case", CASES, ids=str)
def test_changelist_search(staff_client, case, django_assert_max_num_queries):
    with django_assert_max_num_queries(MAX_CHANGELIST_QUERIES):
        response = staff_client.get(admin_url(case.model, "changelist"), {"q": case.search})
    assert response.status_code == 200
    rows = result_rows(response)
    text = " | ".join(rows)
    for expected in case.found:
        assert expected in text
    for unexpected in case.not_found:
        assert unexpected not in text
    # Searching across other names must not repeat a record once per matching name.
    assert len(rows) == len(set(rows))


def test_therapy_search_by_brand_name_shows_one_row(staff_client):
    response = staff_client.get(admin_url(Therapy, "changelist"), {"q": "Rituxan"})
    rows = result_rows(response)
    assert len(rows) == 1
    assert "Rituximab" in rows[0]
    assert "Monoclonal antibodies" in rows[0]
    assert "Rituxan" in rows[0]  # the brand-name column
    assert "1 result" in page_text(response)


def test_search_with_no_match_shows_zero_results(staff_client):
    response = staff_client.get(admin_url(Therapy, "changelist"), {"q": "no-such-therapy"})
    assert response.status_code == 200
    assert "0 results" in page_text(response)
    assert 'id="result_list"' not in response.content.decode()


def test_therapy_changelist_filter_by_class(staff_client):
    anti_tnf = TherapyClass.objects.get(slug="anti-tnf-therapy")
    response = staff_client.get(
        admin_url(Therapy, "changelist"), {"therapy_class__id__exact": anti_tnf.pk}
    )
    assert response.status_code == 200
    rows = result_rows(response)
    assert len(rows) == anti_tnf.therapies.count()
    assert all("Anti-TNF therapy" in row for row in rows)
    assert any("Adalimumab" in row and "Humira" in row for row in rows)


def test_condition_changelist_filter_by_parent(staff_client):
    leukemia = Condition.objects.get(slug="leukemia")
    response = staff_client.get(
        admin_url(Condition, "changelist"), {"parent__id__exact": leukemia.pk}
    )
    assert response.status_code == 200
    rows = result_rows(response)
    assert len(rows) == 1
    assert rows[0].startswith("Chronic lymphocytic leukemia")
    assert "Leukemia" in rows[0]  # the parent column


@pytest.mark.parametrize("case", CASES, ids=str)
def test_add_page_renders(staff_client, case):
    response = staff_client.get(admin_url(case.model, "add"))
    assert response.status_code == 200
    text = page_text(response)
    assert f"Add {case.model._meta.verbose_name}" in text
    for label in case.add_shows:
        assert label in text
    assert 'name="_save"' in response.content.decode()


@pytest.mark.parametrize("case", CASES, ids=str)
def test_change_page_renders(staff_client, case):
    obj = case.model.objects.get(**case.lookup)
    response = staff_client.get(admin_url(case.model, "change", obj.pk))
    assert response.status_code == 200
    assert response.context["original"] == obj
    text = page_text(response)
    assert f"Change {case.model._meta.verbose_name}" in text
    assert str(obj) in text
    assert 'name="_save"' in response.content.decode()


def test_therapy_change_page_shows_inline_names_and_indications(staff_client):
    rituximab = Therapy.objects.get(slug="rituximab")
    response = staff_client.get(admin_url(Therapy, "change", rituximab.pk))
    assert inline_prefixes(response) == {"other_names", "sections", "indications"}
    content = response.content.decode()
    assert 'value="Rituxan"' in content
    # Each of rituximab's indications is a row of the inline, its condition selected.
    indications = {
        inline.formset.prefix: inline.formset
        for inline in response.context["inline_admin_formsets"]
    }["indications"]
    assert {form.instance.condition.slug for form in indications.initial_forms} == {
        "non-hodgkins-lymphoma",
        "chronic-lymphocytic-leukemia",
        "rheumatoid-arthritis",
    }
    text = page_text(response)
    assert "Chronic lymphocytic leukemia" in text
    assert "Rheumatoid arthritis" in text


def rendered_order(response, markers):
    """The markers (bits of the change page's HTML) in the order the page shows them; a missing
    one fails."""
    content = response.content.decode()
    missing = [marker for marker in markers if marker not in content]
    assert not missing, f"not on the page: {missing}"
    return sorted(markers, key=content.index)


TOP_DOWN = [
    (
        Therapy,
        "rituximab",
        ['id="id_name"', 'id="id_therapy_class"', 'id="id_summary"', 'id="id_description"'],
        ['id="sections-group"', 'id="other_names-group"', 'id="indications-group"'],
    ),
    (
        TherapyClass,
        "monoclonal-antibodies",
        ['id="id_name"', 'id="id_abbreviation"', 'id="id_summary"', 'id="id_description"'],
        ['id="indications-group"'],
    ),
    (
        Condition,
        "rheumatoid-arthritis",
        ['id="id_name"', 'id="id_category"', 'id="id_summary"'],
        ['id="sections-group"', 'id="other_names-group"', 'id="indications-group"'],
    ),
]
AFTER_INLINES = [
    '<h2 id="fieldset-0-1-heading" class="fieldset-heading">Sources</h2>',
    'id="id_sources"',
    '<h2 id="fieldset-0-2-heading" class="fieldset-heading">Publication and review</h2>',
    'id="id_status"',
    "Published at:",
    "Last reviewed:",
    "Reviewed by:",
    'id="id_review_interval_days"',
    '<h2 id="fieldset-0-3-heading" class="fieldset-heading">Address (slug)</h2>',
    'id="id_slug"',
]


@pytest.mark.parametrize(
    "model, slug, identity, inlines", TOP_DOWN, ids=[case[0].__name__ for case in TOP_DOWN]
)
def test_change_form_reads_what_it_is_then_inlines_then_sources_then_publication_then_slug(
    admin_client, model, slug, identity, inlines
):
    obj = model.objects.get(slug=slug)
    response = admin_client.get(admin_url(model, "change", obj.pk))
    markers = [*identity, *inlines, *AFTER_INLINES]
    assert rendered_order(response, markers) == markers
    # The review fields are read-only there (recorded by "Mark as reviewed"), the slug tucked
    # away in a collapsed fieldset, prefilled from the name.
    content = response.content.decode()
    assert 'id="id_last_reviewed"' not in content
    assert re.search(r'<fieldset class="module aligned collapse"[^>]*>\s*<details>', content)
    prepopulated = re.search(r'data-prepopulated-fields="([^"]*)"', content)
    assert prepopulated, "the slug is not prefilled"
    assert json.loads(html.unescape(prepopulated.group(1)))[0]["dependency_ids"] == ["#id_name"]


@pytest.mark.parametrize("model", [Therapy, TherapyClass, Condition], ids=lambda m: m.__name__)
def test_top_down_fieldsets_leave_out_no_field_an_editor_can_set(admin_client, model):
    """Fieldsets list fields by name: a field added to the model later must be placed in them
    or it silently vanishes from the form."""
    response = admin_client.get(admin_url(model, "add"))
    on_form = set(response.context["adminform"].form.fields)
    editable = {
        f.name
        for f in model._meta.get_fields()
        if getattr(f, "editable", False) and not f.auto_created and (f.concrete or f.many_to_many)
    }
    assert editable - on_form - {"last_reviewed", "reviewer"} == set()  # those two read-only


@pytest.mark.parametrize("model", [Therapy, TherapyClass, Condition], ids=lambda m: m.__name__)
def test_summary_is_a_three_row_text_area_as_wide_as_the_form(admin_client, model):
    response = admin_client.get(admin_url(model, "add"))
    content = response.content.decode()
    summary = re.search(r"<textarea name=\"summary\"[^>]*>", content)
    assert summary, "the summary is not a text area"
    assert 'rows="3"' in summary.group(0)
    assert 'class="vLargeTextField"' in summary.group(0)
    assert 'maxlength="400"' in summary.group(0)
    # Styled as wide as the form by the admin's form style sheet.
    assert "css/admin/forms.css" in content


def test_description_and_section_texts_are_larger_text_areas(admin_client):
    rituximab = Therapy.objects.get(slug="rituximab")
    content = admin_client.get(admin_url(Therapy, "change", rituximab.pk)).content.decode()
    description = re.search(r'<textarea name="description"[^>]*>', content)
    assert description and 'rows="10"' in description.group(0)
    body = re.search(r'<textarea name="sections-0-body"[^>]*>', content)
    assert body and 'rows="8"' in body.group(0)


# --- 2. the Editors group -----------------------------------------------------------------------


def test_editors_group_permissions(db):
    editors = Group.objects.get(name="Editors")
    codenames = set(editors.permissions.values_list("content_type__app_label", "codename"))
    for model in apps.get_app_config("catalog").get_models():
        if model.__name__.startswith("Historical"):
            continue  # history is written by django-simple-history, not by editors
        if not model._meta.default_permissions:
            continue  # derived data (the search index), written by the application only
        name = model._meta.model_name
        if name == "reviewerprofile":
            # Administrators keep reviewer profiles: a profile states a person's credential.
            assert not {c for _, c in codenames if c.endswith("_reviewerprofile")}
            continue
        for action in ("add", "change", "view"):
            assert ("catalog", f"{action}_{name}") in codenames
        assert ("catalog", f"delete_{name}") not in codenames
    # Besides the catalog: issuing, seeing and revoking their own API tokens.
    assert {c for app_label, c in codenames if app_label != "catalog"} == {
        "add_apitoken",
        "view_apitoken",
        "delete_apitoken",
    }


def test_editor_has_no_delete_and_no_auth_permissions(editor):
    permissions = editor.get_all_permissions()
    assert "catalog.change_therapy" in permissions
    assert not any(p.startswith("catalog.delete_") for p in permissions)
    assert not any(p.startswith("auth.") for p in permissions)
    assert not editor.is_superuser


@pytest.mark.parametrize(
    "url", ["/admin/auth/user/", "/admin/auth/group/", "/admin/auth/user/add/"]
)
def test_editor_cannot_manage_users_or_groups(editor_client, url):
    response = editor_client.get(url)
    assert response.status_code == 403


def test_editor_cannot_change_the_editors_group(editor_client):
    editors = Group.objects.get(name="Editors")
    response = editor_client.get(f"/admin/auth/group/{editors.pk}/change/")
    assert response.status_code == 403


def test_editor_admin_index_hides_auth(editor_client):
    response = editor_client.get(reverse("admin:index"))
    text = page_text(response)
    assert "Therapies" in text
    assert "Authentication and Authorization" not in text
    assert "Users" not in text
    assert "Groups" not in text


def test_superuser_can_reach_users(admin_client):
    response = admin_client.get("/admin/auth/user/")
    assert response.status_code == 200
    assert "admin" in " ".join(result_rows(response))


def test_editor_sees_no_delete_link_and_cannot_delete(editor_client):
    rituximab = Therapy.objects.get(slug="rituximab")
    change = editor_client.get(admin_url(Therapy, "change", rituximab.pk))
    assert change.status_code == 200
    assert "deletelink" not in change.content.decode()
    response = editor_client.post(admin_url(Therapy, "delete", rituximab.pk), {"post": "yes"})
    assert response.status_code == 403
    assert Therapy.objects.filter(slug="rituximab").exists()


def test_editor_has_no_delete_action_on_changelist(editor_client):
    response = editor_client.get(admin_url(Therapy, "changelist"))
    assert "delete_selected" not in response.content.decode()
    ids = list(Therapy.objects.values_list("pk", flat=True)[:2])
    response = editor_client.post(
        admin_url(Therapy, "changelist"),
        {"action": "delete_selected", "_selected_action": ids, "post": "yes"},
    )
    assert Therapy.objects.filter(pk__in=ids).count() == 2


def test_editor_cannot_delete_inline_rows(editor_client):
    rituximab, url, data = therapy_change(editor_client)
    assert not any(key.endswith("-DELETE") for key in data)  # no delete boxes on the page
    data["indications-0-DELETE"] = "on"
    data["other_names-0-DELETE"] = "on"
    response = editor_client.post(url, data)
    assert response.status_code == 302
    assert rituximab.indications.count() == 3
    assert rituximab.brand_names == ["Rituxan"]


def test_superuser_cannot_delete_a_class_that_still_has_therapies(admin_client):
    interleukins = TherapyClass.objects.get(slug="interleukins")
    url = admin_url(TherapyClass, "delete", interleukins.pk)
    response = admin_client.get(url)
    assert response.status_code == 200
    text = page_text(response)
    assert "Cannot delete therapy class" in text
    assert "Interleukin-2" in text
    response = admin_client.post(url, {"post": "yes"})
    assert response.status_code == 200
    assert "Cannot delete therapy class" in page_text(response)
    assert TherapyClass.objects.filter(slug="interleukins").exists()


def test_superuser_cannot_delete_a_condition_with_sub_conditions(admin_client):
    leukemia = Condition.objects.get(slug="leukemia")
    response = admin_client.get(admin_url(Condition, "delete", leukemia.pk))
    assert response.status_code == 200
    text = page_text(response)
    assert "Cannot delete condition" in text
    assert "Chronic lymphocytic leukemia" in text


def test_anonymous_user_is_sent_to_login(client):
    response = client.get(admin_url(Therapy, "changelist"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_non_staff_user_cannot_use_admin(client, django_user_model):
    user = django_user_model.objects.create_user(username="reader", password="x")
    user.groups.add(Group.objects.get(name="Editors"))  # group alone is not enough
    client.force_login(user)
    response = client.get(admin_url(Therapy, "changelist"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


# --- 3. autocomplete ------------------------------------------------------------------------


def autocomplete(client, model_name, field_name, term):
    return client.get(
        reverse("admin:autocomplete"),
        {"app_label": "catalog", "model_name": model_name, "field_name": field_name, "term": term},
    )


def test_autocomplete_therapy_class(staff_client):
    response = autocomplete(staff_client, "therapy", "therapy_class", "inter")
    assert response.status_code == 200
    texts = {result["text"] for result in response.json()["results"]}
    assert {"Interferons", "Interleukins"} <= texts
    assert "Monoclonal antibodies" not in texts
    ids = {r["id"] for r in response.json()["results"]}
    assert str(TherapyClass.objects.get(slug="interferons").pk) in ids


@pytest.mark.parametrize(
    ("model_name", "field_name", "term", "expected"),
    [
        ("therapy", "sources", "Immunotherapy", "Drugs.com"),
        ("indication", "therapy", "ritux", "Rituximab"),
        ("indication", "condition", "leukemia", "Chronic lymphocytic leukemia"),
        ("condition", "parent", "lymph", "Lymphoma"),
    ],
)
def test_autocomplete_other_fields(staff_client, model_name, field_name, term, expected):
    response = autocomplete(staff_client, model_name, field_name, term)
    assert response.status_code == 200
    texts = [result["text"] for result in response.json()["results"]]
    assert any(expected in text for text in texts), texts


def test_autocomplete_requires_staff(client):
    response = autocomplete(client, "therapy", "therapy_class", "inter")
    assert response.status_code == 302


# --- 4. saving: invalid input is refused with a message; valid input is saved --------------------


@pytest.fixture
def sources(article):
    return str(article.pk)


def test_add_therapy_with_existing_slug_is_refused(staff_client, sources):
    data = form_data(staff_client.get(admin_url(Therapy, "add")))
    assert {"other_names-TOTAL_FORMS", "indications-TOTAL_FORMS"} <= data.keys()
    data.update(
        name="Rituximab biosimilar",
        slug="rituximab",
        summary="A copy.",
        therapy_class=str(TherapyClass.objects.get(slug="monoclonal-antibodies").pk),
        sources=[sources],
    )
    count = Therapy.objects.count()
    response = staff_client.post(admin_url(Therapy, "add"), data)
    assert response.status_code == 200
    form = response.context["adminform"].form
    assert "already exists" in " ".join(form.errors["slug"])
    assert "Therapy with this Slug already exists." in page_text(response)
    assert "Please correct the error below." in page_text(response)
    assert Therapy.objects.count() == count
    assert not Therapy.objects.filter(name="Rituximab biosimilar").exists()


def test_add_source_with_url_without_scheme_assumes_https(staff_client):
    data = form_data(staff_client.get(admin_url(Source, "add")))
    data.update(
        title="Rituximab label",
        slug="rituximab-label",
        publisher="FDA",
        url="www.accessdata.fda.gov/rituxan.pdf",
    )
    response = staff_client.post(admin_url(Source, "add"), data)
    assert response.status_code == 302
    assert Source.objects.get(slug="rituximab-label").url == (
        "https://www.accessdata.fda.gov/rituxan.pdf"
    )


def test_add_source_with_existing_slug_is_refused(staff_client):
    data = form_data(staff_client.get(admin_url(Source, "add")))
    data.update(title="Another", slug="drugscom-immunotherapy", publisher="Someone")
    count = Source.objects.count()
    response = staff_client.post(admin_url(Source, "add"), data)
    assert "Source with this Slug already exists." in errors_of(response)
    assert Source.objects.count() == count


def indication_data(client, **values):
    data = form_data(client.get(admin_url(Indication, "add")))
    data.update(values)
    return data


@pytest.fixture
def ids(db):
    return {
        "tocilizumab": str(Therapy.objects.get(slug="tocilizumab").pk),
        "rituximab": str(Therapy.objects.get(slug="rituximab").pk),
        "interferons": str(TherapyClass.objects.get(slug="interferons").pk),
        "rheumatoid-arthritis": str(Condition.objects.get(slug="rheumatoid-arthritis").pk),
        "melanoma": str(Condition.objects.get(slug="melanoma").pk),
        "psoriasis": str(Condition.objects.get(slug="psoriasis").pk),
    }


def constraint_message(model, name):
    """The message a model constraint shows when violated (worded in models.py)."""
    (constraint,) = [c for c in model._meta.constraints if c.name == name]
    return str(constraint.violation_error_message)


XOR_MESSAGE = constraint_message(Indication, "indication_therapy_xor_class")
THERAPY_DUPLICATE_MESSAGE = constraint_message(Indication, "unique_therapy_indication")
CLASS_DUPLICATE_MESSAGE = constraint_message(Indication, "unique_class_indication")


def test_constraint_messages_are_worded_for_people():
    assert XOR_MESSAGE == "Choose either a therapy or a therapy class, not both."
    for message in (THERAPY_DUPLICATE_MESSAGE, CLASS_DUPLICATE_MESSAGE):
        assert "“" not in message  # not Django's generic "Constraint “name” is violated."


@pytest.mark.parametrize(
    "subject",
    [
        pytest.param({"therapy": "rituximab", "therapy_class": "interferons"}, id="both"),
        pytest.param({}, id="neither"),
    ],
)
def test_indication_needs_exactly_one_of_therapy_or_class(staff_client, sources, ids, subject):
    data = indication_data(
        staff_client,
        condition=ids["melanoma"],
        sources=[sources],
        **{name: ids[slug] for name, slug in subject.items()},
    )
    count = Indication.objects.count()
    response = staff_client.post(admin_url(Indication, "add"), data)
    assert XOR_MESSAGE in errors_of(response)
    assert XOR_MESSAGE in page_text(response)
    assert Indication.objects.count() == count


def test_duplicate_indication_is_refused(staff_client, sources, ids):
    data = indication_data(
        staff_client,
        therapy=ids["tocilizumab"],
        condition=ids["rheumatoid-arthritis"],
        sources=[sources],
    )
    count = Indication.objects.count()
    response = staff_client.post(admin_url(Indication, "add"), data)
    message = THERAPY_DUPLICATE_MESSAGE
    assert message in errors_of(response)
    assert message in page_text(response)
    assert Indication.objects.count() == count


def test_duplicate_class_indication_is_refused(staff_client, sources, ids):
    rheumatoid = Condition.objects.get(slug="rheumatoid-arthritis")
    monoclonal = TherapyClass.objects.get(slug="monoclonal-antibodies")
    assert Indication.objects.filter(therapy_class=monoclonal, condition=rheumatoid).exists()
    data = indication_data(
        staff_client,
        therapy_class=str(monoclonal.pk),
        condition=str(rheumatoid.pk),
        sources=[sources],
    )
    count = Indication.objects.count()
    response = staff_client.post(admin_url(Indication, "add"), data)
    assert CLASS_DUPLICATE_MESSAGE in page_text(response)
    assert Indication.objects.count() == count


def test_valid_indication_is_saved(staff_client, sources, ids):
    data = indication_data(
        staff_client,
        therapy=ids["tocilizumab"],
        condition=ids["psoriasis"],
        qualifier="may-help",
        note="Added in a test.",
        sources=[sources],
    )
    response = staff_client.post(admin_url(Indication, "add"), data)
    assert response.status_code == 302
    indication = Indication.objects.get(therapy__slug="tocilizumab", condition__slug="psoriasis")
    assert indication.note == "Added in a test."
    assert list(indication.sources.values_list("slug", flat=True)) == ["drugscom-immunotherapy"]


def therapy_change(client, slug="rituximab"):
    therapy = Therapy.objects.get(slug=slug)
    url = admin_url(Therapy, "change", therapy.pk)
    return therapy, url, form_data(client.get(url))


def test_therapy_inline_with_two_rows_for_one_condition_is_refused(staff_client, sources, ids):
    rituximab, url, data = therapy_change(staff_client)
    before = set(rituximab.indications.values_list("pk", flat=True))
    for note in ("first", "second"):
        add_inline_row(data, "indications", condition=ids["melanoma"], note=note, sources=[sources])
    response = staff_client.post(url, data)
    assert response.status_code == 200
    text = page_text(response)
    assert "Please correct the duplicate data for condition." in text
    assert "Please correct the duplicate values below." in text
    assert set(rituximab.indications.values_list("pk", flat=True)) == before
    assert not Indication.objects.filter(condition__slug="melanoma", therapy=rituximab).exists()


def test_therapy_inline_row_duplicating_a_saved_indication_is_refused(staff_client, sources, ids):
    rituximab, url, data = therapy_change(staff_client)
    count = Indication.objects.count()
    add_inline_row(data, "indications", condition=ids["rheumatoid-arthritis"], sources=[sources])
    response = staff_client.post(url, data)
    # The saved row is part of the inline, so the formset reports the pair of rows.
    assert "Please correct the duplicate data for condition." in errors_of(response)
    assert "Please correct the duplicate data for condition." in page_text(response)
    assert Indication.objects.count() == count
    assert rituximab.indications.filter(condition__slug="rheumatoid-arthritis").count() == 1


@pytest.mark.parametrize(
    "subject",
    [
        pytest.param({"therapy": "rituximab", "therapy_class": "interferons"}, id="both"),
        pytest.param({"qualifier": "may-help"}, id="neither"),
    ],
)
def test_condition_inline_indication_needs_exactly_one_subject(staff_client, sources, ids, subject):
    melanoma = Condition.objects.get(slug="melanoma")
    url = admin_url(Condition, "change", melanoma.pk)
    data = form_data(staff_client.get(url))
    assert "indications-TOTAL_FORMS" in data
    count = Indication.objects.count()
    values = {name: ids.get(value, value) for name, value in subject.items()}
    add_inline_row(data, "indications", sources=[sources], **values)
    response = staff_client.post(url, data)
    assert XOR_MESSAGE in errors_of(response)
    assert XOR_MESSAGE in page_text(response)
    assert Indication.objects.count() == count


def test_class_inline_duplicate_condition_is_refused(staff_client, sources, ids):
    interferons = TherapyClass.objects.get(slug="interferons")
    url = admin_url(TherapyClass, "change", interferons.pk)
    data = form_data(staff_client.get(url))
    count = Indication.objects.count()
    add_inline_row(data, "indications", condition=ids["melanoma"], sources=[sources])
    response = staff_client.post(url, data)
    assert "Please correct the duplicate data for condition." in errors_of(response)
    assert Indication.objects.count() == count


def test_therapy_inline_indication_is_saved(staff_client, sources, ids):
    rituximab, url, data = therapy_change(staff_client)
    add_inline_row(data, "indications", condition=ids["melanoma"], sources=[sources])
    add_inline_row(data, "other_names", name="MabThera", kind="brand")
    response = staff_client.post(url, data)
    assert response.status_code == 302
    assert rituximab.indications.filter(condition__slug="melanoma").exists()
    assert rituximab.indications.count() == 4
    assert TherapyName.objects.filter(therapy=rituximab, name="MabThera").exists()


def test_therapy_inline_with_duplicate_brand_names_is_refused(staff_client):
    rituximab, url, data = therapy_change(staff_client)
    # The page has one empty extra name row: fill it, then add another with the same name.
    extra = int(data["other_names-TOTAL_FORMS"]) - 1
    data[f"other_names-{extra}-name"] = "MabThera"
    data[f"other_names-{extra}-kind"] = "brand"
    add_inline_row(data, "other_names", name="MabThera", kind="brand")
    response = staff_client.post(url, data)
    assert "Please correct the duplicate data for name." in errors_of(response)
    assert "Please correct the duplicate data for name." in page_text(response)
    assert rituximab.brand_names == ["Rituxan"]
    assert not TherapyName.objects.filter(name="MabThera").exists()


def condition_add_data(client, sources, **values):
    data = form_data(client.get(admin_url(Condition, "add")))
    data.update(
        name="Hairy cell leukemia",
        slug="hairy-cell-leukemia",
        category="cancer",
        summary="A rare leukemia.",
        sources=[sources],
    )
    data.update(values)
    return data


def test_condition_with_sub_condition_as_parent_is_refused(staff_client, sources):
    cll = Condition.objects.get(slug="chronic-lymphocytic-leukemia")
    data = condition_add_data(staff_client, sources, parent=str(cll.pk))
    count = Condition.objects.count()
    response = staff_client.post(admin_url(Condition, "add"), data)
    assert response.status_code == 200
    message = "Choose a top-level condition: sub-conditions go one level deep."
    assert message in response.context["adminform"].form.errors["parent"]
    assert message in page_text(response)
    assert Condition.objects.count() == count


def test_condition_with_parent_of_other_category_is_refused(staff_client, sources):
    arthritis = Condition.objects.get(slug="rheumatoid-arthritis")
    data = condition_add_data(staff_client, sources, parent=str(arthritis.pk))
    response = staff_client.post(admin_url(Condition, "add"), data)
    assert response.status_code == 200
    message = "A sub-condition has its parent's category."
    assert message in response.context["adminform"].form.errors["parent"]
    assert not Condition.objects.filter(slug="hairy-cell-leukemia").exists()


def test_parent_condition_cannot_get_a_parent(staff_client):
    leukemia = Condition.objects.get(slug="leukemia")
    url = admin_url(Condition, "change", leukemia.pk)
    data = form_data(staff_client.get(url))
    data["parent"] = str(Condition.objects.get(slug="lymphoma").pk)
    response = staff_client.post(url, data)
    assert response.status_code == 200
    message = "This condition has sub-conditions, so it cannot have a parent."
    assert message in response.context["adminform"].form.errors["parent"]
    leukemia.refresh_from_db()
    assert leukemia.parent is None


def test_condition_cannot_be_its_own_parent(staff_client):
    lymphoma = Condition.objects.get(slug="lymphoma")
    url = admin_url(Condition, "change", lymphoma.pk)
    data = form_data(staff_client.get(url))
    data["parent"] = str(lymphoma.pk)
    response = staff_client.post(url, data)
    assert response.status_code == 200
    assert "A condition cannot be its own parent." in page_text(response)
    lymphoma.refresh_from_db()
    assert lymphoma.parent is None


def test_valid_sub_condition_is_saved(staff_client, sources):
    leukemia = Condition.objects.get(slug="leukemia")
    data = condition_add_data(staff_client, sources, parent=str(leukemia.pk))
    add_inline_row(data, "other_names", name="HCL")
    response = staff_client.post(admin_url(Condition, "add"), data)
    assert response.status_code == 302
    hcl = Condition.objects.get(slug="hairy-cell-leukemia")
    assert hcl.parent == leukemia
    assert [n.name for n in hcl.other_names.all()] == ["HCL"]


def test_editor_changes_a_therapy_summary(editor_client):
    rituximab, url, data = therapy_change(editor_client)
    data["summary"] = "An antibody against CD20, edited by an editor."
    response = editor_client.post(url, data)
    assert response.status_code == 302
    assert response["Location"] == admin_url(Therapy, "changelist")
    rituximab.refresh_from_db()
    assert rituximab.summary == "An antibody against CD20, edited by an editor."
    # Nothing else on the record was disturbed by the round trip through the form.
    assert rituximab.indications.count() == 3
    assert list(rituximab.other_names.values_list("name", flat=True)) == ["Rituxan"]
    assert set(rituximab.sources.values_list("slug", flat=True)) == {
        "drugscom-immunotherapy",
        "fda-label-rituxan",
    }
    changelist = editor_client.get(response["Location"])
    assert "was changed successfully" in page_text(changelist)
    assert "Rituximab" in page_text(changelist)
    public = editor_client.get(rituximab.get_absolute_url())
    assert "An antibody against CD20, edited by an editor." in page_text(public)


def test_editor_adds_a_therapy_with_names_and_indications(editor_client, sources, ids):
    data = form_data(editor_client.get(admin_url(Therapy, "add")))
    data.update(
        name="Sarilumab",
        slug="sarilumab",
        summary="An antibody against the interleukin-6 receptor.",
        therapy_class=str(TherapyClass.objects.get(slug="monoclonal-antibodies").pk),
        sources=[sources],
        **{"other_names-0-name": "Kevzara", "other_names-0-kind": "brand"},
    )
    add_inline_row(data, "indications", condition=ids["rheumatoid-arthritis"], sources=[sources])
    response = editor_client.post(admin_url(Therapy, "add"), data)
    assert response.status_code == 302
    sarilumab = Therapy.objects.get(slug="sarilumab")
    assert sarilumab.brand_names == ["Kevzara"]
    assert [i.condition.slug for i in sarilumab.indications.all()] == ["rheumatoid-arthritis"]
    search = editor_client.get(admin_url(Therapy, "changelist"), {"q": "Kevzara"})
    assert ["Sarilumab" in row for row in result_rows(search)] == [True]


# --- 5. view on site ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "slug", "public_path"),
    [
        (Therapy, "rituximab", "/therapies/rituximab/"),
        (TherapyClass, "interferons", "/classes/interferons/"),
        (Condition, "leukemia", "/conditions/leukemia/"),
    ],
)
def test_view_on_site_link(staff_client, model, slug, public_path):
    obj = model.objects.get(slug=slug)
    response = staff_client.get(admin_url(model, "change", obj.pk))
    link = re.search(
        r'<a href="([^"]+)" class="viewsitelink">View on site</a>', response.content.decode()
    )
    assert link, "no “View on site” link"
    # A published record's link is its public page itself (drafts: see test_editorial.py).
    assert html.unescape(link.group(1)) == public_path
    public = staff_client.get(public_path)
    assert public.status_code == 200
    assert obj.name in page_text(public)


@pytest.mark.parametrize(
    ("model", "slug"),
    [("therapy", "rituximab"), ("therapyclass", "interferons"), ("condition", "psoriasis")],
)
def test_the_change_form_carries_the_version_the_editor_opened(admin_client, model, slug):
    """Without it a save over someone else's newer save is not refused (the top-down fieldsets
    once left it out: tests/test_sqlite_concurrency.py saw both saves go through)."""
    obj = apps.get_model("catalog", model).objects.get(slug=slug)
    html = admin_client.get(f"/admin/catalog/{model}/{obj.pk}/change/").content.decode()
    token = re.search(r'<input type="hidden" name="loaded_version" value="([^"]+)"', html)
    assert token and token.group(1) == versions.record_token(obj)
