import django.utils.timezone
from django.db import migrations, models

MODELS = ["source", "therapyclass", "therapy", "condition", "indication", "modifierrole",
          "glossaryterm"]


class Migration(migrations.Migration):
    dependencies = [("catalog", "0002_editors_group")]

    operations = [
        migrations.AddField(
            model_name=name,
            name="updated_at",
            field=models.DateTimeField(auto_now=True, default=django.utils.timezone.now),
            preserve_default=False,
        )
        for name in MODELS
    ]
