"""For search engines: the sitemap index and its sitemaps, robots.txt, and where a renamed
record's old slug now lives."""

from django.contrib.sitemaps import Sitemap
from django.db.models import Max
from django.http import HttpResponse
from django.urls import reverse
from django.views.decorators.http import require_safe

from .models import Condition, Therapy, TherapyClass, catalog_last_modified


class PagesSitemap(Sitemap):
    """The home page and the list pages."""

    def items(self):
        return [
            "catalog:home",
            "catalog:therapy-list",
            "catalog:class-list",
            "catalog:condition-list",
            "catalog:glossary",
            "catalog:a-z",
        ]

    def location(self, item):
        return reverse(item)

    def lastmod(self, item):
        if not hasattr(self, "_catalog_changed"):
            self._catalog_changed = catalog_last_modified()
        return self._catalog_changed


class PublishedSitemap(Sitemap):
    """Every published record of `model` (drafts never appear), RECORDS_PER_SITEMAP to a page
    (`/sitemap-therapies.xml?p=2`); `/sitemap.xml` is the index of them all."""

    model = None
    limit = 10_000

    def items(self):
        return self.model.objects.published().order_by("slug").only("slug", "updated_at")

    def lastmod(self, record):
        return record.updated_at

    def get_latest_lastmod(self):
        """The index's lastmod for this section: one MAX query, not a walk over every record."""
        return self.items().order_by().aggregate(latest=Max("updated_at"))["latest"]


class TherapySitemap(PublishedSitemap):
    model = Therapy


class TherapyClassSitemap(PublishedSitemap):
    model = TherapyClass


class ConditionSitemap(PublishedSitemap):
    model = Condition


SITEMAPS = {
    "pages": PagesSitemap,
    "classes": TherapyClassSitemap,
    "therapies": TherapySitemap,
    "conditions": ConditionSitemap,
}


@require_safe
def robots_txt(request):
    lines = [
        "User-agent: *",
        "Allow: /",
        "Disallow: /admin/",
        "Disallow: /preview/",
        "",
        f"Sitemap: {request.build_absolute_uri(reverse('catalog:sitemap'))}",
        "",
    ]
    return HttpResponse("\n".join(lines), content_type="text/plain; charset=utf-8")


def renamed(model, old_slug):
    """The published record that was once at `old_slug` and now has another slug, or None.
    The newest history row with that slug says which record it was."""
    record_id = (
        model.history.filter(slug=old_slug)
        .order_by("-history_date")
        .values_list("id", flat=True)
        .first()
    )
    if record_id is None:
        return None
    return model.objects.published().filter(pk=record_id).exclude(slug=old_slug).first()
