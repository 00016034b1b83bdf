"""Reading django-simple-history in the site's terms: what changed between two versions of a
record (with verbose names, choice labels and names rather than ids), what a therapy's other
names and indications were while a version was current, and what changed since an editor opened
a record."""

from contextlib import contextmanager

from django.core.exceptions import FieldDoesNotExist, ObjectDoesNotExist
from django.db import models
from django.test.utils import override_settings
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.text import capfirst

EMPTY = "—"
# Bookkeeping fields: they change on every save and mean nothing to an editor.
IGNORED = {"updated_at"}


def display(field, value):
    """One field's value as the admin shows it: choice labels, names, lists joined."""
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or EMPTY
    if value in (None, "") or (field.is_relation and getattr(value, "pk", "") is None):
        return EMPTY  # no related record (simple-history shows an empty one as "deleted")
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def field_changes(old, new, excluded=()):
    """[(label, old, new)] for every field that differs between two historical records of one
    object, in form order."""
    model = new.instance_type
    delta = new.diff_against(old, excluded_fields=excluded, foreign_keys_are_objs=True)
    by_name = {change.field: change for change in delta.changes}
    changes = []
    for field in model._meta.get_fields():
        change = by_name.get(field.name)
        if change is None or field.name in IGNORED:
            continue
        if field.many_to_many:
            target = field.m2m_reverse_field_name()
            old_value, new_value = (
                sorted(str(row[target]) for row in rows) for rows in (change.old, change.new)
            )
        else:
            old_value, new_value = change.old, change.new
        label = capfirst(field.verbose_name)
        changes.append((label, display(field, old_value), display(field, new_value)))
    return changes


# --- related records (names, indications) as they stood at a time ----------------------------


def _as_of(model, when, **lookup):
    return list(model.history.as_of(when).filter(**lookup))


def _names(model, when, **lookup):
    """In the order they were added."""
    return [n.name for n in sorted(_as_of(model, when, **lookup), key=lambda n: n.pk)]


def children(model):
    """What hangs off a record of `model` (its `history_children`): (child model, the child's
    key to the record, label, the fields naming a child's other end)."""
    for relation, label, describe in getattr(model, "history_children", ()):
        field = model._meta.get_field(relation)
        yield field.related_model, field.field.attname, label, describe


def _indications(model, when, describe, **lookup):
    return sorted(indication_labels(model, _as_of(model, when, **lookup), describe))


def indication_labels(model, rows, describe):
    """How each indication (a record or a version of one) reads: what it names at its other
    end (`describe`), its qualifier, and "[draft]" if unpublished; one query per named kind."""
    ids = {name: {getattr(i, f"{name}_id") for i in rows} for name in describe}
    names = {
        name: model._meta.get_field(name).related_model.objects.in_bulk(ids[name])
        for name in describe
    }
    labels = []
    for indication in rows:
        parts = []
        for name in describe:
            pk = getattr(indication, f"{name}_id")
            if pk is not None:
                parts.append(str(names[name].get(pk, f"#{pk}")))
        label = " ".join(parts)
        if indication.qualifier:
            label += f" ({indication.get_qualifier_display().lower()})"
        if indication.status != "published":
            label += " [draft]"
        labels.append(label)
    return labels


def related_state(obj_model, pk, when):
    """{label: text} of what hangs off the record (other names, indications) at `when`."""
    state = {}
    for child, key, label, describe in children(obj_model):
        if describe:
            state[label] = _indications(child, when, describe, **{key: pk})
        elif label is None:  # names of several kinds
            rows = _as_of(child, when, **{key: pk})
            for kind in child._meta.get_field("kind").choices:
                named = [n for n in rows if n.kind == kind[0]]
                state[f"{kind[1]}s"] = [n.name for n in sorted(named, key=lambda n: n.pk)]
        else:
            state[label] = _names(child, when, **{key: pk})
    state = {label: ", ".join(values) or EMPTY for label, values in state.items()}
    return {**state, **_sections(obj_model, pk, when)}


def _sections(obj_model, pk, when):
    """{"Section “How it is given”": its text} of a record with drug-page sections, in the
    page's order, as they stood at `when`."""
    try:
        relation = obj_model._meta.get_field("sections")
    except FieldDoesNotExist:
        return {}
    section = relation.related_model
    order = {
        kind: position for position, kind in enumerate(section._meta.get_field("kind").choices)
    }
    rows = _as_of(section, when, **{relation.field.attname: pk})
    rows.sort(key=lambda row: order.get((row.kind, row.get_kind_display()), len(order)))
    return {f"Section “{row.get_kind_display()}”": row.body or EMPTY for row in rows}


def current_until(record):
    """While a version was current: until the next version was saved (inline rows are saved just
    after their parent, so they belong to it), or up to now for the latest version."""
    later = (
        type(record)
        .objects.filter(history_date__gt=record.history_date, id=record.id)
        .order_by("history_date")
        .values_list("history_date", flat=True)
        .first()
    )
    if later is None:
        return timezone.now()
    return later - timezone.timedelta(microseconds=1)


def version_diff(old, new, excluded=()):
    """Everything that differs between two versions: the record's fields (but `excluded`),
    then (for therapies, classes and conditions) their names and indications as they stood at
    each version."""
    changes = field_changes(old, new, excluded)
    model = new.instance_type
    before = related_state(model, old.id, current_until(old))
    after = related_state(model, new.id, current_until(new))
    for label, value in after.items():
        if before.get(label) != value:
            changes.append((label, before.get(label, EMPTY), value))
    return changes


