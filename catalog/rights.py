"""Who may change which fields of a catalog record: one rule for the admin and the API.

Each publishable model names its guarded fields and the action each needs
(`GUARDED_FIELDS` in catalog/models.py): changing the status, either way, needs the model's
publish permission; the review fields (last reviewed, reviewed by, review interval) need its
review permission. The admin makes the fields a user may not change read-only (change forms,
inlines), keeps them as they are on a revert, and offers its actions by the same
permissions; the API refuses a write that would change one with a 403 naming the fields.
"""

from .models import PUBLISH, REVIEW

NEEDS = {
    PUBLISH: "publishing and unpublishing need the publish permission",
    REVIEW: "recording a medical review needs the review permission",
}


def guarded_fields(model):
    """{field name: action} for the fields of `model` only some users may change."""
    return getattr(model, "GUARDED_FIELDS", {})


def may(user, model, action):
    """Whether `user` holds the permission for `action` (PUBLISH, REVIEW) on `model`."""
    return user.has_perm(model.permission(action))


def locked_fields(user, model):
    """The guarded fields of `model` that `user` may not change."""
    return [
        name for name, action in guarded_fields(model).items() if not may(user, model, action)
    ]


def refused_changes(user, record, values):
    """The fields among `values` ({name: new value}) that would change on `record` (for a new
    record, an unsaved instance: its defaults) but that `user` may not change."""
    return [
        name
        for name in locked_fields(user, type(record))
        if name in values and values[name] != getattr(record, name)
    ]


def refusal(model, fields):
    """Why a change of `fields` was refused, naming them and the permission each needs."""
    guarded = guarded_fields(model)
    reasons = []
    for action, why in NEEDS.items():
        names = [name for name in fields if guarded.get(name) == action]
        if names:
            listed = ", ".join(f"`{name}`" for name in names)
            reasons.append(f"{listed} ({why}, {model.permission(action)})")
    return (
        f"You may edit this {model._meta.verbose_name} but not change "
        f"{'; '.join(reasons)}. Nothing was saved."
    )


def keep_locked(user, record):
    """Put the saved values of the fields `user` may not change back on `record` (a record
    built from elsewhere, such as an old version being reverted to)."""
    locked = locked_fields(user, type(record))
    if locked and record.pk is not None:
        saved = type(record)._default_manager.filter(pk=record.pk).values(*locked).first()
        for name, value in (saved or {}).items():
            setattr(record, name, value)
