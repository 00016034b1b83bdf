"""The database triggers that keep the table of published uses (models/uses.py, `TherapyUse`)
exact in the same transaction as every insert, update or delete of an indication, a therapy, a
therapy class or a condition, and `UseTriggers`, the migration operation that makes them.

Each trigger finds the therapies a write may change (an indication's therapy, a class's
therapies, the therapies used for a condition or its sub-conditions), deletes their rows and
inserts them again from one SELECT (`refresh()`, the same SQL on both databases) over the same
records the visibility rule checks (`Indication.visible()` and `Therapy.visible()`). PostgreSQL
runs them once per statement over the rows it changed (transition tables: a bulk load of 5,000
therapies is one refresh); SQLite, which has row triggers only, once per row, and on an update
only when a column the rule reads changed.

SQLite checks every trigger when a table is renamed, and a migration's table rebuild (a new
table, the rows copied, the old one dropped, the new one renamed) renames a table the
indication's triggers read: on SQLite the triggers are dropped before `migrate` and made again,
with the table refilled, after it (catalog/apps.py), so later migrations need nothing.
"""

from django.db import migrations

from .models.base import PUBLISHED
from .triggers import trigger_names

USES = "catalog_therapyuse"
EVENTS = ("insert", "update", "delete")

# The watched tables: (the column naming what changed, the columns the rows read, and the
# therapies that may change, from the keys in `{keys}`).
WATCHED = {
    "catalog_indication": (
        "therapy_id",
        ("status", "go_live_at", "expire_at", "therapy_id", "condition_id"),
        "{keys}",
    ),
    "catalog_therapy": (
        "id",
        ("status", "go_live_at", "expire_at", "therapy_class_id", "name"),
        "{keys}",
    ),
    "catalog_therapyclass": (
        "id",
        ("status", "go_live_at", "expire_at"),
        "SELECT id FROM catalog_therapy WHERE therapy_class_id IN ({keys})",
    ),
    "catalog_condition": (
        "id",
        ("status", "go_live_at", "expire_at", "parent_id"),
        "SELECT therapy_id FROM catalog_indication WHERE condition_id IN ({keys}) "
        "OR condition_id IN (SELECT id FROM catalog_condition WHERE parent_id IN ({keys}))",
    ),
}
# The records a use depends on, as the SELECT names them (the parent may be missing).
INVOLVED = ("i", "t", "k", "c", "p")


def greatest(vendor, values):
    """The latest non-null value (None when all are null)."""
    if vendor == "postgresql":
        return f"GREATEST({', '.join(values)})"  # ignores nulls
    # SQLite's max() of several is null if one is; '' sorts before any stored date.
    return f"NULLIF(max({', '.join(f'COALESCE({v}, {chr(39) * 2})' for v in values)}), '')"


def least(vendor, values):
    if vendor == "postgresql":
        return f"LEAST({', '.join(values)})"
    return f"NULLIF(min({', '.join(f'COALESCE({v}, {chr(39)}~{chr(39)})' for v in values)}), '~')"


def select_uses(vendor, scope):
    """The published uses of the therapies `scope` (SQL: a condition on `i.therapy_id`) allows:
    each agent-level indication under its own condition and, if it has one, its parent."""
    published = f"'{PUBLISHED}'"
    visible_from = greatest(vendor, [f"{r}.go_live_at" for r in INVOLVED])
    visible_until = least(vendor, [f"{r}.expire_at" for r in INVOLVED])
    return (
        f"INSERT INTO {USES} (therapy_id, condition_id, therapy_class_id, therapy_name, "
        "visible_from, visible_until) "
        "SELECT i.therapy_id, CASE WHEN r.own = 1 THEN c.id ELSE c.parent_id END, "
        f"t.therapy_class_id, t.name, {visible_from}, {visible_until} "
        "FROM catalog_indication i "
        "JOIN catalog_therapy t ON t.id = i.therapy_id "
        "JOIN catalog_therapyclass k ON k.id = t.therapy_class_id "
        "JOIN catalog_condition c ON c.id = i.condition_id "
        "LEFT JOIN catalog_condition p ON p.id = c.parent_id "
        "CROSS JOIN (SELECT 1 AS own UNION ALL SELECT 0) r "
        f"WHERE {scope} AND i.status = {published} AND t.status = {published} "
        f"AND k.status = {published} AND c.status = {published} "
        f"AND (c.parent_id IS NULL OR p.status = {published}) "
        "AND (r.own = 1 OR c.parent_id IS NOT NULL)"
    )


def refresh(vendor, therapies):
    """The statements that make the rows of `therapies` (SQL: a SELECT of therapy ids) exact."""
    return [
        f"DELETE FROM {USES} WHERE therapy_id IN ({therapies})",
        select_uses(vendor, f"i.therapy_id IN ({therapies})"),
    ]


def fill(vendor):
    """The statements that make the whole table exact."""
    return [f"DELETE FROM {USES}", select_uses(vendor, "i.therapy_id IS NOT NULL")]


