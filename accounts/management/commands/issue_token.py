"""`manage.py issue_token USERNAME [--days N]`: issue an API token from the command line (as the
admin's API tokens page does) and print its key once."""

import datetime

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from accounts.models import APIToken


class Command(BaseCommand):
    help = "Issue an API token for a user and print its key (shown once, stored as a digest)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--days", type=int, help="Lifetime (default DJANGO_API_TOKEN_DAYS).")

    def handle(self, username, days=None, **options):
        user = get_user_model()._default_manager.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user named {username!r}.")
        if not user.is_active:
            raise CommandError(f"{username!r} is deactivated: its tokens would be refused.")
        if days is not None and days < 1:
            raise CommandError("--days must be 1 or more.")
        lifetime = datetime.timedelta(days=days) if days else None
        token, key = APIToken.objects.create(user=user, expiry=lifetime)
        self.stdout.write(f"Token {key} (expires {token.expiry:%Y-%m-%d %H:%M} UTC)")
