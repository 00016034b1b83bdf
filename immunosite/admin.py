"""The project's admin site: Django's, with its titles and the editors' review dashboard at
`/admin/review/` (URL name `admin:catalog_review_dashboard`). It is the default site
(immunosite/apps.py), so every `admin.site.register` and `@admin.register` lands on it, the
catalog's, accounts/'s and third-party apps' (auth, simple_history, axes) alike.

It lives outside catalog/admin/ because that package registers its ModelAdmins on this site when
imported: importing the site must not import them."""

from django.contrib import admin
from django.urls import path


class ImmunositeAdminSite(admin.AdminSite):
    site_header = "immunosite administration"
    site_title = "immunosite admin"
    index_title = "Content"

    def get_urls(self):
        # Built once the apps' admin modules are loaded (see the module docstring).
        from catalog.admin.review import ReviewDashboard

        dashboard = self.admin_view(ReviewDashboard.as_view(site=self))
        return [path("review/", dashboard, name="catalog_review_dashboard"), *super().get_urls()]
