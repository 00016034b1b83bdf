"""gunicorn serving the app in production settings (DEBUG off) on a free loopback port, its
database migrated and seeded first; its output kept for the logging tests."""

import re
import subprocess

from .clients import fetch
from .common import (
    ACCESS_LOG_LINE,
    BASE_DIR,
    HOST,
    PYTHON,
    ServerProcess,
    free_port,
    manage,
    production_env,
    require,
    tail,
    wait_until,
)


class Gunicorn(ServerProcess):
    """`gunicorn immunosite.wsgi -c gunicorn.conf.py` on a free port, in production (DEBUG off),
    its output (access log included) in a file. On entering, `manage.py migrate` and `seed` run
    first with the same environment (unless migrate=False: a database that is down); the static
    files are collected once per module into `static_root` (see `collect_static`). Without a
    database_url the app gets a SQLite file of its own. `variables` are more environment.
    stdout (access log, the app's logging) and stderr (gunicorn's own log) go to files."""

    name = "gunicorn"

    def __init__(
        self, static_root, database_url=None, workers=1, migrate=True, admin=None, **variables
    ):
        super().__init__()
        self.admin = admin  # (username, password) of a superuser made on entering
        self.port = free_port()
        self.stdout = self.root / "stdout.log"
        self.stderr = self.root / "stderr.log"
        self.migrate = migrate
        self.env = production_env(
            database_url or f"sqlite:///{self.root / 'db.sqlite3'}",
            static_root,
            GUNICORN_BIND=f"{HOST}:{self.port}",
            WEB_CONCURRENCY=str(workers),
            **variables,
        )

    def prepare(self):
        if self.migrate:
            manage("migrate", "--no-input", "-v0", env=self.env)
            manage("seed", env=self.env)
        if self.admin:
            username, password = self.admin
            self.manage("ensure_admin", ADMIN_USERNAME=username, ADMIN_PASSWORD=password)

    def start(self, timeout=30):
        gunicorn = require(PYTHON.parent / "gunicorn")
        with open(self.stdout, "ab") as stdout, open(self.stderr, "ab") as stderr:
            self.process = subprocess.Popen(
                [gunicorn, "immunosite.wsgi", "-c", "gunicorn.conf.py"],
                cwd=BASE_DIR,
                env=self.env,
                stdout=stdout,
                stderr=stderr,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )

        def answers():
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"gunicorn exited {self.process.returncode}:\n{tail(self.stdout)}\n"
                    f"{tail(self.stderr)}"
                )
            try:
                return fetch(self.port, "/healthz", timeout=10)
            except OSError:
                return None

        wait_until(answers, timeout, f"gunicorn on port {self.port}", interval=0.1)

    def get(self, path, **kwargs):
        return fetch(self.port, path, **kwargs)

    def manage(self, *args, **variables):
        """`manage.py ARGS` with this server's environment (plus `variables`)."""
        return manage(*args, env={**self.env, **variables})

    def api_token(self, username):
        """An API token's key for `username` (`manage.py issue_token`)."""
        output = self.manage("issue_token", username).stdout
        return re.search(r"Token (\S+) ", output).group(1)

    def output(self):
        """What gunicorn printed on stdout: the access log and the app's logging."""
        return tail(self.stdout, 1_000_000)

    def app_log(self, since=0):
        """The app's own log lines (stdout without the access log) from character `since` of
        output() on: records and, under them, any traceback lines."""
        return [
            line
            for line in self.output()[since:].splitlines()
            if line.strip() and not ACCESS_LOG_LINE.match(line)
        ]

    def errors(self):
        """gunicorn's own log (stderr)."""
        return tail(self.stderr, 1_000_000)
