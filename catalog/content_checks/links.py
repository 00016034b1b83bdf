"""Checking the sources' URLs (`manage.py check_links`): each asked with HEAD, then GET when the
server refuses HEAD (405, 501), redirects followed, with a timeout per request; only http and
https. Every outcome is stored (models/link_checks.py) and nothing raises: a URL that does not
answer is a finding, with its reason in words ("timed out after 2 s", "connection refused",
"404 Not Found")."""

from dataclasses import dataclass
from urllib.parse import urlsplit

import requests
from django.utils import timezone

from ..models import LinkCheck, status_in_words

__all__ = ["DEFAULT_TIMEOUT", "LinkResult", "check_sources", "check_url"]

DEFAULT_TIMEOUT = 10.0  # seconds, per request (connecting, and each wait for data)
HEAD_REFUSED = (405, 501)
SCHEMES = ("http", "https")
USER_AGENT = "immunosite-link-check/1 (checks the sources a page cites)"


@dataclass(frozen=True)
class LinkResult:
    url: str
    status: int | None
    ok: bool
    error: str
    final_url: str


def check_url(url, timeout=DEFAULT_TIMEOUT):
    """What `url` answers now, as a LinkResult; never raises."""
    if urlsplit(url).scheme.lower() not in SCHEMES:
        return LinkResult(url, None, False, "not an http or https address", "")
    try:
        with requests.Session() as session:
            session.headers["User-Agent"] = USER_AGENT
            response = session.head(url, allow_redirects=True, timeout=timeout)
            if response.status_code in HEAD_REFUSED:
                response = session.get(url, allow_redirects=True, timeout=timeout, stream=True)
                response.close()  # the status is all a check needs, not the body
    except requests.Timeout:
        return LinkResult(url, None, False, f"timed out after {timeout:g} s", "")
    except requests.TooManyRedirects:
        return LinkResult(url, None, False, "too many redirects", "")
    except requests.exceptions.InvalidSchema:
        return LinkResult(url, None, False, "redirected to an address that is not http(s)", "")
    except requests.ConnectionError as error:
        return LinkResult(url, None, False, connection_error(error), "")
    except Exception as error:  # a malformed answer or address: a finding, not a crash
        return LinkResult(url, None, False, f"no usable answer ({type(error).__name__})", "")
    status = response.status_code
    ok = 200 <= status < 300
    error = "" if ok else status_in_words(status, response.reason or "")
    return LinkResult(url, status, ok, error, response.url)


def connection_error(error):
    text = str(error)
    if "Connection refused" in text:
        return "connection refused"
    if "Name or service not known" in text or "getaddrinfo failed" in text:
        return "the host name does not resolve"
    if "SSL" in text or "certificate" in text:
        return "the TLS connection failed (certificate or protocol)"
    if "RemoteDisconnected" in text or "Connection aborted" in text:
        return "the server closed the connection without answering"
    return "could not connect"


def check_sources(sources, timeout=DEFAULT_TIMEOUT):
    """Check each distinct URL of `sources` once and store what it answered; the results, in
    the order of the URLs."""
    results = []
    for url in dict.fromkeys(source.url for source in sources):
        result = check_url(url, timeout)
        LinkCheck.objects.record(
            url,
            checked_at=timezone.now(),
            status=result.status,
            ok=result.ok,
            error=result.error,
            final_url=result.final_url,
        )
        results.append(result)
    return results
