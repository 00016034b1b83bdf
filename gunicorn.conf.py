"""gunicorn settings for `make serve`; each can be overridden by its environment variable.

Forwarded headers: gunicorn believes `X-Forwarded-Proto` (and only it) exactly when the app
does, that is when DJANGO_TRUSTED_PROXIES (or DJANGO_BEHIND_TLS_PROXY) says a reverse proxy is
in front of it (immunosite/clients.py). The proxy's own address is the deployment's business,
so then any peer is believed: the app must only be reachable through the proxy. Without it,
no peer is, loopback included (gunicorn's default trusts 127.0.0.1).
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from immunosite.clients import trusted_proxies

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "sync"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
accesslog = "-"  # logs to stdout
errorlog = "-"

forwarded_allow_ips = "*" if trusted_proxies() else ""
secure_scheme_headers = {"X-FORWARDED-PROTO": "https"}
forwarder_headers = ""
