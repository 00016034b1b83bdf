"""The project's admin site: Django's, with its titles and the review workflow's pages
(catalog/admin/review_pages.py): the dashboard at `/admin/review/` (URL name
`admin:catalog_review_dashboard`), the queue at `/admin/review/queue/`, a record's review and
its *Submit for review*. It is the default site
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
        from catalog.admin import review_pages as pages

        def view(cls):
            return self.admin_view(cls.as_view(site=self))

        record = "review/<slug:model_name>/<int:pk>/"
        return [
            path("review/", view(pages.ReviewDashboard), name="catalog_review_dashboard"),
            path("review/queue/", view(pages.ReviewQueue), name="catalog_review_queue"),
            path(record, view(pages.RecordReview), name="catalog_review_record"),
            path(f"{record}submit/", view(pages.SubmitForReview), name="catalog_review_submit"),
            *super().get_urls(),
        ]
