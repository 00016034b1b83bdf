"""The file formats the import reads and the export writes: CSV and XLSX. A workbook is read
row by row and no further than the import's limit, so a small file that unpacks into millions
of rows is refused without reading them all; blank rows (a spreadsheet's formatted but empty
lines) are left out. Text that a spreadsheet would run as a formula is written with a leading
quote, as the site's other CSV exports write it (catalog/text.py), and read back without it, so an
export imports back unchanged."""

import io

import openpyxl
import tablib
from import_export.formats.base_formats import CSV, XLSX

from ..text import from_spreadsheet_text, spreadsheet_text

__all__ = ["FORMATS", "MAX_ROWS"]

MAX_ROWS = 1000  # rows of one file (each is saved on its own, with its version)


def each_text(dataset, change):
    """The dataset with `change` applied to each of its text cells."""
    changed = tablib.Dataset(headers=dataset.headers, title=dataset.title)
    for row in dataset:
        changed.append([change(value) if isinstance(value, str) else value for value in row])
    return changed


class SpreadsheetSafe:
    """Exports never write a live formula; imports read the text the export meant."""

    def export_data(self, dataset, **kwargs):
        return super().export_data(each_text(dataset, spreadsheet_text), **kwargs)

    def create_dataset(self, in_stream, **kwargs):
        return each_text(super().create_dataset(in_stream, **kwargs), from_spreadsheet_text)


class SafeCSV(SpreadsheetSafe, CSV):
    pass


class WorkbookRows(XLSX):
    def create_dataset(self, in_stream):
        book = openpyxl.load_workbook(io.BytesIO(in_stream), read_only=True, data_only=True)
        try:
            rows = book.active.iter_rows(values_only=True)
            dataset = tablib.Dataset(headers=list(next(rows, ())))
            for values in rows:
                if any(value is not None for value in values):
                    dataset.append(list(values)[: dataset.width])
                if dataset.height > MAX_ROWS:  # enough to refuse the file
                    break
            return dataset
        finally:
            book.close()


class CappedXLSX(SpreadsheetSafe, WorkbookRows):
    pass


FORMATS = [SafeCSV, CappedXLSX]
