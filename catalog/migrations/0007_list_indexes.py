"""Indexes for lists at scale (issue 7).

- `updated_at` on every table catalog_last_modified() reads: its MAX() per table becomes an index
  probe instead of a scan (it runs on every API request and every cached page's lookup).
- UPPER(name) of therapies and conditions: the filters' name lookups (`name__iexact`).
- Therapies by (last_reviewed, id): the `last_reviewed` sort, both ways.
- Therapies by (name, id, therapy_class, status): the count of the published ones and the keys
  of a page in the default order, read from the index alone however many rows come before it
  (paging.Paginator).
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0006_search_terms"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="condition",
            index=models.Index(fields=["updated_at"], name="catalog_condition_updated_idx"),
        ),
        migrations.AddIndex(
            model_name="condition",
            index=models.Index(
                models.Func(models.F("name"), function="UPPER"), name="catalog_condition_uname_idx"
            ),
        ),
        migrations.AddIndex(
            model_name="glossaryterm",
            index=models.Index(fields=["updated_at"], name="catalog_glossary_updated_idx"),
        ),
        migrations.AddIndex(
            model_name="indication",
            index=models.Index(fields=["updated_at"], name="catalog_indication_updated_idx"),
        ),
        migrations.AddIndex(
            model_name="modifierrole",
            index=models.Index(fields=["updated_at"], name="catalog_role_updated_idx"),
        ),
        migrations.AddIndex(
            model_name="source",
            index=models.Index(fields=["updated_at"], name="catalog_source_updated_idx"),
        ),
        migrations.AddIndex(
            model_name="therapy",
            index=models.Index(fields=["updated_at"], name="catalog_therapy_updated_idx"),
        ),
        migrations.AddIndex(
            model_name="therapy",
            index=models.Index(
                models.Func(models.F("name"), function="UPPER"), name="catalog_therapy_uname_idx"
            ),
        ),
        migrations.AddIndex(
            model_name="therapy",
            index=models.Index(fields=["last_reviewed", "id"], name="catalog_therapy_reviewed_idx"),
        ),
        migrations.AddIndex(
            model_name="therapy",
            index=models.Index(
                fields=["name", "id", "therapy_class", "status"],
                name="catalog_therapy_name_list_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="therapyclass",
            index=models.Index(fields=["updated_at"], name="catalog_class_updated_idx"),
        ),
    ]
