"""What changed, for readers (catalog/changes/): a record's published changes in plain words,
newest first, from its history; drafts, reverted drafts, internal fields and editors' names
never show; reviews are entries of their own."""

import datetime

import pytest
import time_machine
from django.contrib.auth.models import User
from django.utils import timezone

from catalog.changes import record_changes, site_changes
from catalog.models import Condition, Indication, Source, Therapy, TherapyClass, TherapyName

from .helpers import admin_url, form_data, make_reviewer, page_text, review

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded(seeded_history):
    """The records' seeded first versions (tests/conftest.py)."""


def rituximab():
    return Therapy.objects.get(slug="rituximab")


def texts(record):
    return [entry.text for entry in record_changes(record)]


def therapy_with_a_use(name, condition, **fields):
    """A new therapy of rituximab's class (a draft unless `fields` say otherwise) with a
    published use of `condition`."""
    therapy = Therapy.objects.create(
        slug=name.lower(),
        name=name,
        summary="Not ready.",
        therapy_class=rituximab().therapy_class,
        **fields,
    )
    Indication.objects.create(therapy=therapy, condition=condition, status="published")
    return therapy


def test_the_seeded_version_is_the_first_published_entry(seeded):
    (entry,) = record_changes(rituximab())
    assert entry.text == "first published"
    assert entry.kind == "first-published"


def test_a_brand_name_added_reads_in_plain_words(seeded):
    therapy = rituximab()
    therapy.summary = therapy.summary + " More."
    therapy.save()  # the admin saves the record, then its inline rows
    TherapyName.objects.create(therapy=therapy, name="MabThera", kind="brand")
    newest = record_changes(therapy)[0]
    assert newest.parts == ("summary rewritten", "added the brand name MabThera")
    assert texts(therapy)[1:] == ["first published"]


def test_a_uses_limit_changed_reads_as_the_page_phrases_it(seeded):
    therapy = rituximab()
    use = therapy.indications.get(condition__slug="rheumatoid-arthritis")
    use.combination = "in combination with methotrexate"
    use.save()
    assert texts(therapy)[0] == (
        "uses: Rheumatoid arthritis now 'when other agents have not worked; Moderately to "
        "severely active; adults; in combination with methotrexate; After an inadequate "
        "response to one or more TNF blockers'"
    )
    # The condition's page says the same of the therapy.
    condition = Condition.objects.get(slug="rheumatoid-arthritis")
    assert texts(condition)[0].startswith("uses: Rituximab now 'when other agents")


def test_a_review_is_an_entry_of_its_own_with_the_reviewers_public_name(seeded):
    therapy = rituximab()
    review(therapy, make_reviewer(), datetime.date(2026, 12, 3))
    newest = record_changes(therapy)[0]
    assert newest.kind == "reviewed"
    assert newest.text == "medically reviewed by Jane Doe, MD, rheumatology"
    assert "jdoe" not in " ".join(texts(therapy))


def test_draft_edits_never_show_until_published_then_read_as_one_change(seeded):
    therapy = rituximab()
    therapy.unpublish()
    therapy.summary = "First draft."
    therapy.save()
    therapy.summary = "Second draft."
    therapy.abbreviation = "RTX" if hasattr(therapy, "abbreviation") else None
    therapy.save()
    TherapyName.objects.create(therapy=therapy, name="Draftname", kind="brand")
    assert texts(therapy) == ["first published"]  # nothing of the drafts
    therapy.publish()
    therapy.save()
    newest, first = record_changes(therapy)
    assert newest.parts[0].startswith("withdrawn on ")
    assert newest.parts[0].endswith(" and published again")
    assert newest.parts[1:] == ("summary rewritten", "added the brand name Draftname")
    assert first.text == "first published"


def test_a_draft_reverted_before_publishing_never_shows(seeded):
    therapy = rituximab()
    original = therapy.summary
    therapy.unpublish()
    therapy.summary = "A mistake."
    therapy.save()
    therapy.summary = original
    therapy.publish()
    therapy.save()
    shown = " ".join(texts(therapy))
    assert "summary" not in shown and "mistake" not in shown


