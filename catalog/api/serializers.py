"""Related records appear as {slug, name} (or by slug), never as database ids. A record reads
the same in a list as on its own: `RowRepresentation` builds list items from the model's list
rows (catalog/models/rows.py), field by field as the serializer represents a record."""

import functools

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.plumbing import build_basic_type, build_object_type
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied

from .. import rights
from ..models import (
    Condition,
    GlossaryTerm,
    Indication,
    ModifierRole,
    ReviewState,
    Section,
    Source,
    Therapy,
    TherapyClass,
    TherapyName,
)
from ..models.rows import datetime_from_row


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


class RefField(serializers.SlugRelatedField):
    """A related record: written as its slug, read as {slug, name, …extra}."""

    def __init__(self, *, extra=(), **kwargs):
        self.extra = tuple(extra)
        kwargs.setdefault("slug_field", "slug")
        super().__init__(**kwargs)

    def to_representation(self, value):
        data = {"slug": value.slug, "name": value.name}
        data.update({name: getattr(value, name) for name in self.extra})
        return data

    def get_choices(self, cutoff=None):
        """The browsable API's form offers records by slug (DRF would key its choices by the
        representation, a dict here)."""
        queryset = self.get_queryset()
        if cutoff is not None:
            queryset = queryset[:cutoff]
        return {record.slug: str(record) for record in queryset}


class RefFieldSchema(OpenApiSerializerFieldExtension):
    target_class = RefField

    def map_serializer_field(self, auto_schema, direction):
        if direction == "request":
            return build_basic_type(OpenApiTypes.STR)
        names = ["slug", "name", *self.target.extra]
        return build_object_type(
            properties={name: build_basic_type(OpenApiTypes.STR) for name in names},
            required=names,
        )


class EditorialSerializer(serializers.ModelSerializer):
    """Writes by editors. A change of publication state (either way, on create too) or of its
    schedule ("go live at", "expire at": it must expire after it goes live, else a 400) needs the
    model's publish permission and a change of the review fields its review permission
    (catalog/rights.py): otherwise a 403 problem naming the fields, and nothing is written."""

    def validate(self, attrs):
        attrs = super().validate(attrs)
        user = self.context["request"].user
        refused = rights.refused_changes(user, self.Meta.model, attrs, self.instance)
        if refused:
            raise PermissionDenied(rights.refusal_message(refused))
        schedule = {
            name: attrs.get(name, getattr(self.instance, name, None))
            for name in ("go_live_at", "expire_at")
        }
        try:
            self.Meta.model.check_schedule(**schedule)
        except DjangoValidationError as error:
            raise serializers.ValidationError({"expire_at": error.messages}) from error
        forged = self.changed_review_fields()
        if forged:
            raise PermissionDenied(
                "; ".join(
                    f"{name}: only reviewers record a medical review, with “Mark as reviewed” "
                    "in the admin (the review names them)"
                    for name in forged
                )
            )
        return attrs

    def changed_review_fields(self):
        """The review fields the request sends with a value other than the record's."""
        # A review is recorded in the admin, by the reviewer it names ("Mark as reviewed"): a
        # write that would change one is refused, not silently ignored.
        review = (*getattr(self.Meta.model, "RECORDED_BY_ACTION", ()), "review_due")
        sent = [name for name in review if name in self.initial_data]
        if not sent:
            return []
        current = self.to_representation(self.instance) if self.instance else {}
        return [name for name in sent if self.initial_data[name] != current.get(name)]

    def save(self, **kwargs):
        if "status" in self.validated_data:
            # The model's one rule for the publication date (a new record: on a blank one).
            record = self.instance or self.Meta.model()
            record.set_status(self.validated_data["status"])
            kwargs.setdefault("published_at", record.published_at)
        return super().save(**kwargs)


class SourceSerializer(serializers.ModelSerializer):
    url = serializers.URLField(read_only=True, help_text="Where a reader can open what is cited.")

    class Meta:
        model = Source
        fields = ["slug", "title", "publisher", "url", "last_updated", "version", "note"]


SOURCE_SLUGS = {"many": True, "read_only": True, "slug_field": "slug"}
WRITABLE_SOURCES = {"many": True, "slug_field": "slug", "queryset": Source.objects.all()}
EDITORIAL_FIELDS = [
    "status",
    "published_at",
    "go_live_at",
    "expire_at",
    "last_reviewed",
    "reviewer",
    "review_due",
    "review_interval_days",
    "review_state",
]


REVIEWER_KEYS = {"name": "full_name", "credential": "credential", "specialty": "specialty"}


