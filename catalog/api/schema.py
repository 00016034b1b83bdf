"""OpenAPI: every operation documents exactly the status codes it can answer (its success code,
304 for reads, and its errors as `application/problem+json`), the headers a client relies on
(ETag, Last-Modified, If-Match, Retry-After), and every catalog read its `fields` parameter."""

import re

from drf_spectacular import openapi
from drf_spectacular.plumbing import build_array_type, force_instance
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import serializers

PROBLEM = "application/problem+json"


class InvalidParamSerializer(serializers.Serializer):
    name = serializers.CharField(help_text="The parameter or body field, e.g. `therapy_class`.")
    reason = serializers.CharField(help_text="What is wrong with it, and what would do.")


class SuggestionSerializer(serializers.Serializer):
    name = serializers.CharField(help_text="The parameter, e.g. `condition`.")
    value = serializers.CharField(help_text="A record's name spelled like the value given.")
    url = serializers.URLField(help_text="The same query with that name instead.")


class ProblemSerializer(serializers.Serializer):
    """RFC 9457 problem details: every error of this API."""

    type = serializers.CharField(help_text="Always `about:blank`: `status` says it all.")
    title = serializers.CharField(help_text="The status's phrase, e.g. `Bad Request`.")
    status = serializers.IntegerField(help_text="The HTTP status code again.")
    detail = serializers.CharField(help_text="What went wrong, for a person to read.")
    invalid_params = InvalidParamSerializer(
        many=True, required=False, help_text="Validation errors (400) only: one per value."
    )
    suggestions = SuggestionSerializer(
        many=True,
        required=False,
        help_text="A typed filter value matching no record but spelled like some (400): their "
        "names, each with the corrected query.",
    )


ERRORS = {
    400: "A parameter or a body field is invalid: `invalid_params` names each one and why "
    "(unknown parameters, with a suggestion for near misses, included).",
    401: "No valid credentials: a write without a login or token, or a token that is unknown, "
    "expired or revoked (`WWW-Authenticate: Token`). A read with a refused token is answered "
    "as to the public.",
    403: "Not allowed: without the model permission this write needs (changing the status needs "
    "the publish permission, a review field the review permission), or a session write "
    "without its CSRF token.",
    404: "No such record (drafts exist only for editors).",
    406: "None of the media types in `Accept` can be produced.",
    409: "Another write held the database (SQLite): nothing was saved; send the same request "
    "again after `Retry-After` seconds.",
    412: "`If-Match` does not match the record's current ETag: it changed since you read it. "
    "GET it again, reapply your change, and send the new ETag.",
    415: "The body's media type is not one the API reads: send `application/json`.",
    428: "Changing or deleting needs `If-Match` with the record's ETag.",
    429: "Too many requests from this address; retry after `Retry-After` seconds.",
    500: "Something went wrong on the server (it is logged); the body tells nothing more.",
    503: "The database is unavailable for a moment; retry after `Retry-After` seconds.",
}
PAGE_PAST_THE_END = "A page past the end (`page` greater than the number of pages)."
SUCCESS = {
    "list": "A page of records in the envelope; with `format=csv` or `format=jsonl`, every "
    "matching record.",
    "retrieve": "The record.",
    "create": "Created: the new record, as a GET of it shows it.",
    "update": "Changed: the record as it is now.",
    "partial_update": "Changed: the record as it is now.",
    "destroy": "Deleted. No body.",
    304: "Not modified: the `If-None-Match` ETag or the `If-Modified-Since` date is current.",
}


def problem_statuses(method, action, *, authenticates, throttled_reads):
    """The errors an operation can answer. Every operation: 400 (unknown parameters and bad
    values), 406, 500 and 503 (database down), and 401 if it accepts credentials. Reads: 404
    (records and pages past the end; not the version) and 429 when anonymous clients are
    throttled. Writes: 403, 409 (another write held the database) and 429 (writes per account
    are limited); changes and deletions also 404, 412 and 428; bodies 415."""
    statuses = {400, 406, 500, 503}
    if authenticates:
        statuses.add(401)
    if method == "GET":
        if action in ("list", "retrieve"):
            statuses.add(404)
        if throttled_reads:
            statuses.add(429)
        return statuses
    statuses |= {403, 409, 429}
    if method in ("PUT", "PATCH", "DELETE"):
        statuses |= {404, 412, 428}
    if method in ("POST", "PUT", "PATCH"):
        statuses.add(415)
    return statuses


def operation_responses(method, action, ok, *, authenticates=True, throttled_reads=True):
    """Every response of an operation: `ok` (a serializer, or an OpenApiResponse for a 200, or
    already a dict by status) as its success (201 for a create, 204 without body for a delete,
    else 200), 304 for reads, and the problems of problem_statuses()."""
    if isinstance(ok, dict):
        responses = dict(ok)
    elif isinstance(ok, OpenApiResponse):
        responses = {200: ok}
    else:
        body = None if method == "DELETE" else ok
        success = 204 if method == "DELETE" else 201 if action == "create" else 200
        responses = {success: OpenApiResponse(body, description=SUCCESS.get(action, ""))}
    if method == "GET":
        responses.setdefault(304, OpenApiResponse(description=SUCCESS[304]))
    statuses = problem_statuses(
        method, action, authenticates=authenticates, throttled_reads=throttled_reads
    )
    for status in sorted(statuses):
        description = PAGE_PAST_THE_END if status == 404 and action == "list" else ERRORS[status]
        responses.setdefault(
            (status, PROBLEM), OpenApiResponse(ProblemSerializer, description=description)
        )
    return responses


