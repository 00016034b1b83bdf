"""The baseline's URLs, included at /_bench/baseline/ only when BENCH_BASELINE=1."""

from django.urls import include, path
from rest_framework.routers import SimpleRouter

from . import api, views

app_name = "baseline"

router = SimpleRouter()
router.register("therapies", api.TherapyViewSet, basename="api-therapy")

urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("therapies/", views.TherapyListView.as_view(), name="therapy-list"),
    path("therapies/<slug:slug>/", views.TherapyDetailView.as_view(), name="therapy-detail"),
    path("conditions/<slug:slug>/", views.ConditionDetailView.as_view(), name="condition-detail"),
    path("api/", include(router.urls)),
]
