"""`make run` and `make run-debug` as a newcomer starts them, on a free loopback port, with a
SQLite database, static files and a secret key of their own in a temporary folder (the
checkout's db.sqlite3, staticfiles/ and .secret-key are left alone)."""

import subprocess

from .clients import fetch
from .common import (
    BASE_DIR,
    HOST,
    PYTHON,
    ServerProcess,
    base_env,
    free_port,
    require,
    tail,
    wait_until,
)


class MakeRun(ServerProcess):
    """`make TARGET` (run or run-debug) in the checkout, the environment built from scratch
    (DJANGO_DEBUG unset: the target decides), its output in a file. The venv is taken as
    installed (`make -o`), so starting it never reinstalls."""

    name = "make-run"

    def __init__(self, target="run"):
        super().__init__()
        self.target = target
        self.port = free_port()
        self.log = self.root / "make.log"
        self.env = base_env(
            DATABASE_URL=f"sqlite:///{self.root / 'db.sqlite3'}",
            DJANGO_STATIC_ROOT=str(self.root / "static"),
        )

    def start(self, timeout=120):
        make = require("make")
        stamp = PYTHON.parent.parent / ".installed"
        command = [
            make,
            "--no-print-directory",
            "-o",
            str(stamp),
            self.target,
            f"BIN={PYTHON.parent}",
            f"RUN_ADDR={HOST}:{self.port}",
            f"SECRET_KEY_FILE={self.root / 'secret-key'}",
        ]
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                command,
                cwd=BASE_DIR,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )

        def answers():
            if self.process.poll() is not None:
                raise RuntimeError(f"make {self.target} exited:\n{tail(self.log)}")
            try:
                return fetch(self.port, "/healthz", timeout=10)
            except OSError:
                return None

        wait_until(answers, timeout, f"make {self.target} on port {self.port}", interval=0.2)

    def get(self, path, **kwargs):
        return fetch(self.port, path, **kwargs)

    def output(self):
        return tail(self.log, 1_000_000)
