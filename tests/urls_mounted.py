"""The site mounted under /site/ by its URL configuration (tests/test_compiled_pages.py)."""

from django.urls import include, path

urlpatterns = [path("site/", include("immunosite.urls"))]
