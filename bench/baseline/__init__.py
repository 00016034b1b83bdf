"""The benchmark's idiomatic baseline (issue 17): the therapy list, the filtered list, the
therapy and condition pages, home and the API therapy list written the way a Django developer
would write them in an afternoon (generic views, select_related/prefetch_related, Django
templates, a DRF view set with nested serializers), over the same data. Mounted at
/_bench/baseline/ only when BENCH_BASELINE=1 (immunosite/settings.py, immunosite/urls.py);
bench/run.py measures every page against it. docs/performance.md: "The idiomatic baseline"."""
