"""A therapy's or a condition's sections ("How it is given", "Common side effects" …) as inlines
of its change form: the kinds the record has, a plain-language text and the sources it cites."""

from django import forms
from django.contrib import admin

from ..models import Section

__all__ = ["ConditionSectionInline", "TherapySectionInline"]


class SectionInline(admin.StackedInline):
    model = Section
    extra = 0
    fields = ["kind", "body", "sources"]
    autocomplete_fields = ["sources"]
    kinds = ()

    def formfield_for_choice_field(self, db_field, request, **kwargs):
        if db_field.name == "kind":
            kwargs["choices"] = [(kind.value, kind.label) for kind in self.kinds]
        return super().formfield_for_choice_field(db_field, request, **kwargs)

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "body":
            kwargs["widget"] = forms.Textarea(attrs={"rows": 8, "class": "vLargeTextField"})
        return super().formfield_for_dbfield(db_field, request, **kwargs)


class TherapySectionInline(SectionInline):
    fk_name = "therapy"
    kinds = Section.THERAPY_KINDS
    verbose_name = "section of the therapy's page"


class ConditionSectionInline(SectionInline):
    fk_name = "condition"
    kinds = Section.CONDITION_KINDS
    verbose_name = "section of the condition's page"
