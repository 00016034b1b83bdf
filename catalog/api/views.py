"""Read-only API viewsets: the same querysets and FilterSets as the public pages."""

from rest_framework import mixins, viewsets

from .. import filters
from ..models import (
    Condition,
    GlossaryTerm,
    Indication,
    ModifierRole,
    Source,
    Therapy,
    TherapyClass,
)
from . import serializers


class CatalogViewSet(viewsets.ReadOnlyModelViewSet):
    lookup_field = "slug"


class TherapyViewSet(CatalogViewSet):
    """Individual agents, with their class, names and agent-level indications."""

    queryset = Therapy.objects.for_display()
    serializer_class = serializers.TherapySerializer
    filterset_class = filters.TherapyFilter


class TherapyClassViewSet(CatalogViewSet):
    """Classes of therapy and how each acts on the immune system."""

    queryset = TherapyClass.objects.for_display()
    serializer_class = serializers.TherapyClassSerializer
    filterset_class = filters.TherapyClassFilter


class ConditionViewSet(CatalogViewSet):
    """Conditions, with their category and place in the hierarchy."""

    queryset = Condition.objects.for_display()
    serializer_class = serializers.ConditionSerializer
    filterset_class = filters.ConditionFilter


class IndicationViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """A therapy or a therapy class used for a condition, with the source's qualifier.

    List only: an indication is identified by its therapy (or class) and condition,
    which are filters here, and it has no database id in this API.
    """

    queryset = Indication.objects.for_display()
    serializer_class = serializers.IndicationSerializer
    filterset_class = filters.IndicationFilter


class SourceViewSet(CatalogViewSet):
    """The citations every record refers to by slug."""

    queryset = Source.objects.all()
    serializer_class = serializers.SourceSerializer


class ModifierRoleViewSet(CatalogViewSet):
    """The roles biological response modifiers can play in fighting cancer."""

    queryset = ModifierRole.objects.prefetch_related("sources")
    serializer_class = serializers.ModifierRoleSerializer


class GlossaryTermViewSet(CatalogViewSet):
    """Terms the site uses, defined."""

    queryset = GlossaryTerm.objects.prefetch_related("sources")
    serializer_class = serializers.GlossaryTermSerializer
    filterset_class = filters.GlossaryFilter
