"""The baseline API's nested ModelSerializers: a therapy with its class, names, sections,
uses (each with its condition and sources) and sources."""

from rest_framework import serializers

from catalog.models import (
    Condition,
    Indication,
    Section,
    Source,
    Therapy,
    TherapyClass,
    TherapyName,
)


class SourceSerializer(serializers.ModelSerializer):
    class Meta:
        model = Source
        fields = ["slug", "title", "publisher", "url", "last_updated", "version", "note"]


class TherapyClassSerializer(serializers.ModelSerializer):
    url = serializers.CharField(source="get_absolute_url", read_only=True)

    class Meta:
        model = TherapyClass
        fields = ["slug", "name", "action", "url"]


class TherapyNameSerializer(serializers.ModelSerializer):
    class Meta:
        model = TherapyName
        fields = ["name", "kind"]


class ConditionSerializer(serializers.ModelSerializer):
    url = serializers.CharField(source="get_absolute_url", read_only=True)

    class Meta:
        model = Condition
        fields = ["slug", "name", "url"]


class IndicationSerializer(serializers.ModelSerializer):
    condition = ConditionSerializer()
    qualifier_label = serializers.CharField(source="get_qualifier_display")
    sources = SourceSerializer(many=True)

    class Meta:
        model = Indication
        fields = [
            "condition",
            "qualifier",
            "qualifier_label",
            "severity",
            "population",
            "combination",
            "line_of_therapy",
            "note",
            "sources",
        ]


class SectionSerializer(serializers.ModelSerializer):
    kind_label = serializers.CharField(source="get_kind_display")
    sources = SourceSerializer(many=True)

    class Meta:
        model = Section
        fields = ["kind", "kind_label", "body", "sources"]


class TherapySerializer(serializers.ModelSerializer):
    url = serializers.CharField(source="get_absolute_url", read_only=True)
    therapy_class = TherapyClassSerializer()
    brand_names = serializers.ListField(child=serializers.CharField())
    other_names = TherapyNameSerializer(many=True)
    indications = IndicationSerializer(many=True)
    sections = SectionSerializer(many=True)
    sources = SourceSerializer(many=True)

    class Meta:
        model = Therapy
        fields = [
            "slug",
            "name",
            "url",
            "therapy_class",
            "brand_names",
            "other_names",
            "summary",
            "description",
            "indications",
            "sections",
            "sources",
            "last_reviewed",
        ]
