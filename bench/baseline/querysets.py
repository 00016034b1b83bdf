"""What the baseline's pages and API read: published records (the models' own `published()`
querysets, so the baseline shows the same records the site does), with their related records
fetched by select_related/prefetch_related, and the one filter they share."""

from django.db.models import Prefetch, Q

from catalog.models import Condition, Indication, Therapy


def published_uses():
    return Indication.objects.published().select_related("condition")


def therapy_rows():
    """A list row: the therapy, its class, its other names and the conditions it is used for."""
    return (
        Therapy.objects.published()
        .select_related("therapy_class")
        .prefetch_related("other_names", Prefetch("indications", queryset=published_uses()))
        .order_by("name")
    )


def therapy_details():
    """Everything a therapy page and the API show of a therapy."""
    uses = published_uses().prefetch_related("sources")
    return (
        Therapy.objects.published()
        .select_related("therapy_class")
        .prefetch_related(
            "other_names", "sources", "sections__sources", Prefetch("indications", queryset=uses)
        )
        .order_by("name")
    )


def uses_of(condition):
    """The published uses for a condition and its sub-conditions."""
    return Indication.objects.published().filter(
        Q(condition=condition) | Q(condition__parent=condition)
    )


def used_for(therapies, condition):
    """The therapies with a published use for the condition or one of its sub-conditions."""
    return therapies.filter(indications__in=uses_of(condition)).distinct()


def top_conditions():
    children = Prefetch("children", queryset=Condition.objects.published().order_by("name"))
    return Condition.objects.published().filter(parent=None).prefetch_related(children)
