from django.core.management import call_command
from django.core.management.base import BaseCommand

from catalog.history import SEEDED, history_paused, populate_initial_history
from catalog.models import SearchTerm, Source
from catalog.search import rebuild_index


class Command(BaseCommand):
    help = (
        "Load the site's content (fixtures/catalog.json) into an empty database. A database that "
        "already has content is left alone, so editors' changes are never overwritten; use "
        "`manage.py loaddata catalog` to reset the article's records on purpose. Every loaded "
        "record gets a first history version (`populate_history --auto`)."
    )

    def handle(self, *args, **options):
        if Source.objects.exists():
            self.stdout.write("Content already loaded; leaving it as it is.")
            if not SearchTerm.objects.exists():
                count = rebuild_index()
                self.stdout.write(f"Built the search index ({count} names).")
            return
        with history_paused():
            call_command("loaddata", "catalog", verbosity=0)
        rebuild_index()
        # Loaded without history: give every record its first version, saying where it came from.
        populate_initial_history(reason=SEEDED)
        self.stdout.write("Loaded the catalog content from fixtures/catalog.json.")
