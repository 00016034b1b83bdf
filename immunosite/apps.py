"""The admin app with the project's own site as its default (immunosite/admin.py), as Django
documents it: listed in INSTALLED_APPS in place of "django.contrib.admin"."""

from django.contrib.admin.apps import AdminConfig


class ImmunositeAdminConfig(AdminConfig):
    default_site = "immunosite.admin.ImmunositeAdminSite"
