"""The article's fingerprint (fixtures/article-fingerprint.json): what tests/test_fixtures.py
checks the content against, so that every clone runs those checks without the article's text.

The content restates Drugs.com, "Immunotherapy"; the article itself is not in the repository.
The fingerprint holds, of the article's normalised text (lower case, apostrophes dropped, words
are runs of a-z and 0-9):
- its SHA-256, to tell whether an article at hand is the one the fingerprint was built from;
- the SHA-256 of each run of eight words in a row: a fixture text sharing eight words in a row
  with the article has a run with one of these hashes. Runs of eight words are far too many to
  guess back from a dictionary, so the text cannot be rebuilt from them (no shorter runs are
  kept);
- the SHA-256 of each name of the content (fixtures/catalog.json: classes and their
  abbreviations, therapies, brand names and other names, conditions and their other names,
  glossary terms and what they are also called) that the article mentions, in lower case.

Rebuild it when the article or the content's names change, from the repository root:

    .venv/bin/python scripts/article_fingerprint.py --check     # does it match the article?
    .venv/bin/python scripts/article_fingerprint.py --rebuild   # write it again

The article is read from ../shared/seed/immunotherapy-article.txt beside the checkout, or from
the file $IMMUNOSITE_ARTICLE or --article names.
"""

import argparse
import hashlib
import json
import os
import re
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
FIXTURE = BASE_DIR / "fixtures" / "catalog.json"
FINGERPRINT = BASE_DIR / "fixtures" / "article-fingerprint.json"
ARTICLE = Path(
    os.environ.get("IMMUNOSITE_ARTICLE", BASE_DIR.parent / "shared/seed/immunotherapy-article.txt")
)
RUN_WORDS = 8  # words in a row that may not be copied from the article
ABOUT = (
    "Fingerprint of Drugs.com, 'Immunotherapy' (last updated 12 January 2022) for "
    "tests/test_fixtures.py; built by scripts/article_fingerprint.py, which says what it holds."
)


def sha256(text):
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def words(text):
    """The normalised words: lower case, apostrophes dropped, runs of a-z and 0-9."""
    return re.findall(r"[a-z0-9]+", re.sub(r"['\u2019]", "", text.lower()))


def runs(text, n=RUN_WORDS):
    """Every run of `n` normalised words in a row."""
    w = words(text)
    return {" ".join(w[i : i + n]) for i in range(len(w) - n + 1)}


def run_hashes(text):
    return {sha256(run) for run in runs(text)}


def name_hash(name):
    return sha256(name.lower())


def candidate_names(fixture):
    """Every name of the content, from the fixture's objects."""
    fields = {
        "catalog.therapyclass": ("name", "abbreviation"),
        "catalog.therapy": ("name",),
        "catalog.therapyname": ("name",),
        "catalog.condition": ("name",),
        "catalog.conditionname": ("name",),
        "catalog.glossaryterm": ("term", "also_called"),
    }
    names = set()
    for obj in fixture:
        for field in fields.get(obj["model"], ()):
            for name in obj["fields"].get(field, "").split(";"):
                if name.strip():
                    names.add(name.strip())
    return names


def build(article_text, fixture):
    """The fingerprint of `article_text`, with the names of `fixture` it mentions."""
    lowered = article_text.lower()
    return {
        "about": ABOUT,
        "text_sha256": sha256(" ".join(words(article_text))),
        "run_words": RUN_WORDS,
        "run_sha256": sorted(run_hashes(article_text)),
        "names_sha256": sorted(
            {name_hash(name) for name in candidate_names(fixture) if name.lower() in lowered}
        ),
    }


def read_fixture():
    return json.loads(FIXTURE.read_text(encoding="utf-8"))


def load():
    return json.loads(FINGERPRINT.read_text(encoding="utf-8"))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    action = parser.add_mutually_exclusive_group(required=True)
    action.add_argument("--rebuild", action="store_true", help=f"write {FINGERPRINT.name}")
    action.add_argument("--check", action="store_true", help="exit 1 if it does not match")
    parser.add_argument("--article", type=Path, default=ARTICLE, help=f"default {ARTICLE}")
    args = parser.parse_args(argv)
    if not args.article.is_file():
        parser.error(f"the article is not at {args.article} (set --article or IMMUNOSITE_ARTICLE)")
    fingerprint = build(args.article.read_text(encoding="utf-8"), read_fixture())
    if args.rebuild:
        FINGERPRINT.write_text(json.dumps(fingerprint, indent=1) + "\n", encoding="utf-8")
        print(
            f"wrote {FINGERPRINT.relative_to(BASE_DIR)}: {len(fingerprint['run_sha256'])} runs, "
            f"{len(fingerprint['names_sha256'])} names"
        )
        return 0
    if fingerprint != load():
        print(f"{FINGERPRINT.relative_to(BASE_DIR)} does not match {args.article}: --rebuild it")
        return 1
    print(f"{FINGERPRINT.relative_to(BASE_DIR)} matches {args.article}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
