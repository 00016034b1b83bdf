"""An index on a therapy's class and name: a class's page reads its first therapies by name
from one index range, not a sort of all of them."""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('catalog', '0016_therapy_use_names'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name='therapy',
            index=models.Index(fields=['therapy_class', 'name'], name='catalog_therapy_class_name_idx'),
        ),
    ]
