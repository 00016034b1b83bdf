"""An editor's day in a real browser (Chromium, under the production CSP): log in, add a therapy
with its names and an indication, check that the public cannot see the draft, preview it,
publish it, edit it, compare two versions in its
history and revert to the earlier one — while an anonymous visitor (another browser context,
without JavaScript) checks what the public sees.

The database set-up (transactional, restored after the module) is the `browser_db` fixture's
(tests/conftest.py).
"""

import re

import pytest
from django.contrib.auth.models import Group, Permission
from playwright.sync_api import expect

from catalog.models import Therapy

from .helpers import PageProblems, h1, result_names

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("browser_db"),
]

PASSWORD = "Long-enough-pw-1"
SUMMARY = "A monoclonal antibody made up for the tests."
NEW_SUMMARY = "An antibody against a made-up target."
DRAFT_BANNER = "Preview. This is a draft: the public cannot see it yet. Only staff see this page."


def make_editor(django_user_model):
    """A staff user whose only rights are the Editors group's (as the data migrations set
    them: add, change, view and publish catalog content; the flush between transactional
    tests may have removed the group)."""
    editors, _ = Group.objects.get_or_create(name="Editors")
    editors.permissions.set(
        Permission.objects.filter(
            content_type__app_label="catalog",
            codename__regex=r"^(add|change|view|publish)_",
        )
    )
    user = django_user_model.objects.create_user(
        "edna", "edna@example.com", PASSWORD, is_staff=True
    )
    user.groups.add(editors)
    return user


def exactly(text):
    return re.compile(rf"^\s*{re.escape(text)}\s*$")


def choose(page, scope, field, search, option):
    """Pick `option` in the select2 autocomplete of `field` inside `scope`."""
    container = scope.locator(f".field-{field} .select2-container")
    container.locator(".select2-selection").click()
    page.locator(".select2-container--open .select2-search__field").fill(search)
    page.locator(".select2-results__option", has_text=exactly(option)).click()
    expect(container).to_contain_text(option)


def success_message(page, text):
    expect(page.locator(".messagelist .success")).to_contain_text(text)


def run_action(browse, changelist, name, action):
    """On the admin changelist at `changelist`, run `action` on the row of `name`."""
    page = browse.page
    browse.goto(changelist)
    page.wait_for_load_state()  # actions.js starts on "load"
    row = page.locator("#result_list tbody tr", has_text=name)
    expect(row).to_have_count(1)
    row.locator("input.action-select").check()
    expect(page.locator(".action-counter")).to_contain_text("1 of")
    page.locator("select[name=action]").select_option(label=action)
    page.get_by_role("button", name="Go").click()


