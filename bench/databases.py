"""The databases bench/run.py measures: a SQLite file or a throwaway PostgreSQL cluster, one
database per size copied from a migrated base, filled by `python -m bench.synth`."""

import contextlib
import shutil
import time
from pathlib import Path

from tests.servers import PostgresCluster

from .measure import PYTHON, app_env, run


class SQLiteDatabases:
    """One file per size, copied from a migrated base file."""

    name = "sqlite"

    def __init__(self, root):
        self.root = Path(root)
        self.base = self.root / "base.sqlite3"

    @property
    def base_url(self):
        return f"sqlite:///{self.base}"

    def database_name(self, size):
        return None

    def create(self, size):
        shutil.copyfile(self.base, self.root / f"{size}.sqlite3")
        return f"sqlite:///{self.root / f'{size}.sqlite3'}"

    def drop(self, size):
        with contextlib.suppress(OSError):
            (self.root / f"{size}.sqlite3").unlink()

    def close(self):
        pass


class PostgresDatabases:
    """A throwaway cluster (tests/servers/); one database per size, copied from a migrated
    template database."""

    name = "postgresql"

    def __init__(self):
        found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: p.parts)
        if not found:
            raise SystemExit("PostgreSQL is not installed: run `make system-deps`.")
        self.cluster = PostgresCluster(found[-1].parent).__enter__()
        self.version = self.cluster.psql("SHOW server_version").stdout.strip()

    @property
    def base_url(self):
        return self.cluster.url

    def url(self, database):
        return self.cluster.url.rsplit("/", 1)[0] + f"/{database}"

    def database_name(self, size):
        return f"bench_{size}"

    def create(self, size):
        name = self.cluster.name
        self.cluster.psql(f"CREATE DATABASE bench_{size} OWNER {name} TEMPLATE {name}")
        return self.url(f"bench_{size}")

    def drop(self, size):
        with contextlib.suppress(RuntimeError):
            self.cluster.psql(f"DROP DATABASE IF EXISTS bench_{size} WITH (FORCE)")

    def close(self):
        self.cluster.__exit__(None, None, None)


def build(databases, size, static_root, args):
    """A database of `size` therapies, from the migrated base: `python -m bench.synth` (which
    also builds the search index and, on PostgreSQL, analyzes)."""
    started = time.monotonic()
    url = databases.create(size)
    env = app_env(url, static_root, page_cache=False)
    builder = f"bench.synth --therapies {size} --seed {args.seed}"
    run([PYTHON, "-m", *builder.split(), "--no-progress"], env, 3600, builder)
    return url, builder, time.monotonic() - started
