"""Real servers for the tests that need them (tests/test_production.py, test_client_identity.py,
test_cache_outage.py, test_scale_out.py, test_sqlite_concurrency.py …): a throwaway PostgreSQL
cluster, a redis-server, gunicorn serving the app and nginx as a reverse proxy in front of it,
each on loopback and a free port, with bounded waits and cleanup that always runs (process
groups killed, temporary folders removed); and `Visitor`, a client with cookies that logs in to
the admin, posts forms and JSON through real HTTP, from a loopback address of its choice
(127.0.0.2, 127.0.0.3 … are distinct clients).

Subprocesses get an environment built from scratch (`base_env`), never the pytest session's:
the suite may itself run with DATABASE_URL pointing at a PostgreSQL server, and tests/settings.py
puts throwaway secrets into os.environ.
"""

import contextlib
import glob
import http.client
import json
import os
import re
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.parse
from dataclasses import dataclass
from html.parser import HTMLParser
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

import pytest

BASE_DIR = Path(__file__).resolve().parent.parent
PYTHON = Path(sys.executable)
HOST = "127.0.0.1"
# gunicorn's default access log format starts with the client address and two dashes.
ACCESS_LOG_LINE = re.compile(r"^\d+\.\d+\.\d+\.\d+ - \S+ \[")
# A record of the app's logging (LOGGING's "plain" format) starts with its date.
LOG_RECORD_LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ [A-Z]+ ")


# --- Binaries --------------------------------------------------------------------------------


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


# --- Small helpers ---------------------------------------------------------------------------


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


# --- HTTP ------------------------------------------------------------------------------------


@dataclass
class Reply:
    status: int
    headers: http.client.HTTPMessage
    body: bytes
    elapsed: float

    @property
    def text(self):
        return self.body.decode("utf-8", errors="replace")

    def json(self):
        return json.loads(self.body)

    def header(self, name):
        return self.headers.get(name)


def fetch(port, path, headers=None, timeout=15, method="GET", body=None, source=None, tls=False):
    """One request to 127.0.0.1:PORT with http.client (no redirects, no decompression), from
    the loopback address `source` (127.0.0.1 by default), over TLS (any certificate) if `tls`."""
    started = time.monotonic()
    options = {"timeout": timeout, "source_address": (source, 0) if source else None}
    if tls:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        connection = http.client.HTTPSConnection(HOST, port, context=context, **options)
    else:
        connection = http.client.HTTPConnection(HOST, port, **options)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        content = response.read()
    finally:
        connection.close()
    return Reply(response.status, response.headers, content, time.monotonic() - started)


CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


class Visitor:
    """A browser-like client of one or more servers: it keeps the cookies they set (one jar, as
    behind one load balancer; `port=` on a call picks the server), comes from the loopback
    address `source`, and sends an `Origin` with its writes as browsers do (Django's CSRF
    check compares it with the host)."""

    def __init__(self, port, source=None, tls=False, host=None):
        self.port = port
        self.source = source
        self.tls = tls
        self.host = host  # the Host header (a load balancer's public name), else HOST:port
        self.cookies = {}

    def request(self, method, path, headers=None, body=None, port=None):
        port = port or self.port
        headers = dict(headers or {})
        host = self.host or f"{HOST}:{port}"
        if self.host:
            headers.setdefault("Host", self.host)
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if method not in ("GET", "HEAD"):
            headers.setdefault("Origin", f"{'https' if self.tls else 'http'}://{host}")
        reply = fetch(
            port, path, headers, method=method, body=body, source=self.source, tls=self.tls
        )
        for line in reply.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(line).items():
                if morsel.value and morsel["max-age"] != "0":
                    self.cookies[name] = morsel.value
                else:
                    self.cookies.pop(name, None)
        return reply

    def get(self, path, headers=None, port=None):
        return self.request("GET", path, headers, port=port)

    def post_form(self, path, data, headers=None, port=None):
        headers = {"Content-Type": "application/x-www-form-urlencoded", **(headers or {})}
        return self.request("POST", path, headers, urllib.parse.urlencode(data), port=port)

    def admin_login(self, username, password, port=None, headers=None):
        """The admin's login form, as a person fills it in: GET it (CSRF cookie and token),
        then POST the credentials with the token (`headers` on both). Returns the POST's
        reply (302 on success)."""
        form = self.get("/admin/login/", headers, port=port)
        match = CSRF_INPUT.search(form.text)
        assert form.status == 200 and match, (form.status, form.text[:500])
        data = {"csrfmiddlewaretoken": match.group(1), "username": username}
        data["password"] = password
        return self.post_form("/admin/login/?next=/admin/", data, headers, port=port)


# --- PostgreSQL ------------------------------------------------------------------------------


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


# --- Redis -----------------------------------------------------------------------------------


