"""The search table and the database's own indexes for it.

PostgreSQL: pg_trgm (a GIN trigram index on `key`: substrings and misspellings) and a GIN
full-text index on `words` (word-by-word prefixes). Django's own `db_index` on `key` adds the
varchar_pattern_ops index used for prefixes.
SQLite: two FTS5 tables over the same rows (trigram tokenizer on `key`, unicode61 on `words`),
kept in step by triggers.
"""

import django.db.models.deletion
from django.db import migrations, models

POSTGRESQL = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX catalog_searchterm_key_trgm ON catalog_searchterm USING gin (key gin_trgm_ops)",
    "CREATE INDEX catalog_searchterm_words_fts ON catalog_searchterm "
    "USING gin (to_tsvector('simple'::regconfig, words))",
]
POSTGRESQL_REVERSE = [
    "DROP INDEX IF EXISTS catalog_searchterm_words_fts",
    "DROP INDEX IF EXISTS catalog_searchterm_key_trgm",
]

SQLITE = [
    "CREATE VIRTUAL TABLE catalog_searchterm_trigram USING fts5("
    "key, content='catalog_searchterm', content_rowid='id', tokenize='trigram')",
    "CREATE VIRTUAL TABLE catalog_searchterm_words USING fts5("
    "words, content='catalog_searchterm', content_rowid='id', tokenize='unicode61')",
    """CREATE TRIGGER catalog_searchterm_fts_insert AFTER INSERT ON catalog_searchterm BEGIN
        INSERT INTO catalog_searchterm_trigram(rowid, key) VALUES (new.id, new.key);
        INSERT INTO catalog_searchterm_words(rowid, words) VALUES (new.id, new.words);
    END""",
    """CREATE TRIGGER catalog_searchterm_fts_delete AFTER DELETE ON catalog_searchterm BEGIN
        INSERT INTO catalog_searchterm_trigram(catalog_searchterm_trigram, rowid, key)
            VALUES ('delete', old.id, old.key);
        INSERT INTO catalog_searchterm_words(catalog_searchterm_words, rowid, words)
            VALUES ('delete', old.id, old.words);
    END""",
    """CREATE TRIGGER catalog_searchterm_fts_update AFTER UPDATE ON catalog_searchterm BEGIN
        INSERT INTO catalog_searchterm_trigram(catalog_searchterm_trigram, rowid, key)
            VALUES ('delete', old.id, old.key);
        INSERT INTO catalog_searchterm_words(catalog_searchterm_words, rowid, words)
            VALUES ('delete', old.id, old.words);
        INSERT INTO catalog_searchterm_trigram(rowid, key) VALUES (new.id, new.key);
        INSERT INTO catalog_searchterm_words(rowid, words) VALUES (new.id, new.words);
    END""",
]
SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS catalog_searchterm_fts_update",
    "DROP TRIGGER IF EXISTS catalog_searchterm_fts_delete",
    "DROP TRIGGER IF EXISTS catalog_searchterm_fts_insert",
    "DROP TABLE IF EXISTS catalog_searchterm_words",
    "DROP TABLE IF EXISTS catalog_searchterm_trigram",
]


def run(statements):
    def apply(apps, schema_editor):
        vendor = schema_editor.connection.vendor
        for sql in statements.get(vendor, []):
            schema_editor.execute(sql)

    return apply


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0005_roles"),
    ]

    operations = [
        migrations.CreateModel(
            name="SearchTerm",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("name", models.CharField(max_length=200)),
                (
                    "relation",
                    models.CharField(
                        blank=True,
                        choices=[
                            ("", "Own name"),
                            ("brand", "a brand name"),
                            ("abbreviation", "an abbreviation"),
                            ("synonym", "a synonym"),
                            ("other", "another name"),
                        ],
                        max_length=20,
                    ),
                ),
                ("key", models.CharField(db_index=True, max_length=200)),
                ("words", models.CharField(max_length=300)),
                (
                    "condition",
                    models.ForeignKey(
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="catalog.condition",
                    ),
                ),
                (
                    "glossary_term",
                    models.ForeignKey(
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="catalog.glossaryterm",
                    ),
                ),
                (
                    "therapy",
                    models.ForeignKey(
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="catalog.therapy",
                    ),
                ),
                (
                    "therapy_class",
                    models.ForeignKey(
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="catalog.therapyclass",
                    ),
                ),
            ],
            options={
                "ordering": ["key"],
                "default_permissions": (),
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(
                            models.Q(
                                ("condition", None),
                                ("glossary_term", None),
                                ("therapy__isnull", False),
                                ("therapy_class", None),
                            ),
                            models.Q(
                                ("condition", None),
                                ("glossary_term", None),
                                ("therapy", None),
                                ("therapy_class__isnull", False),
                            ),
                            models.Q(
                                ("condition__isnull", False),
                                ("glossary_term", None),
                                ("therapy", None),
                                ("therapy_class", None),
                            ),
                            models.Q(
                                ("condition", None),
                                ("glossary_term__isnull", False),
                                ("therapy", None),
                                ("therapy_class", None),
                            ),
                            _connector="OR",
                        ),
                        name="searchterm_one_record",
                    )
                ],
            },
        ),
        migrations.RunPython(
            run({"postgresql": POSTGRESQL, "sqlite": SQLITE}),
            run({"postgresql": POSTGRESQL_REVERSE, "sqlite": SQLITE_REVERSE}),
        ),
    ]
