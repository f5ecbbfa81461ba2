"""Names as matching sees them: cleaned, reduced to a canonical given name through a nickname table, and coded
phonetically.

The nickname table is synthetic: familiar forms of the given names the synthetic borough uses, plus common
English ones. A familiar form maps to every full name it can stand for; the canonical form of a name is the
alphabetically first full name it can stand for, so "Bob" and "Robert" share a canonical form, and so do "Mo" and
"Mohammed".
"""

import functools
import re
import unicodedata

import jellyfish

# Full name -> familiar forms. Synthetic; extend freely.
NICKNAMES: dict[str, tuple[str, ...]] = {
    "robert": ("bob", "bobby", "rob", "robbie", "bert"),
    "mohammed": ("mo", "moe", "mohd", "mohamed", "muhammad", "mohammad", "muhammed"),
    "william": ("will", "bill", "billy", "willy", "liam"),
    "elizabeth": ("liz", "lizzie", "beth", "betty", "eliza", "libby"),
    "margaret": ("maggie", "meg", "peggy", "marge"),
    "katherine": ("kate", "kath", "kathy", "katie", "kat", "kitty"),
    "catherine": ("cath", "cathy", "kate", "katie", "kat"),
    "richard": ("rich", "richie", "rick", "dick"),
    "edward": ("ed", "eddie", "ted", "ned"),
    "anthony": ("tony", "ant"),
    "christopher": ("chris", "kit"),
    "jennifer": ("jen", "jenny"),
    "victoria": ("vicky", "tori"),
    "alexander": ("alex", "sandy", "xander"),
    "alexandra": ("alex", "lexi", "sandra"),
    "benjamin": ("ben", "benny"),
    "matthew": ("matt", "matty"),
    "nicholas": ("nick", "nicky"),
    "stephen": ("steve", "stevie"),
    "steven": ("steve", "stevie"),
    "patrick": ("pat", "paddy"),
    "abdullah": ("abdul",),
    "kareem": ("kaz",),
    "karim": ("kaz",),
    "kieran": ("kaz", "kez"),
    "jamal": ("jay", "jam"),
    "oliver": ("ollie",),
    "jessica": ("jess", "jessie"),
    "thomas": ("tom", "tommy"),
    "james": ("jamie", "jim", "jimmy"),
    "daniel": ("dan", "danny"),
    "joshua": ("josh",),
    "jacob": ("jake",),
    "charlotte": ("lottie", "charlie"),
    "bethany": ("beth",),
    "megan": ("meg",),
    "olivia": ("liv", "livvy"),
    "amelia": ("millie",),
    "sophie": ("soph",),
    "ellie-mae": ("ellie",),
    "rebecca": ("becky", "bex"),
    "samuel": ("sam", "sammy"),
    "michael": ("mike", "mikey"),
    "joseph": ("joe", "joey"),
    "nathan": ("nate",),
    "alexandru": ("alex",),
    "jakub": ("kuba",),
    "zuzanna": ("zuzia",),
    "gabriela": ("gabi",),
    "abdirahman": ("abdi",),
    "oluwaseun": ("seun",),
    "temitope": ("tope",),
    "emmanuel": ("manny",),
    "kwabena": ("kobby",),
    "ibrahim": ("ibby",),
    "youssef": ("yusuf",),
    "harry": ("haz",),
    "charlie": ("chaz",),
    "courtney": ("court",),
    "kayleigh": ("kay",),
    "zainab": ("zee",),
    "harpreet": ("preet",),
    "gurpreet": ("gurps",),
    "chiamaka": ("amaka",),
    "adaeze": ("ada",),
    "katie": ("kate", "kat"),
}

# Given name -> the familiar forms people are known by, which records use interchangeably with it: the synthetic
# borough's own, from which the demo (`lantern.demo.population`) draws its people's nicknames.
SHORT_FORMS: dict[str, tuple[str, ...]] = {
    "Oliver": ("Ollie",),
    "Jessica": ("Jess", "Jessie"),
    "Mohammed": ("Mo",),
    "Muhammad": ("Mo",),
    "Mohamed": ("Mo",),
    "Thomas": ("Tom", "Tommy"),
    "William": ("Will", "Billy"),
    "James": ("Jamie", "Jim"),
    "Daniel": ("Dan", "Danny"),
    "Joshua": ("Josh",),
    "Jacob": ("Jake",),
    "Charlotte": ("Lottie", "Charlie"),
    "Bethany": ("Beth",),
    "Katie": ("Kate", "Kat"),
    "Megan": ("Meg",),
    "Olivia": ("Liv", "Livvy"),
    "Amelia": ("Millie",),
    "Sophie": ("Soph",),
    "Ellie-Mae": ("Ellie",),
    "Rebecca": ("Becky", "Bex"),
    "Samuel": ("Sam", "Sammy"),
    "Michael": ("Mike", "Mikey"),
    "Joseph": ("Joe", "Joey"),
    "Nathan": ("Nate",),
    "Alexandru": ("Alex",),
    "Jakub": ("Kuba",),
    "Zuzanna": ("Zuzia",),
    "Gabriela": ("Gabi",),
    "Abdirahman": ("Abdi",),
    "Oluwaseun": ("Seun",),
    "Temitope": ("Tope",),
    "Emmanuel": ("Manny",),
    "Kwabena": ("Kobby",),
    "Ibrahim": ("Ibby",),
    "Youssef": ("Yusuf",),
    "Harry": ("Haz",),
    "Charlie": ("Chaz",),
    "Courtney": ("Court",),
    "Kayleigh": ("Kay",),
    "Zainab": ("Zee",),
    "Harpreet": ("Preet",),
    "Gurpreet": ("Gurps",),
    "Chiamaka": ("Amaka",),
    "Adaeze": ("Ada",),
}


def _with_borough_forms() -> dict[str, set[str]]:
    """Familiar form -> the full names it can stand for (including the synthetic borough's own short forms)."""
    table: dict[str, set[str]] = {}
    pairs = [(full, short) for full, shorts in NICKNAMES.items() for short in shorts]
    pairs += [(full.lower(), short.lower()) for full, shorts in SHORT_FORMS.items() for short in shorts]
    for full, short in pairs:
        table.setdefault(short, set()).add(full)
    return table


FAMILIAR: dict[str, set[str]] = _with_borough_forms()
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
        return min(fulls | ({given} if given in NICKNAMES else set()))
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
