"""Every versioned table has its catalog-version triggers after all migrations, on the database
the suite runs on, and every concrete catalog model is either versioned or declared derived."""

import pytest
from django.apps import apps
from django.db import connection

from catalog import triggers
from catalog.models import CatalogVersion, SearchTerm, Therapy, registry

from .helpers import Statements

pytestmark = pytest.mark.django_db


def test_every_versioned_table_has_its_triggers():
    missing = set(registry.versioned_tables()) - triggers.installed(connection)
    assert not missing, f"tables without catalog-version triggers: {sorted(missing)}"


def test_the_versioned_tables_are_the_content_name_and_source_link_tables():
    tables = set(registry.versioned_tables())
    assert {"catalog_therapy", "catalog_therapyname", "catalog_therapy_sources"} <= tables
    assert (
        not {"catalog_searchterm", "catalog_catalogversion", "catalog_historicaltherapy"} & tables
    )


def test_every_concrete_catalog_model_is_versioned_or_derived():
    for model in apps.get_app_config("catalog").get_models():
        versioned = model in registry.versioned_models()
        assert versioned != registry.is_derived(model), model.__name__
    assert registry.is_derived(SearchTerm) and registry.is_derived(CatalogVersion)


def test_the_migration_operation_recreates_a_tables_triggers_after_a_rebuild():
    """What a migration that alters a versioned table (on SQLite: a table rebuild, which drops
    the triggers) does at its end: VersionTriggers puts them back, and writes move the
    version again."""
    table = Therapy._meta.db_table
    operation = triggers.VersionTriggers(table)
    operation.database_backwards("catalog", Statements(), None, None)
    assert table not in triggers.installed(connection)
    before = CatalogVersion.objects.get().counter
    Therapy.objects.filter(slug="rituximab").update(summary="Changed while unversioned.")
    assert CatalogVersion.objects.get().counter == before
    operation.database_forwards("catalog", Statements(), None, None)
    assert table in triggers.installed(connection)
    Therapy.objects.filter(slug="rituximab").update(summary="Changed again.")
    assert CatalogVersion.objects.get().counter > before
