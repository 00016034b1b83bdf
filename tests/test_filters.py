"""catalog/filters.py (and the typed record fields of catalog/records.py) on its own: the
FilterSets the pages and the API share, fed a query string as they are — typed records by slug
or name, several values, OR within a parameter and AND across, errors naming the bad value, one
lookup for every typed filter, ordering."""

import html
import re

import pytest
from django.forms.renderers import DjangoTemplates
from django.http import QueryDict
from django.utils import timezone

from catalog.filters import (
    ConditionFilter,
    GlossaryFilter,
    IndicationFilter,
    TherapyClassFilter,
    TherapyFilter,
    applied_filters,
)
from catalog.form_rendering import renderer
from catalog.models import (
    Condition,
    ConditionCategory,
    GlossaryTerm,
    Indication,
    Therapy,
    TherapyClass,
)
from catalog.params import closest, comma_separated, renamed, replaced, unknown
from catalog.records import RECORDS_PATTERN, RecordsField, RecordsForm

pytestmark = pytest.mark.django_db

RA_AGENTS = {
    "rituximab",
    "tocilizumab",
    "adalimumab",
    "certolizumab-pegol",
    "etanercept",
    "golimumab",
    "infliximab",
}
PSORIASIS_AGENTS = {"adalimumab", "certolizumab-pegol", "etanercept", "infliximab"}
INVALID = "No condition called “{}”."
NOT_A_CHOICE = "“{}” is not one of the choices."


def filtered(filterset_class, query, queryset=None):
    """(slugs in order, form errors) for the query string `query`."""
    model = filterset_class._meta.model
    queryset = model.objects.published() if queryset is None else queryset
    filterset = filterset_class(QueryDict(query), queryset=queryset)
    if not filterset.is_valid():
        return None, {name: list(errors) for name, errors in filterset.errors.items()}
    return list(filterset.qs.values_list("slug", flat=True)), {}


def slugs(filterset_class, query, queryset=None):
    found, errors = filtered(filterset_class, query, queryset)
    assert not errors, errors
    return set(found)


def test_comma_separated_reads_repeated_and_comma_separated_values():
    assert comma_separated(QueryDict("x=a,b&x=c&x=&x= , d ,"), "x") == ["a", "b", "c", "d"]
    assert comma_separated({"x": "a, b"}, "x") == ["a", "b"]
    assert comma_separated(QueryDict("y=a"), "x") == []


def test_applied_filters_lists_each_filter_given_with_its_values():
    query = QueryDict("condition=psoriasis,melanoma&q=mab&page=2&ordering=-name&action=")
    assert applied_filters(TherapyFilter, query) == {
        "q": ["mab"],
        "condition": ["psoriasis", "melanoma"],
        "action": [],
        "ordering": ["-name"],
    }


@pytest.mark.parametrize(
    "value, matches",
    [("a", True), ("Melanoma, stage II", True), (",a,", True), (",", False), (" , ", False)],
)
def test_records_pattern_allows_any_name_but_blanks_and_nul(value, matches):
    assert bool(re.match(RECORDS_PATTERN, value)) is matches
    assert not re.match(RECORDS_PATTERN, f"{value}\u0000")


def test_records_are_typed_by_slug_or_by_name_in_any_case():
    by_slug = slugs(TherapyFilter, "condition=rheumatoid-arthritis")
    assert by_slug == RA_AGENTS
    assert slugs(TherapyFilter, "condition=RHEUMATOID arthritis") == by_slug
    assert slugs(TherapyFilter, "condition=Crohn's disease") == {
        "adalimumab",
        "certolizumab-pegol",
        "infliximab",
    }


def test_several_values_are_or_and_several_filters_are_and():
    both = RA_AGENTS | PSORIASIS_AGENTS
    assert slugs(TherapyFilter, "condition=rheumatoid-arthritis,psoriasis") == both
    assert slugs(TherapyFilter, "condition=Rheumatoid arthritis&condition=psoriasis") == both
    assert slugs(
        TherapyFilter, "condition=rheumatoid-arthritis&therapy_class=monoclonal-antibodies"
    ) == {"rituximab", "tocilizumab"}
    assert (
        slugs(
            TherapyFilter,
            "condition=psoriasis&therapy_class=monoclonal-antibodies,anti-tnf-therapy",
        )
        == PSORIASIS_AGENTS
    )


