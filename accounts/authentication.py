"""`Authorization: Token <key>` for the API: django-rest-knox's token check (digest, expiry),
plus the owner checks of accounts.models.APIToken.refusal (password changed, deactivated).

A refused token on a write is a 401 with `WWW-Authenticate: Token`. On a read (GET, HEAD,
OPTIONS) it does not block what anyone may read: the request goes on as an anonymous one, and
only where a read needs a login does the 401 say why the token was refused
(`ExplainRefusedTokens`).
"""

from drf_spectacular.contrib.knox_auth_token import KnoxTokenScheme
from knox.auth import TokenAuthentication as KnoxTokenAuthentication
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.permissions import SAFE_METHODS


class TokenAuthentication(KnoxTokenAuthentication):
    def authenticate(self, request):
        try:
            return super().authenticate(request)
        except AuthenticationFailed as failure:
            if request.method not in SAFE_METHODS:
                raise
            request.refused_token = failure
            return None

    def validate_user(self, auth_token):
        refusal = auth_token.refusal()
        if refusal:
            raise AuthenticationFailed(refusal)
        return auth_token.user, auth_token


class ExplainRefusedTokens:
    """API view mixin: a read that needs a login, refused to a request whose token was refused,
    is a 401 naming why the token was refused (not "credentials were not provided")."""

    def permission_denied(self, request, message=None, code=None):
        refused = getattr(request, "refused_token", None)
        if refused is not None and request.successful_authenticator is None:
            raise refused
        super().permission_denied(request, message, code)


class TokenScheme(KnoxTokenScheme):
    """The schema's security scheme for these tokens: `Authorization: Token <key>`."""

    target_class = "accounts.authentication.TokenAuthentication"
    name = "tokenAuth"
