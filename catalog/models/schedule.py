"""Scheduled publishing's clock: `QueryTime`, the moment a query runs, which the one visibility
rule (`Publishable.visible()`) compares "go live at" and "expire at" with, and
`schedule_boundaries()`, the moments around now at which what the public sees changes on its
own (a record going live or expiring), read by the catalog's version (models/version.py) so
that no cached page, count or 304 outlives one."""

import contextlib
import contextvars
import datetime

from django.db import models
from django.db.models import Q
from django.utils import timezone

__all__ = [
    "QUERY_TIME_MARKER",
    "SCHEDULE_FIELDS",
    "SCHEDULE_MESSAGE",
    "QueryTime",
    "query_time_as_marker",
    "schedule_boundaries",
    "schedule_constraint",
]

SCHEDULE_FIELDS = ("go_live_at", "expire_at")
QUERY_TIME_MARKER = "<query time>"  # QueryTime's parameter inside query_time_as_marker()

_as_marker = contextvars.ContextVar("query_time_as_marker", default=False)


class QueryTime(models.Expression):
    """`django.utils.timezone.now()` when the SQL is made, as a parameter: a queryset built
    once (at import time, in a class attribute) still compares with the time it runs at, and a
    test clock controls it."""

    output_field = models.DateTimeField()

    def as_sql(self, compiler, connection, **extra_context):
        if _as_marker.get():
            return "%s", [QUERY_TIME_MARKER]
        value = models.Value(timezone.now(), output_field=self.output_field)
        return value.as_sql(compiler, connection)

    def __eq__(self, other):
        return isinstance(other, QueryTime)

    def __hash__(self):
        return hash(QueryTime)


@contextlib.contextmanager
def query_time_as_marker():
    """SQL made inside reads a fixed marker for the query time: a cache key for a query's result
    (catalog/paging.py counts), the moment being part of the catalog's version instead."""
    token = _as_marker.set(True)
    try:
        yield
    finally:
        _as_marker.reset(token)


def schedule_boundaries(models_, now):
    """(the latest boundary passed, the next one): the latest "go live at" or "expire at" of
    `models_` at or before `now`, and the earliest after it (None when there is none). One query
    of indexed lookups (each column has its index), whatever the number of tables."""
    from .version import CatalogVersion

    annotations = {}
    for model in models_:
        for field in SCHEDULE_FIELDS:
            column = models.F(field)
            rows = model._default_manager.order_by()
            annotations[f"last_{model._meta.model_name}_{field}"] = models.Subquery(
                rows.filter(**{f"{field}__lte": now}).order_by(column.desc()).values(field)[:1]
            )
            annotations[f"next_{model._meta.model_name}_{field}"] = models.Subquery(
                rows.filter(**{f"{field}__gt": now}).order_by(column.asc()).values(field)[:1]
            )
    if not annotations:
        return None, None
    found = CatalogVersion.objects.filter(pk=1).annotate(**annotations).values(*annotations).first()
    if found is None:  # an empty catalog: nothing scheduled
        return None, None
    passed = [aware(v) for k, v in found.items() if k.startswith("last_") and v is not None]
    coming = [aware(v) for k, v in found.items() if k.startswith("next_") and v is not None]
    return max(passed, default=None), min(coming, default=None)


def aware(value):
    if timezone.is_naive(value):
        return timezone.make_aware(value, datetime.UTC)
    return value


def when(moment, time=True):
    """ "3 Dec 2026, 09:00" (or "3 Dec 2026") in the site's time zone."""
    local = timezone.localtime(moment)
    day = f"{local.day} {local:%b %Y}"
    return f"{day}, {local:%H:%M}" if time else day


SCHEDULE_MESSAGE = "“Expire at” must come after “go live at”."
SCHEDULE_CONSTRAINT_SUFFIX = "_expires_after_going_live"


def schedule_constraint(model_name):
    """The constraint each publishable model lists in its Meta: it expires after it goes live."""
    return models.CheckConstraint(
        condition=Q(go_live_at__isnull=True)
        | Q(expire_at__isnull=True)
        | Q(expire_at__gt=models.F("go_live_at")),
        name=f"{model_name}{SCHEDULE_CONSTRAINT_SUFFIX}",
        violation_error_message=SCHEDULE_MESSAGE,
    )
