"""The baseline's app config (installed only when BENCH_BASELINE=1)."""

from django.apps import AppConfig


class BaselineConfig(AppConfig):
    name = "bench.baseline"
    label = "bench_baseline"
    verbose_name = "Benchmark baseline"
