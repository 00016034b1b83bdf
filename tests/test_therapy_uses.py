"""The table of published uses (catalog/models/uses.py) and its triggers (catalog/uses.py): the
therapy list's condition filter reads it, and it gives exactly the therapies the visibility rule
gives — over random catalogs and random edits (publish, unpublish, schedule, expire, reparent,
delete, change class; one record at a time as the admin saves, or many in one statement), at
moments on and around every scheduled boundary (the clock under the test's control)."""

import datetime

import pytest
import time_machine
from django.db import connection, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from catalog import uses
from catalog.models import (
    Condition,
    ConditionCategory,
    Indication,
    Status,
    Therapy,
    TherapyClass,
    TherapyUse,
)

from .helpers import Statements, listed_slugs

pytestmark = pytest.mark.django_db

PUBLISHED, DRAFT = Status.PUBLISHED, Status.DRAFT
T0 = datetime.datetime(2030, 1, 1, 9, tzinfo=datetime.UTC)
HOUR = datetime.timedelta(hours=1)
# Before, on and after every boundary of the random schedules (T0 + 1, 2 or 3 hours).
MOMENTS = [T0 + h * HOUR for h in range(4)]


def reference_for_conditions(conditions):
    """The rule before the table: an EXISTS per therapy over published agent-level indications
    (`Indication.visible()`: the indication, its condition and parent, its therapy and class)."""
    indications = Indication.objects.published().filter(
        therapy=OuterRef("pk"), condition__in=Condition.objects.matching(conditions)
    )
    return Therapy.objects.published().filter(Exists(indications))


def table_for_conditions(conditions, classes=()):
    return Therapy.objects.published().for_conditions(conditions, classes=classes)


def slugs(queryset):
    return sorted(queryset.values_list("slug", flat=True))


# --- the table and its triggers -------------------------------------------------------------


def test_every_watched_table_has_its_use_triggers():
    assert uses.installed(connection) == set(uses.WATCHED)


def test_the_condition_filter_reads_the_table_of_uses_not_the_indications():
    sql = str(Therapy.objects.for_conditions(Condition.objects.filter(slug="lymphoma")).query)
    assert "catalog_therapyuse" in sql and "catalog_indication" not in sql


def test_a_use_is_held_under_its_condition_and_under_the_conditions_parent():
    child = Condition.objects.exclude(parent=None).filter(indications__therapy__isnull=False)[0]
    therapy = Indication.objects.filter(condition=child, therapy__isnull=False)[0].therapy
    held = set(TherapyUse.objects.filter(therapy=therapy).values_list("condition", flat=True))
    assert {child.pk, child.parent_id} <= held


def test_the_migration_operation_fills_the_table_as_the_triggers_keep_it():
    def rows():
        fields = ("therapy", "condition", "therapy_class", "therapy_name")
        fields += ("visible_from", "visible_until")
        return sorted(TherapyUse.objects.values_list(*fields))

    # From an exact table (whatever earlier tests' restores left), edits kept by the triggers
    # alone: unpublishing a use, a therapy, a sub-condition's parent; scheduling a class;
    # renaming a therapy.
    uses.run(Statements().execute, uses.fill(connection.vendor))
    Therapy.objects.filter(slug="tocilizumab").update(name="Tocilizumab, renamed")
    Indication.objects.filter(therapy__slug="rituximab").update(status=DRAFT)
    Therapy.objects.filter(slug="infliximab").update(status=DRAFT)
    parent = Condition.objects.filter(children__isnull=False).first()
    if parent is not None:
        Condition.objects.filter(pk=parent.pk).update(status=DRAFT)
    TherapyClass.objects.filter(slug="interferons").update(
        go_live_at=timezone.now() + datetime.timedelta(days=1)
    )
    kept = rows()
    assert kept
    TherapyUse.objects.all().delete()
    uses.UseTriggers().database_forwards("catalog", Statements(), None, None)
    assert rows() == kept
    assert uses.installed(connection) == set(uses.WATCHED)


def test_on_sqlite_the_triggers_are_set_aside_while_migrations_run_and_the_table_refilled():
    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL keeps its triggers through migrations")
    uses.before_migrate(using="default")
    assert uses.installed(connection) == set()
    Indication.objects.filter(therapy__slug="rituximab").update(status=DRAFT)  # untracked
    uses.after_migrate(using="default")
    assert uses.installed(connection) == set(uses.WATCHED)
    assert not TherapyUse.objects.filter(therapy__slug="rituximab").exists()


# --- what a visitor sees ----------------------------------------------------------------------


def test_an_unpublished_use_leaves_the_condition_filtered_list_at_once(client):
    path = "/therapies/?condition=rheumatoid-arthritis"
    assert "rituximab" in listed_slugs(client.get(path))
    use = Indication.objects.get(therapy__slug="rituximab", condition__slug="rheumatoid-arthritis")
    use.unpublish()
    use.save()
    response = client.get(path)
    assert response.status_code == 200
    assert "rituximab" not in listed_slugs(response)
    assert "rituximab" not in response.content.decode()