def version_contents(version, excluded=()):
    """[(label, "—", value)] for every field a version holds a value in (but `excluded`), then
    its names and indications as they stood: the whole record, for a record no review has read
    yet."""
    model = version.instance_type
    contents = []
    for field in model._meta.get_fields():
        if field.name in {*excluded, *IGNORED} or not getattr(field, "concrete", False):
            continue
        if field.primary_key or field.auto_created or not field.editable:
            continue
        if field.many_to_many:
            target = field.m2m_reverse_field_name()
            rows = getattr(version, field.name).all()
            value = sorted(str(getattr(row, target)) for row in rows)
        elif field.is_relation:
            value = getattr(version, field.name, None)
        else:
            value = getattr(version, field.attname, None)
        shown = display(field, value)
        if shown != EMPTY:
            contents.append((capfirst(field.verbose_name), EMPTY, shown))
    related = related_state(model, version.id, current_until(version))
    contents += [(label, EMPTY, value) for label, value in related.items() if value != EMPTY]
    return contents


def describe_version(record):
    who = record.history_user.get_username() if record.history_user_id else "a script"
    when = date_format(timezone.localtime(record.history_date), "DATETIME_FORMAT")
    return who, when


def changes_since(obj, loaded_at):
    """[(who, when, [(label, old, new)])]: the versions saved after the one an editor loaded
    (identified by its updated_at), each with what it changed."""
    history = type(obj).history.filter(id=obj.pk)
    base = history.filter(updated_at__lte=loaded_at).order_by("-history_date").first()
    newer = list(
        history.filter(updated_at__gt=loaded_at)
        .select_related("history_user")
        .order_by("history_date")
    )
    result = []
    for record in newer:
        changes = field_changes(base, record) if base is not None else []
        who, when = describe_version(record)
        result.append((who, when, changes))
        base = record
    return result


def related_history(obj):
    """The history of the indications (and other names) hanging off a record, newest first:
    [{"date", "user", "what", "changes"}], for the record's history page."""
    sources = [(child, {key: obj.pk}) for child, key, _, _ in children(type(obj))]
    entries = []
    for model, lookup in sources:
        records = list(
            model.history.filter(**lookup).select_related("history_user").order_by("history_date")
        )
        previous = {}
        for record in records:
            before = previous.get(record.id)
            changes = []
            if before is not None:  # sources left out: one query per version
                changes = field_changes(before, record, excluded=["sources"])
            previous[record.id] = record
            entries.append(
                {
                    "date": record.history_date,
                    "user": record.history_user,
                    "type": record.get_history_type_display(),
                    "what": f"{capfirst(model._meta.verbose_name)}: {_label(record)}",
                    "changes": changes,
                    "reason": record.history_change_reason or "",
                }
            )
    return sorted(entries, key=lambda entry: entry["date"], reverse=True)


def _label(record):
    try:
        return str(record.instance)
    except ObjectDoesNotExist:
        return f"#{record.id}"


@contextmanager
def history_paused():
    """Nothing is recorded while paused. Loading a fixture or a database snapshot saves records
    raw (no version) but sets their many-to-many fields through the ORM, which would record a
    "changed" version of every therapy before its first one; `populate_initial_history` then
    took those for first versions (they may cite no sources) and skipped the model."""
    with override_settings(SIMPLE_HISTORY_ENABLED=False):
        yield


# The change reason of the first versions `manage.py seed` records.
SEEDED = "Loaded from the source article"


def populate_initial_history(reason=""):
    """`populate_history --auto`: a first version ("Created", with the change reason `reason`)
    for every record that has none (fixtures are loaded with raw saves, which record nothing).
    That command writes no many-to-many rows, so the first versions would seem to cite no
    sources: copy them from the current rows."""
    from django.apps import apps
    from django.core.management import call_command

    catalog = apps.get_app_config("catalog").get_models()
    tracked = [m for m in catalog if hasattr(m._meta, "simple_history_manager_attribute")]
    before = {m: m.history.aggregate(last=models.Max("history_id"))["last"] or 0 for m in tracked}
    call_command("populate_history", auto=True, verbosity=0)
    for model in tracked:
        history_model = model.history.model
        first = history_model.objects.filter(history_id__gt=before[model])
        if reason:
            first.update(history_change_reason=reason)
        for field in history_model._history_m2m_fields:
            m2m_model = next(
                rel.related_model
                for rel in history_model._meta.related_objects
                if rel.related_model.__name__ == f"{history_model.__name__}_{field.name}"
            )
            own, target = field.m2m_field_name(), field.m2m_reverse_field_name()
            by_owner = {}
            for row in field.remote_field.through.objects.all():
                # The through row's own id too: the version rows keep it (not generated).
                by_owner.setdefault(getattr(row, f"{own}_id"), []).append(
                    (row.pk, getattr(row, f"{target}_id"))
                )
            m2m_model.objects.bulk_create(
                m2m_model(
                    history=record, id=row_id, **{f"{own}_id": record.id, f"{target}_id": other}
                )
                for record in first
                for row_id, other in by_owner.get(record.id, [])
            )