def test_a_broader_condition_matches_its_sub_conditions():
    assert slugs(TherapyFilter, "condition=leukemia") == {"rituximab"}  # its CLL indication
    assert slugs(TherapyFilter, "condition=inflammatory-bowel-disease") == {
        "adalimumab",
        "certolizumab-pegol",
        "golimumab",
        "infliximab",
    }  # through Crohn's disease and ulcerative colitis


def test_an_unknown_record_is_an_error_naming_it():
    found, errors = filtered(TherapyFilter, "condition=psoriasis,xyz&therapy_class=nope")
    assert found is None
    assert errors == {
        "condition": [INVALID.format("xyz")],
        "therapy_class": ["No class called “nope”."],
    }


def test_a_draft_is_unknown_to_the_filters():
    Condition.objects.filter(slug="psoriasis").update(status="draft")
    _, errors = filtered(TherapyFilter, "condition=psoriasis")
    assert errors == {"condition": [INVALID.format("psoriasis")]}


def test_a_slug_wins_over_another_records_name():
    Condition.objects.create(
        slug="renal-variant",
        name="kidney-cancer",  # another record's slug, as a name
        summary="s",
        category=ConditionCategory.CANCER,
        status="published",
        published_at=timezone.now(),
    )
    filterset = TherapyFilter(QueryDict("condition=kidney-cancer"), Therapy.objects.published())
    assert filterset.is_valid()
    assert [c.slug for c in filterset.form.cleaned_data["condition"]] == ["kidney-cancer"]


def test_a_whole_name_with_a_comma_is_that_name():
    melanoma = Condition.objects.get(slug="melanoma")
    stage = Condition.objects.create(
        slug="melanoma-stage-ii",
        name="Melanoma, stage II",
        summary="s",
        category=ConditionCategory.CANCER,
        parent=melanoma,
        status="published",
        published_at=timezone.now(),
    )
    Indication.objects.create(
        therapy=Therapy.objects.get(slug="rituximab"),
        condition=stage,
        status="published",
        published_at=timezone.now(),
    )
    assert slugs(TherapyFilter, "condition=Melanoma, stage II") == {"rituximab"}
    assert slugs(TherapyFilter, "condition=melanoma-stage-ii,psoriasis") == PSORIASIS_AGENTS | {
        "rituximab"
    }
    _, errors = filtered(TherapyFilter, "condition=Melanoma, stage III")
    assert errors == {"condition": [INVALID.format("stage III")]}


def test_every_typed_filter_is_looked_up_in_one_query(django_assert_num_queries):
    query = QueryDict(
        "condition=rheumatoid-arthritis,Psoriasis&therapy_class=anti-tnf-therapy&q=mab"
    )
    filterset = TherapyFilter(query, queryset=Therapy.objects.published())
    with django_assert_num_queries(1):
        assert filterset.is_valid()
    assert {c.slug for c in filterset.form.cleaned_data["condition"]} == {
        "rheumatoid-arthritis",
        "psoriasis",
    }


class ByNameForm(RecordsForm):
    """Conditions keyed by their name, matched also by their slug: the key field comes after
    the name field in the model."""

    condition = RecordsField(
        queryset=Condition.objects.published(), to_field_name="name", name_field="slug"
    )
    found_in_clean = None

    def clean(self):
        cleaned_data = super().clean()
        self.found_in_clean = cleaned_data.get("condition")
        return cleaned_data


def test_typed_records_come_back_with_the_fields_they_were_found_by():
    form = ByNameForm(QueryDict("condition=psoriasis,Melanoma"))
    assert form.is_valid(), form.errors
    found = [(record.slug, record.name) for record in form.cleaned_data["condition"]]
    assert found == [("psoriasis", "Psoriasis"), ("melanoma", "Melanoma")]


