"""What every server helper shares: the checkout and its Python, binaries found or the test
skipped, free loopback ports, bounded waits, the environment a subprocess of the app gets (built
from scratch, never the pytest session's: the suite may itself run with DATABASE_URL pointing at
a PostgreSQL server, and tests/settings.py puts throwaway secrets into os.environ), `manage.py`
runs, stopping a process group, and `ServerProcess`, what every server's context manager does."""

import contextlib
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parent.parent.parent
PYTHON = Path(sys.executable)
HOST = "127.0.0.1"
# gunicorn's default access log format starts with the client address and two dashes.
ACCESS_LOG_LINE = re.compile(r"^\d+\.\d+\.\d+\.\d+ - \S+ \[")
# A record of the app's logging (LOGGING's "plain" format) starts with its date.
LOG_RECORD_LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ [A-Z]+ ")


def require(program):
    """The path of `program` (a name on PATH or an absolute path). When it is missing the test
    is skipped, unless the CI variable is set: CI installs every server, so there it fails."""
    if os.sep in str(program):
        found = str(program) if os.access(program, os.X_OK) else None
    else:
        found = shutil.which(program) or shutil.which(program, path=str(PYTHON.parent))
    if found:
        return found
    reason = f"{program} is not installed"
    if os.environ.get("CI"):
        pytest.fail(f"{reason}, and CI is set: CI must install it (make system-deps).")
    pytest.skip(f"{reason} (with CI set this is a failure)")


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def wait_until(predicate, timeout, what, interval=0.05):
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


def secret_key():
    """A random key Django's deployment check accepts (50+ characters, many distinct)."""
    return secrets.token_urlsafe(50)


def base_env(**variables):
    """A clean environment for a subprocess of the app: only PATH, HOME and the locale come from
    ours, then `variables` (a value of None leaves the variable out)."""
    env = {name: os.environ[name] for name in ("PATH", "HOME", "LANG", "TZ") if name in os.environ}
    env.setdefault("PATH", "/usr/local/bin:/usr/bin:/bin")
    env["PYTHONUNBUFFERED"] = "1"
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env.update({name: value for name, value in variables.items() if value is not None})
    return env


def production_env(database_url, static_root, **variables):
    """What the app needs in production, served over plain HTTP on loopback; `variables` may
    override any of it."""
    defaults = {
        "DJANGO_SETTINGS_MODULE": "immunosite.settings",
        "DJANGO_SECRET_KEY": secret_key(),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DJANGO_STATIC_ROOT": str(static_root),
        "DATABASE_URL": database_url,
    }
    return base_env(**{**defaults, **variables})


def collect_static(static_root):
    """`manage.py collectstatic` into static_root, as production does before serving."""
    manage(
        "collectstatic", "--no-input", "-v0", env=production_env("sqlite://:memory:", static_root)
    )


def manage(*args, env, timeout=120, check=True):
    """Run `manage.py ARGS` with `env`; returns the CompletedProcess (output as text)."""
    result = subprocess.run(
        [str(PYTHON), "manage.py", *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if check and result.returncode != 0:
        raise AssertionError(
            f"manage.py {' '.join(args)} exited {result.returncode}:\n"
            f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
        )
    return result


def stop_process_group(process, timeout=10):
    """SIGTERM the process's group (it was started in a session of its own), SIGKILL whatever
    is left after `timeout` seconds, and reap the leader."""
    if process is None:
        return
    for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 5)):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, sig)
        try:
            process.wait(wait)
        except subprocess.TimeoutExpired:
            continue
        break
    # Stragglers (workers whose leader already exited) share the group id.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)


def tail(path, chars=4000):
    try:
        return Path(path).read_text(errors="replace")[-chars:]
    except OSError:
        return ""


class ServerProcess:
    """A server run in a temporary folder of its own (`root`): entering runs `prepare()` then
    `start()`, leaving runs `stop()` and removes the folder, also when starting failed."""

    name = "server"  # part of the folder's name

    def __init__(self):
        self.root = Path(tempfile.mkdtemp(prefix=f"immunosite-test-{self.name}-"))
        self.process = None

    def prepare(self):
        """What must be done before the first start (a database migrated, a superuser)."""

    def start(self):
        raise NotImplementedError

    def stop(self):
        stop_process_group(self.process)
        self.process = None

    def __enter__(self):
        try:
            self.prepare()
            self.start()
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc_info):
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)
