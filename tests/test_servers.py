"""The test servers' package (tests/servers/): small modules, each saying what it is for, and one
cookie-keeping HTTP client, `Visitor`, that every test uses: checked here against an echoing
HTTP server in a thread of this process."""

import ast
import json
import threading
import urllib.parse
from http.cookies import SimpleCookie
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from . import servers
from .servers import HOST, Visitor

PACKAGE = Path(servers.__file__).parent


class Echo(BaseHTTPRequestHandler):
    """Answers with what it was sent, as JSON; `?set=name=value` and `?delete=name` set and
    delete cookies, as Django does (an empty value with Max-Age=0)."""

    def answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
        body = json.dumps(
            {
                "method": self.command,
                "headers": dict(self.headers),
                "body": self.rfile.read(length).decode(),
            }
        ).encode()
        self.send_response(200)
        for value in query.get("set", []):
            self.send_header("Set-Cookie", f"{value}; Path=/")
        for name in query.get("delete", []):
            cookie = SimpleCookie()
            cookie[name] = ""
            cookie[name]["max-age"] = 0
            cookie[name]["path"] = "/"
            self.send_header("Set-Cookie", cookie[name].OutputString())
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PATCH = answer

    def log_message(self, *args):
        pass


@pytest.fixture
def echo():
    server = ThreadingHTTPServer((HOST, 0), Echo)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)


def test_every_module_is_small_and_says_what_it_is_for():
    modules = sorted(PACKAGE.glob("*.py"))
    assert {"clients.py", "gunicorn.py", "nginx.py", "postgres.py", "redis.py"} <= {
        m.name for m in modules
    }
    for module in modules:
        source = module.read_text()
        assert ast.get_docstring(ast.parse(source)), module.name
        assert len(source.splitlines()) < 400, module.name


def test_one_http_client_keeps_cookies():
    """No other class in the package or in a test module keeps a cookie jar of its own."""
    keeping = []
    for path in [*PACKAGE.glob("*.py"), *PACKAGE.parent.glob("test_*.py")]:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ClassDef) and "self.cookies = " in ast.unparse(node):
                keeping.append(f"{path.name}:{node.name}")
    assert keeping == ["clients.py:Visitor"]


def test_the_client_keeps_and_drops_cookies_as_the_server_says(echo):
    visitor = Visitor(echo)
    visitor.get("/?set=sessionid=abc&set=csrftoken=xyz")
    assert visitor.cookies == {"sessionid": "abc", "csrftoken": "xyz"}
    sent = visitor.get("/?delete=sessionid").json()["headers"]["Cookie"]
    assert sent == "sessionid=abc; csrftoken=xyz"
    assert visitor.cookies == {"csrftoken": "xyz"}
    assert visitor.get("/").json()["headers"]["Cookie"] == "csrftoken=xyz"


def test_the_client_sends_its_headers_and_an_origin_with_writes(echo):
    visitor = Visitor(echo, headers={"Authorization": "Token k"}, host="site.example")
    read = visitor.get("/").json()
    assert read["headers"]["Authorization"] == "Token k"
    assert read["headers"]["Host"] == "site.example" and "Origin" not in read["headers"]
    written = visitor.send_json("PATCH", "/", {"summary": "New."}, {"If-Match": '"v1"'}).json()
    assert written["method"] == "PATCH" and json.loads(written["body"]) == {"summary": "New."}
    assert written["headers"]["Origin"] == "http://site.example"
    assert written["headers"]["If-Match"] == '"v1"'
    assert written["headers"]["Content-Type"] == "application/json"


def test_the_client_posts_forms_with_repeated_fields(echo):
    posted = Visitor(echo).post_form("/", {"name": "Rituximab", "sources": ["1", "2"]}).json()
    assert posted["method"] == "POST"
    assert posted["headers"]["Content-Type"] == "application/x-www-form-urlencoded"
    assert urllib.parse.parse_qs(posted["body"]) == {"name": ["Rituximab"], "sources": ["1", "2"]}
    assert posted["headers"]["Origin"] == f"http://{HOST}:{echo}"
