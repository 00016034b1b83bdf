from django.contrib.sitemaps.views import index as sitemap_index
from django.contrib.sitemaps.views import sitemap
from django.urls import URLPattern, path

from immunosite.views import read_only

from . import seo, views
from .matrix import MatrixView
from .search import SearchView, suggest

app_name = "catalog"

pages = [
    path("", views.HomeView.as_view(), name="home"),
    path("therapies/", views.TherapyListView.as_view(), name="therapy-list"),
    path("therapies/<slug:slug>/", views.TherapyDetailView.as_view(), name="therapy-detail"),
    path(
        "therapies/<slug:slug>/changes/",
        views.TherapyChangesView.as_view(),
        name="therapy-changes",
    ),
    path("classes/", views.TherapyClassListView.as_view(), name="class-list"),
    path("classes/<slug:slug>/", views.TherapyClassDetailView.as_view(), name="class-detail"),
    path(
        "classes/<slug:slug>/changes/",
        views.TherapyClassChangesView.as_view(),
        name="class-changes",
    ),
    path("conditions/", views.ConditionListView.as_view(), name="condition-list"),
    path("conditions/<slug:slug>/", views.ConditionDetailView.as_view(), name="condition-detail"),
    path(
        "conditions/<slug:slug>/changes/",
        views.ConditionChangesView.as_view(),
        name="condition-changes",
    ),
    path("whats-new/", views.WhatsNewView.as_view(), name="whats-new"),
    path("whats-new/feed/", views.WhatsNewFeed(), name="whats-new-feed"),
    path("glossary/", views.GlossaryView.as_view(), name="glossary"),
    path("a-z/", views.AtoZView.as_view(), name="a-z"),
    path("matrix/", MatrixView.as_view(), name="matrix"),
    path("search/", SearchView.as_view(), name="search"),
    path("search/suggest/", suggest, name="search-suggest"),
    path("preview/therapies/<slug:slug>/", views.TherapyPreview.as_view(), name="therapy-preview"),
    path("preview/classes/<slug:slug>/", views.TherapyClassPreview.as_view(), name="class-preview"),
    path(
        "preview/conditions/<slug:slug>/",
        views.ConditionPreview.as_view(),
        name="condition-preview",
    ),
    path(
        "sitemap.xml",
        sitemap_index,
        {"sitemaps": seo.SITEMAPS, "sitemap_url_name": "catalog:sitemap-section"},
        name="sitemap",
    ),
    path("sitemap-<section>.xml", sitemap, {"sitemaps": seo.SITEMAPS}, name="sitemap-section"),
    path("robots.txt", seo.robots_txt, name="robots"),
]

# Every public page is read-only: other methods are a 405 before CSRF checking.
urlpatterns = [URLPattern(p.pattern, read_only(p.callback), p.default_args, p.name) for p in pages]
