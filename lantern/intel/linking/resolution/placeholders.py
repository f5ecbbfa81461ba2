"""Placeholders and generic descriptions written where a person's name should be: never evidence of identity.

Practitioners record a child they cannot name as "Child A" or "Girl 1", an adult as "Unknown male", "N/K",
"Mum's partner" or "the taxi driver", and a description as "Asian male". Two reports that both say "Child Q" are
no more about one child than two that say nothing, and a description by ethnicity or religion must never make
two people one. A name that is one of these is treated as no name at all: matching, batch resolution (Splink)
and blocking see nothing (`person.features`). A name part that is one ("Baby Smith", "Unknown Khan") is dropped
and the rest kept.

Where the list comes from: the forms of words in serious case reviews, child safeguarding practice reviews and
police intelligence logs for people not (or not yet) identified: a role or sex and a letter or number ("Child
Q", "Suspect 1", "Female 2"); unknowns ("N/K", "not known", "UNK", "XX"); family roles, alone or of someone else
("Mum", "Father", "Mum's partner"); and descriptions (an age, build, ethnicity or religion, and a sex or a role:
"Asian male", "older white female", "the driver"). The examples the issue gives are tested one by one.

How to add to it: put the word in the set it belongs to below (a role, a relation, a descriptive word, an origin
or religion, an unknown), or a whole phrase in `PHRASES`; add it to `PLACEHOLDERS` in the tests, and a real name
that begins the same way to `REAL_NAMES` there, so that the test of every entry shows it is recognised and the
names beside it are not. Words are compared after folding case, accents, punctuation and spacing ("CHILD-Q",
"child  q" and "Child Q" are one), and only whole phrases are placeholders: "Childs", "Mumtaz" and "Drivers"
are names.
"""

import functools
import re
import unicodedata

# A person's role or sex, as written where the name should be ("Child", "Suspect", "Male").
ROLES = frozenset(
    {
        "adult", "associate", "baby", "boy", "boys", "child", "children", "female", "females", "friend",
        "girl", "girls", "individual", "infant", "juvenile", "kid", "lad", "lads", "lady", "male",
        "males", "man", "men", "nominal", "offender", "passenger", "person", "perpetrator", "perp", "stranger",
        "subject", "suspect", "teen", "teenager", "victim", "witness", "woman", "women", "youth", "youths",
        "yp", "young person", "bloke", "gentleman", "gent", "driver", "taxi driver", "cab driver",
        "uber driver", "delivery driver", "shopkeeper", "worker", "owner", "manager", "unborn", "unborn baby", "minor", "resident", "occupant", "householder",
    }
)  # fmt: skip
# Family and household roles: "Mum", "Mum's partner", "her boyfriend".
RELATIONS = frozenset(
    {
        "mum", "mom", "mummy", "mother", "dad", "daddy", "father", "parent", "parents", "step dad",
        "stepdad", "step father", "stepfather", "step mum", "stepmum", "step mother", "stepmother", "carer",
        "foster carer", "guardian", "nana", "gran", "granny", "grandma", "grandmother", "grandad", "granddad",
        "grandfather", "grandparent", "aunt", "auntie", "aunty", "uncle", "cousin", "brother", "sister",
        "sibling", "half brother", "half sister", "boyfriend", "girlfriend", "partner", "husband", "wife",
        "ex partner", "ex", "lodger", "neighbour", "friend", "family friend", "daughter", "grandson",
        "granddaughter", "grandchild", "nephew", "niece",
    }
)  # fmt: skip
# How someone looked: age, build, hair; never a name on its own.
DESCRIPTIVE = frozenset(
    {
        "young", "younger", "old", "older", "elderly", "middle aged", "teenage", "tall", "short", "big",
        "large", "small", "fat", "thin", "slim", "skinny", "stocky", "bald", "bearded", "ginger", "blonde",
        "blond", "dark haired", "fair haired", "dark skinned", "light skinned", "well dressed", "masked",
    }
)  # fmt: skip
# Ethnicity, nationality and religion as descriptions ("Asian male"): never evidence, alone or with a role.
ORIGINS = frozenset(
    {
        "asian", "white", "black", "brown", "mixed", "mixed race", "dual heritage", "british", "english",
        "scottish", "welsh", "irish", "european", "eastern european", "east european", "pakistani",
        "bangladeshi", "indian", "kashmiri", "chinese", "arab", "arabic", "middle eastern", "african",
        "caribbean", "somali", "kurdish", "albanian", "romanian", "polish", "turkish", "afghan", "iraqi",
        "iranian", "syrian", "eritrean", "sudanese", "vietnamese", "traveller", "roma", "gypsy", "muslim",
        "sikh", "hindu", "jewish", "christian", "foreign",
    }
)  # fmt: skip
# Words that say the name is not known, alone or before a description ("Unknown male", "unidentified driver").
UNKNOWNS = frozenset(
    {
        "unknown", "unk", "nk", "n k", "not known", "not stated", "not given", "no name", "none", "anon",
        "anonymous", "unnamed", "unidentified", "tbc", "tba", "na", "n a", "x", "xx", "xxx", "redacted",
        "withheld", "name unknown", "surname unknown", "another", "other",
    }
)  # fmt: skip
# Origins that are also common surnames ("Mr White", "Young"): a description only beside a role ("white male").
SURNAMES_TOO = frozenset({"white", "black", "brown", "english", "welsh", "scottish", "irish", "british"})
# Name parts that stand for a name not known, dropped wherever they are ("Baby Smith", "Unknown Khan").
NOT_A_NAME_PART = UNKNOWNS | {"baby", "infant", "unborn", "child"}
# Role and relation words written as a given name for someone whose name was not taken ("Mother Moreno", "Minor
# Lopez", "Female Cooper", and in Spanish "Hijo Lopez" on a form): the family name is kept, the given name is none. Words that are also given
# names in some tradition ("Man", "Nana", "Guy", "Son") are left out: there they are names.
GIVEN_NAME_STANDINS = NOT_A_NAME_PART | {
    "mother", "mum", "mom", "mummy", "father", "dad", "daddy", "daughter", "grandchild", "grandson",
    "granddaughter", "nephew", "niece", "brother", "sister", "husband", "wife", "partner", "minor", "boy",
    "girl", "kid", "male", "female", "adult", "person", "woman", "lady", "gentleman", "gent", "friend",
    "resident", "occupant", "householder", "hijo", "hija",
}  # fmt: skip
# Whole phrases used as names for nobody in particular.
PHRASES = frozenset(
    {"john doe", "jane doe", "baby doe", "joe bloggs", "fred bloggs", "a n other", "person unknown"}
)
# Before a role or relation: "the driver", "her boyfriend", "child's mum", "victim's brother".
DETERMINERS = frozenset(
    {"the", "a", "an", "his", "her", "their", "my", "our", "your", "childs", "victims", "yps", "mr", "mrs", "ms",
     "miss"}
)  # fmt: skip
# A label after a role: a letter, a number, or both ("Child Q", "Girl 1", "Suspect 2b"), or a number in words.
_LABEL = r"(?:no |number )?(?:[a-z]|[0-9]{1,3}[a-z]?|[a-z][0-9]{1,3}|one|two|three|four|five|six)"