class RedisServer:
    """redis-server in the foreground (its own process group), no persistence, on a free port.
    `kill()` and `start()` can be repeated; the context manager always kills it."""

    def __init__(self, program):
        self.program = program
        self.port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix="immunosite-test-redis-"))
        self.log = self.root / "redis.log"
        self.process = None

    @property
    def url(self):
        return f"redis://{HOST}:{self.port}/0"

    def __enter__(self):
        try:
            self.start()
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc_info):
        self.kill()
        shutil.rmtree(self.root, ignore_errors=True)

    def ping(self):
        try:
            with socket.create_connection((HOST, self.port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(64).startswith(b"+PONG")
        except OSError:
            return False

    def start(self, timeout=15):
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                [
                    self.program, "--bind", HOST, "--port", str(self.port), "--save", "",
                    "--appendonly", "no", "--daemonize", "no", "--dir", str(self.root),
                ],
                cwd=self.root, env=base_env(), stdout=log, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, start_new_session=True,
            )  # fmt: skip

        def up():
            if self.process.poll() is not None:
                raise RuntimeError(f"redis-server exited:\n{tail(self.log)}")
            return self.ping()

        wait_until(up, timeout, f"redis-server on port {self.port}")

    def freeze(self):
        """SIGSTOP: connections are still accepted (by the kernel) but never answered."""
        os.killpg(self.process.pid, signal.SIGSTOP)

    def kill(self):
        """SIGKILL: Redis disappears as in a crash (a frozen one too)."""
        if self.process is not None and self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)
        self.process = None


# --- gunicorn serving the app ----------------------------------------------------------------


class Gunicorn:
    """`gunicorn immunosite.wsgi -c gunicorn.conf.py` on a free port, in production (DEBUG off),
    its output (access log included) in a file. On entering, `manage.py migrate` and `seed` run
    first with the same environment (unless migrate=False: a database that is down); the static
    files are collected once per module into `static_root` (see `collect_static`). Without a
    database_url the app gets a SQLite file of its own. `variables` are more environment.
    stdout (access log, the app's logging) and stderr (gunicorn's own log) go to files."""

    def __init__(
        self, static_root, database_url=None, workers=1, migrate=True, admin=None, **variables
    ):
        self.admin = admin  # (username, password) of a superuser made on entering
        self.port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix="immunosite-test-gunicorn-"))
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
        self.process = None

    def __enter__(self):
        try:
            if self.migrate:
                manage("migrate", "--no-input", "-v0", env=self.env)
                manage("seed", env=self.env)
            if self.admin:
                username, password = self.admin
                self.manage("ensure_admin", ADMIN_USERNAME=username, ADMIN_PASSWORD=password)
            self.start()
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc_info):
        stop_process_group(self.process)
        self.process = None
        shutil.rmtree(self.root, ignore_errors=True)

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


# --- A browser's part over real HTTP: cookies, forms, JSON --------------------------------------


class FormFields(HTMLParser):
    """What submitting the form with id `form_id` sends, unchanged: (name, value) pairs of its
    inputs (checked boxes only, no buttons), selected options and textareas."""

    def __init__(self, form_id):
        super().__init__(convert_charrefs=True)
        self.form_id = form_id
        self.inside = False
        self.fields = []
        self.select = None  # (name, [selected values], first value)
        self.textarea = None  # (name, [text])

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.inside = attrs.get("id") == self.form_id
        if not self.inside or attrs.get("disabled") is not None:
            return
        name = attrs.get("name")
        if tag == "input" and name:
            kind = attrs.get("type", "text").lower()
            if kind in ("submit", "button", "image", "reset", "file"):
                return
            if kind in ("checkbox", "radio") and "checked" not in attrs:
                return
            self.fields.append((name, attrs.get("value", "on" if kind == "checkbox" else "")))
        elif tag == "select" and name:
            self.select = (name, [], None, "multiple" in attrs)
        elif tag == "option" and self.select:
            name, chosen, first, multiple = self.select
            value = attrs.get("value", "")
            if "selected" in attrs:
                chosen.append(value)
            self.select = (name, chosen, value if first is None else first, multiple)
        elif tag == "textarea" and name:
            self.textarea = (name, [])

    def handle_data(self, data):
        if self.textarea:
            self.textarea[1].append(data)

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "select" and self.select:
            name, chosen, first, multiple = self.select
            if not chosen and not multiple and first is not None:
                chosen = [first]  # a browser sends a single select's first option
            self.fields += [(name, value) for value in chosen]
            self.select = None
        elif tag == "textarea" and self.textarea:
            name, text = self.textarea
            value = "".join(text)
            self.fields.append((name, value[1:] if value.startswith("\n") else value))
            self.textarea = None


def form_fields(page, form_id):
    """The fields the form `form_id` on an HTML page would submit, as a dict of lists."""
    parser = FormFields(form_id)
    parser.feed(page)
    fields = {}
    for name, value in parser.fields:
        fields.setdefault(name, []).append(value)
    assert fields, f"no form with id {form_id!r} on the page"
    return fields


