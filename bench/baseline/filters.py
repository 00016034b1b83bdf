"""The one filter set of the baseline's list page and its API: a class and a condition (which
includes its sub-conditions), each by slug among the published ones; an unknown slug is a 400
saying so."""

import django_filters

from catalog.models import Condition, TherapyClass

from .querysets import used_for


class TherapyFilter(django_filters.FilterSet):
    therapy_class = django_filters.ModelChoiceFilter(
        queryset=TherapyClass.objects.published(), to_field_name="slug"
    )
    condition = django_filters.ModelChoiceFilter(
        queryset=Condition.objects.published(), to_field_name="slug", method="filter_condition"
    )

    def filter_condition(self, queryset, name, value):
        return used_for(queryset, value)