def test_a_sub_conditions_use_is_listed_under_its_parent_until_the_sub_condition_is_unpublished(
    client,
):
    child = Condition.objects.exclude(parent=None).filter(indications__therapy__isnull=False)[0]
    therapy = Indication.objects.filter(condition=child, therapy__isnull=False)[0].therapy
    Indication.objects.filter(therapy=therapy).exclude(condition=child).delete()
    path = f"/api/v1/therapies/?condition={child.parent.slug}"
    assert therapy.slug in listed_api(client, path)
    child.unpublish()
    child.save()
    assert therapy.slug not in listed_api(client, path)


def listed_api(client, path):
    response = client.get(path)
    assert response.status_code == 200, response.content
    return [row["slug"] for row in response.json()["results"]]


def test_a_scheduled_use_joins_the_condition_filtered_list_at_its_go_live_moment(client):
    path = "/therapies/?condition=rheumatoid-arthritis"
    moment = (timezone.now() + datetime.timedelta(minutes=5)).replace(microsecond=0)
    use = Indication.objects.get(therapy__slug="rituximab", condition__slug="rheumatoid-arthritis")
    use.go_live_at = moment
    use.save()
    with time_machine.travel(moment - datetime.timedelta(seconds=1), tick=False):
        assert "rituximab" not in listed_slugs(client.get(path))
    with time_machine.travel(moment, tick=False):
        response = client.get(path)
        assert "rituximab" in listed_slugs(response)
        assert 'href="/therapies/rituximab/"' in response.content.decode()


# --- random catalogs, random edits --------------------------------------------------------------

# Mostly published and unscheduled, so that most uses hang on one record's state.
WHEN = st.sampled_from([None, None, *MOMENTS[1:]])
STATE = st.tuples(st.sampled_from([PUBLISHED, PUBLISHED, PUBLISHED, DRAFT]), WHEN, WHEN)
N_CLASSES, N_THERAPIES, PARENTS, CHILDREN = 2, 4, 2, 3
N_CONDITIONS = PARENTS + CHILDREN


def schedule(state):
    """(status, go live at, expire at) with the schedule constraint kept."""
    status, go_live, expire = state
    if go_live is not None and expire is not None and expire <= go_live:
        expire = None
    return {"status": status, "go_live_at": go_live, "expire_at": expire}


catalogs = st.fixed_dictionaries(
    {
        "classes": st.lists(STATE, min_size=N_CLASSES, max_size=N_CLASSES),
        "therapies": st.lists(
            st.tuples(STATE, st.integers(0, N_CLASSES - 1)),
            min_size=N_THERAPIES,
            max_size=N_THERAPIES,
        ),
        # Children 2-4 under parent 0 or 1 (or none).
        "conditions": st.lists(
            st.tuples(STATE, st.sampled_from([0, 1, None])),
            min_size=N_CONDITIONS,
            max_size=N_CONDITIONS,
        ),
        "indications": st.dictionaries(
            st.tuples(st.integers(0, N_THERAPIES - 1), st.integers(0, N_CONDITIONS - 1)),
            STATE,
            min_size=6,
            max_size=14,
        ),
        # Class-level uses, which the filter of agents never counts.
        "class_indications": st.dictionaries(
            st.tuples(st.integers(0, N_CLASSES - 1), st.integers(0, N_CONDITIONS - 1)),
            STATE,
            max_size=3,
        ),
    }
)
KINDS = ("class", "therapy", "condition", "indication")
edits = st.lists(
    st.one_of(
        st.tuples(st.just("state"), st.sampled_from(KINDS), st.integers(0, 11), STATE),
        st.tuples(st.just("state_all"), st.sampled_from(KINDS), STATE),
        st.tuples(
            st.just("reparent"),
            st.integers(PARENTS, N_CONDITIONS - 1),
            st.sampled_from([0, 1, None]),
        ),
        st.tuples(st.just("change_class"), st.integers(0, N_THERAPIES - 1), st.integers(0, 1)),
        st.tuples(st.just("move_use"), st.integers(0, 11), st.integers(0, N_CONDITIONS - 1)),
        st.tuples(
            st.just("add_use"), st.integers(0, N_THERAPIES - 1), st.integers(0, N_CONDITIONS - 1)
        ),
        st.tuples(
            st.just("delete"),
            st.sampled_from(("therapy", "condition", "indication")),
            st.integers(0, 11),
        ),
    ),
    max_size=8,
)


MINE = r"^[ktc][0-9]$"  # the slugs of the random catalog's records


