from django.contrib import admin
from django.urls import include, path

from . import views

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("api/v1/", include("catalog.api.urls")),
    path("", include("catalog.urls")),
]

handler400 = "immunosite.views.bad_request"
handler404 = "immunosite.views.page_not_found"
handler500 = "immunosite.views.server_error"
