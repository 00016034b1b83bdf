"""OpenAPI: every operation documents its error responses as `application/problem+json`."""

from drf_spectacular import openapi
from drf_spectacular.utils import OpenApiResponse
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


class AutoSchema(openapi.AutoSchema):
    def get_response_serializers(self):
        responses = super().get_response_serializers()
        if not isinstance(responses, dict):
            responses = {200: responses}
        for status, description in ERRORS.items():
            responses.setdefault(
                (status, PROBLEM), OpenApiResponse(ProblemSerializer, description=description)
            )
        return responses
