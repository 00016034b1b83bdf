"""Import and Export on a changelist (django-import-export): CSV and XLSX only, a dry run
first whose preview lists every bad row's problems before anything is written, then Confirm.
Import needs the model's add and change permissions; export its view permission, and exports
the rows the changelist shows (its filters and search) in the import's columns."""

from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect
from import_export.admin import ExportMixin, ImportMixin
from import_export.forms import ExportForm
from import_export.tmp_storages import CacheStorage, TempFolderStorage

from .formats import FORMATS
from .forms import UploadForm

__all__ = ["TransferMixin"]


class UploadGone(Exception):
    """The file kept between the preview and Confirm is no longer there."""


class SharedUploadStorage(CacheStorage):
    """The uploaded file kept between the preview and Confirm in the shared cache (Redis), so
    Confirm works whichever app server answers it."""

    def read(self):
        data = super().read()
        if data is None:
            raise UploadGone
        return data


class LocalUploadStorage(TempFolderStorage):
    """The uploaded file kept in this machine's temporary folder (one app server: its
    workers share the folder, not a per-process cache)."""

    def read(self):
        try:
            return super().read()
        except FileNotFoundError:
            raise UploadGone from None


class TransferMixin(ImportMixin, ExportMixin):
    """Put first among a ModelAdmin's bases, with `resource_classes` set."""

    formats = FORMATS
    import_form_class = UploadForm
    export_form_class = ExportForm  # no field picker: it needs inline script the CSP refuses
    import_template_name = "admin/catalog/import.html"
    import_export_change_list_template = "admin/catalog/change_list_transfer.html"
    # Excel's "CSV UTF-8" starts with a byte-order mark: read with or without one, and write
    # one, so Excel shows an export's accents and quotation marks as they are.
    from_encoding = to_encoding = "utf-8-sig"
    skip_admin_log = True  # the history records each row, with the file's name

    def get_tmp_storage_class(self):
        return SharedUploadStorage if settings.REDIS_URL else LocalUploadStorage

    def has_import_permission(self, request):
        return self.has_add_permission(request) and self.has_change_permission(request)

    def has_export_permission(self, request):
        return self.has_view_permission(request)

    def add_data_read_fail_error_to_form(self, form, e):
        if isinstance(e, UnicodeDecodeError):
            message = (
                "The file is not UTF-8 text. Save it as “CSV UTF-8” (or as an Excel workbook) "
                "and import it again."
            )
        else:
            message = (
                "The file could not be read as the format chosen. Check that it is a CSV or "
                "XLSX file and that the format matches it."
            )
        form.add_error("import_file", message)

    def get_import_data_kwargs(self, **kwargs):
        # All or nothing at Confirm too: a row gone bad since the preview (a therapy renamed
        # meanwhile) rolls the whole file back.
        return {**super().get_import_data_kwargs(**kwargs), "rollback_on_validation_errors": True}

    def process_result(self, result, request):
        if result.has_errors() or result.has_validation_errors():
            messages.error(
                request,
                "Nothing was imported: since the preview, the file stopped importing cleanly ("
                + "; ".join(result.problems[:3])
                + "). Import it again to see every problem.",
            )
            return self.import_page()
        return super().process_result(result, request)

    def import_page(self):
        return redirect(f"admin:{self.opts.app_label}_{self.opts.model_name}_import")

    def process_import(self, request, **kwargs):
        try:
            return super().process_import(request, **kwargs)
        except UploadGone:
            messages.error(
                request, "The file previewed is no longer kept: import it again, then confirm."
            )
            return self.import_page()
