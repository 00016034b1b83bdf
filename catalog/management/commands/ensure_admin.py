"""`manage.py ensure_admin`: the admin login `make run` offers: with ADMIN_PASSWORD set, the
superuser created or its password updated, and where to log in (`--address`, make run's RUN_ADDR);
without, how to get one."""

import os

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = (
        "Create or update the superuser named by ADMIN_USERNAME (default 'admin') when "
        "ADMIN_PASSWORD is set; otherwise print how to get an admin login."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--address",
            default="127.0.0.1:8000",
            help="Where the site is served (make run's RUN_ADDR), for the admin's URL.",
        )

    def handle(self, *args, **options):
        password = os.environ.get("ADMIN_PASSWORD")
        username = os.environ.get("ADMIN_USERNAME", "admin")
        if not password:
            self.stdout.write(
                "Admin login: run `ADMIN_PASSWORD=... make run` to create the superuser "
                f"'{username}', or `.venv/bin/python manage.py createsuperuser`."
            )
            return
        user, created = get_user_model().objects.get_or_create(username=username)
        user.is_staff = user.is_superuser = True
        user.set_password(password)
        user.save()
        verb = "Created" if created else "Updated"
        self.stdout.write(
            f"{verb} superuser '{username}'; log in at http://{options['address']}/admin/"
        )
