"""Project-level views: health check, error pages, and the read-only rule for public pages."""

import functools
import logging
import sys

from django.core.exceptions import BadRequest
from django.db import DatabaseError, InterfaceError, OperationalError, connection
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.views import defaults
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_safe

from catalog import locking
from catalog.api.problems import problem_response

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 30
READ_METHODS = ("GET", "HEAD")
DATABASE_DOWN = (OperationalError, InterfaceError)


def is_api(request):
    return request.path.startswith("/api/")


def page_not_found(request, exception):
    """The site's 404 page; under /api/ a problem+json 404."""
    if is_api(request):
        return problem_response(404, "There is no API resource at this URL.")
    return defaults.page_not_found(request, exception)


@never_cache
@require_safe
def healthz(request):
    """200 when the database answers a query, 503 (with Retry-After) when it does not."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as error:
        logger.warning("Health check: database unavailable: %s", error)
        response = JsonResponse({"status": "unavailable", "database": "unavailable"}, status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    return JsonResponse({"status": "ok", "database": "ok"})


def bench_trivial(request):
    """The benchmark's baseline (bench/run.py): no database, no template, just the middleware.
    text/plain, so a page cache for HTML pages leaves it alone. Routed only when
    BENCH_TRIVIAL_VIEW=1 (immunosite/urls.py)."""
    return HttpResponse("ok", content_type="text/plain")


def bad_request(request, exception):
    """The 400 page in the site's design, saying what was wrong."""
    message = str(exception) if isinstance(exception, BadRequest) else ""
    return render(request, "400.html", {"message": message}, status=400)


def server_error(request):
    """500 page; a database outage is a 503 with Retry-After instead, a save that timed out
    waiting for another one a 409 with Retry-After (catalog/locking.py). Never a traceback."""
    error = sys.exc_info()[1]
    retry_after = RETRY_AFTER_SECONDS
    if locking.database_busy(error):
        status, template, detail = 409, "409.html", locking.DETAIL
        retry_after = locking.RETRY_AFTER_SECONDS
    elif isinstance(error, DATABASE_DOWN):
        status, template = 503, "503.html"
        detail = "The service is temporarily unavailable. Please try again shortly."
    else:
        status, template = 500, "500.html"
        detail = "Something went wrong on our side. The error has been logged."
    if is_api(request) or request.path == "/healthz":
        response = problem_response(status, detail)
    else:
        # No request context: context processors could touch the database that just failed.
        response = HttpResponse(loader.render_to_string(template), status=status)
    if status in (409, 503):
        response["Retry-After"] = str(retry_after)
    return response


def method_not_allowed(request):
    """405 in the site's design, with `Allow`."""
    response = render(request, "405.html", {"method": request.method}, status=405)
    response["Allow"] = ", ".join(READ_METHODS)
    return response


def read_only(view):
    """A public page answers GET and HEAD; any other method is a 405 (`Allow: GET, HEAD`), decided
    before CSRF checking, which has nothing to protect on a page that takes no input (a POST
    without a token was a 403 about CSRF)."""

    @functools.wraps(view)
    def page(request, *args, **kwargs):
        if request.method not in READ_METHODS:
            return method_not_allowed(request)
        return view(request, *args, **kwargs)

    return csrf_exempt(page)
