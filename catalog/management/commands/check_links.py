"""`manage.py check_links [--timeout S] [--source SLUG ...] [--fail-on-broken]`: ask every
source's URL (or the named sources') whether it still answers, store what came back for the
admin (catalog/content_checks/links.py), and print a line per broken URL and a summary. A URL
that fails is a finding, not an error: the command exits 0, or 1 with --fail-on-broken."""

from django.core.management.base import BaseCommand, CommandError

from catalog.content_checks.links import DEFAULT_TIMEOUT, check_sources
from catalog.models import Source


def positive_seconds(value):
    try:
        seconds = float(value)
    except ValueError:
        seconds = 0
    if not 0 < seconds <= 300:
        raise CommandError(f"--timeout: a number of seconds above 0 and up to 300, not {value!r}")
    return seconds


class Command(BaseCommand):
    help = "Check that every source's URL answers, and store the results for the admin."

    def add_arguments(self, parser):
        parser.add_argument(
            "--timeout",
            type=positive_seconds,
            default=DEFAULT_TIMEOUT,
            help=f"seconds to wait for each request (default {DEFAULT_TIMEOUT:g})",
        )
        parser.add_argument(
            "--source",
            dest="sources",
            metavar="SLUG",
            nargs="+",
            action="extend",
            default=[],
            help="check only these sources (by slug)",
        )
        parser.add_argument(
            "--fail-on-broken",
            action="store_true",
            help="exit with status 1 when a URL is broken (for monitoring)",
        )

    def handle(self, *args, timeout, sources, fail_on_broken, **options):
        chosen = Source.objects.order_by("url", "slug")
        if sources:
            chosen = chosen.filter(slug__in=sources)
            unknown = sorted(set(sources) - set(chosen.values_list("slug", flat=True)))
            if unknown:
                raise CommandError(f"No source with the slug: {', '.join(unknown)}")
        chosen = list(chosen)
        slugs = {}
        for source in chosen:
            slugs.setdefault(source.url, []).append(source.slug)
        results = check_sources(chosen, timeout)
        broken = [result for result in results if not result.ok]
        for result in broken:
            cited_by = ", ".join(slugs[result.url])
            self.stdout.write(f"BROKEN {result.url} ({cited_by}): {result.error}")
        self.stdout.write(
            f"Checked {len(results)} URL{'s' if len(results) != 1 else ''}: "
            f"{len(results) - len(broken)} ok, {len(broken)} broken."
        )
        if broken and fail_on_broken:
            raise CommandError(f"{len(broken)} broken link(s)", returncode=1)
