"""OpenAPI: every operation documents its error responses as `application/problem+json`,
and every catalog read its `fields` parameter."""

from drf_spectacular import openapi
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
PROBLEM_RESPONSES = {
    (status, PROBLEM): OpenApiResponse(ProblemSerializer, description=description)
    for status, description in ERRORS.items()
}


class AutoSchema(openapi.AutoSchema):
    def get_response_serializers(self):
        responses = super().get_response_serializers()
        if not isinstance(responses, dict):
            responses = {200: responses}
        for key, response in PROBLEM_RESPONSES.items():
            responses.setdefault(key, response)
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
        return parameters
