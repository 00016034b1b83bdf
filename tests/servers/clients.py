"""HTTP against the servers, as browsers and API clients use them: `fetch` (one request, no
redirects, no decompression), `Visitor` (a client keeping its cookies that logs in to the admin,
posts forms and sends JSON) and `form_fields` (what submitting a form on a page sends)."""

import http.client
import json
import ssl
import time
import urllib.parse
from dataclasses import dataclass
from html.parser import HTMLParser
from http.cookies import SimpleCookie

from .common import HOST


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


class Visitor:
    """A browser-like client of one or more servers: it keeps the cookies they set (one jar, as
    behind one load balancer; `port=` on a call picks the server), sends `headers` with every
    request (an API token, say), comes from the loopback address `source` (127.0.0.2,
    127.0.0.3 … are distinct clients), and sends an `Origin` with its writes as browsers do
    (Django's CSRF check compares it with the host)."""

    def __init__(self, port, headers=None, *, source=None, tls=False, host=None, timeout=60):
        self.port = port
        self.headers = dict(headers or {})
        self.source = source
        self.tls = tls
        self.host = host  # the Host header (a load balancer's public name), else HOST:port
        self.timeout = timeout  # long enough for a save that waits for a lock
        self.cookies = {}

    def request(self, method, path, body=None, headers=None, port=None):
        port = port or self.port
        headers = {**self.headers, **(headers or {})}
        host = self.host or f"{HOST}:{port}"
        if self.host:
            headers.setdefault("Host", self.host)
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if method not in ("GET", "HEAD"):
            headers.setdefault("Origin", f"{'https' if self.tls else 'http'}://{host}")
        reply = fetch(
            port,
            path,
            headers,
            timeout=self.timeout,
            method=method,
            body=body,
            source=self.source,
            tls=self.tls,
        )
        for line in reply.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(line).items():
                if morsel.value and morsel["max-age"] != "0":
                    self.cookies[name] = morsel.value
                else:
                    self.cookies.pop(name, None)
        return reply

    def get(self, path, headers=None, port=None):
        return self.request("GET", path, headers=headers, port=port)

    def post_form(self, path, fields, headers=None, port=None):
        """POST `fields` ({name: value or [values]}) as a form."""
        pairs = [
            (name, value)
            for name, values in fields.items()
            for value in (values if isinstance(values, list) else [values])
        ]
        headers = {"Content-Type": "application/x-www-form-urlencoded", **(headers or {})}
        body = urllib.parse.urlencode(pairs).encode()
        return self.request("POST", path, body, headers, port=port)

    def send_json(self, method, path, data, headers=None, port=None):
        headers = {"Content-Type": "application/json", **(headers or {})}
        return self.request(method, path, json.dumps(data).encode(), headers, port=port)

    def admin_login(self, username, password, headers=None, port=None):
        """The admin's login form, as a person fills it in: GET it (CSRF cookie and token),
        then POST it with the credentials (`headers` on both). Returns the POST's reply (302
        on success)."""
        form = self.get("/admin/login/?next=/admin/", headers, port=port)
        assert form.status == 200, (form.status, form.text[:500])
        fields = form_fields(form.text, "login-form")
        fields.update(username=username, password=password)
        return self.post_form("/admin/login/?next=/admin/", fields, headers, port=port)

    def log_in(self, username, password):
        """`admin_login`, failing the test unless it succeeds; returns the client."""
        reply = self.admin_login(username, password)
        assert reply.status == 302 and "sessionid" in self.cookies, reply.text[-2000:]
        return self


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
