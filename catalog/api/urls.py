"""API URLs: the viewsets, the OpenAPI schema and Swagger UI.

The site's CSP allows no inline script or CSS. Two third-party pages here carry inline CSS in
their templates: DRF's browsable API (`style="…"` attributes, and a `<style>` for Pygments when
Pygments is installed) and drf-spectacular's Swagger UI page (a `<style>` block). Each of these
views, and only these, gets the SHA-256 hashes of exactly that CSS added to `style-src`; nothing
gets `'unsafe-inline'`. Swagger UI's start-up script is served as a separate URL by
SpectacularSwaggerSplitView, so `script-src 'self'` stands everywhere. tests/test_browser.py
loads these pages in Chromium and fails on any CSP violation.
"""

import base64
import hashlib
import re

from csp.decorators import csp_update
from django.template.loader import get_template
from django.urls import URLPattern, path
from django.utils.html import escape
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.compat import pygments_css
from rest_framework.renderers import BrowsableAPIRenderer
from rest_framework.routers import DefaultRouter

from . import changes, me, views


def csp_hash(text):
    digest = hashlib.sha256(text.encode()).digest()
    return f"'sha256-{base64.b64encode(digest).decode()}'"


def inline_css(template_name):
    """The literal inline CSS of a template: its `<style>` blocks and `style` attributes
    (those without template variables, which are hashed as written)."""
    source = get_template(template_name).template.source
    found = re.findall(r"<style>(.*?)</style>", source, re.DOTALL)
    found += re.findall(r'\sstyle="([^"]*)"', source)
    return sorted({css for css in found if "{{" not in css and "{%" not in css})


def style_hashes(css_list):
    """A `csp_update` for these inline styles. `'unsafe-hashes'` lets the hashes also match
    `style` attributes, and nothing else."""
    return {"style-src": ["'unsafe-hashes'", *(csp_hash(css) for css in css_list)]}


# DRF renders `<style>{{ code_style }}</style>` (autoescaped) when Pygments is importable.
_pygments = pygments_css(BrowsableAPIRenderer.code_style)
browsable_api_csp = csp_update(
    style_hashes(
        inline_css("rest_framework/base.html") + ([str(escape(_pygments))] if _pygments else [])
    )
)
swagger_ui_csp = csp_update(style_hashes(inline_css("drf_spectacular/swagger_ui.html")))

# No format-suffix routes (`therapies.csv`, `therapies/<slug>.api`): undocumented duplicates of
# `?format=`, and they made a slug with a dot (`a.html`) a format request.
router = DefaultRouter()
router.include_format_suffixes = False
router.APIRootView = views.APIRootView
router.register("therapies", views.TherapyViewSet)
router.register("therapy-classes", views.TherapyClassViewSet)
router.register("conditions", views.ConditionViewSet)
router.register("indications", views.IndicationViewSet)
router.register("sources", views.SourceViewSet)
router.register("modifier-roles", views.ModifierRoleViewSet)
router.register("glossary", views.GlossaryTermViewSet)

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("version/", views.VersionView.as_view(), name="api-version"),
    path("me/", me.CurrentUserView.as_view(), name="api-me"),
    path("changes/", changes.ChangesView.as_view(), name="api-changes"),
    path(
        "docs/",
        swagger_ui_csp(SpectacularSwaggerSplitView.as_view(url_name="schema")),
        name="api-docs",
    ),
    *(
        URLPattern(p.pattern, browsable_api_csp(p.callback), p.default_args, p.name)
        for p in router.urls
    ),
]
