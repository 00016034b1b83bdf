"""How names are compared: one normaliser for search, the list filters' `q` and the A-Z, so
"Crohns", "crohn's" and "CROHN\u2019S" are the same name, as are "il2" and "IL-2"; and how a
page leaves out a sentence it has already said (`without_repeats`); and how text goes into a
spreadsheet cell without becoming a formula (`spreadsheet_text`)."""

import re
import unicodedata


def loose(text):
    """Casefolded, accents stripped and compatibility forms folded (NFKD: full-width letters
    are plain letters), curly apostrophes straightened, single spaces."""
    decomposed = unicodedata.normalize("NFKD", text or "").replace("\u2019", "'")
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(stripped.casefold().split())


def normalise(text):
    """The form names are compared on: casefolded, no accents, letters and digits only."""
    return "".join(c for c in loose(text) if c.isalnum())


def words_of(text):
    """The words of a name for word-by-word matching: "Non-small cell" -> non, small, cell."""
    return "".join(c if c.isalnum() else " " for c in loose(text)).split()


SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def sentences(text):
    """A paragraph's sentences, as written (split after ".", "!" or "?" and a space)."""
    return [sentence for sentence in SENTENCE_END.split(text.strip()) if sentence]


def without_repeats(text, earlier):
    """`text` without the sentences `earlier` already says (compared loosely), its lines and
    paragraphs kept: a page showing a summary and then a description says each sentence once.
    Empty when every sentence is a repeat."""
    said = {loose(sentence) for sentence in sentences(earlier or "")}
    lines = []
    for line in (text or "").splitlines():
        kept = [s for s in sentences(line) if loose(s) not in said]
        if kept or not line.strip():  # a blank line separates paragraphs
            lines.append(" ".join(kept))
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def forms_of(name):
    """A name as it may appear in running text: as written, and its plural."""
    plural = f"{name[:-1]}ies" if name.endswith("y") and not name.endswith("ey") else f"{name}s"
    return [name, plural]


# A spreadsheet reads a cell starting with one of these as a formula (`=HYPERLINK(…)`), or can
# make one of it. OWASP's rule for CSV injection: prefix a single quote, so it is shown as text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_text(text):
    """Text for a CSV or workbook cell, never a live formula: quoted with a leading ' if needed."""
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def from_spreadsheet_text(text):
    """The text a cell written by `spreadsheet_text` holds: its leading ' taken off again."""
    quoted = text.startswith("'") and text[1:].startswith(FORMULA_STARTS)
    return text[1:] if quoted else text
