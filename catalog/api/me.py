"""`/api/v1/me/`: who the API takes a client for, and the token it sent (prefix, expiry), so a
client can see when to ask for a new one. The one API read that needs a login, and the one
never compressed (immunosite/compression.py)."""

from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    inline_serializer,
)
from rest_framework import permissions
from rest_framework import serializers as drf_serializers
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import APIToken
from immunosite.compression import never_compress

from . import docs
from .schema import operation_responses
from .views import CachingHeadersMixin, suggest


@extend_schema_field(
    {
        "type": "object",
        "nullable": True,
        "description": "The token you sent; null when you use a logged-in session instead.",
        "properties": {
            "prefix": {"type": "string", "description": "The key's first characters."},
            "created": {"type": "string", "format": "date-time"},
            "expires": {"type": "string", "format": "date-time"},
        },
        "required": ["prefix", "created", "expires"],
    }
)
class TokenField(drf_serializers.DictField):
    """The token a request was authenticated with, or null (one inline nullable object in the
    schema, which strict validators accept)."""


class CurrentUserView(CachingHeadersMixin, APIView):
    """Who the API takes you for: your username and, when you sent a token, its prefix, when it
    was issued and when it expires. Needs a login (401 without one, or with a refused token)."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        responses=operation_responses(
            "GET",
            None,
            OpenApiResponse(
                inline_serializer(
                    "CurrentUser",
                    {
                        "username": drf_serializers.CharField(),
                        "token": TokenField(),
                    },
                ),
                description="Your username, and the token you sent (null for a session).",
            ),
            throttled_reads=False,
        ),
        summary="Who the API takes you for",
        description="Your username and, when you sent a token, its prefix, when it was issued "
        "and when it expires. Needs a login or a token: 401 without one.",
        examples=[
            OpenApiExample(
                "With a token",
                value={
                    "username": "editor",
                    "token": {
                        "prefix": "3f9a1c0d2b7e4a6",
                        "created": "2026-12-01T09:00:00Z",
                        "expires": "2026-12-31T09:00:00Z",
                    },
                },
            ),
            docs.UNKNOWN_PARAMETER,
        ],
    )
    def get(self, request):
        unknown = {n: [suggest(n, {"format"})] for n in request.query_params if n != "format"}
        if unknown:
            raise ValidationError(unknown)
        token = request.auth if isinstance(request.auth, APIToken) else None
        described = None
        if token is not None:
            described = {"prefix": token.token_key, "created": token.created}
            described["expires"] = token.expiry
        # Never compressed: the token's prefix is a secret (BREACH).
        return never_compress(
            Response({"username": request.user.get_username(), "token": described})
        )