def _alternatives(words) -> str:
    # Longest first, so that "taxi driver" is tried before "driver".
    return "|".join(re.escape(word) for word in sorted(words, key=len, reverse=True))


_DET = rf"(?:(?:{_alternatives(DETERMINERS | UNKNOWNS)}) )*"
_ADJ = rf"(?:(?:{_alternatives(DESCRIPTIVE | ORIGINS)}) )*"
_PATTERN = re.compile(
    "|".join(
        [
            # "Child Q", "unknown Asian male 2", "the taxi driver", "older white female", "Mr X"
            rf"{_DET}{_ADJ}(?:{_alternatives(ROLES)})(?: {_LABEL})?",
            # "Mum", "Mum's partner", "her boyfriend's brother", "Father 2"
            rf"{_DET}(?:(?:{_alternatives(RELATIONS)})s? )*(?:{_alternatives(RELATIONS)})(?: {_LABEL})?",
            # "Asian", "tall Asian", "Muslim", "unknown", "N/K", "Mr X"
            rf"{_DET}(?:{_ADJ}(?:{_alternatives((ORIGINS - SURNAMES_TOO) | UNKNOWNS)}))?",
            # "Mr A", "Person unknown"
            rf"(?:{_alternatives(DETERMINERS)}) {_LABEL}",
            _alternatives(PHRASES),
        ]
    )
)
_NOT_WORD = re.compile(r"[^a-z0-9]+")
# Every placeholder begins with one of these words: a name that begins otherwise needs no pattern (most do not).
_FIRST_WORDS = frozenset(
    phrase.split()[0]
    for phrase in (
        *ROLES,
        *RELATIONS,
        *DESCRIPTIVE,
        *ORIGINS,
        *UNKNOWNS,
        *PHRASES,
        *DETERMINERS,
        *NOT_A_NAME_PART,
    )
)


def fold(text: str | None) -> str:
    """A name as compared here: lower case, accents off, apostrophes dropped ("mum's" is "mums"), and every other
    run of punctuation or space one space ("CHILD-Q" is "child q", "N/K" is "n k")."""
    if not text:
        return ""
    plain = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode().lower()
    plain = plain.replace("'", "")
    return _NOT_WORD.sub(" ", plain).strip()


@functools.lru_cache(maxsize=65536)
def is_placeholder(name: str | None) -> bool:
    """Whether a name is a placeholder or a generic description (or nothing at all): no evidence of who it is."""
    folded = fold(name)
    if not folded:
        return True
    first = folded.split(" ", 1)[0]
    if first not in _FIRST_WORDS and first.removesuffix("s") not in _FIRST_WORDS:  # "mums partner"
        return False
    return bool(_PATTERN.fullmatch(folded))


def is_name_part_placeholder(part: str | None) -> bool:
    """Whether one part of a name (a given or a family name) stands for a name not known: "Baby", "Unknown"."""
    return fold(part) in NOT_A_NAME_PART


def is_given_name_placeholder(given: str | None) -> bool:
    """Whether a given name (or its first word) stands for one not taken: "Baby", "Mother", "Minor", "Female"."""
    folded = fold(given)
    return bool(folded) and (folded in GIVEN_NAME_STANDINS or folded.split(" ", 1)[0] in GIVEN_NAME_STANDINS)
