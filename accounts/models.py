"""API tokens: django-rest-knox tokens (only a SHA-512 digest of the key is stored, and every
token has an expiry) that also end when their owner's password changes.

A token keeps a stamp of its owner's credentials taken when it was issued: Django's
`get_session_auth_hash()`, the HMAC of the password hash that Django itself uses to end
sessions on a password change. Setting a new password (even the same one: it gets a new salt)
changes the stamp, so every token issued before is refused (accounts/authentication.py) — no
signal, nothing to clean up first. A deactivated owner's tokens are refused too.
"""

from django.db import models
from django.utils.crypto import constant_time_compare
from knox.models import AbstractAuthToken, get_digest_token, get_expiry
from knox.settings import CONSTANTS, knox_settings


def owner_stamp(user):
    """What a token remembers of its owner's credentials (see the module docstring)."""
    return user.get_session_auth_hash()


class APITokenManager(models.Manager):
    def create(self, user, expiry=None, **kwargs):
        """Issue a token for `user`; returns (token, key). The key is shown once, never stored."""
        token = self.model(user=user, **kwargs)
        return token, token.issue(expiry)


class APIToken(AbstractAuthToken):
    user_stamp = models.CharField(max_length=128, editable=False)

    objects = APITokenManager()

    class Meta:
        verbose_name = "API token"
        ordering = ["-created"]

    def __str__(self):
        return f"{self.token_key}… ({self.user})"

    def issue(self, lifetime=None):
        """Give this new token its key, expiry and owner stamp, and save it. Returns the key:
        the database keeps only its digest and its first characters (`token_key`, to find it)."""
        digest, key = get_digest_token()
        self.digest = digest
        self.token_key = key[: CONSTANTS.TOKEN_KEY_LENGTH]
        self.expiry = get_expiry(lifetime or knox_settings.TOKEN_TTL)
        self.user_stamp = owner_stamp(self.user)
        self.save(force_insert=True)
        return key

    def refusal(self):
        """Why this token may no longer be used (its digest already matched), or None."""
        if not self.user.is_active:
            return "Invalid token: its owner's account is deactivated."
        if not constant_time_compare(self.user_stamp, owner_stamp(self.user)):
            return (
                "Invalid token: it was revoked when its owner's password changed. "
                "Create a new one in the admin (API tokens)."
            )
        return None
