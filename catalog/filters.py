"""One FilterSet per resource, shared by the public pages and the API.

Multi-value filters take several values as repeated keys or comma-separated
(`?therapy_class=interferons,interleukins`, read by catalog/params.py): OR within one
parameter, AND across parameters.
"""

import functools

import django_filters
from django.db.models import F, Q
from drf_spectacular.drainage import set_override

from .filter_text import NearMissForm, described
from .form_rendering import CommaSeparatedSelectMultiple
from .models import (
    Action,
    Condition,
    ConditionCategory,
    GlossaryTerm,
    Indication,
    Qualifier,
    Searchable,
    Therapy,
    TherapyClass,
)
from .params import comma_separated
from .records import RECORDS_PATTERN, RecordsField, RecordsForm  # noqa: F401 (matrix.py uses it)
from .search.query import records_named
from .text import loose


def applied_filters(filterset_class, params):
    """The filters a query string applies, each as the list of values it was given."""
    applied = {}
    for name, filter_ in filterset_class.base_filters.items():
        if name not in params:
            continue
        if isinstance(filter_, django_filters.MultipleChoiceFilter):  # records too
            applied[name] = comma_separated(params, name)
        else:
            applied[name] = params.getlist(name)
    return applied


def skip_empty(method):
    """A filter method is not applied without a value (django-filter's own check misses an
    empty queryset, which is what a multi-value model filter cleans an absent value to)."""

    @functools.wraps(method)
    def wrapper(self, queryset, name, value):
        return method(self, queryset, name, value) if value else queryset

    return wrapper


MULTI_HELP = "Choose one or more."
TYPED_HELP = "Type a name. For several, separate them with commas."
# OpenAPI: the multi-value filters described for programmers (the help texts are the forms').
MULTI_API = "One or more, comma-separated or repeated: any of them matches."
NOT_A_CHOICE = {"invalid_choice": "“%(value)s” is not one of the choices."}


class CatalogFilterSet(django_filters.FilterSet):
    """A FilterSet whose form looks up all typed records in one query (`RecordsForm`) and
    answers near misses (`NearMissForm`), and that says what a valid filtering shows
    (`described`: "in Monoclonal antibodies for Rheumatoid arthritis matching “ritux”")."""

    # (filter, how its values are introduced), in the order a description names them.
    description = ()

    def get_form_class(self):
        fields = {name: filter_.field for name, filter_ in self.filters.items()}
        return type(f"{type(self).__name__}Form", (NearMissForm,), fields)

    def filter_queryset(self, queryset, leaving_out=()):
        """The records the valid filters select; with `leaving_out`, those all the other
        filters select (a facet's counts: catalog/facets.py). `applying`: the values applied."""
        cleaned = self.form.cleaned_data if self.is_bound else {}
        self.applying = {name: value for name, value in cleaned.items() if name not in leaving_out}
        for name, value in self.applying.items():
            queryset = self.filters[name].filter(queryset, value)
        return queryset

    def described(self, several=True):
        """The phrases saying what the valid filters given select (`filter_text.described`)."""
        return described(self, several)


class SlugMultipleFilter(django_filters.ModelMultipleChoiceFilter):
    """Related records by slug or name, typed (no `<select>`: the tables have thousands of
    rows); an unknown one is an error naming it."""

    field_class = RecordsField

    def __init__(self, *args, noun, api_help="", **kwargs):
        kwargs.setdefault("to_field_name", "slug")
        kwargs.setdefault("distinct", False)  # a to-one relation: no duplicate rows
        more = kwargs.get("help_text", "")
        kwargs["help_text"] = f"{TYPED_HELP} {more}".strip()
        super().__init__(*args, noun=noun, **kwargs)  # the field's: "No class called “x”."
        # OpenAPI: an array of slugs or names (strings); each value one or several,
        # comma-separated. Described for programmers (the help text is the form's).
        description = (
            f"The {noun}'s slug or its name (any case), or one of its other names (brand names, "
            "abbreviations; accents and punctuation aside). Several: comma-separated or "
            f"repeated keys; any of them matches. {api_help + ' ' if api_help else ''}A value "
            f"matching no published {noun} is a 400 naming it, with the names spelled most "
            "like it."
        )
        set_override(
            self,
            "field",
            {"type": "string", "pattern": RECORDS_PATTERN, "description": description},
        )

    def get_filter_predicate(self, v):
        return {self.field_name: v}  # the record itself, not its slug


class FormHelp:
    """A filter whose form field has its own help text, in a visitor's words (`form_help`),
    while the API's schema keeps `help_text`, written for programmers."""

    form_help = ""

    @property
    def field(self):
        field = super().field
        field.help_text = self.form_help
        return field


