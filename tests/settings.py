"""Test settings: the production settings module (debug off), with throwaway secrets and the
few relaxations a test client needs. Tests of production behaviour run the real settings in a
subprocess (see tests/test_production.py)."""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "tests-only-secret-key-not-for-production-use-012345")
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
os.environ.setdefault("DJANGO_SECURE_SSL_REDIRECT", "0")
# Limits no ordinary test reaches; tests of the limits set low rates themselves.
os.environ.setdefault("DJANGO_API_ANON_RATE", "100000/minute")
os.environ.setdefault("DJANGO_EXPORT_RATE", "100000/minute")
os.environ.setdefault("DJANGO_API_WRITE_RATE", "100000/minute")
os.environ.setdefault("DJANGO_SEARCH_RATE", "100000/minute")
os.environ.setdefault("DJANGO_SUGGEST_RATE", "100000/minute")
# The checkout's staticfiles/ (which `make run` collects) is never read: in-process tests see
# the same site whether `make run` ran before them or not. Tests of the served static files
# collect their own (tests/servers/).
os.environ["DJANGO_STATIC_ROOT"] = os.path.join(os.path.dirname(__file__), "no-collected-static")
os.environ.setdefault("DJANGO_LOGIN_RATE", "100000/minute")

from immunosite.settings import *  # noqa: F403

# Plain static storage: the manifest needs collectstatic, which the production tests run.
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Fast password hashing: tests log users in hundreds of times.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
