"""The command line of the synthetic catalog (`python -m bench.synth --help`): its options,
Django's set-up (the site's settings unless `--settings` or DJANGO_SETTINGS_MODULE says
otherwise; DATABASE_URL chooses the database, as for manage.py) and the run: refuse or replace,
generate, analyze, reindex, with what it did on stdout and progress on stderr.

Importing this module does not import Django's models: `main()` sets Django up first."""

import argparse
import os
import sys
import time

from . import SOURCE_SLUG, SynthError

DESCRIPTION = (
    "Generate a reproducible synthetic catalog for benchmarks: therapy classes, conditions "
    "(with one level of sub-conditions) and therapies with brand names and about four "
    "indications each. The same --seed and size give the same names, slugs and links. Every "
    "record cites the source `synthetic` and says it is synthetic. Rows are bulk-inserted, "
    "so they get no django-simple-history versions (history is for editors' changes). "
    "Refuses a database holding content that is not synthetic unless --force (which adds "
    "the synthetic rows beside it and never deletes real content), and a database already "
    "holding synthetic rows unless --replace (which deletes the synthetic rows first). "
    "Finally rebuilds the search index (catalog.search.rebuild_index())."
)


def parser():
    parser = argparse.ArgumentParser(prog="python -m bench.synth", description=DESCRIPTION)
    parser.add_argument(
        "--therapies", type=int, default=1000, help="How many therapies (default 1000)."
    )
    parser.add_argument("--seed", type=int, default=1, help="Random seed (default 1).")
    parser.add_argument(
        "--batch-size", type=int, default=5000, help="Therapies per transaction (default 5000)."
    )
    parser.add_argument(
        "--force",
        action="store_true",
        help="Add synthetic rows even though the database holds real content (never "
        "deletes it; names that real records use are skipped).",
    )
    parser.add_argument(
        "--replace",
        action="store_true",
        help="Delete the synthetic rows of an earlier run first (only records citing the "
        "`synthetic` source).",
    )
    parser.add_argument("--no-progress", action="store_true", help="No progress bar.")
    parser.add_argument(
        "--no-index", action="store_true", help="Do not rebuild the search index afterwards."
    )
    parser.add_argument(
        "-v",
        "--verbosity",
        type=int,
        choices=[0, 1, 2, 3],
        default=1,
        help="0: nothing on stdout or stderr; 1 (default): what was done and progress.",
    )
    parser.add_argument(
        "--settings",
        help="The Django settings module (default: DJANGO_SETTINGS_MODULE, else "
        "immunosite.settings).",
    )
    return parser


def setup_django(settings=None):
    from django.apps import apps

    if apps.ready:  # already set up (the tests, or a caller that configured Django)
        return
    if settings:
        os.environ["DJANGO_SETTINGS_MODULE"] = settings
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "immunosite.settings")
    import django

    django.setup()


def run(argv=None, stdout=None, stderr=None):
    """Parse `argv` and generate; raises SynthError when the database is refused."""
    args = parser().parse_args(argv)
    setup_django(args.settings)
    synthesize(args, stdout or sys.stdout, stderr or sys.stderr)


def main(argv=None, stdout=None, stderr=None):
    """The command line: exit status 0, or 1 with the reason on stderr."""
    stderr = stderr or sys.stderr
    try:
        run(argv, stdout, stderr)
    except SynthError as error:
        stderr.write(f"synth: error: {error}\n")
        return 1
    return 0


def synthesize(args, stdout, stderr):
    from django.db import connection

    from catalog.models import Source

    from .generate import analyze, generate, rebuild_search_index
    from .replace import create_source, purge, refuse_real_content, synthetic_exists

    if args.therapies < 1:
        raise SynthError("--therapies must be at least 1.")
    if args.batch_size < 1:
        raise SynthError("--batch-size must be at least 1.")
    verbose = args.verbosity > 0
    show_progress = verbose and not args.no_progress

    def say(text):
        if verbose:
            stdout.write(text + "\n")

    source = Source.objects.filter(slug=SOURCE_SLUG).first()
    if real := refuse_real_content(source, args.force):
        say(f"--force: adding synthetic records beside real content ({real}).")
    if source is not None and synthetic_exists(source):
        if not args.replace:
            raise SynthError(
                "The database already holds synthetic data (records citing the `synthetic` "
                "source). Use --replace to delete it and generate again."
            )
        started = time.monotonic()
        deleted = purge(source, stderr, show_progress)
        say(f"Deleted {deleted:,} earlier synthetic rows in {time.monotonic() - started:.1f}s.")
    if source is None:
        source = create_source()

    started = time.monotonic()
    counts = generate(source, args.therapies, args.seed, args.batch_size, stderr, show_progress)
    generated = time.monotonic() - started
    if connection.vendor == "postgresql":
        analyze()
    summary = ", ".join(f"{n:,} {label}" for label, n in counts.items())
    say(f"Generated {summary} in {generated:.1f}s (seed {args.seed}).")
    if not args.no_index:
        took = rebuild_search_index(stderr, show_progress)
        say(f"Rebuilt the search index in {took:.1f}s.")
