"""The baseline API: a read-only DRF view set, page-number pagination of 20, the list filtered
through django-filter. Authentication, permissions and throttling are the project's defaults
(REST_FRAMEWORK in immunosite/settings.py), as the site's API has them."""

from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import pagination, viewsets

from .filters import TherapyFilter
from .querysets import therapy_details
from .serializers import TherapySerializer


class PageNumberPagination(pagination.PageNumberPagination):
    page_size = 20


class TherapyViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = therapy_details()
    serializer_class = TherapySerializer
    pagination_class = PageNumberPagination
    filter_backends = [DjangoFilterBackend]
    filterset_class = TherapyFilter
    lookup_field = "slug"
    schema = None  # not part of the site's API description
