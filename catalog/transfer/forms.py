"""The upload form of the admin's import: a CSV or XLSX file, at most MAX_BYTES, whose name
says the format chosen; a file the import cannot read is refused with a message, never read."""

from django import forms
from import_export.forms import ImportForm

MAX_BYTES = 2 * 1024 * 1024
EXTENSIONS = {"csv": ".csv", "xlsx": ".xlsx"}


class UploadForm(ImportForm):
    def __init__(self, formats, resources, **kwargs):
        super().__init__(formats, resources, **kwargs)
        self.formats = formats
        self.fields["import_file"].help_text = (
            f"A CSV file (UTF-8) or an Excel workbook (.xlsx), up to {MAX_BYTES // 1024**2} MB; "
            "its first row names the columns."
        )

    def clean_import_file(self):
        upload = self.cleaned_data["import_file"]
        if upload.size > MAX_BYTES:
            raise forms.ValidationError(
                f"The file is {upload.size / 1024**2:.1f} MB; import at most "
                f"{MAX_BYTES // 1024**2} MB at a time (split the file)."
            )
        if not upload.name.lower().endswith(tuple(EXTENSIONS.values())):
            raise forms.ValidationError(
                f"“{upload.name}” is not a CSV or XLSX file: save it as .csv or .xlsx."
            )
        return upload

    def clean(self):
        cleaned = super().clean()
        upload, chosen = cleaned.get("import_file"), cleaned.get("format")
        if upload and chosen not in (None, ""):
            extension = EXTENSIONS[self.formats[int(chosen)]().get_title().lower()]
            if not upload.name.lower().endswith(extension):
                self.add_error(
                    "import_file", f"“{upload.name}” is not a {extension[1:].upper()} file."
                )
        return cleaned
