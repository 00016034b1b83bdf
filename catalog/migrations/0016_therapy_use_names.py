"""The therapy's name in the table of published uses (catalog/models/uses.py), with the index
that gives a condition's therapies in name order; the table filled and, on PostgreSQL, the
triggers that keep it made again to copy the name (catalog/uses.py)."""

from django.db import migrations, models

from catalog.uses import UseTriggers


class Migration(migrations.Migration):

    dependencies = [
        ('catalog', '0015_changes_feed'),
    ]

    operations = [
        migrations.AddField(
            model_name='therapyuse',
            name='therapy_name',
            field=models.CharField(default='', max_length=120),
            preserve_default=False,
        ),
        migrations.AddIndex(
            model_name='therapyuse',
            index=models.Index(fields=['condition', 'therapy_name', 'therapy', 'visible_from', 'visible_until'], name='catalog_use_name_idx'),
        ),
        UseTriggers(),
    ]
