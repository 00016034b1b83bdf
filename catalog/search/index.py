"""Building the search index (`SearchTerm`) from the records as a whole: after fixtures or bulk
loads (`manage.py reindex_search`, `seed`, the benchmark's generator). Editors' saves index
their own record (`SearchTerm.objects.index(records)`)."""

from django.db import transaction

from ..models import SearchTerm, registry


def rebuild_index(batch_size=2000, progress=None):
    """Rebuild every search row from the records, in one transaction. `progress(done, total)`
    is called as it goes. Returns the number of rows."""
    sources = [
        model._default_manager.prefetch_related(*model.search_prefetch)
        for model in registry.searchable_models()
    ]
    total = sum(qs.count() for qs in sources)
    done = 0
    with transaction.atomic():
        SearchTerm.objects.all().delete()
        for queryset in sources:
            batch = []
            for record in queryset.order_by("pk").iterator(chunk_size=batch_size):
                batch.extend(SearchTerm.objects.terms_for(record))
                done += 1
                if len(batch) >= batch_size:
                    SearchTerm.objects.bulk_create(batch)
                    batch = []
                    if progress:
                        progress(done, total)
            SearchTerm.objects.bulk_create(batch)
    if progress:
        progress(done, total)
    return SearchTerm.objects.count()
