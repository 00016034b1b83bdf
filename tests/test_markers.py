"""The suite's own guard (tests/conftest.py): a test that starts a server program or drives a
browser without its marker fails the run, so `make test-fast` never starts one unnoticed.

Each case runs pytest in a subprocess on a small test file in a temporary folder whose
conftest.py loads tests/conftest.py as a plugin; the "server" is a script named redis-server
that exits at once."""

import subprocess
import textwrap

import pytest

from .servers import BASE_DIR, PYTHON, base_env

pytestmark = pytest.mark.slow


def run_pytest(folder, test_source):
    (folder / "conftest.py").write_text('pytest_plugins = ["tests.conftest"]\n')
    (folder / "test_probe.py").write_text(textwrap.dedent(test_source))
    server = folder / "redis-server"
    server.write_text("#!/bin/sh\nexit 0\n")
    server.chmod(0o755)
    env = base_env(
        DJANGO_SETTINGS_MODULE="tests.settings",
        PYTHONPATH=str(BASE_DIR),
        FAKE_SERVER=str(server),
    )
    return subprocess.run(
        [str(PYTHON), "-m", "pytest", "-p", "no:cacheprovider", "-q", "-rA", "test_probe.py"],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_test_starting_a_server_without_the_servers_marker_fails(tmp_path):
    result = run_pytest(
        tmp_path,
        """
        import os, subprocess
        import pytest

        def start():
            subprocess.run([os.environ["FAKE_SERVER"], "--port", "1"], check=True)

        def test_unmarked():
            start()

        @pytest.fixture
        def server():
            start()

        def test_unmarked_fixture(server):
            pass

        @pytest.mark.servers
        def test_marked():
            start()

        @pytest.mark.bench
        def test_benchmark():
            start()

        def test_plain():
            subprocess.run(["true"], check=True)
        """,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "1 failed, 3 passed" in output and "1 error" in output, output  # set-up: an error
    assert (
        "test_probe.py::test_unmarked starts redis-server (in its call) but is not marked "
        "servers: add `pytestmark = pytest.mark.servers` to the module or "
        "@pytest.mark.servers to the test"
    ) in output
    assert "test_unmarked_fixture starts redis-server (in its set-up)" in output
    assert "PASSED test_probe.py::test_marked" in output
    assert "PASSED test_probe.py::test_plain" in output


def test_a_test_using_the_browser_without_the_browser_marker_is_refused(tmp_path):
    result = run_pytest(
        tmp_path,
        """
        import pytest

        def test_unmarked(page):
            pass

        @pytest.mark.browser
        def test_marked(page):
            pass
        """,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 4, output  # a usage error: nothing ran
    assert "these tests drive a browser but are not marked `browser`:" in output
    assert "test_probe.py::test_unmarked" in output
    assert "test_probe.py::test_marked" not in output.split("not marked `browser`:")[1]


def test_a_servers_test_that_never_opens_the_test_database_runs_only_once(tmp_path):
    """Such a test's outcome cannot depend on DATABASE_URL: the PostgreSQL run (`-m "not once"`)
    leaves it out, and keeps a servers test that does open the test database."""
    (tmp_path / "conftest.py").write_text('pytest_plugins = ["tests.conftest"]\n')
    (tmp_path / "test_probe.py").write_text(
        textwrap.dedent(
            """
            import pytest

            @pytest.mark.servers
            def test_own_servers():
                pass

            @pytest.mark.servers
            @pytest.mark.django_db
            def test_servers_and_the_test_database():
                pass

            def test_plain():
                pass
            """
        )
    )
    command = [str(PYTHON), "-m", "pytest", "-p", "no:cacheprovider", "-q", "--collect-only"]
    result = subprocess.run(
        [*command, "-m", "not once", "test_probe.py"],
        cwd=tmp_path,
        env=base_env(DJANGO_SETTINGS_MODULE="tests.settings", PYTHONPATH=str(BASE_DIR)),
        capture_output=True,
        text=True,
        timeout=120,
    )
    collected = result.stdout
    assert "test_servers_and_the_test_database" in collected, collected
    assert "test_plain" in collected
    assert "test_own_servers" not in collected
    assert "2/3 tests collected (1 deselected)" in collected
