"""Who may change which fields of a catalog record: one rule for the admin and the API.

Each publishable model names its guarded fields and the action each needs
(`GUARDED_FIELDS` in catalog/models/base.py): changing the status, either way, needs the model's
publish permission; the review fields (last reviewed, reviewed by, review interval) need its
review permission. The admin makes the fields a user may not change read-only (change forms,
inlines) and keeps their saved values on every save (a revert included); its actions need the
same permissions; the API refuses a write that would change one with a 403 naming the fields.

The review workflow (catalog/models/reviewing.py): who may submit a record for review, approve
it or send it back, and who sees drafts.
"""

from django.core.exceptions import ObjectDoesNotExist

from .models import PUBLISH, REVIEW, SUBMIT

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


# --- the review workflow: who may submit, approve, send back ----------------------------------


def acting_reviewer(user, model):
    """The reviewer profile a review by `user` on `model` records, or None: a reviewer holds
    the model's review permission AND has a profile (a review names a person, never a login).
    The one rule for *Mark as reviewed*, *Approve* and *Send back*."""
    if not may(user, model, REVIEW):
        return None
    try:
        return user.reviewer_profile
    except ObjectDoesNotExist:
        return None


NO_PROFILE = (
    "A review names its reviewer: ask an administrator for a reviewer profile (your full name, "
    "credential and specialty) first."
)


def may_submit(user, model):
    """Editors (the change permission) submit records for review."""
    return user.has_perm(f"{model._meta.app_label}.change_{model._meta.model_name}")


def review_step_refusal(user, record, step):
    """Why `user` may not take the review workflow's `step` (SUBMIT, APPROVE, SEND_BACK) on
    `record`, or None when they may. Editors with the change permission submit; reviewers
    (`acting_reviewer`) approve or send back; the record's state must allow the step."""
    model = type(record)
    if step == SUBMIT:
        if not may_submit(user, model):
            return f"Only editors who may change a {model._meta.verbose_name} submit it."
    elif acting_reviewer(user, model) is None:
        if not may(user, model, REVIEW):
            return REASONS[REVIEW].capitalize() + "."
        return NO_PROFILE
    return record.review_step_refusal(step)


def may_take_step(user, record, step):
    return review_step_refusal(user, record, step) is None


def may_preview(user):
    """Whether `user` sees drafts (the staff previews, and the hint on a draft's 404): active
    staff, as Django's staff_member_required decides."""
    return user.is_active and user.is_staff
