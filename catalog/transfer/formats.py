"""The file formats the import reads and the export writes: CSV and XLSX. A workbook is read
row by row and no further than the import's limit, so a small file that unpacks into millions
of rows is refused without reading them all; blank rows (a spreadsheet's formatted but empty
lines) are left out."""

import io

import openpyxl
import tablib
from import_export.formats.base_formats import CSV, XLSX

__all__ = ["FORMATS", "MAX_ROWS"]

MAX_ROWS = 1000  # rows of one file (each is saved on its own, with its version)


class CappedXLSX(XLSX):
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


FORMATS = [CSV, CappedXLSX]
