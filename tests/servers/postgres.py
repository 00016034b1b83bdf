"""A throwaway PostgreSQL cluster: its own folder, port, role and database, always removed."""

import contextlib
import glob
import os
import secrets
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

from .common import HOST, base_env, free_port, require, tail


def postgres_bin():
    """PostgreSQL's server binaries (the newest /usr/lib/postgresql/*/bin, or $PG_BIN)."""
    candidates = [os.environ["PG_BIN"]] if os.environ.get("PG_BIN") else []
    candidates += sorted(
        glob.glob("/usr/lib/postgresql/*/bin"),
        key=lambda p: int(Path(p).parent.name) if Path(p).parent.name.isdigit() else 0,
    )[::-1]
    for candidate in candidates:
        if all(os.access(Path(candidate, name), os.X_OK) for name in ("initdb", "pg_ctl", "psql")):
            if os.geteuid() == 0:
                require("runuser")  # PostgreSQL refuses to run as root
            return Path(candidate)
    return Path(require("pg_ctl")).parent  # skips (or fails under CI) when it is not on PATH


class PostgresCluster:
    """A private PostgreSQL cluster in a temporary folder, on a free port on 127.0.0.1, with a
    database and a role of its own. Use as a context manager: the cluster is always stopped and
    its folder removed."""

    def __init__(self, pgbin, name="immunosite"):
        self.pgbin = Path(pgbin)
        self.port = free_port()
        self.name = name
        self.password = secrets.token_hex(8)
        self.root = Path(tempfile.mkdtemp(prefix="immunosite-test-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")

    @property
    def url(self):
        return f"postgres://{self.name}:{self.password}@{HOST}:{self.port}/{self.name}"

    def _run(self, *args, timeout=60, as_postgres=True):
        command = [str(a) for a in args]
        if as_postgres and os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        result = subprocess.run(
            command, cwd="/", capture_output=True, text=True, timeout=timeout, env=base_env()
        )
        if result.returncode != 0:
            raise RuntimeError(
                f"{' '.join(command)} exited {result.returncode}:\n{result.stdout}\n"
                f"{result.stderr}\n{tail(self.log)}"
            )
        return result

    def __enter__(self):
        try:
            self._run(
                self.pgbin / "initdb", "-D", self.data, "-U", "postgres", "-A", "trust",
                "-E", "UTF8", "--locale=C.UTF-8", "--no-sync",
            )  # fmt: skip
            self.start()
            for sql in (
                f"CREATE ROLE {self.name} LOGIN PASSWORD '{self.password}' CREATEDB",
                f"CREATE DATABASE {self.name} OWNER {self.name}",
            ):
                self.psql(sql)
        except BaseException:
            self.destroy()
            raise
        return self

    def __exit__(self, *exc_info):
        self.destroy()

    def psql(self, sql):
        return self._run(
            self.pgbin / "psql", "-h", HOST, "-p", self.port, "-U", "postgres", "-d", "postgres",
            "-qAt", "-v", "ON_ERROR_STOP=1", "-c", sql,
            as_postgres=False,
        )  # fmt: skip

    def start(self):
        """Start the server (again) on the same data folder and port; returns when it accepts
        connections."""
        options = (
            f"-p {self.port} -k {self.root} -c listen_addresses={HOST} "
            "-c fsync=off -c full_page_writes=off -c synchronous_commit=off"
        )
        self._run(
            self.pgbin / "pg_ctl", "-D", self.data, "-l", self.log, "-w", "-t", "30",
            "-o", options, "start",
        )  # fmt: skip

    def stop(self, mode="immediate"):
        self._run(self.pgbin / "pg_ctl", "-D", self.data, "-m", mode, "-w", "-t", "30", "stop")

    def destroy(self):
        if (self.data / "postmaster.pid").exists():
            try:
                self.stop()
            except (RuntimeError, subprocess.TimeoutExpired):
                with contextlib.suppress(OSError, ValueError, IndexError):
                    pid = int((self.data / "postmaster.pid").read_text().split()[0])
                    os.kill(pid, signal.SIGKILL)
        shutil.rmtree(self.root, ignore_errors=True)
