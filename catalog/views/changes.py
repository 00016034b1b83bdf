"""What changed, for readers: a record's "What changed" page, the site's "What's new" page
(paginated) and its Atom feed. Thin: the entries come from catalog/changes/."""

from django.contrib.syndication.views import Feed
from django.core.exceptions import BadRequest
from django.http import Http404
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.views.generic import DetailView, TemplateView

from ..changes import record_changes, site_changes
from ..models import Condition, Therapy, TherapyClass
from ..paging import Paginator, whole_number

WHATS_NEW_PAGE_SIZE = 25
FEED_ENTRIES = 50


class RecordChangesView(DetailView):
    """Every published change of one public record, newest first."""

    template_name = "catalog/record_changes.html"
    context_object_name = "record"
    list_page = None  # (name, URL name) of the record's list, for the breadcrumb trail

    def get_queryset(self):
        return self.model.objects.published()

    def get_context_data(self, **kwargs):
        record = self.object
        name, url_name = self.list_page
        return super().get_context_data(
            entries=record_changes(record),
            breadcrumbs=[
                ("Home", reverse("catalog:home")),
                (name, reverse(url_name)),
                (record.name, record.get_absolute_url()),
                ("What changed", self.request.path),
            ],
            **kwargs,
        )


class TherapyChangesView(RecordChangesView):
    model = Therapy
    list_page = ("Therapies", "catalog:therapy-list")


class TherapyClassChangesView(RecordChangesView):
    model = TherapyClass
    list_page = ("Classes", "catalog:class-list")


class ConditionChangesView(RecordChangesView):
    model = Condition
    list_page = ("Conditions", "catalog:condition-list")


class WhatsNewView(TemplateView):
    """The published changes across the site, newest first, a page at a time."""

    template_name = "catalog/whats_new.html"

    def get_context_data(self, **kwargs):
        number = whole_number(self.request.GET.get("page", "1"))
        if not number:
            raise BadRequest("The page must be a whole number from 1.")
        paginator = Paginator(site_changes(), WHATS_NEW_PAGE_SIZE)
        if number > 1 and number > paginator.num_pages:
            raise Http404("There is no such page.")
        page = paginator.page(number)
        return super().get_context_data(
            entries=page.object_list,
            page_obj=page,
            paginator=paginator,
            is_paginated=page.has_other_pages(),
            breadcrumbs=[("Home", reverse("catalog:home")), ("What's new", self.request.path)],
            **kwargs,
        )


class WhatsNewFeed(Feed):
    """The latest published changes as an Atom feed, in the pages' words."""

    feed_type = Atom1Feed
    title = "What's new · immunosite"
    subtitle = "Published changes to therapies, classes and conditions, newest first."

    def link(self):
        return reverse("catalog:whats-new")

    def feed_url(self):
        return reverse("catalog:whats-new-feed")

    def get_object(self, request, *args, **kwargs):
        return request

    def items(self, request):
        """(entry, its absolute URL: also its Atom id, stable as the entry's key)."""
        return [
            (entry, request.build_absolute_uri(entry.url))
            for entry in site_changes()[:FEED_ENTRIES]
        ]

    def item_title(self, item):
        return item[0].title

    def item_description(self, item):
        entry = item[0]
        return f"{entry.record.name}, {entry.day}: {entry.text}."

    def item_link(self, item):
        return item[1]

    def item_guid(self, item):
        return item[1]

    item_guid_is_permalink = True

    def item_pubdate(self, item):
        return item[0].date

    def item_updateddate(self, item):
        return item[0].date