def trigger_statements(vendor, table, event, keys):
    """A trigger's statements, `keys` being a SELECT of the changed rows' key column."""
    _, _, therapies = WATCHED[table]
    statements = refresh(vendor, therapies.format(keys=keys))
    if table == "catalog_condition" and event == "delete":  # rows naming it as the parent too
        statements.insert(0, f"DELETE FROM {USES} WHERE condition_id IN ({keys})")
    return statements


def postgresql_keys(table, event):
    key, columns, _ = WATCHED[table]
    if event == "insert":
        return f"SELECT {key} FROM new_rows"
    if event == "delete":
        return f"SELECT {key} FROM old_rows"
    new = ", ".join(f"n.{column}" for column in columns)
    old = ", ".join(f"o.{column}" for column in columns)
    changed = (
        f"FROM new_rows n JOIN old_rows o ON o.id = n.id WHERE ({new}) IS DISTINCT FROM ({old})"
    )
    return f"SELECT n.{key} {changed} UNION SELECT o.{key} {changed}"


def sqlite_trigger(table, event):
    key, columns, _ = WATCHED[table]
    keys = {"insert": f"NEW.{key}", "delete": f"OLD.{key}", "update": f"NEW.{key}, OLD.{key}"}
    body = "; ".join(trigger_statements("sqlite", table, event, keys[event]))
    when = ""
    if event == "update":
        changed = " OR ".join(f"NEW.{column} IS NOT OLD.{column}" for column in columns)
        when = f"OF {', '.join(columns)} ON {table} WHEN {changed}"
    else:
        when = f"ON {table}"
    return f"CREATE TRIGGER {table}_uses_{event} AFTER {event.upper()} {when} BEGIN {body}; END"


def postgresql_function(table, event):
    statements = trigger_statements("postgresql", table, event, postgresql_keys(table, event))
    body = "".join(f"    {statement};\n" for statement in statements)
    return (
        f"CREATE OR REPLACE FUNCTION {table}_uses_{event}() RETURNS trigger AS $$\n"
        f"BEGIN\n{body}    RETURN NULL;\nEND\n$$ LANGUAGE plpgsql"
    )


def postgresql_trigger(table, event):
    tables = {
        "insert": "NEW TABLE AS new_rows",
        "update": "OLD TABLE AS old_rows NEW TABLE AS new_rows",
        "delete": "OLD TABLE AS old_rows",
    }[event]
    return (
        f"CREATE TRIGGER {table}_uses_{event} AFTER {event.upper()} ON {table} "
        f"REFERENCING {tables} FOR EACH STATEMENT EXECUTE FUNCTION {table}_uses_{event}()"
    )


def run(execute, statements):
    for statement in statements:
        execute(statement, None)  # no parameters: the SQL is taken as it is


def drop(execute, vendor):
    for table in WATCHED:
        for event in EVENTS:
            if vendor == "postgresql":
                execute(f"DROP TRIGGER IF EXISTS {table}_uses_{event} ON {table}", None)
                execute(f"DROP FUNCTION IF EXISTS {table}_uses_{event}()", None)
            else:
                execute(f"DROP TRIGGER IF EXISTS {table}_uses_{event}", None)


def create(execute, vendor):
    """Every trigger, replacing any there are, and the table filled."""
    if vendor not in ("postgresql", "sqlite"):
        raise NotImplementedError(f"No therapy-use triggers for {vendor}")
    drop(execute, vendor)
    for table in WATCHED:
        for event in EVENTS:
            if vendor == "postgresql":
                run(execute, [postgresql_function(table, event), postgresql_trigger(table, event)])
            else:
                run(execute, [sqlite_trigger(table, event)])
    run(execute, fill(vendor))


def installed(connection):
    """The watched tables that have all their triggers, as the database says."""
    found = trigger_names(connection)
    return {
        table
        for table in WATCHED
        if all((table, f"{table}_uses_{event}") in found for event in EVENTS)
    }


def cursor_execute(connection):
    def execute(sql, params=None):
        with connection.cursor() as cursor:
            cursor.execute(sql, params)

    return execute


def before_migrate(using, **kwargs):
    """pre_migrate, SQLite: no trigger may read a table a migration rebuilds (see above)."""
    from django.db import connections

    connection = connections[using]
    if connection.vendor == "sqlite":
        drop(cursor_execute(connection), connection.vendor)


def after_migrate(using, **kwargs):
    """post_migrate (after a flush too), SQLite: the triggers again, the table refilled."""
    from django.db import connections

    connection = connections[using]
    if connection.vendor == "sqlite" and USES in connection.introspection.table_names():
        create(cursor_execute(connection), connection.vendor)


class UseTriggers(migrations.operations.base.Operation):
    """Fill the table of uses and, on PostgreSQL, make its triggers (on SQLite, post_migrate
    makes them: see the module's docstring); backwards, drop them."""

    reversible = True
    reduces_to_sql = True

    def deconstruct(self):
        return (self.__class__.__qualname__, (), {})

    def state_forwards(self, app_label, state):
        pass  # triggers are not part of Django's model state

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        vendor = schema_editor.connection.vendor
        if vendor == "postgresql":
            create(schema_editor.execute, vendor)
        else:
            run(schema_editor.execute, fill(vendor))

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        drop(schema_editor.execute, schema_editor.connection.vendor)

    def describe(self):
        return "Therapy-use triggers, and the table filled"
