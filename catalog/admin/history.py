"""The admin's base for every content model: a history (django-simple-history: history list,
a diff between any two versions, revert by opening and saving an old version), saves refused
when based on an outdated copy (VersionedForm), and saves that found the database busy with
another save shown again with the editor's input (catalog/locking.py)."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import OperationalError, models, router, transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from simple_history.admin import SimpleHistoryAdmin
from simple_history.models import to_historic

from .. import locking, versions
from ..history import changes_since, field_changes, related_history, version_diff
from ..history_rows import lines_by_version, marked_changes
from ..models import SearchTerm, registry

__all__ = ["HistoryAdmin", "VersionedForm"]

# --- no lost updates ---------------------------------------------------------------------------


class VersionedForm(forms.ModelForm):
    """Carries the record's version token as loaded (catalog/versions.py: the token an API
    write's If-Match compares); a save based on an older copy is refused, naming what changed
    in the meantime, with the editor's input kept (and fields the editor did not touch brought
    up to date), so saving again after reading succeeds."""

    loaded_version = forms.CharField(widget=forms.HiddenInput, required=False)
    # Why this save is refused before it starts: the database was busy (HistoryAdmin.get_form).
    refusal = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            # An old version opened to revert it is based on the current record.
            current = self._current_version() if to_historic(self.instance) else None
            self.fields["loaded_version"].initial = current or self._stamp(self.instance)

    @staticmethod
    def _stamp(obj):
        return versions.record_token(obj)

    def _current_version(self):
        records = type(self.instance)._default_manager.filter(pk=self.instance.pk).order_by()
        if transaction.get_connection().in_atomic_block:
            # Held until this save commits; `of` keeps the lock off joined tables.
            records = records.select_for_update(of=("self",))
        current = records.first()
        return self._stamp(current) if current else None

    def clean(self):
        cleaned_data = super().clean()
        if self.refusal:
            raise ValidationError(self.refusal)
        loaded = cleaned_data.get("loaded_version")
        if self.instance.pk is None or not loaded:
            return cleaned_data
        current = self._current_version()
        if current is None or current == loaded:
            return cleaned_data
        loaded_at = versions.token_time(loaded)  # None: not a token (an altered form)
        obj = type(self.instance)._default_manager.get(pk=self.instance.pk)
        self.data = self.data.copy()
        if loaded_at is not None:
            self._bring_untouched_fields_up_to_date(obj, loaded_at)
        self.data[self.add_prefix("loaded_version")] = current  # the next save goes through
        name = self.instance._meta.verbose_name
        errors = [
            f"Someone else saved this {name} after you opened it, so your changes were not "
            "saved. What changed in the meantime:"
        ]
        for who, when, changes in changes_since(obj, loaded_at) if loaded_at else []:
            listed = "; ".join(f"{label}: {old} → {new}" for label, old, new in changes)
            errors.append(f"{who}, {when}: {listed or 'saved without field changes'}.")
        errors.append(
            "Your input is kept below (fields you had not touched now show the saved values). "
            "Check it, then save again to keep your version."
        )
        raise ValidationError(errors)

    def _bring_untouched_fields_up_to_date(self, current, loaded_at):
        base = current.history.filter(updated_at__lte=loaded_at).order_by("-history_date").first()
        if base is None:
            return
        base_instance = base.instance
        latest = type(self)(instance=current)
        for name, field in self.fields.items():
            model_field = _model_field(current, name)
            if model_field is None:
                continue
            if model_field.many_to_many:
                target = model_field.m2m_reverse_field_name()
                loaded = [row[target] for row in getattr(base, name).values(target)]
            else:
                loaded = field.prepare_value(model_field.value_from_object(base_instance))
            saved = field.prepare_value(latest.get_initial_for_field(field, name))
            typed = self[name].data
            if field.has_changed(loaded, saved) and not field.has_changed(loaded, typed):
                key = self.add_prefix(name)
                if isinstance(saved, list | tuple):
                    self.data.setlist(key, [str(v) for v in saved])
                else:
                    self.data[key] = "" if saved is None else str(saved)


def _model_field(obj, name):
    try:
        field = obj._meta.get_field(name)
    except Exception:
        return None
    return field if isinstance(field, models.Field) and field.editable else None


# --- history: list with a compare column, diff of two versions, revert -------------------------


class HistoryAdmin(SimpleHistoryAdmin):
    """Saves (the change form, a revert) that found the database busy with another save for
    longer than its timeout show the form again, with the input and a message saying so."""

    form = VersionedForm
    history_list_display = ["compare"]
    object_history_template = "admin/catalog/object_history.html"
    object_history_list_template = "admin/catalog/object_history_list.html"  # CSP-clean

    @admin.display(description="compare")
    def compare(self, record):
        return format_html(
            '<label><input type="radio" name="old" value="{0}"> old</label> '
            '<label><input type="radio" name="new" value="{0}"> new</label>',
            record.pk,
        )

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        refusal = getattr(request, "save_refused", None)
        return type(form.__name__, (form,), {"refusal": refusal}) if refusal else form

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        args = (request, object_id, form_url, extra_context)
        return self.retry_as_refused(request, super().changeform_view, *args)

    def retry_as_refused(self, request, view, *args):
        """`view(*args)`; if the database was busy, nothing was saved: the same view again,
        its form refused with the reason (so the input is kept), beginning its transaction
        without the write lock so that it only waits to read."""
        try:
            return view(*args)
        except OperationalError as error:
            if request.method != "POST" or not locking.database_busy(error):
                raise
        request.save_refused = locking.ADMIN_MESSAGE
        with locking.deferred_transactions(router.db_for_write(self.model)):
            return view(*args)

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        compare = path(
            "<path:object_id>/history/compare/",
            self.admin_site.admin_view(self.history_compare_view),
            name="{}_{}_history_compare".format(*info),
        )
        return [compare, *super().get_urls()]

    def history_view(self, request, object_id, extra_context=None):
        obj = self.get_object(request, unquote(object_id))
        extra_context = {
            "related_history": related_history(obj) if obj else [],
            **(extra_context or {}),
        }
        return super().history_view(request, object_id, extra_context)

    def set_history_delta_changes(self, request, historical_records, foreign_keys_are_objs=True):
        """Each listed version's changes in full, the changed words marked (simple-history
        shortens them to "A mon[103 chars]rthritis"), with the changes of the record's names
        and indications made while it was current (`child_lines`)."""
        records = list(historical_records)  # newest first
        if not records:
            return
        versions = type(records[0]).objects.filter(id=records[0].id).order_by("history_date")
        dates = list(versions.values_list("history_date", "history_id"))
        position = {history_id: index for index, (_, history_id) in enumerate(dates)}
        lines = lines_by_version(records[0].instance, [when for when, _ in dates])
        oldest = records[-1]
        previous = oldest.prev_record if position.get(oldest.pk) else None
        for record, older in zip(records, [*records[1:], previous], strict=True):
            changes = field_changes(older, record) if older is not None else []
            record.history_delta_changes = marked_changes(changes)
            record.history_child_lines = lines.get(position.get(record.pk), [])

    def history_compare_view(self, request, object_id):
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            raise Http404
        if not self.has_view_or_change_permission(request, obj):
            raise PermissionDenied
        history_url = reverse(
            f"admin:{self.opts.app_label}_{self.opts.model_name}_history", args=[obj.pk]
        )
        versions = obj.history.select_related("history_user")
        try:
            ids = {int(request.GET["old"]), int(request.GET["new"])}
        except (KeyError, ValueError):
            self.message_user(request, "Choose two versions to compare.", messages.WARNING)
            return redirect(history_url)
        old, new = (get_object_or_404(versions, history_id=pk) for pk in sorted(ids))
        if old.history_date > new.history_date:
            old, new = new, old
        context = {
            **self.admin_site.each_context(request),
            "title": f"Compare versions: {obj}",
            "opts": self.opts,
            "object": obj,
            "old": old,
            "new": new,
            "changes": marked_changes(version_diff(old, new) if old != new else []),
            "history_url": history_url,
        }
        return TemplateResponse(request, "admin/catalog/history_compare.html", context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        # simple-history checks only the view permission, for a POST (revert) too.
        if request.method == "POST" and not self.has_change_permission(request):
            raise PermissionDenied
        view = super().history_form_view
        if request.method == "POST":  # a revert: all or nothing, as the change form's save
            view = transaction.atomic(using=router.db_for_write(self.model))(view)
        args = (request, object_id, version_id, extra_context)
        return self.retry_as_refused(request, view, *args)

    def save_model(self, request, obj, form, change):
        historic = to_historic(obj)
        if historic is not None:
            when = date_format(timezone.localtime(historic.history_date), "DATETIME_FORMAT")
            obj._change_reason = f"Reverted to the version of {when}"
        super().save_model(request, obj, form, change)
        if historic is not None:
            self.index_for_search(obj)  # a revert saves the record only: no save_related

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        self.index_for_search(form.instance)  # with the names just saved in the inlines

    def index_for_search(self, obj):
        if type(obj) in registry.searchable_models():
            SearchTerm.objects.index([obj])
