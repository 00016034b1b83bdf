"""The database triggers that move the catalog's version (models/version.py) on every write to
a versioned table, and `VersionTriggers`, the migration operation that (re)creates them.

On SQLite, Django rebuilds a table for most field changes (a new table, the rows copied, the
old one dropped), which drops its triggers: a migration that alters a versioned table ends
with `VersionTriggers("catalog_x")` for it, and a new versioned model's migration with one for
its table and its link tables. tests/test_triggers.py fails when a versioned table has none.
"""

from django.db import migrations

POSTGRESQL_FUNCTION = """
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
SQLITE_EVENTS = ("insert", "update", "delete")


def drop(schema_editor, table):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_version ON {table}")
    else:
        for event in SQLITE_EVENTS:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_version_{event}")


def create(schema_editor, table):
    """The table's version trigger(s), replacing any there are."""
    vendor = schema_editor.connection.vendor
    drop(schema_editor, table)
    if vendor == "postgresql":
        schema_editor.execute(POSTGRESQL_FUNCTION)
        # Once per statement: a bulk load of 100,000 rows moves the version once.
        schema_editor.execute(
            f"CREATE TRIGGER {table}_version AFTER INSERT OR UPDATE OR DELETE "
            f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION catalog_bump_version()"
        )
    elif vendor == "sqlite":
        for event in SQLITE_EVENTS:  # SQLite has row triggers only
            schema_editor.execute(
                f"CREATE TRIGGER {table}_version_{event} AFTER {event.upper()} ON {table} "
                f"BEGIN {SQLITE_BUMP} END",
                None,  # no parameters: the % of strftime stays as it is
            )
    else:
        raise NotImplementedError(f"No catalog version triggers for {vendor}")


def trigger_names(connection):
    """Every (table, trigger name) pair the database has (its own internal triggers aside)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT c.relname, t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                "WHERE NOT t.tgisinternal"
            )
        else:
            cursor.execute("SELECT tbl_name, name FROM sqlite_master WHERE type = 'trigger'")
        return set(cursor.fetchall())


def installed(connection):
    """The tables that have their version trigger(s), as the database says."""
    found = trigger_names(connection)
    if connection.vendor == "postgresql":
        return {table for table, name in found if name == f"{table}_version"}
    tables = {table for table, _name in found}
    return {
        table
        for table in tables
        if all((table, f"{table}_version_{event}") in found for event in SQLITE_EVENTS)
    }


class VersionTriggers(migrations.operations.base.Operation):
    """(Re)create the catalog-version triggers of the given tables; backwards, drop them."""

    reversible = True
    reduces_to_sql = True

    def __init__(self, *tables):
        self.tables = tables

    def deconstruct(self):
        return (self.__class__.__qualname__, self.tables, {})

    def state_forwards(self, app_label, state):
        pass  # triggers are not part of Django's model state

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        for table in self.tables:
            create(schema_editor, table)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        for table in self.tables:
            drop(schema_editor, table)

    def describe(self):
        return f"Catalog version triggers on {', '.join(self.tables)}"