class MultipleChoiceFilter(FormHelp, django_filters.MultipleChoiceFilter):
    form_help = MULTI_HELP

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", CommaSeparatedSelectMultiple)
        kwargs.setdefault("help_text", MULTI_API)
        kwargs.setdefault("error_messages", NOT_A_CHOICE)
        kwargs.setdefault("distinct", False)  # the record's own field, or a to-one relation's
        super().__init__(*args, **kwargs)


class TextSearchFilter(django_filters.CharFilter):
    """`q`: records one of whose names (own, brand, abbreviation, other) matches the text as
    `/search/` matches names, through its index (catalog/search/query.py: case, accents and
    punctuation do not matter; the name contains the text, or every word of the text starts a
    word of the name); or, for `fields` (text besides the names, such as a glossary term's
    definition), that contain the text in any case, as typed or with accents and full-width
    letters folded (`loose`)."""

    def __init__(self, *args, fields=(), **kwargs):
        self.search_fields = fields
        kwargs.setdefault("label", "Search")
        kwargs.setdefault("max_length", 100)
        super().__init__(*args, **kwargs)
        # OpenAPI: what the form field accepts (NUL characters are refused), described for
        # programmers (the help text, "Name or abbreviation.", is the form's).
        searched = kwargs.get("help_text", "").rstrip(".")
        set_override(
            self,
            "field",
            {
                "type": "string",
                "maxLength": kwargs["max_length"],
                "pattern": r"^[^\u0000]*$",
                "description": f"Text to look for, in any case and anywhere, in the "
                f"{searched[:1].lower()}{searched[1:]}. Empty matches everything.",
            },
        )

    def filter(self, qs, value):
        value = (value or "").strip()
        if not value:
            return qs
        model = qs.model
        found = Q(pk__in=records_named(model, value)) if issubclass(model, Searchable) else Q()
        for field in self.search_fields:
            for text in dict.fromkeys([value, loose(value)]):
                found |= Q(**{f"{field}__icontains": text})
        return qs.filter(found) if found else qs.none()


# How the sort select names each order (the parameter's values stay `name`, `-name`, …).
SORT_LABELS = {
    "name": "Name A\u2013Z",
    "-name": "Name Z\u2013A",
    "therapy_class__name": "Class A\u2013Z",
    "-class": "Class Z\u2013A",
    "category": "Category A\u2013Z",
    "-category": "Category Z\u2013A",
    "last_reviewed": "Reviewed longest ago first",
    "-last_reviewed": "Reviewed most recently first",
    "condition__name": "Condition A\u2013Z",
    "-condition": "Condition Z\u2013A",
    "therapy__name": "Therapy A\u2013Z",
    "-therapy": "Therapy Z\u2013A",
}


class OrderingFilter(FormHelp, django_filters.OrderingFilter):
    """An allowlist of sort keys (`-` for descending), empty values last, then a unique
    tie-breaker so pages never overlap. The form offers them as a select of plain labels
    ("Name A to Z"); the API documents the keys."""

    def __init__(self, *args, tie_breaker="pk", **kwargs):
        self.tie_breaker = tie_breaker
        kwargs.setdefault("label", "Sort by")
        kwargs.setdefault("help_text", "Comma-separated sort keys; prefix with - for descending.")
        kwargs.setdefault("field_labels", SORT_LABELS)
        kwargs.setdefault("empty_label", "Default order")
        kwargs.setdefault("error_messages", NOT_A_CHOICE)
        super().__init__(*args, **kwargs)

    def get_ordering_value(self, param):
        descending = param.startswith("-")
        field = F(self.param_map[param.lstrip("-")])
        return field.desc(nulls_last=True) if descending else field.asc(nulls_last=True)

    def filter(self, qs, value):
        value = [p for p in value or [] if p]
        if not value:  # `?ordering=,` too: the default order, not the tie-breaker's
            return qs
        return qs.order_by(*(self.get_ordering_value(p) for p in value), self.tie_breaker)


