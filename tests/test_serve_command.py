"""The README's "Running in production" command works as printed: it is run in a subprocess
(bash, make, check --deploy, collectstatic, migrate, seed, gunicorn) on a fresh SQLite database
and static folder, answers HTTP on its port, serves a page, and is stopped. Its local plain-HTTP
mode relaxes only the three checks plain HTTP raises and only for loopback hosts; production
stays strict.

Like tests/test_production.py these use no pytest-django database.
"""

import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from .servers import (
    BASE_DIR,
    base_env,
    fetch,
    free_port,
    manage,
    require,
    secret_key,
    stop_process_group,
    tail,
    wait_until,
)

pytestmark = [pytest.mark.servers, pytest.mark.once]

SECTION = re.compile(r"^## Running in production\n(.*?)^## ", re.S | re.M)
BASH_BLOCK = re.compile(r"^```bash\n(.*?)^```", re.S | re.M)
PLAIN_HTTP_CHECKS = ("security.W008", "security.W012", "security.W016")


def readme_command():
    """The first command of the README's "Running in production" section, as printed."""
    section = SECTION.search((BASE_DIR / "README.md").read_text())
    assert section, "README.md has no 'Running in production' section"
    block = BASH_BLOCK.search(section.group(1))
    assert block, "the section prints no bash command"
    return block.group(1)


@pytest.fixture
def workdir():
    path = Path(tempfile.mkdtemp(prefix="immunosite-test-serve-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def test_the_readme_command_serves_the_site_over_plain_http(workdir):
    require("make")
    command = readme_command()
    assert "make serve-local" in command
    port = free_port()
    log = workdir / "output.log"
    # What a fresh checkout would use, kept out of the repository: its own database and static
    # folder, and a free port instead of 8000.
    env = base_env(
        DATABASE_URL=f"sqlite:///{workdir / 'db.sqlite3'}",
        DJANGO_STATIC_ROOT=str(workdir / "static"),
        GUNICORN_BIND=f"127.0.0.1:{port}",
    )
    with open(log, "wb") as output:
        process = subprocess.Popen(
            ["bash", "-c", command],
            cwd=BASE_DIR,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    try:

        def answers():
            if process.poll() is not None:
                raise AssertionError(f"the command exited {process.returncode}:\n{tail(log)}")
            try:
                return fetch(port, "/therapies/rituximab/", timeout=10)
            except OSError:
                return None

        page = wait_until(answers, 240, f"the README's command to answer on port {port}", 0.5)
        assert page.status == 200, page.text[-2000:]
        assert "Rituximab" in page.text and "Rituxan" in page.text
        login = fetch(port, "/admin/login/")
        assert login.status == 200
        cookie = login.header("Set-Cookie")
        assert "csrftoken=" in cookie and "Secure" not in cookie  # plain HTTP keeps its cookies
        assert fetch(port, "/healthz").json() == {"status": "ok", "database": "ok"}
    finally:
        stop_process_group(process)

    output = log.read_text(errors="replace")
    assert "serve-local: DJANGO_LOCAL_HTTP=1: plain HTTP on this machine only" in output
    assert "System check identified no issues (3 silenced)." in output
    assert (workdir / "db.sqlite3").exists() and (workdir / "static" / "staticfiles.json").exists()


def deploy_check(**variables):
    env = base_env(
        **{
            "DJANGO_SETTINGS_MODULE": "immunosite.settings",
            "DJANGO_SECRET_KEY": secret_key(),
            "DATABASE_URL": "sqlite://:memory:",
            **variables,
        }
    )
    return manage("check", "--deploy", "--fail-level", "WARNING", env=env, check=False)


def test_local_mode_silences_only_the_plain_http_checks():
    result = deploy_check(DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost", DJANGO_LOCAL_HTTP="1")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "System check identified no issues (3 silenced)." in output
    # Anything else it would still report: a weak secret key fails the check.
    weak = deploy_check(
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        DJANGO_LOCAL_HTTP="1",
        DJANGO_SECRET_KEY="too-short-to-be-a-secret-key",
    )
    assert weak.returncode != 0
    assert "security.W009" in weak.stdout + weak.stderr


def test_production_is_strict_and_reports_every_plain_http_setting():
    strict = deploy_check(DJANGO_ALLOWED_HOSTS="immunosite.example.org")
    output = strict.stdout + strict.stderr
    assert strict.returncode == 0, output
    assert "System check identified no issues (0 silenced)." in output
    # The plain-HTTP settings without the local mode: each check reports its own.
    relaxed = deploy_check(
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
        DJANGO_SECURE_SSL_REDIRECT="0",
        DJANGO_SECURE_COOKIES="0",
    )
    assert relaxed.returncode != 0
    for check in PLAIN_HTTP_CHECKS:
        assert check in relaxed.stdout + relaxed.stderr


def test_local_mode_refuses_a_real_host_name():
    result = deploy_check(
        DJANGO_ALLOWED_HOSTS="127.0.0.1,immunosite.example.org", DJANGO_LOCAL_HTTP="1"
    )
    assert result.returncode != 0
    assert "DJANGO_LOCAL_HTTP serves plain HTTP on this machine only" in result.stderr