class Catalog:
    """A random catalog of its own records (the article's records left as they are)."""

    def __init__(self, spec):
        self.classes = [
            TherapyClass.objects.create(
                slug=f"k{n}", name=f"K{n}", action="targets", summary="x", **schedule(s)
            )
            for n, s in enumerate(spec["classes"])
        ]
        self.therapies = [
            Therapy.objects.create(
                slug=f"t{n}",
                name=f"T{n}",
                therapy_class=self.classes[k],
                summary="x",
                **schedule(s),
            )
            for n, (s, k) in enumerate(spec["therapies"])
        ]
        self.conditions = []
        for n, (s, parent) in enumerate(spec["conditions"]):
            parent = self.conditions[parent] if n >= PARENTS and parent is not None else None
            self.conditions.append(
                Condition.objects.create(
                    slug=f"c{n}",
                    name=f"C{n}",
                    category=ConditionCategory.CANCER,
                    summary="x",
                    parent=parent,
                    **schedule(s),
                )
            )
        for (t, c), s in spec["indications"].items():
            Indication.objects.create(
                therapy=self.therapies[t], condition=self.conditions[c], **schedule(s)
            )
        for (k, c), s in spec["class_indications"].items():
            Indication.objects.create(
                therapy_class=self.classes[k], condition=self.conditions[c], **schedule(s)
            )

    def records(self, kind):
        model = {
            "class": TherapyClass,
            "therapy": Therapy,
            "condition": Condition,
            "indication": Indication,
        }[kind]
        mine = model.objects.order_by("pk")
        if kind == "indication":
            return mine.filter(condition__slug__regex=MINE)
        return mine.filter(slug__regex=MINE)

    def pick(self, kind, n):
        found = list(self.records(kind))
        return found[n % len(found)] if found else None

    def apply(self, edit):
        action, *args = edit
        if action == "state":  # one record saved, as an editor's form saves it
            record = self.pick(args[0], args[1])
            if record is not None:
                for field, value in schedule(args[2]).items():
                    setattr(record, field, value)
                record.save()
        elif action == "state_all":  # every record of a kind in one statement
            self.records(args[0]).update(**schedule(args[1]))
        elif action == "reparent":
            child = Condition.objects.filter(slug=f"c{args[0]}").first()
            parent = (
                Condition.objects.filter(slug=f"c{args[1]}", parent=None).first()
                if args[1] is not None
                else None
            )
            leaf = child is not None and not Condition.objects.filter(parent=child).exists()
            if leaf and (parent is None or parent.pk != child.pk):
                child.parent = parent
                child.save()
        elif action == "change_class":
            Therapy.objects.filter(slug=f"t{args[0]}").update(therapy_class=self.classes[args[1]])
        elif action == "move_use":
            use = self.pick("indication", args[0])
            condition = Condition.objects.filter(slug=f"c{args[1]}").first()
            if use is not None and use.therapy_id and condition is not None:
                taken = Indication.objects.filter(
                    therapy=use.therapy_id, condition=condition
                ).exists()
                if not taken:
                    use.condition = condition
                    use.save()
        elif action == "add_use":
            therapy = Therapy.objects.filter(slug=f"t{args[0]}").first()
            condition = Condition.objects.filter(slug=f"c{args[1]}").first()
            if (
                therapy
                and condition
                and not Indication.objects.filter(therapy=therapy, condition=condition).exists()
            ):
                Indication.objects.create(therapy=therapy, condition=condition, status=PUBLISHED)
        elif action == "delete":
            record = self.pick(args[0], args[1])
            if record is None:
                return
            if isinstance(record, Condition) and Condition.objects.filter(parent=record).exists():
                return  # a parent with sub-conditions is protected
            record.delete()

    def check(self, with_classes=False):
        """Each condition's therapies (and, `with_classes`, in each class) at every moment."""
        conditions = list(Condition.objects.filter(slug__regex=r"^c[0-9]$"))
        classes = list(TherapyClass.objects.filter(slug__regex=r"^k[0-9]$")) if with_classes else []
        for moment in MOMENTS:
            with time_machine.travel(moment, tick=False):
                for condition in conditions:
                    expected = slugs(reference_for_conditions([condition]))
                    assert slugs(table_for_conditions([condition])) == expected, (
                        moment,
                        condition.slug,
                    )
                    for cls in classes:
                        assert slugs(table_for_conditions([condition], [cls])) == slugs(
                            reference_for_conditions([condition]).filter(therapy_class=cls)
                        )
                both = conditions[:1] + conditions[-1:]
                assert slugs(table_for_conditions(both)) == slugs(reference_for_conditions(both))


LIVE = (PUBLISHED, None, None)
# A sub-condition's use while its parent is a draft: on neither condition's list.
DRAFT_PARENT = {
    "classes": [LIVE, LIVE],
    "therapies": [(LIVE, 0), (LIVE, 1), (LIVE, 0), (LIVE, 1)],
    "conditions": [((DRAFT, None, None), None), (LIVE, None), (LIVE, 0), (LIVE, 1), (LIVE, None)],
    "indications": {(0, 2): LIVE, (1, 3): LIVE, (2, 4): LIVE},
    "class_indications": {(0, 2): LIVE},
}


@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(spec=catalogs, changes=edits)
@example(spec=DRAFT_PARENT, changes=[])
@example(spec=DRAFT_PARENT, changes=[("state", "condition", 0, (PUBLISHED, None, MOMENTS[2]))])
def test_the_table_of_uses_filters_exactly_as_the_visibility_rule_after_random_edits(spec, changes):
    with transaction.atomic():
        catalog = Catalog(spec)
        catalog.check()
        for change in changes:
            with transaction.atomic():  # each edit in its own savepoint, as a request commits
                catalog.apply(change)
            catalog.check()
        catalog.check(with_classes=True)
        transaction.set_rollback(True)