def test_internal_fields_and_editors_never_show(seeded):
    editor = User.objects.create_user("eddie.editor", first_name="Eddie")
    therapy = rituximab()
    therapy.submit_for_review(editor)
    therapy.review_interval_days = 30
    therapy._change_reason = "internal note"
    therapy.save()
    therapy.go_live_at = therapy.published_at
    therapy.save()
    assert texts(therapy) == ["first published"]


def test_entries_are_newest_first_and_a_draft_use_never_shows(seeded):
    therapy = rituximab()
    therapy.summary = "One."
    therapy.save()
    Indication.objects.create(
        therapy=therapy, condition=Condition.objects.get(slug="lymphoma"), status="draft"
    )
    therapy.summary = "Two."
    therapy.save()
    entries = record_changes(therapy)
    assert [entry.text for entry in entries] == [
        "summary rewritten",
        "summary rewritten",
        "first published",
    ]
    dates = [entry.date for entry in entries]
    assert dates == sorted(dates, reverse=True)


def test_the_site_lists_every_public_records_changes_newest_first(seeded):
    therapy = rituximab()
    TherapyName.objects.filter(therapy=therapy).delete()
    titles = [entry.title for entry in site_changes()]
    assert titles[0] == "Rituximab: removed the brand name Rituxan"
    assert "Rituximab: first published" in titles
    draft = Therapy.objects.exclude(pk=therapy.pk).first()
    draft.unpublish()
    draft.save()
    assert not [e for e in site_changes() if e.record == draft]


def test_a_use_of_a_draft_therapy_never_shows_on_the_conditions_changes(seeded):
    condition = Condition.objects.get(slug="lymphoma")
    draft = therapy_with_a_use("Draftumab", condition)
    assert "Draftumab" not in " ".join(texts(condition))
    draft.publish()
    draft.save()
    assert texts(condition)[0] == "added a use: Draftumab"


def test_whats_new_reads_only_the_records_changed_last(seeded, django_assert_max_num_queries):
    """At any size of catalog the site's list reads the histories of the records changed
    last (a name's or use's change counts for its record, and a move in or out of view of
    its class, parent or a use's other end), never every record's."""
    therapy = rituximab()
    condition = Condition.objects.get(slug="lymphoma")
    TherapyName.objects.create(therapy=therapy, name="MabThera", kind="brand")
    condition.summary = condition.summary + " More."
    condition.save()
    # The newest two of each kind: rituximab (its new name) and one other therapy.
    records = {entry.record for entry in site_changes(limit=2)}
    therapies = {r for r in records if isinstance(r, Therapy)}
    conditions = {r for r in records if isinstance(r, Condition)}
    assert therapy in therapies and len(therapies) == 2
    assert condition in conditions and len(conditions) == 2
    assert len({entry.record for entry in site_changes()}) > len(records)
    # With a class and a parent condition that left and came back, their therapies and
    # sub-conditions (and the records at their uses' other ends) are read too, still bounded.
    later = timezone.now() + datetime.timedelta(days=1)
    parent = Condition.objects.filter(children__isnull=False).first()
    with time_machine.travel(later):
        for record in (therapy.therapy_class, parent):
            set_status(record, "draft")
            set_status(record, "published")
        with django_assert_max_num_queries(46):
            site_changes(limit=2)


def edit_summary(record):
    record.summary += " More."
    record.save()


def test_whats_new_lists_a_therapy_that_came_back_with_its_class(seeded):
    """A therapy with no version of its own since it was created still changed when its
    class came back: What's new reads the classes' moves in and out of view too."""
    new_class = TherapyClass.objects.create(
        slug="new-class", name="New class", summary="A class.", status="published"
    )
    therapy = Therapy.objects.create(
        slug="newumab", name="Newumab", therapy_class=new_class, summary="New.", status="published"
    )
    start = timezone.now()
    left, back = (start + datetime.timedelta(days=n) for n in (2, 4))
    with time_machine.travel(start + datetime.timedelta(days=1)):
        edit_summary(rituximab())  # a therapy saved later than Newumab itself
    with time_machine.travel(left, tick=False):
        set_status(new_class, "draft")
    with time_machine.travel(back, tick=False):
        set_status(TherapyClass.objects.get(pk=new_class.pk), "published")
    with time_machine.travel(back + datetime.timedelta(hours=1)):
        therapies = [e for e in site_changes(limit=1) if isinstance(e.record, Therapy)]
    assert therapies[0].record == therapy
    assert therapies[0].title == f"Newumab: withdrawn on {left:%-d %B %Y} and published again"
    assert therapies[0].date == back


