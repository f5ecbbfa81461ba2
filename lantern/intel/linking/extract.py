"""Registration marks and phone numbers found in a report's narrative, as free-text mentions.

Candidates are found with deliberately narrow patterns and then checked by the normalisers, so that years
("2019"), times ("23:00", "11pm"), postcodes ("RT1 4AB"), road numbers ("the A14") and flat numbers ("Flat 4B") are
not taken for plates or phone numbers. Only full marks are extracted: a partial plate in prose ("it began AB1")
is too easily something else, and reporters can give it in the structured fields.
"""

import re
from dataclasses import dataclass

from lantern.core.normalise import normalise_phone, normalise_registration
from lantern.core.vocabulary import RegistrationStatus
from lantern.intel.linking.models import MentionOrigin, PhoneMention, VehicleMention

# The current format (AB12 CDE) is distinctive enough to find in any case. The older formats are found only in
# capitals, as plates are written: in lower case they collide with ordinary words ("apt 4b", "and 2a").
_CURRENT = r"(?i:[A-Z]{2}[0-9]{2}[ \-]?[A-Z]{3})"
_PREFIX = r"[A-Z][0-9]{1,3}[ \-]?[A-Z]{3}"
_SUFFIX = r"[A-Z]{3}[ \-]?[0-9]{1,3}[ \-]?[A-Z]"
# Northern Ireland: three letters whose last two are one of the NI codes (ABZ 1234, KIG 2345), not followed by
# more digits after a colon or point (a time, "ABZ 12:30").
_NI_CODES = "AZ|BZ|CZ|DZ|EZ|FZ|GZ|HZ|IA|IB|IG|IJ|IL|IW|JZ|KZ|LZ|MZ|NZ|OI|PZ|RZ|SZ|TZ|UI|UZ|VZ|WZ|XI|XZ|YZ"
_NORTHERN_IRELAND = rf"[A-Z](?:{_NI_CODES})[ \-]?[0-9]{{1,4}}(?![:.][0-9])"
# Other dateless marks (ABC 123, 1234 AB) are not searched for: road numbers, grades, flats and bus routes look
# exactly like them. One pattern, so each narrative is scanned once; at any position at most one format can match
# except suffix and Northern Ireland, where the longer (suffix) is tried first.
_REGISTRATION = re.compile(
    rf"(?<![A-Za-z0-9])(?:{_CURRENT}|{_PREFIX}|{_SUFFIX}|{_NORTHERN_IRELAND})(?![A-Za-z0-9])"
)

# A UK or international number: +44 or 0044 or a leading 0, or + and a country code, then digits with the usual
# separators. Numbers that start otherwise (reference numbers, dates, sums of money) are not considered.
_PHONE = re.compile(r"(?<![\w+])(?:\+[0-9]|00[0-9]|\(?0)[0-9 \-()]{7,18}[0-9](?![\w])")
_MIN_DIGITS = 9


@dataclass(frozen=True)
class Found:
    """Something found in the text: as written, normalised, and where."""

    raw: str
    normalised: str
    start: int
    end: int


def find_registrations(text: str) -> list[Found]:
    """Full UK registration marks in `text`, in order of appearance, each normalised mark once."""
    if not text:
        return []
    found: dict[str, Found] = {}
    for match in _REGISTRATION.finditer(text):
        registration = normalise_registration(match.group())
        if registration.status == RegistrationStatus.VALID:
            found.setdefault(
                registration.normalised,
                Found(
                    raw=match.group(),
                    normalised=registration.normalised,
                    start=match.start(),
                    end=match.end(),
                ),
            )
    return sorted(found.values(), key=lambda f: f.start)


def find_phones(text: str) -> list[Found]:
    """Valid phone numbers in `text` (E.164), in order of appearance, each number once."""
    if not text:
        return []
    found: dict[str, Found] = {}
    for match in _PHONE.finditer(text):
        raw, phone = _longest_valid_phone(match.group())
        if phone is not None:
            found.setdefault(
                phone.e164,
                Found(raw=raw, normalised=phone.e164, start=match.start(), end=match.start() + len(raw)),
            )
    return sorted(found.values(), key=lambda f: f.start)


def _longest_valid_phone(candidate: str):
    """The longest valid number at the start of `candidate`, dropping trailing groups ("07700 900982 22 times")."""
    groups = candidate.split(" ")
    while groups:
        raw = " ".join(groups).rstrip(" -(")
        if sum(c.isdigit() for c in raw) < _MIN_DIGITS:
            break
        phone = normalise_phone(raw)
        if phone.valid:
            return raw, phone
        groups.pop()
    return "", None


def vehicle_mentions(text: str, *, exclude: set[str] | frozenset[str] = frozenset()) -> list[VehicleMention]:
    """Unsaved free-text vehicle mentions for the marks in `text`, leaving out normalised marks in `exclude`."""
    return [
        VehicleMention(
            origin=MentionOrigin.FREE_TEXT,
            registration=f.raw[:20],
            registration_normalised=f.normalised,
            registration_partial=False,
        )
        for f in find_registrations(text)
        if f.normalised not in exclude
    ]


def phone_mentions(text: str, *, exclude: set[str] | frozenset[str] = frozenset()) -> list[PhoneMention]:
    """Unsaved free-text phone mentions for the numbers in `text`, leaving out E.164 numbers in `exclude`."""
    return [
        PhoneMention(origin=MentionOrigin.FREE_TEXT, number=f.raw[:40], number_e164=f.normalised)
        for f in find_phones(text)
        if f.normalised not in exclude
    ]
