"""One error format for the whole API: RFC 9457 `application/problem+json`.

Every error body has `type`, `title`, `status` and `detail`; validation errors add
`invalid_params: [{name, reason}]`, and a typed filter value near a record's name adds
`suggestions: [{name, value, url}]` (the same query with the suggested name).
"""

from http import HTTPStatus

from django.http import JsonResponse
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler

from .. import locking
from .renderers import JSONRenderer

PROBLEM_TYPE = "about:blank"


class ProblemJSONRenderer(JSONRenderer):
    media_type = "application/problem+json"
    format = "problem+json"


def problem(status, detail, **extra):
    return {
        "type": PROBLEM_TYPE,
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        **extra,
    }


def flatten_errors(errors, prefix=""):
    """DRF's nested error detail as [{name, reason}] pairs."""
    if isinstance(errors, dict):
        pairs = []
        for key, value in errors.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            pairs += flatten_errors(value, name)
        return pairs
    if isinstance(errors, list):
        if all(not isinstance(e, dict | list) for e in errors):
            return [{"name": prefix or "non_field_errors", "reason": str(e)} for e in errors]
        pairs = []
        for index, value in enumerate(errors):
            pairs += flatten_errors(value, f"{prefix}[{index}]")
        return pairs
    return [{"name": prefix or "non_field_errors", "reason": str(errors)}]


def api_exception_handler(exc, context):
    response = exception_handler(exc, context)
    if response is None and locking.database_busy(exc):
        # Another write held the database past the lock timeout: nothing was written, and the
        # same request can be sent again. 409: a conflict with a write in progress, which the
        # client resolves by retrying; not a 5xx, which would report an outage.
        response = Response(
            {"detail": locking.DETAIL},
            status=409,
            headers={"Retry-After": str(locking.RETRY_AFTER_SECONDS)},
        )
    if response is None:
        return None  # not an API error: Django's 500 handler answers (as a problem too)
    if isinstance(exc, exceptions.ValidationError):
        invalid = flatten_errors(exc.detail)
        detail = "; ".join(f"{p['name']}: {p['reason']}" for p in invalid)
        extra = {"suggestions": exc.suggestions} if getattr(exc, "suggestions", None) else {}
        response.data = problem(response.status_code, detail, invalid_params=invalid, **extra)
    else:
        detail = response.data.get("detail", "") if isinstance(response.data, dict) else ""
        response.data = problem(response.status_code, str(detail))
    request = context["request"]
    request.accepted_renderer = ProblemJSONRenderer()
    request.accepted_media_type = ProblemJSONRenderer.media_type
    return response


def problem_response(status, detail, **headers):
    """A problem for errors raised outside DRF views (unknown URLs, 500s, 503s)."""
    response = JsonResponse(
        problem(status, detail), status=status, content_type=ProblemJSONRenderer.media_type
    )
    for name, value in headers.items():
        response[name] = value
    return response
