"""For search engines: the sitemap index and its sitemaps, robots.txt, and where an address that
is not a record's own leads: a renamed record's old slug, or one of its other names
(`/therapies/rituxan/`)."""

from django.contrib.sitemaps import Sitemap
from django.db.models import Max
from django.db.models.functions import Coalesce, Greatest
from django.http import HttpResponse
from django.urls import reverse
from django.views.decorators.http import require_safe

from .models import Condition, SearchTerm, Therapy, TherapyClass, catalog_last_modified
from .text import normalise


class PagesSitemap(Sitemap):
    """The home page, the list pages and What's new."""

    def items(self):
        return [
            "catalog:home",
            "catalog:therapy-list",
            "catalog:class-list",
            "catalog:condition-list",
            "catalog:glossary",
            "catalog:a-z",
            "catalog:whats-new",
        ]

    def location(self, item):
        return reverse(item)

    def lastmod(self, item):
        if not hasattr(self, "_catalog_changed"):
            self._catalog_changed = catalog_last_modified()
        return self._catalog_changed


# What a public record last changed by: its last edit, or its going live when that came later.
SHOWN_SINCE = Greatest("updated_at", Coalesce("go_live_at", "updated_at"))


class PublishedSitemap(Sitemap):
    """Every published record of `model` (drafts never appear), RECORDS_PER_SITEMAP to a page
    (`/sitemap-therapies.xml?p=2`); `/sitemap.xml` is the index of them all."""

    model = None
    limit = 10_000

    def items(self):
        return (
            self.model.objects.published()
            .order_by("slug")
            .only("slug", "updated_at", "go_live_at")
            .annotate(shown_since=SHOWN_SINCE)
        )

    def lastmod(self, record):
        """Its last edit, or the moment it went live when that came later."""
        return record.shown_since

    def get_latest_lastmod(self):
        """The index's lastmod for this section: one MAX query, not a walk over every record."""
        return self.items().order_by().aggregate(latest=Max("shown_since"))["latest"]


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


def renamed(model, slug):
    """The published record a slug that is not a record's own stands for, or None: the record
    that once had it (`formerly_at`), else the one record one of whose names it spells
    (`named`). The detail pages answer 301 to it."""
    return formerly_at(model, slug) or named(model, slug)


def formerly_at(model, old_slug):
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


def named(model, slug):
    """The published record of `model` one of whose names (own, brand, abbreviation, other)
    the slug spells, compared as search compares names ("rituxan" is Rituxan, "il-2" and "il2"
    IL-2), or None; None too when the name belongs to two records or more, so an ambiguous
    name never leads to the wrong one. One query, on the search index's key."""
    key = normalise(slug)[:200]
    if not key:
        return None
    field = model.search_field
    records = SearchTerm.objects.filter(key=key, **{f"{field}__isnull": False}).values(field)
    found = list(model.objects.published().filter(pk__in=records).only("slug")[:2])
    return found[0] if len(found) == 1 else None