class Browser:
    """One user's cookies (session, CSRF) against a server on 127.0.0.1, over real HTTP."""

    def __init__(self, port, headers=None):
        self.port = port
        self.cookies = {}
        self.headers = dict(headers or {})

    def request(self, method, path, body=None, headers=None, timeout=60):
        all_headers = {**self.headers, **(headers or {})}
        if self.cookies:
            all_headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        started = time.monotonic()
        connection = http.client.HTTPConnection(HOST, self.port, timeout=timeout)
        try:
            connection.request(method, path, body=body, headers=all_headers)
            response = connection.getresponse()
            content = response.read()
        finally:
            connection.close()
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        return Reply(response.status, response.headers, content, time.monotonic() - started)

    def get(self, path, headers=None):
        return self.request("GET", path, headers=headers)

    def post_form(self, path, fields):
        """POST `fields` ({name: value or [values]}) as a form, with the CSRF cookie's token."""
        pairs = [
            (name, value)
            for name, values in fields.items()
            for value in (values if isinstance(values, list) else [values])
        ]
        body = urlencode(pairs)
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        return self.request("POST", path, body.encode(), headers)

    def send_json(self, method, path, data, headers=None):
        headers = {"Content-Type": "application/json", **(headers or {})}
        return self.request(method, path, json.dumps(data).encode(), headers)

    def log_in(self, username, password):
        """Through the admin's login form; fails the test if the login does not succeed."""
        page = self.get("/admin/login/?next=/admin/")
        fields = form_fields(page.text, "login-form")
        fields.update(username=username, password=password)
        reply = self.post_form("/admin/login/?next=/admin/", fields)
        assert reply.status == 302 and "sessionid" in self.cookies, reply.text[-2000:]
        return self


# --- nginx in front of the app ---------------------------------------------------------------

NGINX_CONF = """\
worker_processes 1;
pid {root}/nginx.pid;
error_log {root}/error.log warn;
events {{ worker_connections 128; }}
http {{
    access_log {root}/access.log;
    client_body_temp_path {root}/tmp/body;
    proxy_temp_path {root}/tmp/proxy;
    fastcgi_temp_path {root}/tmp/fastcgi;
    uwsgi_temp_path {root}/tmp/uwsgi;
    scgi_temp_path {root}/tmp/scgi;
    # As Debian's /etc/nginx/nginx.conf has it; the app's location turns it off (README,
    # "Compression": the app compresses what is safe to, and nothing else may be).
    gzip on;
    gzip_types text/html application/json text/csv application/xml;
    upstream app {{ server {host}:{upstream}; }}
    server {{
        listen {host}:{port};
        listen {host}:{tls_port} ssl;
        ssl_certificate {root}/cert.pem;
        ssl_certificate_key {root}/key.pem;
        location / {{
            gzip off;
            proxy_pass http://app;
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
        }}
    }}
}}
"""


class Nginx:
    """Debian's nginx in the foreground as the TLS-terminating reverse proxy the README
    describes, in front of 127.0.0.1:`upstream`: plain HTTP on `port`, HTTPS on `tls_port` (a
    self-signed certificate made by openssl). It appends the client's address to
    X-Forwarded-For and sets X-Forwarded-Proto, as a production proxy must, and passes the
    app's responses through without compressing any itself."""

    def __init__(self, upstream):
        self.program = require(shutil.which("nginx") or "/usr/sbin/nginx")
        self.upstream = upstream
        self.port = free_port()
        self.tls_port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix="immunosite-test-nginx-"))
        self.process = None

    def __enter__(self):
        try:
            self.start()
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc_info):
        stop_process_group(self.process)
        self.process = None
        shutil.rmtree(self.root, ignore_errors=True)

    def start(self, timeout=15):
        temp = self.root / "tmp"
        temp.mkdir()
        # Workers may run as an unprivileged user: they need to reach the temporary folders.
        self.root.chmod(0o711)
        temp.chmod(0o777)
        subprocess.run(
            [
                require("openssl"), "req", "-x509", "-newkey", "ec",
                "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1",
                "-subj", f"/CN={HOST}", "-keyout", self.root / "key.pem",
                "-out", self.root / "cert.pem",
            ],
            check=True, capture_output=True, timeout=30, env=base_env(),
        )  # fmt: skip
        conf = self.root / "nginx.conf"
        ports = {"port": self.port, "tls_port": self.tls_port, "upstream": self.upstream}
        conf.write_text(NGINX_CONF.format(root=self.root, host=HOST, **ports))
        with open(self.root / "stderr.log", "ab") as stderr:
            self.process = subprocess.Popen(
                [
                    self.program, "-p", self.root, "-c", conf, "-e", self.root / "error.log",
                    "-g", "daemon off;",
                ],
                cwd=self.root, env=base_env(), stdout=stderr, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, start_new_session=True,
            )  # fmt: skip

        def listening():
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"nginx exited {self.process.returncode}:\n{tail(self.root / 'stderr.log')}"
                    f"\n{tail(self.root / 'error.log')}"
                )
            try:
                for port in (self.port, self.tls_port):
                    socket.create_connection((HOST, port), timeout=0.5).close()
            except OSError:
                return False
            return True

        wait_until(listening, timeout, f"nginx on ports {self.port} and {self.tls_port}")
