from django.apps import AppConfig
from django.db.models.signals import post_migrate, pre_migrate


class CatalogConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "catalog"
    verbose_name = "Immunotherapy catalog"

    def ready(self):
        from . import uses
        from .feed import triggers as feed_triggers

        # SQLite: the therapy-use triggers are set aside while migrations run (catalog/uses.py).
        pre_migrate.connect(uses.before_migrate, sender=self, dispatch_uid="catalog_uses_before")
        post_migrate.connect(uses.after_migrate, sender=self, dispatch_uid="catalog_uses_after")
        # The changes feed's triggers, made from the current models (catalog/feed/triggers.py).
        post_migrate.connect(feed_triggers.install, sender=self, dispatch_uid="catalog_feed")