def test_whats_new_lists_a_condition_that_gained_a_use_when_its_therapy_went_live(seeded):
    """The condition saved nothing when the therapy was published, yet its page reads "added a
    use" that day: What's new reads the moves of the records at its uses' other ends too."""
    condition = Condition.objects.get(slug="lymphoma")
    therapy = therapy_with_a_use("Laterumab", condition)
    start = timezone.now()
    published = start + datetime.timedelta(days=3)
    with time_machine.travel(start + datetime.timedelta(days=1)):
        edit_summary(Condition.objects.exclude(pk=condition.pk).first())
    with time_machine.travel(published, tick=False):
        set_status(therapy, "published")
    with time_machine.travel(published + datetime.timedelta(hours=1)):
        conditions = [e for e in site_changes(limit=1) if isinstance(e.record, Condition)]
    assert conditions[0].title == f"{condition.name}: added a use: Laterumab"
    assert conditions[0].date == published


def test_a_use_shows_once_the_therapy_at_its_other_end_goes_live(seeded):
    """The other end's schedule is read from its versions: a therapy scheduled to go live
    appears on its condition's changes when it does, with nothing saved in between (the uses'
    rows are read with a query built once per process, states.child_versions)."""
    condition = Condition.objects.get(slug="lymphoma")
    live_at = timezone.now() + datetime.timedelta(days=1)
    texts(condition)  # the rule built, before the therapy exists
    therapy_with_a_use("Schedumab", condition, status="published", go_live_at=live_at)
    assert "Schedumab" not in " ".join(texts(condition))
    with time_machine.travel(live_at + datetime.timedelta(hours=1), tick=False):
        assert texts(condition)[0] == "added a use: Schedumab"


def other_source(record):
    return Source.objects.exclude(pk__in=record.sources.all()).order_by("title").first()


def test_a_source_added_in_the_same_save_reads_with_that_save(seeded):
    """The admin saves the record, then its sources (a version of their own): one entry."""
    therapy = rituximab()
    source = other_source(therapy)
    therapy.summary = therapy.summary + " More."
    therapy.save()
    therapy.sources.add(source)
    newest, first = record_changes(therapy)
    assert newest.parts == ("summary rewritten", f"added the source {source}")
    assert first.text == "first published"


def test_a_source_dropped_on_its_own_later_is_an_entry_of_its_own(seeded):
    therapy = rituximab()
    cited = therapy.sources.order_by("title").first()
    with time_machine.travel(timezone.now() + datetime.timedelta(hours=1)):
        therapy.sources.remove(cited)
        assert texts(therapy) == [f"removed the source {cited}", "first published"]
    assert str(cited).startswith(f"{cited.publisher}, “{cited.title}”")  # as the page cites it


def test_sources_changed_in_a_draft_show_only_once_it_is_published(seeded):
    therapy = rituximab()
    source = other_source(therapy)
    therapy.unpublish()
    therapy.save()
    therapy.sources.add(source)
    assert texts(therapy) == ["first published"]
    therapy.publish()
    therapy.save()
    assert record_changes(therapy)[0].parts[1:] == (f"added the source {source}",)


def test_a_source_a_use_cites_reads_on_both_of_its_records(seeded):
    """A use's sources are followed: on the therapy's changes and on the condition's."""
    therapy = rituximab()
    use = therapy.indications.get(condition__slug="rheumatoid-arthritis")
    source = other_source(use)
    with time_machine.travel(timezone.now() + datetime.timedelta(hours=1)):
        use.sources.add(source)
        assert texts(therapy)[0] == f"uses: Rheumatoid arthritis: added the source {source}"
        condition = Condition.objects.get(slug="rheumatoid-arthritis")
        assert texts(condition)[0] == f"uses: Rituximab: added the source {source}"
    with time_machine.travel(timezone.now() + datetime.timedelta(hours=2)):
        use.sources.remove(source)
        assert texts(therapy)[0] == f"uses: Rheumatoid arthritis: removed the source {source}"