class TherapyFilter(CatalogFilterSet):
    q = TextSearchFilter(help_text="Name, brand name or other name.")
    therapy_class = SlugMultipleFilter(
        queryset=TherapyClass.objects.published(),
        label="Class",
        field_name="therapy_class",
        noun="class",
    )
    condition = SlugMultipleFilter(
        queryset=Condition.objects.published(),
        label="Condition",
        method="filter_condition",
        noun="condition",
        help_text="A condition includes its sub-types.",
        api_help="A broader condition also matches its sub-conditions.",
    )
    condition_category = MultipleChoiceFilter(
        choices=ConditionCategory.choices,
        label="Condition category",
        method="filter_condition_category",
    )
    action = MultipleChoiceFilter(
        choices=Action.choices,
        field_name="therapy_class__action",
        label="Action on the immune system",
    )
    ordering = OrderingFilter(
        fields=[
            ("name", "name"),
            ("therapy_class__name", "class"),
            ("last_reviewed", "last_reviewed"),
        ]
    )

    description = [
        ("therapy_class", "in"),
        ("condition", "for"),
        ("condition_category", "for"),
        ("action", "that"),
        ("q", "matching"),
    ]

    class Meta:
        model = Therapy
        fields = ["q", "therapy_class", "condition", "condition_category", "action"]

    @skip_empty
    def filter_condition(self, queryset, name, value):
        # The class filter, already applied, narrows the range of uses read too.
        classes = self.applying.get("therapy_class") or ()
        return queryset.for_conditions(value, classes=classes)

    @skip_empty
    def filter_condition_category(self, queryset, name, value):
        return queryset.filter(
            pk__in=Indication.objects.published()
            .filter(condition__category__in=value)
            .values("therapy")
        )


class TherapyClassFilter(CatalogFilterSet):
    q = TextSearchFilter(help_text="Name or abbreviation.")
    action = MultipleChoiceFilter(choices=Action.choices, label="Action on the immune system")
    ordering = OrderingFilter(fields=[("name", "name"), ("last_reviewed", "last_reviewed")])

    description = [("action", "that"), ("q", "matching")]

    class Meta:
        model = TherapyClass
        fields = ["q", "action"]


class ConditionFilter(CatalogFilterSet):
    q = TextSearchFilter(help_text="Name or other name.")
    category = MultipleChoiceFilter(choices=ConditionCategory.choices, label="Category")
    therapy = SlugMultipleFilter(
        queryset=Therapy.objects.published(),
        label="Therapy",
        method="filter_therapy",
        noun="therapy",
        help_text="Conditions the therapy is used for.",
        api_help="Conditions the therapy itself is used for.",
    )
    therapy_class = SlugMultipleFilter(
        queryset=TherapyClass.objects.published(),
        label="Class",
        method="filter_therapy_class",
        noun="class",
        help_text="Conditions the class, or one of its therapies, is used for.",
    )
    ordering = OrderingFilter(
        fields=[("name", "name"), ("category", "category"), ("last_reviewed", "last_reviewed")]
    )

    description = [
        ("category", "in"),
        ("therapy", "treated with"),
        ("therapy_class", "treated with"),
        ("q", "matching"),
    ]

    class Meta:
        model = Condition
        fields = ["q", "category", "therapy", "therapy_class"]

    @skip_empty
    def filter_therapy(self, queryset, name, value):
        indications = Indication.objects.published().filter(therapy__in=value)
        return queryset.filter(pk__in=indications.values("condition"))

    @skip_empty
    def filter_therapy_class(self, queryset, name, value):
        indications = Indication.objects.published().filter(
            Q(therapy_class__in=value) | Q(therapy__therapy_class__in=value)
        )
        return queryset.filter(pk__in=indications.values("condition"))


class IndicationFilter(CatalogFilterSet):
    therapy = SlugMultipleFilter(
        queryset=Therapy.objects.published(), label="Therapy", noun="therapy"
    )
    therapy_class = SlugMultipleFilter(
        queryset=TherapyClass.objects.published(), label="Class", noun="class"
    )
    condition = SlugMultipleFilter(
        queryset=Condition.objects.published(),
        label="Condition",
        method="filter_condition",
        noun="condition",
        help_text="A condition includes its sub-types.",
        api_help="A broader condition also matches its sub-conditions.",
    )
    qualifier = MultipleChoiceFilter(
        choices=[(value, label) for value, label in Qualifier.choices if value], label="Qualifier"
    )
    level = django_filters.ChoiceFilter(
        choices=[("agent", "Agent level"), ("class", "Class level")],
        label="Level",
        method="filter_level",
        empty_label="Any",
    )
    ordering = OrderingFilter(
        fields=[
            ("condition__name", "condition"),
            ("therapy__name", "therapy"),
            ("therapy_class__name", "class"),
        ]
    )

    class Meta:
        model = Indication
        fields = ["therapy", "therapy_class", "condition", "qualifier", "level"]

    @skip_empty
    def filter_condition(self, queryset, name, value):
        return queryset.filter(condition__in=Condition.objects.matching(value))

    def filter_level(self, queryset, name, value):
        return queryset.filter(therapy__isnull=(value == "class"))


class GlossaryFilter(CatalogFilterSet):
    q = TextSearchFilter(fields=["definition"], help_text="Term or text.")

    description = [("q", "matching")]

    class Meta:
        model = GlossaryTerm
        fields = ["q"]
