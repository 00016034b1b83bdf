"""rest_framework.authtoken is gone (replaced by accounts.APIToken): its table, the record of
its migrations, its content type and permissions go too. Its keys were stored in clear text
and cannot be carried over: editors issue new tokens in the admin (README, "API writes")."""

from django.db import migrations
from django.db.migrations.recorder import MigrationRecorder

APP = "authtoken"


def drop(apps, schema_editor):
    schema_editor.execute("DROP TABLE IF EXISTS authtoken_token")
    MigrationRecorder(schema_editor.connection).migration_qs.filter(app=APP).delete()
    # Cascades to its permissions (and their group links); admin log entries keep their text.
    apps.get_model("contenttypes", "ContentType").objects.filter(app_label=APP).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_editors_issue_tokens"),
        ("admin", "0003_logentry_add_action_flag_choices"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    # Irreversible in effect: migrating back leaves the old table gone.
    operations = [migrations.RunPython(drop, migrations.RunPython.noop)]