def test_a_filter_forms_clean_sees_the_records_found():
    """The joint lookup is the form's `clean()`: a subclass's own clean() gets the records."""
    form = ByNameForm(QueryDict("condition=Melanoma"))
    assert form.is_valid(), form.errors
    assert [record.pk for record in form.found_in_clean] == [
        Condition.objects.get(slug="melanoma").pk
    ]
    refused = ByNameForm(QueryDict("condition=Atlantis"))
    assert not refused.is_valid()
    assert refused.errors == {"condition": [INVALID.format("Atlantis")]}


def test_nul_characters_and_over_long_searches_are_errors():
    _, errors = filtered(TherapyFilter, "condition=psoria%00sis")
    assert errors == {"condition": ["Null characters are not allowed."]}
    _, errors = filtered(TherapyFilter, "q=" + "a" * 101)
    assert errors == {"q": ["Ensure this value has at most 100 characters (it has 101)."]}


def test_the_text_search_matches_names_brand_names_and_other_names():
    assert slugs(TherapyFilter, "q=rituxan") == {"rituximab"}  # a brand name
    assert slugs(TherapyFilter, "q=IL-2") == {"interleukin-2"}  # an abbreviation
    assert slugs(TherapyFilter, "q=%20%20") == set(
        Therapy.objects.published().values_list("slug", flat=True)
    )
    assert slugs(TherapyClassFilter, "q=csfs") == {"colony-stimulating-factors"}
    assert slugs(ConditionFilter, "q=crohns") == {"crohns-disease"}  # its other name
    assert "immunotherapy" in slugs(
        GlossaryFilter, "q=biological therapy", GlossaryTerm.objects.all()
    )


def test_choice_filters_take_several_values():
    assert slugs(TherapyFilter, "action=stimulates") == {"interleukin-2"}
    assert slugs(TherapyClassFilter, "action=stimulates,enhances") >= {"interleukins"}
    cancers = slugs(ConditionFilter, "category=cancer")
    assert "melanoma" in cancers and "psoriasis" not in cancers
    _, errors = filtered(ConditionFilter, "category=cancer,nope")
    assert errors == {"category": [NOT_A_CHOICE.format("nope")]}


def test_conditions_of_a_class_include_those_of_its_agents():
    found = slugs(ConditionFilter, "therapy_class=monoclonal-antibodies")
    assert {"rheumatoid-arthritis", "psoriatic-arthritis"} <= found  # the class itself
    assert {"breast-cancer", "non-hodgkins-lymphoma"} <= found  # trastuzumab, rituximab
    assert slugs(ConditionFilter, "therapy=trastuzumab") == {"breast-cancer"}


def test_indications_by_level_qualifier_and_condition():
    published = Indication.objects.published()

    def indications(query):
        filterset = IndicationFilter(QueryDict(query), queryset=published)
        assert filterset.is_valid(), filterset.errors
        return {(i.subject.slug, i.condition.slug) for i in filterset.qs}

    assert indications("level=class&condition=leukemia") == {("interferons", "leukemia")}
    assert indications("level=agent&condition=leukemia") == {
        ("rituximab", "chronic-lymphocytic-leukemia")
    }
    assert indications("qualifier=other-agents-failed") == {("rituximab", "rheumatoid-arthritis")}
    assert len(indications("")) == published.count()


def test_ordering_sorts_with_empty_values_last_and_a_tie_breaker():
    # Every class but interleukins reviewed (the content has no review yet).
    TherapyClass.objects.exclude(slug="interleukins").update(last_reviewed="2026-11-02")
    for query in ("ordering=last_reviewed", "ordering=-last_reviewed"):
        found, _ = filtered(TherapyClassFilter, query)
        assert found[-1] == "interleukins", query  # no review date: last both ways
    names, _ = filtered(TherapyFilter, "ordering=-name")
    assert names == sorted(names, reverse=True)
    default, _ = filtered(TherapyFilter, "ordering=,")
    assert default == list(Therapy.objects.published().values_list("slug", flat=True))
    _, errors = filtered(TherapyFilter, "ordering=price")
    assert errors == {"ordering": [NOT_A_CHOICE.format("price")]}


