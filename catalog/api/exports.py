"""CSV and JSON Lines: every matching row (not one page), streamed, with the list's filters:
the list's rows (catalog/models/rows.py) made items as on its pages. CSV cells never start a
spreadsheet formula; JSON Lines carry the values exactly."""

import csv
import io
import json

from django.http import StreamingHttpResponse
from rest_framework.renderers import BaseRenderer

from ..models import limit_phrases
from ..text import spreadsheet_text

BATCH = 500


def flat(value):
    """A cell: related records by slug (or name), an indication as its condition's slug with
    its qualifier's text and the source's limits (`psoriasis (Used for — Severe, adults)`), lists
    joined with "; "."""
    if isinstance(value, dict):
        if "condition" in value and "qualifier_label" in value:
            return f"{flat(value['condition'])} ({use_terms(value)})"
        for key in ("slug", "condition", "name"):
            if key in value:
                return flat(value[key])
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "; ".join(flat(item) for item in value)
    return "" if value is None else str(value)


def use_terms(indication):
    """How the source puts a use (a list row), then the limits it sets, as its page says them."""
    limits = limit_phrases(
        indication["severity"] and indication["severity_label"],
        indication["population"],
        indication["combination"],
        indication["line_of_therapy"] and indication["line_of_therapy_label"],
        indication["note"],
    )
    label = indication["qualifier_label"]
    return f"{label} — {', '.join(limits)}" if limits else label


def cell(value):
    """A CSV cell, never a live formula: `flat(value)`, quoted with a leading ' if needed."""
    return spreadsheet_text(flat(value))


def csv_lines(header, rows):
    """Every CSV the site writes: the header, then one line per row, each cell neutralised."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def line(values):
        writer.writerow(values)
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    yield line([cell(name) for name in header])
    for row in rows:
        yield line([cell(row.get(name)) for name in header])


def jsonl_lines(rows):
    for row in rows:
        yield json.dumps(row, ensure_ascii=False) + "\n"


class CSVRenderer(BaseRenderer):
    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        rows = data if isinstance(data, list) else [data]
        header = list(rows[0]) if rows else []
        return "".join(csv_lines(header, rows)).encode()


class JSONLinesRenderer(BaseRenderer):
    media_type = "application/jsonl"
    format = "jsonl"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        rows = data if isinstance(data, list) else [data]
        return "".join(jsonl_lines(rows)).encode()


EXPORT_RENDERERS = (CSVRenderer, JSONLinesRenderer)


def stream_export(view, rows, represent, renderer):
    """All `rows` (read BATCH at a time), each made an item by `represent`, as a streaming
    download; the columns are the items' fields."""
    header = represent.names
    rows = (represent(row) for row in rows.iterator(chunk_size=BATCH))
    lines = csv_lines(header, rows) if renderer.format == "csv" else jsonl_lines(rows)
    response = StreamingHttpResponse(
        lines, content_type=f"{renderer.media_type}; charset={renderer.charset}"
    )
    response["Content-Disposition"] = f'attachment; filename="{view.basename}.{renderer.format}"'
    return response
