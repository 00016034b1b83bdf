"""OpenAPI: every operation documents its error responses as `application/problem+json`,
and every catalog read its `fields` parameter."""

from drf_spectacular import openapi
from drf_spectacular.plumbing import build_array_type, force_instance
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import serializers

PROBLEM = "application/problem+json"


class InvalidParamSerializer(serializers.Serializer):
    name = serializers.CharField()
    reason = serializers.CharField()


class ProblemSerializer(serializers.Serializer):
    """RFC 9457 problem details."""

    type = serializers.CharField()
    title = serializers.CharField()
    status = serializers.IntegerField()
    detail = serializers.CharField()
    invalid_params = InvalidParamSerializer(many=True, required=False)


ERRORS = {
    400: "Invalid parameter or value (see `invalid_params`).",
    404: "No such record, or a page past the end.",
    406: "None of the accepted media types can be produced.",
    429: "Too many requests; see `Retry-After`.",
}
WRITE_ERRORS = {
    403: "Not logged in, or without the model permission this write needs.",
    412: "`If-Match` does not match the record's current ETag: it changed since you read it.",
    428: "Changing or deleting needs `If-Match` with the record's ETag.",
}
PROBLEM_RESPONSES = {
    (status, PROBLEM): OpenApiResponse(ProblemSerializer, description=description)
    for status, description in ERRORS.items()
}


# The 200 body of an export is not the JSON body the serializer describes.
CSV_SCHEMA = {
    "type": "string",
    "description": "CSV: a header row of the record's fields, then one row per record; "
    "related records by slug, several values joined with `; `.",
}
JSONL_DESCRIPTION = "JSON Lines: one record per line (every record, not a page)."


IF_MATCH = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    location=OpenApiParameter.HEADER,
    required=True,
    description="The ETag of your last GET of this record, or of the write that last changed "
    "it (writes answer with the record's new ETag); `*` for any version. Without it: 428; "
    "when the record changed since: 412.",
)
UNAUTHENTICATED = (
    "No valid credentials: log in, or send `Authorization: Token <key>` with a token that is "
    "not expired or revoked (see `WWW-Authenticate`)."
)


class TokenAuthResponses:
    """Writes document the 401 a client without valid credentials gets (no token, or one that
    is invalid, expired or revoked), with `WWW-Authenticate: Token`."""

    def get_response_serializers(self):
        responses = super().get_response_serializers()
        if not isinstance(responses, dict):
            responses = {200: responses}
        if self.method != "GET":
            responses.setdefault(
                (401, PROBLEM), OpenApiResponse(ProblemSerializer, description=UNAUTHENTICATED)
            )
        return responses


class AutoSchema(TokenAuthResponses, openapi.AutoSchema):
    def get_operation(self, *args, **kwargs):
        operation = super().get_operation(*args, **kwargs)
        if operation is None:
            return None
        for parameter in operation.get("parameters", []):
            if parameter["schema"].get("type") == "array" and parameter.get("explode") is False:
                # Comma-separated (`fields`, `ordering`): `?ordering=` names none, a 400.
                parameter["schema"]["minItems"] = 1
        ok = operation["responses"].get("200", {}).get("content", {})
        selectable = self.method == "GET" and hasattr(self.view, "requested_fields")
        if selectable or "text/csv" in ok or "application/jsonl" in ok:
            serializer = force_instance(self.get_response_serializers()[200])
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

    def get_response_serializers(self):
        responses = super().get_response_serializers()
        if not isinstance(responses, dict):
            responses = {200: responses}
        for key, response in PROBLEM_RESPONSES.items():
            responses.setdefault(key, response)
        if self.method != "GET":
            for status, description in WRITE_ERRORS.items():
                if status in (412, 428) and self.method == "POST":
                    continue
                responses.setdefault(
                    (status, PROBLEM), OpenApiResponse(ProblemSerializer, description=description)
                )
        return responses

    def get_override_parameters(self):
        parameters = super().get_override_parameters()
        if self.method == "GET" and hasattr(self.view, "requested_fields"):
            available = list(self.view.get_serializer_class()().fields)
            parameters.append(
                OpenApiParameter(
                    "fields",
                    OpenApiTypes.STR,
                    many=True,
                    explode=False,
                    style="form",
                    enum=available,
                    description="Comma-separated: return only these fields (also in exports).",
                )
            )
        if self.method in ("PUT", "PATCH", "DELETE") and hasattr(self.view, "check_precondition"):
            parameters.append(IF_MATCH)
        return parameters