def test_editor_adds_previews_publishes_edits_compares_and_reverts(
    live_server, page, new_context, django_user_model
):
    site = live_server.url
    make_editor(django_user_model)
    editor = PageProblems(page)
    public_page = new_context(java_script_enabled=False).new_page()
    public = PageProblems(public_page, javascript=False)

    def public_condition_filter():
        """The therapies listed for rheumatoid arthritis, through the filter form."""
        public.goto(f"{site}/therapies/")
        public_page.get_by_label("Condition", exact=True).fill("Rheumatoid arthritis")
        public_page.get_by_role("button", name="Apply filters").click()
        expect(public_page).to_have_url(re.compile(r"[?&]condition=Rheumatoid\+arthritis(&|$)"))
        heading = re.compile(r"^\d+ therapies for Rheumatoid arthritis$")  # the list says so
        expect(h1(public_page)).to_have_text(heading)
        public_page.wait_for_load_state()
        names = result_names(public_page)
        assert "Rituximab" in names  # the filter worked
        return names

    # --- log in through the admin's form ------------------------------------------------------
    editor.goto(f"{site}/admin/")
    expect(page).to_have_url(re.compile(r"/admin/login/\?next=/admin/$"))
    page.get_by_label("Username").fill("edna")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(h1(page)).to_have_text("Content")
    editor.assert_none("login")

    # --- add a therapy --------------------------------------------------------------------------
    page.locator("#content-main tr.model-therapy").get_by_role("link", name="Add").click()
    expect(h1(page)).to_have_text("Add therapy")
    page.wait_for_load_state()
    page.get_by_label("Name:", exact=True).press_sequentially("Testumab")  # keyup events
    expect(page.locator("#id_slug")).to_have_value("testumab")  # prepopulated by the JS
    choose(page, page, "therapy_class", "monoclonal", "Monoclonal antibodies")
    page.get_by_label("Summary:").fill(SUMMARY)
    choose(page, page, "sources", "drugs.com", "Drugs.com, “Immunotherapy”")
    names = page.locator("#other_names-group")
    names.locator("#id_other_names-0-name").fill("Testra")
    names.locator("#id_other_names-0-kind").select_option(label="Brand name")
    indications = page.locator("#indications-group")
    indications.get_by_role("button", name="Add another Indication").click()
    row = indications.locator(".dynamic-indications").last
    choose(page, row, "condition", "rheum", "Rheumatoid arthritis")
    choose(page, row, "sources", "drugs.com", "Drugs.com, “Immunotherapy”")
    # The indication is published with the therapy: it shows once both ends are published.
    row.locator("select[name$='-status']").select_option(label="Published")
    editor.assert_none("add form filled in")
    page.get_by_role("button", name="Save", exact=True).click()
    success_message(page, "The therapy “Testumab” was added successfully.")
    expect(h1(page)).to_have_text("Select therapy to change")
    expect(page.locator("#result_list tbody tr", has_text="Testumab")).to_contain_text("Draft")
    editor.assert_none("changelist after adding")
    therapy = Therapy.objects.get(slug="testumab")
    assert therapy.status == "draft" and therapy.brand_names == ["Testra"]

    # --- the public cannot see the draft -----------------------------------------------------
    public.goto(f"{site}/therapies/testumab/", 404)
    expect(h1(public_page)).to_have_text("Page not found")
    assert "Testumab" not in public_condition_filter()
    public.assert_none("draft hidden from the public")

    # --- the editor previews it ------------------------------------------------------------------
    page.locator("#result_list").get_by_role("link", name="Testumab", exact=True).click()
    expect(h1(page)).to_have_text("Change therapy")
    page.get_by_role("link", name="View on site").click()
    expect(page).to_have_url(f"{site}/preview/therapies/testumab/")
    expect(page.locator(".preview-banner")).to_have_text(DRAFT_BANNER)
    expect(h1(page)).to_have_text("Testumab (Testra)")
    expect(page.locator("main")).to_contain_text(SUMMARY)
    agent_level = page.get_by_role("table", name="Conditions this therapy is used for")
    expect(agent_level.locator("tbody th")).to_have_text(["Rheumatoid arthritis"])
    editor.assert_none("preview")

    # --- publish it --------------------------------------------------------------------------
    run_action(editor, f"{site}/admin/catalog/therapy/", "Testumab", "Publish")
    success_message(page, "1 therapy published.")
    expect(page.locator("#result_list tbody tr", has_text="Testumab")).to_contain_text("Published")
    editor.assert_none("published")

    public.goto(f"{site}/therapies/testumab/")
    agent_level = public_page.get_by_role("table", name="Conditions this therapy is used for")
    expect(agent_level.locator("tbody th")).to_have_text(["Rheumatoid arthritis"])
    assert "Testumab" in public_condition_filter()
    expect(public_page.locator(".results li", has_text="Testumab")).to_contain_text(
        "Used for: Rheumatoid arthritis"
    )
    public.assert_none("published therapy seen by the public")

    # --- edit the summary, add a brand name ------------------------------------------------------
    editor.goto(f"{site}/admin/catalog/therapy/")
    page.locator("#result_list").get_by_role("link", name="Testumab", exact=True).click()
    expect(h1(page)).to_have_text("Change therapy")
    page.get_by_label("Summary:").fill(NEW_SUMMARY)
    names.locator("#id_other_names-1-name").fill("Testrix")
    names.locator("#id_other_names-1-kind").select_option(label="Brand name")
    page.get_by_role("button", name="Save", exact=True).click()
    success_message(page, "The therapy “Testumab” was changed successfully.")
    editor.assert_none("edited")

    # --- compare the published version with the edited one ------------------------------------
    page.locator("#result_list").get_by_role("link", name="Testumab", exact=True).click()
    page.get_by_role("link", name="History").click()
    expect(h1(page)).to_have_text(re.compile("Change history: Testumab"))
    versions = page.locator("#change-history tbody tr")
    # Newest first: edited, published, and the two of adding (the therapy, then its sources).
    expect(versions).to_have_count(4)
    edited = versions.first
    published = versions.filter(has_text="Published via admin action")
    expect(edited).to_contain_text(f"Summary: {SUMMARY}")
    expect(versions.last).to_contain_text("Created")
    expect(page.locator("#related-history")).to_contain_text("Therapy name: Testrix (brand name)")
    published.locator('input[name="old"]').check()
    edited.locator('input[name="new"]').check()
    editor.assert_none("history")
    page.get_by_role("button", name="Compare the selected versions").click()
    expect(h1(page)).to_have_text("Compare versions: Testumab")
    changes = page.locator("#changes li")
    expect(changes).to_have_text(
        [
            f"Summary: {SUMMARY} → {NEW_SUMMARY}",
            "Brand names: Testra → Testra, Testrix",
        ]
    )
    editor.assert_none("compare")

    # --- revert to the published version -----------------------------------------------------
    page.get_by_role("link", name="Back to the history").click()
    expect(h1(page)).to_have_text(re.compile("Change history: Testumab"))
    published.get_by_role("link", name="Testumab").click()
    expect(h1(page)).to_have_text(re.compile("Revert"))
    expect(page.get_by_label("Summary:")).to_have_value(SUMMARY)
    editor.assert_none("revert form")
    page.get_by_role("button", name="Revert").click()
    success_message(page, "The therapy “Testumab” was changed successfully.")
    expect(h1(page)).to_have_text("Select therapy to change")
    editor.assert_none("reverted")
    therapy.refresh_from_db()
    assert therapy.summary == SUMMARY
    assert therapy.status == "published"
    assert therapy.history.first().history_change_reason.startswith("Reverted to the version of")

    public.goto(f"{site}/therapies/testumab/")
    expect(h1(public_page)).to_contain_text("Testumab")
    expect(public_page.locator(".lead")).to_have_text(SUMMARY)
    # A revert restores the therapy's own fields (and sources), not its names: the revert form
    # has no inlines, so "Testrix" stays.
    expect(h1(public_page)).to_have_text("Testumab (Testra, Testrix)")
    public.assert_none("public page after the revert")
