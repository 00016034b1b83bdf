"""One FilterSet per resource, shared by the public pages and the API."""

import django_filters
from django.db.models import Q
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from .models import (
    Action,
    Condition,
    ConditionCategory,
    GlossaryTerm,
    Indication,
    Qualifier,
    Therapy,
    TherapyClass,
)


@extend_schema_field(OpenApiTypes.STR)
class SlugChoiceFilter(django_filters.ModelChoiceFilter):
    """Pick a related record by its slug; an unknown slug is a form error."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("to_field_name", "slug")
        kwargs.setdefault("empty_label", "Any")
        super().__init__(*args, **kwargs)


class TextSearchFilter(django_filters.CharFilter):
    """Case-insensitive containment over several fields (`fields` are ORM lookups paths)."""

    def __init__(self, *args, fields, **kwargs):
        self.search_fields = fields
        kwargs.setdefault("label", "Search")
        kwargs.setdefault("max_length", 100)
        super().__init__(*args, **kwargs)

    def filter(self, qs, value):
        value = (value or "").strip()
        if not value:
            return qs
        query = Q()
        for field in self.search_fields:
            query |= Q(**{f"{field}__icontains": value})
        return qs.filter(pk__in=qs.model.objects.filter(query).values("pk"))


class TherapyFilter(django_filters.FilterSet):
    q = TextSearchFilter(
        fields=["name", "other_names__name"],
        help_text="Name, brand name or other name.",
    )
    therapy_class = SlugChoiceFilter(
        queryset=TherapyClass.objects.all(), label="Class", field_name="therapy_class"
    )
    condition = SlugChoiceFilter(
        queryset=Condition.objects.all(),
        label="Condition",
        method="filter_condition",
        help_text="A broader condition also matches its sub-conditions.",
    )
    condition_category = django_filters.ChoiceFilter(
        choices=ConditionCategory.choices,
        label="Condition category",
        method="filter_condition_category",
        empty_label="Any",
    )
    action = django_filters.ChoiceFilter(
        choices=Action.choices,
        field_name="therapy_class__action",
        label="Action on the immune system",
        empty_label="Any",
    )

    class Meta:
        model = Therapy
        fields = ["q", "therapy_class", "condition", "condition_category", "action"]

    def filter_condition(self, queryset, name, value):
        return queryset.filter(pk__in=Therapy.objects.for_condition(value).values("pk"))

    def filter_condition_category(self, queryset, name, value):
        return queryset.filter(
            pk__in=Therapy.objects.filter(indications__condition__category=value).values("pk")
        )


class TherapyClassFilter(django_filters.FilterSet):
    q = TextSearchFilter(fields=["name", "abbreviation"], help_text="Name or abbreviation.")
    action = django_filters.ChoiceFilter(
        choices=Action.choices, label="Action on the immune system", empty_label="Any"
    )

    class Meta:
        model = TherapyClass
        fields = ["q", "action"]


class ConditionFilter(django_filters.FilterSet):
    q = TextSearchFilter(fields=["name", "other_names__name"], help_text="Name or other name.")
    category = django_filters.ChoiceFilter(
        choices=ConditionCategory.choices, label="Category", empty_label="Any"
    )
    therapy = SlugChoiceFilter(
        queryset=Therapy.objects.all(),
        label="Therapy",
        method="filter_therapy",
        help_text="Conditions the therapy itself is used for.",
    )
    therapy_class = SlugChoiceFilter(
        queryset=TherapyClass.objects.all(),
        label="Class",
        method="filter_therapy_class",
        help_text="Conditions the class, or one of its therapies, is used for.",
    )

    class Meta:
        model = Condition
        fields = ["q", "category", "therapy", "therapy_class"]

    def filter_therapy(self, queryset, name, value):
        return queryset.filter(pk__in=Indication.objects.filter(therapy=value).values("condition"))

    def filter_therapy_class(self, queryset, name, value):
        indications = Indication.objects.filter(
            Q(therapy_class=value) | Q(therapy__therapy_class=value)
        )
        return queryset.filter(pk__in=indications.values("condition"))


class IndicationFilter(django_filters.FilterSet):
    therapy = SlugChoiceFilter(queryset=Therapy.objects.all(), label="Therapy")
    therapy_class = SlugChoiceFilter(queryset=TherapyClass.objects.all(), label="Class")
    condition = SlugChoiceFilter(
        queryset=Condition.objects.all(),
        label="Condition",
        method="filter_condition",
        help_text="A broader condition also matches its sub-conditions.",
    )
    qualifier = django_filters.ChoiceFilter(
        choices=[(value, label) for value, label in Qualifier.choices if value],
        label="Qualifier",
        empty_label="Any",
    )
    level = django_filters.ChoiceFilter(
        choices=[("agent", "Agent level"), ("class", "Class level")],
        label="Level",
        method="filter_level",
        empty_label="Any",
    )

    class Meta:
        model = Indication
        fields = ["therapy", "therapy_class", "condition", "qualifier", "level"]

    def filter_condition(self, queryset, name, value):
        return queryset.filter(condition__in=Condition.objects.matching(value))

    def filter_level(self, queryset, name, value):
        return queryset.filter(therapy__isnull=(value == "class"))


class GlossaryFilter(django_filters.FilterSet):
    q = TextSearchFilter(fields=["term", "also_called", "definition"], help_text="Term or text.")

    class Meta:
        model = GlossaryTerm
        fields = ["q"]
