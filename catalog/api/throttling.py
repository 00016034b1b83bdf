from django.conf import settings
from rest_framework import throttling


class AnonRateThrottle(throttling.AnonRateThrottle):
    """Anonymous clients, by IP address, at settings.API_ANON_RATE (read on each request, so
    the DJANGO_API_ANON_RATE variable and tests can change it)."""

    def get_rate(self):
        return settings.API_ANON_RATE