@extend_schema_field(
    {
        "type": "object",
        "nullable": True,
        "description": "Who of the site's medical reviewers last reviewed the record, as its "
        "page names them (never a login); null until one has. A source's own review belongs "
        "to the source (see `sources`).",
        "properties": {
            "name": {"type": "string", "example": "Jane Doe"},
            "credential": {"type": "string", "example": "MD"},
            "specialty": {"type": "string", "example": "rheumatology"},
        },
        "required": list(REVIEWER_KEYS),
    }
)
class ReviewerField(serializers.Field):
    """The reviewer profile (from the record, or from its list row's dict)."""

    def __init__(self, **kwargs):
        super().__init__(read_only=True, **kwargs)

    def to_representation(self, value):
        read = value.get if isinstance(value, dict) else functools.partial(getattr, value)
        return {name: read(key) for name, key in REVIEWER_KEYS.items()}


def review_state_field():
    return serializers.ChoiceField(
        choices=ReviewState.choices,
        read_only=True,
        help_text="Where the record stands in the review workflow (changed only in the admin): "
        "`awaiting` (submitted for review), `changes_requested` (a reviewer sent it back), or "
        "empty (not submitted).",
    )


def review_due_field():
    return serializers.DateField(
        read_only=True,
        allow_null=True,
        help_text="When the record is due to be reviewed again; null until its first review.",
    )


class SectionSerializer(serializers.ModelSerializer):
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    sources = serializers.SlugRelatedField(many=True, read_only=True, slug_field="slug")

    class Meta:
        model = Section
        fields = ["kind", "kind_label", "body", "sources"]


def sections_field():
    return SectionSerializer(
        many=True,
        read_only=True,
        help_text="The page's sections that are written (a kind missing is not yet written), "
        "each with the sources it cites.",
    )


# The source's limits on a use (an empty string where it sets none).
LIMIT_FIELDS = [
    "severity",
    "severity_label",
    "population",
    "combination",
    "line_of_therapy",
    "line_of_therapy_label",
    "note",
]


class TherapyNameSerializer(serializers.ModelSerializer):
    class Meta:
        model = TherapyName
        fields = ["name", "kind"]


class IndicationSerializer(serializers.ModelSerializer):
    therapy = RefField(
        read_only=True, allow_null=True, help_text="The therapy; null for a class-level indication."
    )
    therapy_class = RefField(
        read_only=True,
        allow_null=True,
        help_text="The therapy class; null for an agent-level indication (see `therapy`).",
    )
    condition = RefSerializer(read_only=True)
    level = serializers.CharField(read_only=True)
    qualifier_label = serializers.CharField(source="get_qualifier_display", read_only=True)
    severity_label = serializers.CharField(source="get_severity_display", read_only=True)
    line_of_therapy_label = serializers.CharField(
        source="get_line_of_therapy_display", read_only=True
    )
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
            *LIMIT_FIELDS,
            "sources",
        ]


class TherapyIndicationSerializer(IndicationSerializer):
    class Meta(IndicationSerializer.Meta):
        fields = ["condition", "qualifier", "qualifier_label", *LIMIT_FIELDS, "sources"]


class TherapyClassRefSerializer(RefSerializer):
    action = serializers.CharField(read_only=True)


class TherapySerializer(EditorialSerializer):
    html_url = HtmlUrlField()
    therapy_class = RefField(queryset=TherapyClass.objects.all(), extra=["action"])
    brand_names = serializers.ListField(
        child=serializers.CharField(),
        read_only=True,
        help_text="A convenience: the `name` of each entry of `other_names` whose `kind` is "
        "`brand`, in the same order. Kept for the clients that read it (and for the CSV, where "
        "it is a column of its own); `other_names` has every name with its kind.",
    )
    other_names = TherapyNameSerializer(
        many=True,
        read_only=True,
        help_text="Every other name of the therapy (brand names, abbreviations …) with its kind.",
    )
    indications = TherapyIndicationSerializer(many=True, read_only=True)
    sections = sections_field()
    sources = serializers.SlugRelatedField(**WRITABLE_SOURCES)
    reviewer = ReviewerField()
    review_due = review_due_field()
    review_state = review_state_field()

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
            "sections",
            "indications",
            "sources",
            *EDITORIAL_FIELDS,
        ]
        read_only_fields = ["published_at", "last_reviewed"]


