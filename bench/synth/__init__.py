"""The benchmark's data generator: a reproducible synthetic catalog of any size.

    .venv/bin/python -m bench.synth --therapies 100000 --seed 1   # into a fresh, migrated database

Only the benchmark loads it (bench/run.py runs it in a subprocess); it is not a Django app and
not part of the site. Every record it writes cites the `synthetic` source ("Synthetic benchmark
data — not medical information") and says "Synthetic record for benchmarking" in its summary, so
synthetic rows can always be told apart from real content (and deleted again with `--replace`).

Modules: `names` (invented names), `generate` (the rows), `replace` (refusing real content,
deleting an earlier run, the reproducibility digest), `command` (the command line); `python -m
bench.synth` sets Django up and runs `command.main()`. This file imports nothing from Django, so
the command line can set Django up first.
"""

SOURCE_SLUG = "synthetic"
SOURCE_TITLE = "Synthetic benchmark data — not medical information"
MARK = "Synthetic record for benchmarking"


class SynthError(Exception):
    """The command refuses to go on; the message says why and what to do."""
