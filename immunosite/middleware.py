"""Project middleware: the Host check that runs before anything else answers, and conditional
GET for HEAD requests too."""

from csp.middleware import CSPMiddleware
from django.core.exceptions import DisallowedHost
from django.core.handlers.exception import response_for_exception
from django.middleware.clickjacking import XFrameOptionsMiddleware
from django.middleware.http import ConditionalGetMiddleware as DjangoConditionalGetMiddleware
from django.middleware.security import SecurityMiddleware
from django.utils.cache import get_conditional_response, set_response_etag
from django.utils.http import parse_http_date_safe

# The middleware that give every response its security headers (HSTS, nosniff, Referrer-Policy,
# Cross-Origin-Opener-Policy; X-Frame-Options; Content-Security-Policy). A request refused by
# validate_host never reaches them, so its 400 is given their headers here.
HEADER_MIDDLEWARE = (SecurityMiddleware, XFrameOptionsMiddleware, CSPMiddleware)


def validate_host(get_response):
    """Check the Host header before anything answers (WhiteNoise serves static files before
    Django's own host check would run). A foreign host is the site's 400 page (logged as Django
    logs it, on one line), with the same security headers as every other response."""
    finishers = [middleware(get_response) for middleware in HEADER_MIDDLEWARE]

    def middleware(request):
        try:
            request.get_host()
        except DisallowedHost as error:
            response = response_for_exception(request, error)
            for finisher in finishers:
                response = finisher.process_response(request, response)
            return response
        return get_response(request)

    return middleware


class ConditionalGetMiddleware(DjangoConditionalGetMiddleware):
    """Django's ConditionalGetMiddleware (an ETag from the body where the view set none, and
    304s for If-None-Match / If-Modified-Since), for HEAD as for GET. Django's skips HEAD,
    assuming an empty body, so a HEAD carried no ETag where the GET did; but Django's views
    answer HEAD with the GET's body (the server leaves it out), so HEAD gets the GET's ETag."""

    def process_response(self, request, response):
        if request.method not in ("GET", "HEAD"):
            return response  # too late for a 412 on a write
        if request.method == "HEAD" and (response.streaming or not response.content):
            return response  # a view that answered HEAD by itself, without the body
        return self.conditional(request, response)

    def conditional(self, request, response):
        """As Django's does for GET."""
        if self.needs_etag(response) and not response.has_header("ETag"):
            set_response_etag(response)
        etag = response.get("ETag")
        last_modified = parse_http_date_safe(response.get("Last-Modified", "") or "")
        if etag or last_modified:
            return get_conditional_response(
                request, etag=etag, last_modified=last_modified, response=response
            )
        return response
