from django.core.management.base import BaseCommand

from catalog.search import rebuild_index


class Command(BaseCommand):
    help = (
        "Rebuild the search index (every name of every therapy, class, condition and glossary "
        "term) from the records. Run it after loading data in bulk (loaddata, SQL); saves in the "
        "admin and through the API index their own record."
    )

    def handle(self, *args, **options):
        def progress(done, total):
            if options["verbosity"] > 1:
                self.stdout.write(f"{done}/{total} records")

        count = rebuild_index(progress=progress)
        self.stdout.write(f"Indexed {count} names.")
