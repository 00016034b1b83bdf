from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from . import views

router = DefaultRouter()
router.register("therapies", views.TherapyViewSet)
router.register("therapy-classes", views.TherapyClassViewSet)
router.register("conditions", views.ConditionViewSet)
router.register("indications", views.IndicationViewSet)
router.register("sources", views.SourceViewSet)
router.register("modifier-roles", views.ModifierRoleViewSet)
router.register("glossary", views.GlossaryTermViewSet)

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    *router.urls,
]
