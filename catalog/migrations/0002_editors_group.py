"""The "Editors" group: add, change and view catalog content; no user or group management."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

EDITOR_ACTIONS = ("add", "change", "view")


def create_editors(apps, schema_editor):
    # Permissions are normally created after all migrations; make sure they exist now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    editors, _ = Group.objects.get_or_create(name="Editors")
    permissions = Permission.objects.filter(content_type__app_label="catalog")
    editors.permissions.set(
        [p for p in permissions if p.codename.split("_", 1)[0] in EDITOR_ACTIONS]
    )


def remove_editors(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name="Editors").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_editors, remove_editors)]
