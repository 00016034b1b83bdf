"""Roles: Editors edit and publish content; Reviewers mark it reviewed. Neither deletes content
or manages users."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

CONTENT = ["therapyclass", "therapy", "condition", "indication"]


def set_roles(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    catalog = Permission.objects.filter(content_type__app_label="catalog")
    editors, _ = Group.objects.get_or_create(name="Editors")
    editors.permissions.add(*catalog.filter(codename__startswith="publish_"))
    reviewers, _ = Group.objects.get_or_create(name="Reviewers")
    reviewers.permissions.set(
        [p for p in catalog if p.codename.startswith(("view_", "review_"))]
    )


def unset_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name="Reviewers").delete()


class Migration(migrations.Migration):
    dependencies = [("catalog", "0004_editorial_workflow")]

    operations = [migrations.RunPython(set_roles, unset_roles)]
