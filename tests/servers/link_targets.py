"""A local web server in a thread for the link checks' tests (`manage.py check_links`): paths
that answer as the web's servers do, so no test asks the internet. `/ok` 200; `/missing` 404;
`/no-head` refuses HEAD (405) and answers GET with 200; `/moved` redirects to `/ok`; `/slow`
answers after `slow_seconds`; `/to-ftp` redirects to an ftp address. `requests` lists the
(method, path) of every request it got; `closed_url()` is an address where nothing listens."""

import http.server
import threading
import time
from contextlib import suppress

from .common import HOST, free_port


class _Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):  # quiet
        pass

    def _answer(self):
        site = self.server.site
        site.requests.append((self.command, self.path))
        path = self.path.split("?")[0]
        if path == "/slow":
            time.sleep(site.slow_seconds)
            return self._send(200)
        if path == "/ok":
            return self._send(200)
        if path == "/no-head":
            return self._send(405 if self.command == "HEAD" else 200)
        if path == "/moved":
            return self._send(301, Location="/ok")
        if path == "/to-ftp":
            return self._send(302, Location="ftp://example.org/file")
        return self._send(404)

    def _send(self, status, **headers):
        body = b"" if self.command == "HEAD" else f"status {status}\n".encode()
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body:
            with suppress(OSError):  # the checker stopped waiting (a timeout)
                self.wfile.write(body)

    do_HEAD = do_GET = _answer


class LinkTargets:
    """`with LinkTargets() as site: site.url("/ok")`."""

    def __init__(self, slow_seconds=2):
        self.slow_seconds = slow_seconds
        self.requests = []
        self.server = http.server.ThreadingHTTPServer((HOST, 0), _Handler)
        self.server.daemon_threads = True
        self.server.site = self
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def url(self, path):
        return f"http://{HOST}:{self.server.server_address[1]}{path}"

    @staticmethod
    def closed_url():
        return f"http://{HOST}:{free_port()}/"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)
