"""Indications in the admin: their own changelist, and the inlines on their therapy's, class's or
condition's page, each indication with its own status (a published indication shows once both
its ends are published). The inlines are stacked: a table of six autocompletes and a note is
wider than a 1,280 px window and cut on a phone."""

from django.contrib import admin

from ..models import Indication
from ..transfer.admin import TransferMixin
from ..transfer.resources import IndicationResource
from .publishing import LockedFieldsMixin, PublishableAdmin

__all__ = [
    "ClassIndicationInline",
    "ConditionIndicationInline",
    "IndicationAdmin",
    "TherapyIndicationInline",
]


class IndicationInline(LockedFieldsMixin, admin.StackedInline):
    model = Indication
    extra = 0
    autocomplete_fields = ["therapy", "therapy_class", "condition", "sources"]
    fields = ["therapy", "therapy_class", "condition", "qualifier", "note", "sources", "status"]


class TherapyIndicationInline(IndicationInline):
    fields = ["condition", "qualifier", "note", "sources", "status"]
    verbose_name = "indication"
    verbose_name_plural = "indications (agent level)"


class ClassIndicationInline(IndicationInline):
    fields = ["condition", "qualifier", "note", "sources", "status"]
    verbose_name = "indication"
    verbose_name_plural = "indications (class level: the whole class)"


class ConditionIndicationInline(IndicationInline):
    fields = ["therapy", "therapy_class", "qualifier", "note", "sources", "status"]


@admin.register(Indication)
class IndicationAdmin(TransferMixin, PublishableAdmin):
    resource_classes = [IndicationResource]
    list_display = ["condition", "therapy", "therapy_class", "qualifier", "note", "status"]
    list_filter = ["status", "qualifier", "therapy_class", "condition__category"]
    list_select_related = ["condition", "therapy", "therapy_class"]
    search_fields = ["condition__name", "therapy__name", "therapy_class__name", "note"]
    autocomplete_fields = ["therapy", "therapy_class", "condition", "sources"]
