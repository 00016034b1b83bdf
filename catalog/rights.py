"""Who may change which fields of a catalog record: one rule for the admin and the API.

Each publishable model names its guarded fields and the action each needs
(`GUARDED_FIELDS` in catalog/models/base.py): changing the status, either way, needs the model's
publish permission; the review fields (last reviewed, reviewed by, review interval) need its
review permission. The admin makes the fields a user may not change read-only (change forms,
inlines) and keeps their saved values on every save (a revert included); its actions need the
same permissions; the API refuses a write that would change one with a 403 naming the fields.
"""

from .models import PUBLISH, REVIEW

REASONS = {
    PUBLISH: "you may edit this record but not publish or unpublish it",
    REVIEW: "only reviewers record a medical review",
}


def guarded_fields(model):
    """{field name: action} for the fields of `model` only some users may change."""
    return getattr(model, "GUARDED_FIELDS", {})


def may(user, model, action):
    """Whether `user` holds the permission for `action` (PUBLISH, REVIEW) on `model`."""
    return user.has_perm(model.permission(action))


def locked_fields(user, model):
    """The guarded fields of `model` that `user` may not change, and those only an action sets
    (`RECORDED_BY_ACTION`: a review), which no one changes through a form or a revert."""
    refused = [
        name for name, action in guarded_fields(model).items() if not may(user, model, action)
    ]
    return refused + [n for n in getattr(model, "RECORDED_BY_ACTION", ()) if n not in refused]


def refused_changes(user, model, values, instance=None):
    """{field: reason} for the fields among `values` ({name: new value}) that would change on
    `instance` (None for a new record: compared with the model's defaults) but that `user`
    may not change."""
    record = instance if instance is not None else model()
    guarded = guarded_fields(model)
    return {
        name: f"{REASONS[guarded[name]]} ({model.permission(guarded[name])})"
        for name in locked_fields(user, model)
        if name in values and values[name] != getattr(record, name)
    }


def refusal_message(refused):
    """The detail of a refused write: "field: reason; …"."""
    return "; ".join(f"{name}: {reason}" for name, reason in refused.items()) + "."


def keep_locked_fields(user, record):
    """Put back on `record` the saved values (a new record: the defaults) of the fields `user`
    may not change, whatever the record was built from (a form, an old version)."""
    model = type(record)
    locked = locked_fields(user, model)
    if not locked:
        return
    # The columns (a reviewer's id, not the reviewer) as the database holds them.
    columns = [model._meta.get_field(name).attname for name in locked]
    saved = None
    if record.pk is not None:
        saved = model._default_manager.filter(pk=record.pk).values(*columns).first()
    if saved is None:
        saved = {
            model._meta.get_field(name).attname: model._meta.get_field(name).get_default()
            for name in locked
        }
    for column, value in saved.items():
        setattr(record, column, value)