def test_a_source_a_section_cites_reads_with_the_sections_name(seeded):
    therapy = rituximab()
    part = therapy.sections.order_by("kind").first()
    source = other_source(part)
    with time_machine.travel(timezone.now() + datetime.timedelta(hours=1)):
        part.sources.add(source)
        name = part.get_kind_display()
        assert texts(therapy)[0] == f"section '{name}': added the source {source}"


def test_a_source_added_to_a_draft_therapys_use_never_shows(seeded):
    therapy = rituximab()
    therapy.unpublish()
    therapy.save()
    use = therapy.indications.get(condition__slug="rheumatoid-arthritis")
    use.sources.add(other_source(use))
    condition = Condition.objects.get(slug="rheumatoid-arthritis")
    assert "added the source" not in " ".join(texts(condition))


def test_a_use_that_expires_on_its_schedule_reads_as_removed_on_that_day(seeded):
    """No version is saved when a use's "expire at" passes: the moment is a change all the
    same, and the entry is dated then."""
    therapy = rituximab()
    ends = timezone.now() + datetime.timedelta(days=2)
    use = therapy.indications.get(condition__slug="rheumatoid-arthritis")
    use.expire_at = ends
    use.save()
    assert texts(therapy) == ["first published"]  # still listed
    with time_machine.travel(ends + datetime.timedelta(days=1), tick=False):
        newest = record_changes(therapy)[0]
        assert newest.text == "removed a use: Rheumatoid arthritis"
        assert newest.date == ends
        condition = Condition.objects.get(slug="rheumatoid-arthritis")
        assert texts(condition)[0] == "removed a use: Rituximab"


def test_a_record_that_expired_then_came_back_says_when_it_left(seeded):
    therapy = rituximab()
    ends = timezone.now() + datetime.timedelta(days=2)
    therapy.expire_at = ends
    therapy.save()
    with time_machine.travel(ends + datetime.timedelta(days=5)):
        therapy.expire_at = None
        therapy.summary = "Back, rewritten."
        therapy.save()
        newest = record_changes(therapy)[0]
    withdrawn = f"withdrawn on {ends:%-d %B %Y} and published again"
    assert newest.parts == (withdrawn, "summary rewritten")


def set_status(record, status):
    record.status = status
    record.save()


def test_a_therapy_hidden_while_its_class_was_a_draft_left_the_site_then(seeded):
    """A therapy is public only while its class is (`Therapy.shown_with`): an edit made while
    the class was a draft shows only when the class is back, with the day it left."""
    therapy = rituximab()
    left = timezone.now() + datetime.timedelta(days=2)
    back = left + datetime.timedelta(days=5)
    with time_machine.travel(left):
        set_status(therapy.therapy_class, "draft")
    with time_machine.travel(left + datetime.timedelta(days=1)):
        therapy.summary = "Rewritten while its class was a draft."
        therapy.save()
        assert texts(therapy) == ["first published"]  # not on the site: nothing to say yet
    with time_machine.travel(back, tick=False):
        set_status(TherapyClass.objects.get(pk=therapy.therapy_class_id), "published")
    with time_machine.travel(back + datetime.timedelta(hours=1)):
        newest, first = record_changes(therapy)
    assert newest.parts == (
        f"withdrawn on {left:%-d %B %Y} and published again",
        "summary rewritten",
    )
    assert newest.date == back  # when it came back, not when the edit was saved
    assert first.text == "first published"