# The 200 body of an export is not the JSON body the serializer describes.
CSV_SCHEMA = {
    "type": "string",
    "description": "CSV: a header row of the record's fields, then one row per record; "
    "related records by slug, an indication as its condition's slug with its qualifier "
    "(`rheumatoid-arthritis (When other agents have not worked)`), several values joined "
    "with `; `.",
}
JSONL_DESCRIPTION = "JSON Lines: one record per line (every record, not a page)."


def comma_separated(names, *, stripped):
    r"""The schema of a parameter naming one or several of `names` in one comma-separated value
    (`fields=slug,name`, `ordering=-name,class`), with a pattern accepting exactly what the API
    accepts: empty parts are skipped; `stripped`: spaces around a name too (`fields`; `\s` in
    Python's regular expressions is what str.strip() strips), else none (`ordering`).
    One string, not an array with `explode: false`: generated clients (openapi-python-client)
    send such an array as repeated keys, of which the API reads the last."""
    assert all(re.fullmatch(r"[-\w]+", name) for name in names), names
    name = f"(?:{'|'.join(sorted(names, key=len, reverse=True))})"
    if stripped:
        pattern = rf"^(?:\s*,)*\s*{name}\s*(?:,\s*(?:{name}\s*)?)*$"
    else:
        pattern = rf"^,*{name}(?:,+{name})*,*$"
    return {"type": "string", "pattern": pattern, "example": ",".join(names[:2])}


def header(name, description, responses=None, required=False, kind=OpenApiTypes.STR):
    return OpenApiParameter(
        name,
        kind,
        OpenApiParameter.HEADER,
        required=required,
        description=description,
        response=responses or False,
    )


IF_MATCH = header(
    "If-Match",
    'The `ETag` of your last GET of this record (`"…"`), several comma-separated, or `*`. '
    "Without it the answer is 428; with an ETag that is no longer current, 412.",
    required=True,
)
VALIDATORS = [
    header(
        "ETag",
        "The representation's tag: send it back as `If-None-Match` to get a 304 while it is "
        "current (and, for a record you may edit, as `If-Match`). Not on streamed exports.",
        [200, 304],
    ),
    header("Last-Modified", "When the catalog last changed.", [200, 304]),
]
RETRY_AFTER = header(
    "Retry-After", "Seconds to wait before trying again.", [429, 503], kind=OpenApiTypes.INT
)


class AutoSchema(openapi.AutoSchema):
    def get_operation(self, *args, **kwargs):
        operation = super().get_operation(*args, **kwargs)
        if operation is None:
            return None
        for parameter in operation.get("parameters", []):
            if parameter["schema"].get("type") == "array" and parameter.get("explode") is False:
                # `ordering` (django-filter's comma-separated filters): one string, see
                # comma_separated().
                names = parameter["schema"]["items"]["enum"]
                parameter["schema"] = comma_separated(names, stripped=False)
                del parameter["explode"], parameter["style"]
        ok = operation["responses"].get("200", {}).get("content", {})
        selectable = self.method == "GET" and hasattr(self.view, "requested_fields")
        if selectable or "text/csv" in ok or "application/jsonl" in ok:
            serializer = self.get_response_serializers()[200]
            serializer = force_instance(getattr(serializer, "response", serializer))
            record = self.resolve_serializer(getattr(serializer, "child", serializer), "response")
            if "text/csv" in ok:
                ok["text/csv"] = {"schema": CSV_SCHEMA}
            if "application/jsonl" in ok:
                # As for OpenAPI 3.2's sequential media types: the lines, as an array.
                schema = {**build_array_type(record.ref), "description": JSONL_DESCRIPTION}
                ok["application/jsonl"] = {"schema": schema}
            if selectable:
                # `fields` can leave out any of the record's fields: none is always there.
                record.schema.pop("required", None)
        return operation

    def get_auth(self):
        auth = super().get_auth()
        if self.method == "GET" and {} not in auth:
            auth.append({})  # anyone may read
        return auth

    @property
    def action(self):
        return getattr(self.view, "action", None)

    def get_response_serializers(self):
        # (A view whose extend_schema lists `responses` bypasses this: it passes
        # operation_responses() itself, as VersionView does.)
        responses = super().get_response_serializers()
        return operation_responses(
            self.method,
            self.action,
            responses,
            authenticates=bool(self.view.authentication_classes),
            throttled_reads=bool(self.view.throttle_classes),
        )

    def get_override_parameters(self):
        parameters = super().get_override_parameters()
        if self.method in ("PUT", "PATCH", "DELETE"):
            parameters.append(IF_MATCH)
        if self.method == "GET" and getattr(self.view, "sends_validators", True):
            parameters += VALIDATORS
        parameters.append(RETRY_AFTER)
        if self.method == "GET" and hasattr(self.view, "requested_fields"):
            available = list(self.view.get_serializer_class()().fields)
            parameters.append(
                OpenApiParameter(
                    "fields",
                    comma_separated(available, stripped=True),
                    description="Return only these fields (also in exports): one or several, "
                    f"comma-separated, of {', '.join(f'`{name}`' for name in available)}.",
                )
            )
        return parameters
