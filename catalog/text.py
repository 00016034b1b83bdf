"""How names are compared: one normaliser for search, the list filters' `q` and the A-Z, so
"Crohns", "crohn's" and "CROHN\u2019S" are the same name, as are "il2" and "IL-2"."""

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


def forms_of(name):
    """A name as it may appear in running text: as written, and its plural."""
    plural = f"{name[:-1]}ies" if name.endswith("y") and not name.endswith("ey") else f"{name}s"
    return [name, plural]
