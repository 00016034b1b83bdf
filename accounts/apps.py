from django.apps import AppConfig


class AccountsConfig(AppConfig):
    """API tokens for editors (django-rest-knox tokens that also end with a password change)."""

    name = "accounts"
    verbose_name = "API access"
