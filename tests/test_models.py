import io

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import IntegrityError, transaction

from catalog.models import (
    CatalogVersion,
    Condition,
    ConditionCategory,
    GlossaryTerm,
    Indication,
    SearchTerm,
    Source,
    Therapy,
    TherapyClass,
    TherapyName,
    catalog_last_modified,
    registry,
)
from tests.helpers import make_reviewer

pytestmark = pytest.mark.django_db


@pytest.fixture
def rituximab():
    return Therapy.objects.get(slug="rituximab")


@pytest.fixture
def interferons():
    return TherapyClass.objects.get(slug="interferons")


@pytest.fixture
def melanoma():
    return Condition.objects.get(slug="melanoma")


def test_indication_needs_a_therapy_or_a_class_not_both(rituximab, interferons, melanoma):
    with pytest.raises(IntegrityError), transaction.atomic():
        Indication.objects.create(therapy=rituximab, therapy_class=interferons, condition=melanoma)
    with pytest.raises(IntegrityError), transaction.atomic():
        Indication.objects.create(condition=melanoma)
    with pytest.raises(ValidationError, match="either a therapy or a therapy class"):
        Indication(therapy=rituximab, therapy_class=interferons, condition=melanoma).full_clean()


def test_duplicate_indications_are_refused(interferons, melanoma):
    assert Indication.objects.filter(therapy_class=interferons, condition=melanoma).exists()
    with pytest.raises(IntegrityError), transaction.atomic():
        Indication.objects.create(therapy_class=interferons, condition=melanoma)
    with pytest.raises(ValidationError, match="already linked"):
        Indication(therapy_class=interferons, condition=melanoma).full_clean()


def test_the_same_condition_may_have_agent_and_class_indications(rituximab, melanoma):
    # Interferons (a class) already treat melanoma; an agent may too.
    Indication.objects.create(therapy=rituximab, condition=melanoma)
    assert melanoma.indications.count() == 3  # interferons, interleukin-2, rituximab


@pytest.mark.parametrize("model", [Therapy, TherapyClass, Condition, Source, GlossaryTerm])
def test_slugs_are_unique(model):
    existing = model.objects.first()
    duplicate = model.objects.get(pk=existing.pk)
    duplicate.pk = None
    duplicate.name = duplicate.term = "Another name"
    with pytest.raises(IntegrityError), transaction.atomic():
        duplicate.save()


def test_condition_cannot_be_its_own_parent_in_the_database(melanoma):
    melanoma.parent_id = melanoma.pk
    with pytest.raises(IntegrityError), transaction.atomic():
        melanoma.save()


@pytest.mark.parametrize(
    ("slug", "parent", "message"),
    [
        ("melanoma", "melanoma", "its own parent"),
        ("melanoma", "chronic-lymphocytic-leukemia", "one level deep"),
        ("leukemia", "lymphoma", "has sub-conditions"),
        ("psoriasis", "leukemia", "parent's category"),
    ],
)
def test_condition_hierarchy_rules(slug, parent, message):
    condition = Condition.objects.get(slug=slug)
    condition.parent = Condition.objects.get(slug=parent)
    with pytest.raises(ValidationError, match=message):
        condition.full_clean()


def test_parent_category_cannot_drift_from_its_sub_conditions():
    leukemia = Condition.objects.get(slug="leukemia")
    leukemia.category = ConditionCategory.AUTOIMMUNE_INFLAMMATORY
    with pytest.raises(ValidationError, match="sub-conditions have another category"):
        leukemia.full_clean()


def test_therapy_names_are_unique_per_therapy(rituximab):
    with pytest.raises(IntegrityError), transaction.atomic():
        TherapyName.objects.create(therapy=rituximab, name="Rituxan", kind="brand")


def test_string_forms_and_urls(rituximab, interferons):
    assert str(rituximab) == "Rituximab"
    assert rituximab.get_absolute_url() == "/therapies/rituximab/"
    assert interferons.get_absolute_url() == "/classes/interferons/"
    assert Condition.objects.get(slug="melanoma").get_absolute_url() == "/conditions/melanoma/"
    indication = Indication.objects.get(therapy=rituximab, condition__slug="rheumatoid-arthritis")
    assert str(indication) == "Rituximab → Rheumatoid arthritis"
    assert indication.level == "agent"
    assert rituximab.brand_names == ["Rituxan"]


def test_for_condition_includes_sub_conditions():
    leukemia = Condition.objects.get(slug="leukemia")
    assert [t.slug for t in Therapy.objects.for_conditions([leukemia])] == ["rituximab"]
    child = Condition.objects.get(slug="chronic-lymphocytic-leukemia")
    assert set(Condition.objects.matching([leukemia])) == {leukemia, child}
    assert child.category == ConditionCategory.CANCER


def test_natural_keys_round_trip_without_database_ids(tmp_path):
    out = io.StringIO()
    content = [
        f"catalog.{m._meta.model_name}"
        for m in (Source, TherapyClass, Condition, Therapy, TherapyName, Indication, GlossaryTerm)
    ]
    call_command(
        "dumpdata", *content, natural_foreign=True, natural_primary=True, stdout=out, indent=0
    )
    dumped = out.getvalue()
    assert '"pk"' not in dumped
    counts = {m: m.objects.count() for m in (Therapy, Indication, TherapyName, Condition)}
    path = tmp_path / "dump.json"
    path.write_text(dumped)
    call_command("loaddata", str(path), verbosity=0)
    assert counts == {m: m.objects.count() for m in counts}


# --- the catalog's version (kept by database triggers) ------------------------------------------


def version():
    return CatalogVersion.objects.values_list("counter", "changed_at").get(pk=1)


@pytest.mark.parametrize("model", registry.versioned_models(), ids=lambda m: m.__name__)
def test_any_write_to_a_content_table_moves_the_version(model):
    if not model.objects.exists():  # the content has no reviewer yet
        make_reviewer()
    record = model.objects.order_by("pk").first()
    before = version()
    model.objects.filter(pk=record.pk).update(id=record.pk)  # bypasses save() and signals
    after = version()
    assert after[0] > before[0] and after[1] >= before[1]
    links = [f for f in model._meta.many_to_many if f.name == "sources"]
    for field in links:
        before = version()
        field.remote_field.through.objects.filter(**{field.m2m_field_name(): record}).delete()
        assert version()[0] > before[0]


def test_deletes_and_bulk_inserts_move_the_version_and_derived_rows_do_not(make_catalog):
    before = version()
    make_catalog(3)  # bulk_create
    assert version()[0] > before[0]
    before = version()
    TherapyName.objects.filter(name="Rituxan").delete()
    assert version()[0] > before[0]
    before = version()
    SearchTerm.objects.filter(name="Humira").delete()  # derived: not content
    assert version() == before
    assert catalog_last_modified() == before[1]