def test_a_therapy_published_under_a_draft_class_was_first_published_with_the_class(seeded):
    draft_class = TherapyClass.objects.create(
        slug="new-class", name="New class", summary="A class.", status="draft"
    )
    therapy = Therapy.objects.create(
        slug="newumab",
        name="Newumab",
        therapy_class=draft_class,
        summary="A new therapy.",
        status="published",
    )
    live = timezone.now() + datetime.timedelta(days=3)
    with time_machine.travel(live, tick=False):
        set_status(draft_class, "published")
    with time_machine.travel(live + datetime.timedelta(hours=1)):
        (entry,) = record_changes(therapy)
        assert (entry.text, entry.date) == ("first published", live)
        newest = {(e.record.slug, e.text, e.date) for e in site_changes()[:2]}
        assert newest == {
            ("newumab", "first published", live),
            ("new-class", "first published", live),
        }


def test_a_sub_condition_hidden_while_its_parent_was_a_draft_says_when_it_left(seeded):
    """A condition with a parent is public only while its parent is (`Condition.shown_with`)."""
    child = Condition.objects.get(slug="non-hodgkins-lymphoma")
    left = timezone.now() + datetime.timedelta(days=2)
    with time_machine.travel(left):
        set_status(child.parent, "draft")
    with time_machine.travel(left + datetime.timedelta(days=4)):
        set_status(Condition.objects.get(pk=child.parent_id), "published")
        newest = record_changes(child)[0]
    assert newest.text == f"withdrawn on {left:%-d %B %Y} and published again"


def test_a_use_is_on_its_conditions_changes_while_its_therapy_was_public(seeded):
    """A use shows at its other end from the moment the therapy went live until it left, by
    the same rule as the therapy's own states: added the day the therapy was published (not
    the day the use was saved in its draft), removed the day it was unpublished."""
    condition = Condition.objects.get(slug="lymphoma")
    therapy = therapy_with_a_use("Laterumab", condition)
    published = timezone.now() + datetime.timedelta(days=3)
    withdrawn = published + datetime.timedelta(days=3)
    with time_machine.travel(published, tick=False):
        set_status(therapy, "published")
    with time_machine.travel(published + datetime.timedelta(hours=1)):
        newest = record_changes(condition)[0]
        assert (newest.text, newest.date) == ("added a use: Laterumab", published)
    with time_machine.travel(withdrawn, tick=False):
        set_status(Therapy.objects.get(pk=therapy.pk), "draft")
    with time_machine.travel(withdrawn + datetime.timedelta(hours=1)):
        removed, added = record_changes(condition)[:2]
    assert (removed.text, removed.date) == ("removed a use: Laterumab", withdrawn)
    assert (added.text, added.date) == ("added a use: Laterumab", published)


def test_a_use_leaves_its_conditions_changes_while_its_therapys_class_is_a_draft(seeded):
    """The other end's own `shown_with` counts too: rituximab was off the site while its class
    was a draft, and so was its use on the condition's page."""
    therapy = rituximab()
    condition = therapy.indications.get(condition__slug="rheumatoid-arthritis").condition
    left = timezone.now() + datetime.timedelta(days=2)
    back = left + datetime.timedelta(days=5)
    with time_machine.travel(left, tick=False):
        set_status(therapy.therapy_class, "draft")
    with time_machine.travel(back, tick=False):
        set_status(TherapyClass.objects.get(pk=therapy.therapy_class_id), "published")
    with time_machine.travel(back + datetime.timedelta(hours=1)):
        entries = [(e.parts, e.date) for e in record_changes(condition) if e.date >= left]
    (added, came_back), (removed, went) = entries
    assert "added a use: Rituximab" in [part.split(" (")[0] for part in added]
    assert "removed a use: Rituximab" in [part.split(" (")[0] for part in removed]
    assert (came_back, went) == (back, left)


def test_an_admin_save_of_the_summary_and_the_sources_is_one_entry(seeded, admin_client):
    therapy = rituximab()
    source = other_source(therapy)
    url = admin_url(Therapy, "change", therapy.pk)
    data = form_data(admin_client.get(url))
    data["summary"] = therapy.summary + " Reviewed wording."
    data["sources"] = [*data["sources"], str(source.pk)]
    response = admin_client.post(url, data)
    assert response.status_code == 302, page_text(response)[:500]
    newest, first = record_changes(therapy)
    assert newest.parts == ("summary rewritten", f"added the source {source}")
    assert first.text == "first published"
