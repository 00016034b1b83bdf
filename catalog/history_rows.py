"""What an editor reads on a record's history pages: a change shown as the whole old and new text
with the removed and added words marked (`marked_diff`), and the changes of the names and
indications hanging off a record (its `history_children`) as lines of the record's own versions
("Brand name added: MabThera"), read from the children's histories in one query per kind."""

import bisect
import difflib
import re

from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe
from django.utils.text import capfirst

from .history import EMPTY, IGNORED, children, display, indication_labels

_WORDS = re.compile(r"\s+|[^\s]+")  # words (with their punctuation) and the spaces between


def marked_diff(old, new):
    """(old, new) as safe HTML: both texts whole and escaped, the words only in the old one in
    <del>, the words only in the new one in <ins>."""
    old, new = str(old), str(new)
    if old == new:
        return escape(old), escape(new)
    if EMPTY in (old, new):  # nothing before (or after): the other side changed as a whole
        return _mark("del", old, old != EMPTY), _mark("ins", new, new != EMPTY)
    before, after = _WORDS.findall(old), _WORDS.findall(new)
    matcher = difflib.SequenceMatcher(None, before, after, autojunk=False)
    old_parts, new_parts = [], []
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        removed, added = "".join(before[i1:i2]), "".join(after[j1:j2])
        old_parts.append(_mark("del", removed, op != "equal"))
        new_parts.append(_mark("ins", added, op != "equal"))
    return mark_safe("".join(old_parts)), mark_safe("".join(new_parts))


def _mark(tag, text, changed):
    if not text:
        return ""
    words = text.strip()
    if not changed or not words:
        return escape(text)
    start = text.index(words)
    lead, trail = text[:start], text[start + len(words) :]
    return format_html("{1}<{0}>{2}</{0}>{3}", tag, lead, words, trail)


def marked_changes(changes):
    """[{"field", "old", "new"}] of [(label, old, new)], the values marked (`marked_diff`)."""
    rows = []
    for label, old, new in changes:
        old_html, new_html = marked_diff(old, new)
        rows.append({"field": label, "old": old_html, "new": new_html})
    return rows


# --- names and indications, as lines of the record's versions ---------------------------------


def child_lines(obj):
    """[(when, line)], oldest first, for every change of a name or an indication of `obj`:
    "Brand name added: MabThera", "Indication changed: Lymphoma → Lymphoma (may help)",
    "Other name removed: Crohns". One query per kind of child, plus one per kind of record an
    indication names."""
    lines = []
    for child, key, _label, describe in children(type(obj)):
        records = list(child.history.filter(**{key: obj.pk}).order_by("history_date", "pk"))
        if describe:
            labels = dict(zip(records, indication_labels(child, records, describe), strict=True))
        else:
            labels = {record: record.name for record in records}
        previous = {}
        for record in records:
            before = previous.get(record.id)
            previous[record.id] = record
            lines.append((record.history_date, _line(child, record, before, labels)))
    return sorted(lines, key=lambda line: line[0])


def _line(child, record, before, labels):
    if hasattr(record, "get_kind_display"):
        kind = record.get_kind_display()
    else:
        kind = capfirst(child._meta.verbose_name)
    text = labels[record]
    if record.history_type == "+":
        return f"{kind} added: {text}"
    if record.history_type == "-":
        return f"{kind} removed: {text}"
    if before is not None and labels[before] != text:
        return f"{kind} changed: {labels[before]} → {text}"
    changed = [
        f"{capfirst(field.verbose_name)}: {display(field, getattr(before, field.attname))} → "
        f"{display(field, getattr(record, field.attname))}"
        for field in child._meta.concrete_fields
        if before is not None
        and field.name not in IGNORED
        and not field.is_relation
        and getattr(before, field.attname) != getattr(record, field.attname)
    ]
    return f"{kind} changed: {text}" + (f" ({'; '.join(changed)})" if changed else "")


def lines_by_version(obj, dates):
    """{index in `dates`: [line]}: each child change goes with the record's version that was
    current when it was made (the last one saved at or before it: the admin saves inline rows
    just after their record), or with the first version if it came before every version.
    `dates` are the record's version dates, oldest first."""
    by_version = {}
    for when, line in child_lines(obj):
        index = max(bisect.bisect_right(dates, when) - 1, 0)
        by_version.setdefault(index, []).append(line)
    return by_version
