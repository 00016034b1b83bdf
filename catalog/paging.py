"""Page numbers, read the same way by the pages and the API."""


def whole_number(raw):
    """`raw` as a number if it is ASCII digits only (not "-1", "1.5" or other scripts' digits),
    else None. Numbers longer than any page count are infinity (int() refuses 4,300+ digits)."""
    if not (raw.isascii() and raw.isdigit()):
        return None
    digits = raw.lstrip("0") or "0"
    return int(digits) if len(digits) <= 20 else float("inf")