def test_records_are_typed_by_any_of_their_names_in_the_same_one_query(
    django_assert_num_queries,
):
    query = QueryDict("condition=RA,crohns disease&therapy_class=CSFs")
    filterset = TherapyFilter(query, queryset=Therapy.objects.published())
    with django_assert_num_queries(1):
        assert filterset.is_valid(), filterset.errors
    data = filterset.form.cleaned_data
    assert {c.slug for c in data["condition"]} == {"rheumatoid-arthritis", "crohns-disease"}
    assert [c.slug for c in data["therapy_class"]] == ["colony-stimulating-factors"]
    assert slugs(ConditionFilter, "therapy=Herceptin") == {"breast-cancer"}  # a brand name
    assert slugs(TherapyFilter, "condition=ra") == RA_AGENTS


def test_a_near_miss_names_the_records_spelled_most_like_it():
    _, errors = filtered(TherapyFilter, "condition=rheumatoid arthritus")
    assert errors == {
        "condition": [
            "No condition called “rheumatoid arthritus”. Did you mean Rheumatoid arthritis?"
        ]
    }
    _, errors = filtered(TherapyFilter, "therapy_class=monoclonal antibody")
    assert errors == {
        "therapy_class": [
            "No class called “monoclonal antibody”. Did you mean Monoclonal antibodies?"
        ]
    }
    _, errors = filtered(ConditionFilter, "therapy=rituxamab")  # suggested by its own name
    assert errors == {"therapy": ["No therapy called “rituxamab”. Did you mean Rituximab?"]}
    _, errors = filtered(TherapyFilter, "condition=xyz")
    assert errors == {"condition": [INVALID.format("xyz")]}


def test_a_near_miss_never_suggests_a_draft():
    Condition.objects.filter(slug="rheumatoid-arthritis").update(status="draft")
    _, errors = filtered(TherapyFilter, "condition=rheumatoid arthritus")
    assert "Rheumatoid arthritis" not in errors["condition"][0]


def test_closest_offers_the_nearest_names_only():
    known = ["condition", "condition_category", "therapy_class", "q"]
    assert closest("conditon", known) == ["condition"]
    assert closest("colour", known) == []
    assert closest("psoriasis arth", ["Psoriasis", "Psoriatic arthritis", "Melanoma"], n=3) == [
        "Psoriasis",
        "Psoriatic arthritis",
    ]


def test_unknown_parameters_come_with_their_likely_meaning_but_tracking_ones_do_not():
    query = QueryDict("conditon=x&q=y&colour=red&utm_source=mail&fbclid=1")
    known = set(TherapyFilter.base_filters) | {"page"}
    assert unknown(query, known) == [("conditon", "condition"), ("colour", None)]
    assert renamed(QueryDict("conditon=x&q=y&page=2"), "conditon", "condition") == (
        "condition=x&q=y"
    )
    assert replaced(QueryDict("condition=a,RA+x&page=3"), "condition", "RA x", "RA") == (
        "condition=a%2CRA"
    )


def test_a_filtered_list_is_described_by_its_records_and_choices_without_a_query(
    django_assert_num_queries,
):
    query = QueryDict("q=mab&condition=RA,psoriasis&action=suppresses&ordering=name")
    filterset = TherapyFilter(query, queryset=Therapy.objects.published())
    assert filterset.is_valid()
    with django_assert_num_queries(0):
        phrases = filterset.described()
        one = filterset.described(several=False)
    assert phrases == [
        "for Rheumatoid arthritis or Psoriasis",
        "that suppress the immune system",
        "matching “mab”",
    ]
    assert one[1] == "that suppresses the immune system"


def test_filter_fields_render_through_jinja2_as_the_django_templates_render_them(article):
    """The list pages' filter forms render their widgets through Django's Jinja2 copies of its
    widget templates (catalog/form_rendering.py): the same markup as Django's default
    renderer gives, whitespace and the spelling of an escaped apostrophe apart."""
    data = {"q": "csf's", "condition_category": "cancer", "ordering": "-name"}
    form = TherapyFilter(data, queryset=Therapy.objects.published()).form
    assert type(form).default_renderer is renderer
    theirs = type(form)(data, renderer=DjangoTemplates())

    def normal(markup):
        return re.sub(r"\s+", " ", html.unescape(str(markup))).replace("> <", "><").strip()

    for name in form.fields:
        assert "<" in str(form[name]), name
        assert normal(form[name]) == normal(theirs[name]), name
