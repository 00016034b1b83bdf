import os

from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from . import views

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("api/v1/", include("catalog.api.urls")),
    path("", include("catalog.urls")),
]

# The benchmark's baseline (bench/run.py, docs/performance.md): a plain response through the
# whole middleware stack. Only when BENCH_TRIVIAL_VIEW=1, so production has no such URL.
if os.environ.get("BENCH_TRIVIAL_VIEW") == "1":
    urlpatterns.append(path("_bench/trivial/", views.bench_trivial, name="bench-trivial"))
# The benchmark's idiomatic baseline (bench/baseline/): only when BENCH_BASELINE=1.
if settings.BENCH_BASELINE:
    urlpatterns.append(path("_bench/baseline/", include("bench.baseline.urls")))

handler400 = "immunosite.views.bad_request"
handler404 = "immunosite.views.page_not_found"
handler500 = "immunosite.views.server_error"
