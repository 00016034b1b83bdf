"""Related records appear as {slug, name} (or by slug), never as database ids."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ..models import (
    Condition,
    GlossaryTerm,
    Indication,
    ModifierRole,
    Source,
    Therapy,
    TherapyClass,
    TherapyName,
)


@extend_schema_field(OpenApiTypes.URI)
class HtmlUrlField(serializers.Field):
    """The record's public page, as an absolute URL."""

    def __init__(self, **kwargs):
        super().__init__(source="*", read_only=True, **kwargs)

    def to_representation(self, value):
        return self.context["request"].build_absolute_uri(value.get_absolute_url())


class RefSerializer(serializers.Serializer):
    slug = serializers.SlugField(read_only=True)
    name = serializers.CharField(read_only=True)


class SourceSerializer(serializers.ModelSerializer):
    class Meta:
        model = Source
        fields = ["slug", "title", "publisher", "url", "last_updated", "note"]


SOURCE_SLUGS = {"many": True, "read_only": True, "slug_field": "slug"}


class TherapyNameSerializer(serializers.ModelSerializer):
    class Meta:
        model = TherapyName
        fields = ["name", "kind"]


class IndicationSerializer(serializers.ModelSerializer):
    therapy = RefSerializer(read_only=True, allow_null=True)
    therapy_class = RefSerializer(read_only=True, allow_null=True)
    condition = RefSerializer(read_only=True)
    level = serializers.CharField(read_only=True)
    qualifier_label = serializers.CharField(source="get_qualifier_display", read_only=True)
    sources = serializers.SlugRelatedField(**SOURCE_SLUGS)

    class Meta:
        model = Indication
        fields = [
            "level",
            "therapy",
            "therapy_class",
            "condition",
            "qualifier",
            "qualifier_label",
            "note",
            "sources",
        ]


class TherapyIndicationSerializer(IndicationSerializer):
    class Meta(IndicationSerializer.Meta):
        fields = ["condition", "qualifier", "qualifier_label", "note", "sources"]


class TherapyClassRefSerializer(RefSerializer):
    action = serializers.CharField(read_only=True)


class TherapySerializer(serializers.ModelSerializer):
    html_url = HtmlUrlField()
    therapy_class = TherapyClassRefSerializer(read_only=True)
    brand_names = serializers.ListField(child=serializers.CharField(), read_only=True)
    other_names = TherapyNameSerializer(many=True, read_only=True)
    indications = TherapyIndicationSerializer(many=True, read_only=True)
    sources = serializers.SlugRelatedField(**SOURCE_SLUGS)

    class Meta:
        model = Therapy
        fields = [
            "slug",
            "name",
            "html_url",
            "therapy_class",
            "brand_names",
            "other_names",
            "summary",
            "description",
            "indications",
            "sources",
            "last_reviewed",
        ]


class TherapyClassSerializer(serializers.ModelSerializer):
    html_url = HtmlUrlField()
    action_label = serializers.CharField(source="get_action_display", read_only=True)
    sources = serializers.SlugRelatedField(**SOURCE_SLUGS)

    class Meta:
        model = TherapyClass
        fields = [
            "slug",
            "name",
            "html_url",
            "abbreviation",
            "action",
            "action_label",
            "summary",
            "description",
            "sources",
            "last_reviewed",
        ]


class ConditionSerializer(serializers.ModelSerializer):
    html_url = HtmlUrlField()
    category_label = serializers.CharField(source="get_category_display", read_only=True)
    parent = RefSerializer(read_only=True, allow_null=True)
    children = RefSerializer(many=True, read_only=True)
    other_names = serializers.SlugRelatedField(many=True, read_only=True, slug_field="name")
    sources = serializers.SlugRelatedField(**SOURCE_SLUGS)

    class Meta:
        model = Condition
        fields = [
            "slug",
            "name",
            "html_url",
            "category",
            "category_label",
            "parent",
            "children",
            "other_names",
            "summary",
            "sources",
            "last_reviewed",
        ]


class ModifierRoleSerializer(serializers.ModelSerializer):
    sources = serializers.SlugRelatedField(**SOURCE_SLUGS)

    class Meta:
        model = ModifierRole
        fields = ["slug", "position", "title", "explanation", "sources"]


class GlossaryTermSerializer(serializers.ModelSerializer):
    html_url = HtmlUrlField()
    sources = serializers.SlugRelatedField(**SOURCE_SLUGS)

    class Meta:
        model = GlossaryTerm
        fields = ["slug", "term", "html_url", "also_called", "definition", "sources"]
