"""The catalog's version row, kept by the database: triggers on every content table."""

import datetime

from django.db import migrations, models

# The tables whose changes move the catalog's version: content, other names, and the
# record-to-source links. (History and search rows are derived from them.)
TABLES = [
    "catalog_source",
    "catalog_therapyclass",
    "catalog_therapyclass_sources",
    "catalog_therapy",
    "catalog_therapy_sources",
    "catalog_therapyname",
    "catalog_condition",
    "catalog_condition_sources",
    "catalog_conditionname",
    "catalog_indication",
    "catalog_indication_sources",
    "catalog_modifierrole",
    "catalog_modifierrole_sources",
    "catalog_glossaryterm",
    "catalog_glossaryterm_sources",
]

POSTGRESQL_BUMP = """
CREATE OR REPLACE FUNCTION catalog_bump_version() RETURNS trigger AS $$
BEGIN
    INSERT INTO catalog_catalogversion (id, changed_at, counter)
    VALUES (1, clock_timestamp(), 1)
    ON CONFLICT (id) DO UPDATE
    SET changed_at = GREATEST(clock_timestamp(), catalog_catalogversion.changed_at),
        counter = catalog_catalogversion.counter + 1;
    RETURN NULL;
END
$$ LANGUAGE plpgsql
"""

SQLITE_BUMP = """
INSERT INTO catalog_catalogversion (id, changed_at, counter)
VALUES (1, strftime('%Y-%m-%d %H:%M:%f', 'now'), 1)
ON CONFLICT (id) DO UPDATE
SET changed_at = max(excluded.changed_at, catalog_catalogversion.changed_at),
    counter = catalog_catalogversion.counter + 1;
"""


def create_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRESQL_BUMP)
        for table in TABLES:
            # Once per statement: a bulk load of 100,000 rows moves the version once.
            schema_editor.execute(
                f"CREATE TRIGGER {table}_version AFTER INSERT OR UPDATE OR DELETE "
                f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION catalog_bump_version()"
            )
    elif vendor == "sqlite":
        for table in TABLES:  # SQLite has row triggers only
            for event in ("INSERT", "UPDATE", "DELETE"):
                schema_editor.execute(
                    f"CREATE TRIGGER {table}_version_{event.lower()} AFTER {event} ON {table} "
                    f"BEGIN {SQLITE_BUMP} END",
                    None,  # no parameters: the % of strftime stays as it is
                )
    else:
        raise NotImplementedError(f"No catalog version triggers for {vendor}")
    schema_editor.execute(
        "INSERT INTO catalog_catalogversion (id, changed_at, counter) VALUES (1, %s, 0)",
        [datetime.datetime.now(datetime.UTC)],
    )


def drop_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for table in TABLES:
        if vendor == "postgresql":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_version ON {table}")
        else:
            for event in ("insert", "update", "delete"):
                schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_version_{event}")
    if vendor == "postgresql":
        schema_editor.execute("DROP FUNCTION IF EXISTS catalog_bump_version()")


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0007_list_indexes"),
    ]

    operations = [
        migrations.CreateModel(
            name="CatalogVersion",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("changed_at", models.DateTimeField()),
                ("counter", models.BigIntegerField(default=0)),
            ],
            options={
                "default_permissions": (),
            },
        ),
        migrations.RunPython(create_triggers, drop_triggers),
    ]
