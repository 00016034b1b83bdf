"""`manage.py catch_up_changes`: read everything writes have noted into the changes feed
(`/api/v1/changes/`, catalog/feed/), batch after batch, and say how many changes it added.
The feed catches up a small batch on each request anyway; run this from cron after a bulk load
so no consumer's request pays for it, and so the noted rows do not pile up while nobody reads
(it takes larger batches than a request: `journal.COMMAND_BATCH`, `COMMAND_RECORDS`).
A feed that has never given a record is filled from the catalog at once (`journal.fill`), not
from every row a bulk load noted."""

from django.core.management.base import BaseCommand

from catalog.feed.journal import COMMAND_BATCH, COMMAND_RECORDS, catch_up_all, fill, last_seq
from catalog.feed.resources import resources


class Command(BaseCommand):
    help = "Read what writes noted into the changes feed."

    def handle(self, *args, **options):
        filled = fill(resources())
        if filled:  # a feed that had given nothing, and records to give
            self.stdout.write(f"The changes feed was filled from the catalog: {filled} records.")
        before = last_seq()
        batches = catch_up_all(resources(), COMMAND_BATCH, COMMAND_RECORDS)
        added = last_seq() - before
        changes = "change" if added == 1 else "changes"
        runs = "batch" if batches == 1 else "batches"
        self.stdout.write(f"The changes feed caught up: {added} {changes} in {batches} {runs}.")
