"""nginx in front of the app, as the README's TLS-terminating reverse proxy."""

import shutil
import socket
import subprocess

from .common import HOST, ServerProcess, base_env, free_port, require, tail, wait_until

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


class Nginx(ServerProcess):
    """Debian's nginx in the foreground as the TLS-terminating reverse proxy the README
    describes, in front of 127.0.0.1:`upstream`: plain HTTP on `port`, HTTPS on `tls_port` (a
    self-signed certificate made by openssl). It appends the client's address to
    X-Forwarded-For and sets X-Forwarded-Proto, as a production proxy must, and passes the
    app's responses through without compressing any itself."""

    name = "nginx"

    def __init__(self, upstream):
        super().__init__()
        self.program = require(shutil.which("nginx") or "/usr/sbin/nginx")
        self.upstream = upstream
        self.port = free_port()
        self.tls_port = free_port()

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