class TherapyClassSerializer(EditorialSerializer):
    html_url = HtmlUrlField()
    action_label = serializers.CharField(source="get_action_display", read_only=True)
    sources = serializers.SlugRelatedField(**WRITABLE_SOURCES)
    reviewer = ReviewerField()
    review_due = review_due_field()
    review_state = review_state_field()

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
            *EDITORIAL_FIELDS,
        ]
        read_only_fields = ["published_at", "last_reviewed"]


class ConditionSerializer(EditorialSerializer):
    html_url = HtmlUrlField()
    category_label = serializers.CharField(source="get_category_display", read_only=True)
    parent = RefField(queryset=Condition.objects.all(), required=False, allow_null=True)
    children = RefSerializer(many=True, read_only=True)
    other_names = serializers.SlugRelatedField(many=True, read_only=True, slug_field="name")
    sections = sections_field()
    sources = serializers.SlugRelatedField(**WRITABLE_SOURCES)
    reviewer = ReviewerField()
    review_due = review_due_field()
    review_state = review_state_field()

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
            "sections",
            "sources",
            *EDITORIAL_FIELDS,
        ]
        read_only_fields = ["published_at", "last_reviewed"]

    def validate(self, attrs):
        attrs = super().validate(attrs)
        # The model's own rules (one level deep, same category as the parent) as 400s.
        instance = Condition(**{k: v for k, v in attrs.items() if k != "sources"})
        if self.instance:
            instance.pk = self.instance.pk
            for field in ("name", "slug", "category", "parent", "summary"):
                if field not in attrs:
                    setattr(instance, field, getattr(self.instance, field))
        try:
            instance.clean()
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.message_dict) from error
        return attrs


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


# --- list items from list rows ----------------------------------------------------------------


def row_key(field):
    """The key of a list row holding what `field` shows: its source, but `url` for the page's
    address and `<choice>_label` for a choice's label (`get_action_display`)."""
    source = field.source
    if isinstance(field, HtmlUrlField):
        return "url"
    if source.startswith("get_") and source.endswith("_display"):
        return f"{source[4:-8]}_label"
    return source


@functools.cache
def row_keys(serializer_class):
    """What the list rows must hold for every field of `serializer_class`."""
    return tuple(row_key(field) for field in serializer_class().fields.values())


def reader(field):
    """A function from the row's value for `field` (and the request's `build_absolute_uri`)
    to the field's representation, as the field represents the record: related records
    (dicts in the row) reduced to the keys the field shows, in its order; other values through
    the field itself."""
    if isinstance(field, HtmlUrlField):
        return lambda value, absolute: absolute(value)
    if isinstance(field, RefField):
        keys = ("slug", "name", *field.extra)
        return lambda value, absolute: {key: value[key] for key in keys}
    if isinstance(field, serializers.ManyRelatedField):
        slug = field.child_relation.slug_field
        return lambda values, absolute: [value[slug] for value in values]
    if isinstance(field, serializers.ListSerializer):
        item = fields_plan(field.child.fields)
        return lambda values, absolute: [represent(item, value, absolute) for value in values]
    if isinstance(field, serializers.BaseSerializer):
        plan = fields_plan(field.fields)
        return lambda value, absolute: represent(plan, value, absolute)
    if isinstance(field, serializers.ListField):
        return lambda value, absolute: list(value)
    if isinstance(field, serializers.DateTimeField):
        return lambda value, absolute: field.to_representation(datetime_from_row(value))
    to_representation = field.to_representation
    return lambda value, absolute: to_representation(value)


def fields_plan(fields):
    """(name, row key, reader) of each field, in the serializer's order."""
    return tuple((name, row_key(field), reader(field)) for name, field in fields.items())


@functools.lru_cache(maxsize=256)
def serializer_plan(serializer_class, wanted):
    """`fields_plan` of the serializer's fields (those in `wanted`, if given), made once per
    process: building a serializer's fields costs more than representing a page of rows."""
    fields = serializer_class().fields
    return fields_plan({n: f for n, f in fields.items() if not wanted or n in wanted})


def represent(plan, row, absolute):
    return {
        name: None if row[key] is None else read(row[key], absolute) for name, key, read in plan
    }


class RowRepresentation:
    """The representation a serializer gives each record, made from its list row: the same
    fields (those `fields=` left: `wanted`), in the same order, with the same values (tests
    check every record of every list against its detail). `keys`: what the rows must hold."""

    def __init__(self, serializer_class, wanted, request):
        self.plan = serializer_plan(serializer_class, tuple(wanted or ()))
        self.absolute = request.build_absolute_uri
        self.names = [name for name, _key, _read in self.plan]
        self.keys = [key for _name, key, _read in self.plan]

    def __call__(self, row):
        return represent(self.plan, row, self.absolute)
