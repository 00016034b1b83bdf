from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include("catalog.api.urls")),
    path("", include("catalog.urls")),
]

handler400 = "catalog.views.bad_request"
