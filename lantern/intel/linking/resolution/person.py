"""The Fellegi-Sunter model of person mentions: features, blocking keys, comparisons and their levels.

Each comparison level is written twice, once as SQL for Splink (batch, on DuckDB or Spark) and once as a Python
predicate over the same precomputed features (real-time scoring), so that both score a pair the same way. Everything fuzzy that
can be precomputed per record is: cleaned names, canonical given names through the nickname table, phonetic codes,
the date of birth with day and month swapped, a birth year from a date of birth or a stated age, and the blocking
keys. What is left to compare pairwise is equality, Jaro-Winkler similarity and edit distance.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date

from lantern.intel.linking.resolution import names, placeholders

SEX_KNOWN = {"male": "m", "female": "f", "m": "m", "f": "f"}


def _iso(value) -> str | None:
    """A date (or an ISO date string, or 8 digits YYYYMMDD) as YYYY-MM-DD, or None."""
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value.isoformat()
    text = str(value).strip()
    if len(text) == 8 and text.isdigit():
        text = f"{text[:4]}-{text[4:6]}-{text[6:]}"
    if len(text) >= 10 and text[4] == "-" and text[7] == "-":
        try:
            return date(int(text[:4]), int(text[5:7]), int(text[8:10])).isoformat()
        except ValueError:
            # Impossible dates (FEBRL has them) are still evidence as written.
            return text[:10] if text[:4].isdigit() and text[5:7].isdigit() and text[8:10].isdigit() else None
    return None


def _int(value) -> int | None:
    try:
        return int(float(value)) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def _clean_code(value) -> str | None:
    text = "".join(ch for ch in str(value or "").upper() if ch.isalnum())
    return text or None


def features(record: dict) -> dict:
    """The features of one person mention, from whatever of its fields are known.

    `record` may have: unique_id, given_name, family_name, name (a full name, split when the parts are missing),
    nickname, date_of_birth, age, report_year, sex, address, postcode, id_number.

    A placeholder or generic description written as a name or nickname ("Child Q", "Unknown male", "Mum's
    partner", "Asian male") is no name at all, and a name part that stands for one not known ("Baby Smith") is
    dropped (`placeholders`): they are never evidence, in real time, in batch or in blocking.
    """
    given, family = _name_parts(record)
    family = family.replace(" ", "") if family else ""
    given = given.split()[0] if given else ""
    nickname = record.get("nickname")
    nickname = "" if placeholders.is_placeholder(nickname) else names.clean(nickname).replace(" ", "")
    dob = _iso(record.get("date_of_birth"))
    birth_year = int(dob[:4]) if dob and dob[:4].isdigit() else None
    age, report_year = _int(record.get("age")), _int(record.get("report_year"))
    if birth_year is None and age is not None and report_year is not None:
        birth_year = report_year - age
    dob_swap = f"{dob[:4]}-{dob[8:10]}-{dob[5:7]}" if dob and dob[5:7] != dob[8:10] else None
    sex = SEX_KNOWN.get(str(record.get("sex") or "").strip().lower())
    postcode = _clean_code(record.get("postcode"))
    address = names.clean_address(record.get("address")) or None
    forms = sorted({given} | names.FAMILIAR.get(given, set())) if given else []
    canonical = names.canonical(given) if given else ""
    given_ph, family_ph = names.phonetic(given), names.phonetic(family)
    by = str(birth_year) if birth_year is not None else ""
    keys = {
        # Both orders of the two names give one key, so that names written the other way round meet.
        "bk_name": ":".join(sorted((family_ph, given_ph))) if family_ph and given_ph else None,
        "bk_fc": f"{family_ph}:{canonical}" if family_ph and canonical else None,
        "bk_dob": f"{dob[:4]}:{'-'.join(sorted((dob[5:7], dob[8:10])))}" if dob else None,
        "bk_fy": f"{family_ph}:{by}" if family_ph and by else None,
        "bk_gy": f"{canonical}:{by}" if canonical and by else None,
        "bk_nick": nickname or None,
        # A full postcode holds a few households: alone it finds a mention whose names slipped or are missing.
        "bk_pc": postcode,
        # A slip in a given name seldom touches its first letter (a phonetic code may change throughout).
        "bk_fg": f"{family_ph}:{given[:1]}" if family_ph and given else None,
        "bk_ga": f"{canonical}:{address}" if canonical and address else None,
        "bk_fa": f"{family_ph}:{address}" if family_ph and address else None,
        "bk_id": _clean_code(record.get("id_number")),
    }
    return {
        "unique_id": record.get("unique_id"),
        "given": given or None,
        "family": family or None,
        "nickname": nickname or None,
        "given_forms": forms,
        "given_ph": given_ph or None,
        "family_ph": family_ph or None,
        "dob": dob,
        "dob_swap": dob_swap,
        "birth_year": birth_year,
        "has_dob": dob is not None,
        "sex": sex,
        "postcode": postcode,
        "pc_out": postcode[:-3] if postcode and len(postcode) > 4 else None,
        "address": address,
        "id_number": keys["bk_id"],
        **keys,
    }


def _name_parts(record: dict) -> tuple[str, str]:
    """(given, family), cleaned, with placeholders taken out."""
    given, family = names.clean(record.get("given_name")), names.clean(record.get("family_name"))
    if given or family:
        if placeholders.is_placeholder(f"{given} {family}"):
            return "", ""
    elif placeholders.is_placeholder(record.get("name")):
        return "", ""
    else:
        given, family = names.split_name(record.get("name"))
    return (
        "" if placeholders.is_given_name_placeholder(given) else given,
        "" if placeholders.is_name_part_placeholder(family) else family,
    )


BLOCKING_COLUMNS = (
    "bk_name",
    "bk_fc",
    "bk_fg",
    "bk_dob",
    "bk_fy",
    "bk_gy",
    "bk_nick",
    "bk_pc",
    "bk_ga",
    "bk_fa",
    "bk_id",
)


def blocking_keys(feats: dict) -> list[str]:
    """The blocking keys of a mention, as stored in the shared index: `<rule>:<value>`."""
    return [f"{column[3:]}:{feats[column]}" for column in BLOCKING_COLUMNS if feats.get(column)]


# Comparisons
def _jw(a, b) -> float:
    return names.jaro_winkler(a or "", b or "")


def _lev(a, b) -> int:
    import jellyfish

    return jellyfish.levenshtein_distance(a or "", b or "")


def _dlev(a, b) -> int:
    import jellyfish

    return jellyfish.damerau_levenshtein_distance(a or "", b or "")


# The SQL functions a level may use, by Splink's SQL dialect: DuckDB's own, and on Spark its built-ins and the
# similarity UDFs of the jar Splink ships (`splink.backends.spark.similarity_jar_location`). A level's SQL names
# them as `{jaro_winkler}` and so on, so that one model is written once and runs on either engine.
SQL_FUNCTIONS = {
    "duckdb": {
        "jaro_winkler": "jaro_winkler_similarity",
        "list_has_any": "list_has_any",
        "list_contains": "list_contains",
        "damerau_levenshtein": "damerau_levenshtein",
    },
    "spark": {
        "jaro_winkler": "jaro_winkler",
        "list_has_any": "arrays_overlap",
        "list_contains": "array_contains",
        "damerau_levenshtein": "damerau_levenshtein",
    },
}


@dataclass(frozen=True)
class Level:
    """One level of a comparison: its SQL for Splink, the same test in Python, and how to explain it."""

    label: str
    sql: str
    test: Callable[[dict, dict], bool]
    explain: str
    tf_column: str | None = None
    is_null: bool = False

    def sql_for(self, dialect: str) -> str:
        """The level's SQL in one of Splink's dialects (`SQL_FUNCTIONS`)."""
        return self.sql.format(**SQL_FUNCTIONS[dialect])


@dataclass(frozen=True)
class Comparison:
    """A comparison of one aspect of two mentions, through its levels (the first that holds applies)."""

    name: str
    columns: tuple[str, ...]
    levels: tuple[Level, ...] = field(default_factory=tuple)
    description: str = ""
    # A comparison that takes back evidence the others gave (`HOUSEHOLD`) rather than giving its own: its
    # weight is derived from theirs, never trained, and it is no disagreement between the two mentions.
    derived: bool = False

    def level_of(self, left: dict, right: dict) -> int:
        """The index of the first level whose test holds (the last, "else", level always holds)."""
        for index, level in enumerate(self.levels):
            if level.test(left, right):
                return index
        return len(self.levels) - 1


def _null(column: str) -> Level:
    return Level(
        "missing",
        f"{column}_l IS NULL OR {column}_r IS NULL",
        lambda a, b, c=column: a.get(c) is None or b.get(c) is None,
        "",
        is_null=True,
    )


def _else() -> Level:
    return Level("different", "ELSE", lambda a, b: True, "{field} differs ('{left}' and '{right}')")


def _exact(column: str, explain: str, tf: bool = False) -> Level:
    return Level(
        "exact",
        f"{column}_l = {column}_r",
        lambda a, b, c=column: a.get(c) is not None and a.get(c) == b.get(c),
        explain,
        tf_column=column if tf else None,
    )


def _jaro(column: str, threshold: float, explain: str) -> Level:
    return Level(
        f"similar ({threshold})",
        f"{{jaro_winkler}}({column}_l, {column}_r) >= {threshold}",
        lambda a, b, c=column, t=threshold: _jw(a.get(c), b.get(c)) >= t,
        explain,
    )


def _swapped(explain: str) -> Level:
    """Given and family names written the other way round (each nearly the other's)."""
    return Level(
        "given and family swapped",
        "{jaro_winkler}(given_l, family_r) >= 0.9 AND {jaro_winkler}(family_l, given_r) >= 0.9",
        lambda a, b: (
            _jw(a.get("given"), b.get("family")) >= 0.9 and _jw(a.get("family"), b.get("given")) >= 0.9
        ),
        explain,
    )


GIVEN = Comparison(
    "given",
    ("given", "given_forms", "given_ph"),
    (
        _null("given"),
        _exact("given", "Same given name '{left}'", tf=True),
        Level(
            "familiar form",
            "{list_has_any}(given_forms_l, given_forms_r)",
            lambda a, b: bool(set(a["given_forms"]) & set(b["given_forms"])),
            "Given name '{left}' is a familiar form of '{right}'",
        ),
        _jaro("given", 0.92, "Given names '{left}' and '{right}' differ by a slip"),
        Level(
            "sounds alike",
            "given_ph_l = given_ph_r",
            lambda a, b: a.get("given_ph") is not None and a.get("given_ph") == b.get("given_ph"),
            "Given names '{left}' and '{right}' sound alike",
        ),
        _jaro("given", 0.85, "Given names '{left}' and '{right}' are alike"),
        _swapped("Given name '{left}' was written as the family name"),
        _else(),
    ),
    "Given name",
)

FAMILY = Comparison(
    "family",
    ("family", "family_ph"),
    (
        _null("family"),
        _exact("family", "Same family name '{left}'", tf=True),
        _jaro("family", 0.92, "Family names '{left}' and '{right}' differ by a slip"),
        Level(
            "sounds alike",
            "family_ph_l = family_ph_r",
            lambda a, b: a.get("family_ph") is not None and a.get("family_ph") == b.get("family_ph"),
            "Family names '{left}' and '{right}' sound alike",
        ),
        _jaro("family", 0.85, "Family names '{left}' and '{right}' are alike"),
        _swapped("Family name '{left}' was written as the given name"),
        _else(),
    ),
    "Family name",
)

NICKNAME = Comparison(
    "nickname",
    ("nickname", "given_forms"),
    (
        Level(
            "missing",
            "(nickname_l IS NULL AND nickname_r IS NULL) OR "
            "((nickname_l IS NULL OR nickname_r IS NULL) AND "
            "NOT (coalesce({list_contains}(given_forms_l, nickname_r), false) "
            "OR coalesce({list_contains}(given_forms_r, nickname_l), false)))",
            lambda a, b: (
                (a.get("nickname") is None and b.get("nickname") is None)
                or (
                    (a.get("nickname") is None or b.get("nickname") is None)
                    and not (b.get("nickname") in a["given_forms"] or a.get("nickname") in b["given_forms"])
                )
            ),
            "",
            is_null=True,
        ),
        _exact("nickname", "Same nickname '{left}'", tf=True),
        Level(
            "nickname is a name",
            "coalesce({list_contains}(given_forms_l, nickname_r), false) "
            "OR coalesce({list_contains}(given_forms_r, nickname_l), false)",
            lambda a, b: (
                (b.get("nickname") is not None and b["nickname"] in a["given_forms"])
                or (a.get("nickname") is not None and a["nickname"] in b["given_forms"])
            ),
            "Nickname matches the other's given name ('{left}' and '{right}')",
        ),
        _else(),
    ),
    "Nickname",
)

BIRTH = Comparison(
    "birth",
    ("dob", "dob_swap", "birth_year", "has_dob"),
    (
        _null("birth_year"),
        _exact("dob", "Same date of birth {left}", tf=False),
        Level(
            "day and month swapped",
            "dob_swap_l = dob_r",
            lambda a, b: a.get("dob_swap") is not None and a.get("dob_swap") == b.get("dob"),
            "Date of birth with day and month swapped ({left} and {right})",
        ),
        Level(
            "one slip",
            "has_dob_l AND has_dob_r AND levenshtein(dob_l, dob_r) <= 1",
            lambda a, b: bool(a["has_dob"] and b["has_dob"] and _lev(a["dob"], b["dob"]) <= 1),
            "Dates of birth differ by one digit ({left} and {right})",
        ),
        # Two slips of one date (a day either side) still share the month; dates in one year share little more.
        Level(
            "same month",
            "has_dob_l AND has_dob_r AND substr(dob_l, 1, 7) = substr(dob_r, 1, 7)",
            lambda a, b: bool(a["has_dob"] and b["has_dob"] and a["dob"][:7] == b["dob"][:7]),
            "Dates of birth in the same month ({left} and {right})",
        ),
        Level(
            "same year",
            "has_dob_l AND has_dob_r AND birth_year_l = birth_year_r",
            lambda a, b: bool(a["has_dob"] and b["has_dob"] and a["birth_year"] == b["birth_year"]),
            "Dates of birth in the same year ({left} and {right})",
        ),
        # An age gives the birth year or the year before (birthday not yet reached): the same year counts for
        # more.
        Level(
            "age gives the same year",
            "NOT (has_dob_l AND has_dob_r) AND birth_year_l = birth_year_r",
            lambda a, b: not (a["has_dob"] and b["has_dob"]) and a["birth_year"] == b["birth_year"],
            "Ages agree (born in {left} and {right})",
        ),
        Level(
            "age agrees",
            "NOT (has_dob_l AND has_dob_r) AND abs(birth_year_l - birth_year_r) <= 1",
            lambda a, b: not (a["has_dob"] and b["has_dob"]) and abs(a["birth_year"] - b["birth_year"]) <= 1,
            "Ages agree (born about {left} and {right})",
        ),
        Level(
            "age roughly agrees",
            "NOT (has_dob_l AND has_dob_r) AND abs(birth_year_l - birth_year_r) <= 5",
            lambda a, b: not (a["has_dob"] and b["has_dob"]) and abs(a["birth_year"] - b["birth_year"]) <= 5,
            "Ages roughly agree (born about {left} and {right})",
        ),
        Level("different", "ELSE", lambda a, b: True, "Dates of birth or ages differ ({left} and {right})"),
    ),
    "Date of birth or age",
)

SEX = Comparison(
    "sex",
    ("sex",),
    (
        _null("sex"),
        _exact("sex", "Same sex"),
        _else(),
    ),
    "Sex",
)

POSTCODE = Comparison(
    "postcode",
    ("postcode", "pc_out"),
    (
        _null("postcode"),
        _exact("postcode", "Same postcode {left}", tf=True),
        Level(
            "same district",
            "pc_out_l = pc_out_r",
            lambda a, b: a.get("pc_out") is not None and a.get("pc_out") == b.get("pc_out"),
            "Postcodes in the same district ({left} and {right})",
        ),
        _else(),
    ),
    "Postcode",
)

ADDRESS = Comparison(
    "address",
    ("address",),
    (
        _null("address"),
        _exact("address", "Same address '{left}'", tf=True),
        _jaro("address", 0.9, "Addresses '{left}' and '{right}' are nearly the same"),
        _else(),
    ),
    "Address",
)

ID_NUMBER = Comparison(
    "id_number",
    ("id_number",),
    (
        _null("id_number"),
        _exact("id_number", "Same identifying number {left}"),
        Level(
            "one slip",
            "{damerau_levenshtein}(id_number_l, id_number_r) <= 1",
            lambda a, b: _dlev(a["id_number"], b["id_number"]) <= 1,
            "Identifying numbers differ by one character ({left} and {right})",
        ),
        _else(),
    ),
    "Identifying number",
)

# Twins, siblings, a parent and child, and couples share a family name and an address, twins a date of birth
# too, and a form filled in for one member of a household may carry another's identifying number. Weighed one by
# one as if independent, what they share outweighs the one thing that tells them apart. So two mentions look like
# two people of one household when
# - their given names are both known, more than initials, and disagree (not the same, a familiar form, a slip
#   (alike, or one letter out: "Rllie" for "Ellie") or a sound-alike), and they share an address (the same or nearly: twins, siblings, a couple, lodgers) or a
#   family name and a date of birth (twins who live apart);
# - a given name is missing, they share a family name and an address but no identifying number, and their dates
#   of birth or numbers disagree (dates not the same, swapped or one digit apart; numbers more than one slip
#   apart);
# and then what a household shares is taken back (`model.with_household` derives the weights from the trained
# model): the family name, the address, and one more thing a member may share (a date of birth, as twins do, or
# an identifying number copied onto another's form). Both a date of birth and a number shared beyond the name
# and address are evidence of one person, and stand.
_SHARED = {
    "family": "coalesce(family_l = family_r, false)",
    "address": "coalesce({jaro_winkler}(address_l, address_r) >= 0.9, false)",
    "dob": "coalesce(dob_l = dob_r, false)",
    "id_number": "coalesce(id_number_l = id_number_r, false)",
}
_GIVEN_DISAGREE_SQL = (
    "length(given_l) > 1 AND length(given_r) > 1 AND NOT (given_l = given_r "
    "OR {list_has_any}(given_forms_l, given_forms_r) OR {jaro_winkler}(given_l, given_r) >= 0.92 "
    "OR {damerau_levenshtein}(given_l, given_r) <= 1 OR coalesce(given_ph_l = given_ph_r, false))"
)
_APART_SQL = (
    "(has_dob_l AND has_dob_r AND dob_l <> dob_r AND coalesce(dob_swap_l <> dob_r, true) "
    "AND levenshtein(dob_l, dob_r) > 1) "
    "OR coalesce({damerau_levenshtein}(id_number_l, id_number_r) > 1, false)"
)
HOUSEHOLD_SQL = (
    f"({_GIVEN_DISAGREE_SQL} AND ({_SHARED['address']} OR ({_SHARED['family']} AND {_SHARED['dob']}))) "
    f"OR ((given_l IS NULL OR given_r IS NULL) AND {_SHARED['family']} AND {_SHARED['address']} "
    f"AND NOT {_SHARED['id_number']} AND ({_APART_SQL}))"
)


def _shares(a: dict, b: dict, column: str) -> bool:
    """Whether two mentions share a value: the same, or for an address nearly the same."""
    if column == "address":
        return a.get(column) is not None and b.get(column) is not None and _jw(a[column], b[column]) >= 0.9
    return a.get(column) is not None and a.get(column) == b.get(column)


def given_names_disagree(a: dict, b: dict) -> bool:
    """Whether two mentions' given names are both known, more than an initial, and neither the same, nor a
    familiar form of one another, nor a slip (alike, or one letter out wherever it is), nor alike in sound."""
    given_a, given_b = a.get("given"), b.get("given")
    if given_a is None or given_b is None or len(given_a) < 2 or len(given_b) < 2:
        return False
    return not (
        given_a == given_b
        or set(a["given_forms"]) & set(b["given_forms"])
        or _jw(given_a, given_b) >= 0.92
        or _dlev(given_a, given_b) <= 1
        or (a.get("given_ph") is not None and a.get("given_ph") == b.get("given_ph"))
    )


def born_or_numbered_apart(a: dict, b: dict) -> bool:
    """Whether two mentions' dates of birth are both known and neither the same, nor swapped, nor one digit
    apart, or their identifying numbers are both known and more than one slip apart."""
    dates = bool(
        a["has_dob"]
        and b["has_dob"]
        and a["dob"] != b["dob"]
        and a.get("dob_swap") != b["dob"]
        and _lev(a["dob"], b["dob"]) > 1
    )
    numbers = a.get("id_number") is not None and b.get("id_number") is not None
    return dates or (numbers and _dlev(a["id_number"], b["id_number"]) > 1)


def one_household_two_people(a: dict, b: dict) -> bool:
    """Whether two mentions look like two people of one household (`HOUSEHOLD`)."""
    family, address = _shares(a, b, "family"), _shares(a, b, "address")
    if given_names_disagree(a, b):
        return address or (family and _shares(a, b, "dob"))
    given_missing = a.get("given") is None or b.get("given") is None
    return (
        given_missing
        and family
        and address
        and not _shares(a, b, "id_number")
        and born_or_numbered_apart(a, b)
    )


_WORDS = {
    "family": "family name",
    "address": "address",
    "dob": "date of birth",
    "id_number": "identifying number",
}


def _household_level(shared: tuple[str, ...], last: bool = False) -> Level:
    """A level of `HOUSEHOLD`: the two share exactly these of family name, address, date of birth and number
    (the levels before it took the pairs that share more)."""
    words = [_WORDS[column] for column in shared]
    listed = words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"
    return Level(
        "shares " + ", ".join(shared),
        "ELSE" if last else " AND ".join(_SHARED[column] for column in shared),
        lambda a, b, s=shared: all(_shares(a, b, column) for column in s),
        f"Two people of one household, it seems: the same {listed}, but given names, dates of birth or "
        "numbers that tell them apart, so what a household shares is not counted",
    )


HOUSEHOLD = Comparison(
    "household",
    ("family", "given", "given_forms", "given_ph", "address", "dob", "dob_swap", "has_dob", "id_number"),
    (
        Level(
            "not two people of one household",
            f"NOT coalesce(({HOUSEHOLD_SQL}), false)",
            lambda a, b: not one_household_two_people(a, b),
            "",
            is_null=True,
        ),
        _household_level(("family", "address", "dob", "id_number")),
        _household_level(("family", "address", "dob")),
        _household_level(("family", "address", "id_number")),
        _household_level(("family", "address")),
        _household_level(("family", "dob", "id_number")),
        _household_level(("family", "dob")),
        _household_level(("address", "dob", "id_number")),
        _household_level(("address", "dob")),
        _household_level(("address", "id_number")),
        _household_level(("address",), last=True),
    ),
    "One household",
    derived=True,
)

COMPARISONS: tuple[Comparison, ...] = (GIVEN, FAMILY, NICKNAME, BIRTH, SEX, POSTCODE, ADDRESS, ID_NUMBER)
# Comparisons whose weights are derived from the trained ones, not trained themselves.
DERIVED: tuple[Comparison, ...] = (HOUSEHOLD,)
BY_NAME = {comparison.name: comparison for comparison in (*COMPARISONS, *DERIVED)}
# What each comparison shows as its two values in an explanation.
SHOWN = {
    "given": "given",
    "family": "family",
    "nickname": "nickname",
    "birth": "dob",
    "sex": "sex",
    "postcode": "postcode",
    "address": "address",
    "id_number": "id_number",
    "household": "family",
}


NOT_GIVEN = "not given"


def shown(comparison: str, feats: dict) -> str:
    """What an explanation shows of one mention for a comparison: a date of birth or else the birth year its age
    gives, a nickname or else the given name it was matched with; "" when there is nothing."""
    if comparison == "birth":
        value = feats.get("dob") or feats.get("birth_year")
    elif comparison == "nickname":
        value = feats.get("nickname") or feats.get("given")
    else:
        value = feats.get(SHOWN[comparison])
    return "" if value is None else str(value)


def comparisons_for(rows: Iterable[dict]) -> list[Comparison]:
    """The comparisons worth making on these records: those whose main column is known in at least two."""
    known = {c.name: 0 for c in COMPARISONS}
    for row in rows:
        for c in COMPARISONS:
            if row.get(c.columns[0]) is not None:
                known[c.name] += 1
    return [c for c in COMPARISONS if known[c.name] >= 2]


def splink_comparison(comparison: Comparison, dialect: str = "duckdb") -> dict:
    """The comparison as a Splink settings dict, its SQL in the dialect of the engine that runs it."""
    levels = []
    for level in comparison.levels:
        entry: dict = {"sql_condition": level.sql_for(dialect), "label_for_charts": level.label}
        if level.is_null:
            entry["is_null_level"] = True
        if level.tf_column:
            entry["tf_adjustment_column"] = level.tf_column
            entry["tf_adjustment_weight"] = 1.0
        levels.append(entry)
    return {
        "output_column_name": comparison.name,
        "comparison_description": comparison.description,
        "comparison_levels": levels,
    }
