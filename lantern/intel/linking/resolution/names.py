"""Names as matching sees them: cleaned, reduced to a canonical given name through a nickname table, and coded
phonetically.

The nickname table is the `nicknames` package's (pinned in requirements/base.in): a hand-curated, maintained
table of English given names and their familiar forms, about 2,700 pairs, which nobody here wrote. The demo
generator draws its people's familiar names from a table of its own (`lantern.demo.vocabulary.SHORT_FORMS`), so
the synthetic data sets test the resolver with nicknames it may not know, as real records do. A familiar form maps
to every full name it can stand for; the canonical form of a name is the alphabetically first full name it can
stand for, so "Bob" and "Robert" share a canonical form.
"""

import csv
import functools
import re
import unicodedata
from importlib import resources

import jellyfish

_NOT_LETTERS = re.compile(r"[^a-z' -]+")
_NOT_LETTERS_OR_DIGITS = re.compile(r"[^a-z0-9]+")
_SPACES = re.compile(r"[\s\-']+")


@functools.lru_cache(maxsize=200_000)
def clean(name: str | None) -> str:
    """Lower case, accents removed, anything but letters, spaces, hyphens and apostrophes dropped."""
    if not name:
        return ""
    text = unicodedata.normalize("NFKD", str(name)).encode("ascii", "ignore").decode().lower()
    text = _NOT_LETTERS.sub(" ", text)
    return " ".join(text.split())


def _familiar_forms() -> tuple[dict[str, set[str]], frozenset[str]]:
    """Familiar form -> the full names it can stand for, and every full name, from the `nicknames` package's
    hand-curated table (names.csv: rows of full name, "has_nickname", familiar form)."""
    table: dict[str, set[str]] = {}
    fulls: set[str] = set()
    with resources.files("nicknames").joinpath("names.csv").open(encoding="utf-8") as rows:
        for row in csv.DictReader(rows):
            full, short = clean(row["name1"]), clean(row["name2"])
            if full and short and row["relationship"] == "has_nickname":
                table.setdefault(short, set()).add(full)
                fulls.add(full)
    return table, frozenset(fulls)


FAMILIAR, FULL_NAMES = _familiar_forms()


def clean_address(address: str | None) -> str:
    """An address as matching compares it: lower case, accents and punctuation removed, house numbers kept
    (without them every house in a street would be one address)."""
    if not address:
        return ""
    text = unicodedata.normalize("NFKD", str(address)).encode("ascii", "ignore").decode().lower()
    return " ".join(_NOT_LETTERS_OR_DIGITS.sub(" ", text).split())


@functools.lru_cache(maxsize=200_000)
def canonical(given: str) -> str:
    """The canonical form of a cleaned given name: the same for a name and its familiar forms."""
    if not given:
        return ""
    fulls = FAMILIAR.get(given)
    if fulls:
        return min(fulls | ({given} if given in FULL_NAMES else set()))
    return given


def is_familiar_form(a: str, b: str) -> bool:
    """Whether one cleaned name is a familiar form of the other (Bob and Robert, Mo and Mohammed)."""
    return bool(
        a
        and b
        and a != b
        and (a in FAMILIAR.get(b, ()) or b in FAMILIAR.get(a, ()) or canonical(a) == canonical(b))
    )


@functools.lru_cache(maxsize=200_000)
def phonetic(name: str) -> str:
    """A phonetic code of a cleaned name (metaphone of the name without spaces), "" for none."""
    if not name:
        return ""
    return jellyfish.metaphone(_SPACES.sub("", name)) or ""


def split_name(full: str | None) -> tuple[str, str]:
    """A cleaned full name as (given, family): the first word and the last; one word is a given name."""
    words = clean(full).split()
    if not words:
        return "", ""
    if len(words) == 1:
        return words[0], ""
    return words[0], words[-1]


def jaro_winkler(a: str, b: str) -> float:
    """Jaro-Winkler similarity of two strings (0 when either is empty)."""
    if not a or not b:
        return 0.0
    return jellyfish.jaro_winkler_similarity(a, b)
