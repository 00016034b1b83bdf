"""The triggers that note, in the writing transaction, every row a write to a content table
touches (`PendingChange`, models/feed.py), so the changes feed misses no write: the admin's,
the API's, an import's, a bulk load's or raw SQL's.

Each content table's trigger notes the row itself (`spread`: what depends on it may have
changed) and the records its foreign keys name, before and after the write (not spread: only
that record's own row needs a look, as when one of its uses or names is deleted and can no
longer be followed back). A many-to-many link (a record's sources) notes its owner.

They are made from the current models after every `migrate` (catalog/apps.py), on both
databases: a migration that rebuilds a table on SQLite drops its triggers, and a new table or
foreign key is watched without a migration of its own. tests/test_feed_triggers.py fails when
a content table has none.
"""

from django.db import migrations

from ..models.registry import versioned_models
from ..triggers import trigger_names

QUEUE = "catalog_pendingchange"
EVENTS = ("insert", "update", "delete")

POSTGRESQL_FUNCTION = f"""
CREATE OR REPLACE FUNCTION catalog_note_change() RETURNS trigger AS $$
DECLARE
    arg text;
    part text[];
    new_value text;
    old_value text;
BEGIN
    FOREACH arg IN ARRAY TG_ARGV LOOP
        part := string_to_array(arg, '|');
        new_value := NULL;
        old_value := NULL;
        IF TG_OP <> 'DELETE' THEN
            new_value := to_jsonb(NEW) ->> part[2];
        END IF;
        IF TG_OP <> 'INSERT' THEN
            old_value := to_jsonb(OLD) ->> part[2];
        END IF;
        IF new_value IS NOT NULL THEN
            INSERT INTO {QUEUE} (table_name, row_id, spread)
            VALUES (part[1], new_value::bigint, part[3]::boolean);
        END IF;
        IF old_value IS NOT NULL AND old_value IS DISTINCT FROM new_value THEN
            INSERT INTO {QUEUE} (table_name, row_id, spread)
            VALUES (part[1], old_value::bigint, part[3]::boolean);
        END IF;
    END LOOP;
    RETURN NULL;
END
$$ LANGUAGE plpgsql
"""


def watched():
    """{table: [(the table noted, the column holding its id, spread)]} for every content table
    and every many-to-many link of one."""
    content = {model._meta.db_table for model in versioned_models()}
    found = {}
    for model in versioned_models():
        table = model._meta.db_table
        notes = [(table, model._meta.pk.column, True)]
        for field in model._meta.concrete_fields:
            if field.many_to_one or field.one_to_one:
                target = field.related_model._meta.db_table
                if target in content:
                    notes.append((target, field.column, False))
        found[table] = notes
        for field in model._meta.local_many_to_many:
            through = field.remote_field.through._meta
            owner = through.get_field(field.m2m_field_name()).column
            found[through.db_table] = [(table, owner, True)]
    return found


def sqlite_trigger(table, event, notes):
    rows = []
    for target, column, spread in notes:
        flag = 1 if spread else 0
        if event != "delete":
            rows.append(f"SELECT '{target}', NEW.{column}, {flag} WHERE NEW.{column} IS NOT NULL")
        if event != "insert":
            changed = f" AND OLD.{column} IS NOT NEW.{column}" if event == "update" else ""
            rows.append(
                f"SELECT '{target}', OLD.{column}, {flag} WHERE OLD.{column} IS NOT NULL{changed}"
            )
    return (
        f"CREATE TRIGGER {table}_feed_{event} AFTER {event.upper()} ON {table} BEGIN "
        f"INSERT INTO {QUEUE} (table_name, row_id, spread) {' UNION ALL '.join(rows)}; END"
    )


def statements(vendor, tables):
    """The SQL that (re)makes the triggers of these tables ({table: notes})."""
    found = []
    if vendor == "postgresql":
        found.append(POSTGRESQL_FUNCTION)
        for table, notes in tables.items():
            arguments = ", ".join(f"'{t}|{c}|{str(s).lower()}'" for t, c, s in notes)
            found += [
                *drops(vendor, [table]),
                f"CREATE TRIGGER {table}_feed AFTER INSERT OR UPDATE OR DELETE ON {table} "
                f"FOR EACH ROW EXECUTE FUNCTION catalog_note_change({arguments})",
            ]
    elif vendor == "sqlite":
        for table, notes in tables.items():
            found += drops(vendor, [table])
            found += [sqlite_trigger(table, event, notes) for event in EVENTS]
    else:
        raise NotImplementedError(f"No changes-feed triggers for {vendor}")
    return found


def drops(vendor, tables):
    if vendor == "postgresql":
        return [f"DROP TRIGGER IF EXISTS {table}_feed ON {table}" for table in tables]
    return [f"DROP TRIGGER IF EXISTS {table}_feed_{event}" for table in tables for event in EVENTS]


def install(using, **kwargs):
    """post_migrate: the triggers of every content table, made from the current models."""
    from django.db import connections

    connection = connections[using]
    if QUEUE not in connection.introspection.table_names():
        return
    with connection.cursor() as cursor:
        for sql in statements(connection.vendor, watched()):
            cursor.execute(sql, None)  # no parameters: SQL as written


def installed(connection):
    """The tables that have their feed trigger(s), as the database says."""
    found = trigger_names(connection)
    if connection.vendor == "postgresql":
        return {table for table, name in found if name == f"{table}_feed"}
    return {
        table
        for table, _name in found
        if all((table, f"{table}_feed_{event}") in found for event in EVENTS)
    }


class FeedTriggers(migrations.operations.base.Operation):
    """The migration that makes the feed's tables makes the triggers too (from the models as
    they are now; `install` makes them again after every `migrate`); backwards, it drops them
    before the table they write to goes."""

    reversible = True
    reduces_to_sql = True

    def deconstruct(self):
        return (self.__class__.__qualname__, [], {})

    def state_forwards(self, app_label, state):
        pass  # triggers are not part of Django's model state

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        for sql in statements(schema_editor.connection.vendor, watched()):
            schema_editor.execute(sql, None)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        for sql in drops(schema_editor.connection.vendor, watched()):
            schema_editor.execute(sql, None)

    def describe(self):
        return "Changes-feed triggers on every content table"
