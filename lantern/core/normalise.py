"""Normalised forms of vehicle registration marks and phone numbers, used for storage and matching.

A report says what its author saw, as they wrote it; the normalised form is what matching compares. Registration
marks are tolerant of partial sightings ("AB12 C??") because a partial plate is still evidence, but anything that
cannot be a plate at all is refused so that a typing slip is caught while the reporter is still there to fix it.
"""

import functools
import re
from dataclasses import dataclass

import phonenumbers

REGISTRATION_ERROR = "Enter a registration mark like AB12 CDE, or the part you saw"
PHONE_ERROR = "Enter a phone number, like 07700 900982 or +44 20 7946 0958"

REGISTRATION_MAX_LENGTH = 8
PHONE_MAX_LENGTH = 40
UNKNOWN = "?"

# The full formats of UK marks, with spaces and hyphens removed.
REGISTRATION_FORMATS = {
    "current": re.compile(r"[A-Z]{2}[0-9]{2}[A-Z]{3}"),  # AB12 CDE (2001 onwards)
    "prefix": re.compile(r"[A-Z][0-9]{1,3}[A-Z]{3}"),  # A123 BCD (1983-2001)
    "suffix": re.compile(r"[A-Z]{3}[0-9]{1,3}[A-Z]"),  # ABC 123D (1963-1983)
    "dateless": re.compile(r"[A-Z]{1,3}[0-9]{1,4}|[0-9]{1,4}[A-Z]{1,3}"),  # ABC 123, 1234 AB; also Northern
    # Ireland's ABZ 1234, which has the same shape
}
_SEPARATORS = re.compile(r"[\s\-]+")
_ALLOWED = re.compile(r"[A-Za-z0-9?*]+")

# Ofcom reserves these ranges for drama and examples. libphonenumber calls them unallocated, but synthetic data
# (and training material) uses them, so they are accepted. Each is an E.164 prefix of a 12-digit number.
DRAMA_PREFIXES = ("+447700900", "+441632960", "+448081570", "+449098790", "+443069990")


@dataclass(frozen=True)
class Registration:
    """A registration mark: its normalised form, whether it is only part of a mark, and whether it can be one."""

    normalised: str
    partial: bool
    valid: bool

    @property
    def format(self) -> str:
        """Which full UK format the mark has ("current", "prefix", "suffix", "dateless"), or "" if none."""
        if not self.valid or self.partial:
            return ""
        return next(
            name for name, pattern in REGISTRATION_FORMATS.items() if pattern.fullmatch(self.normalised)
        )


INVALID_REGISTRATION = Registration(normalised="", partial=False, valid=False)


@functools.lru_cache(maxsize=65536)
def normalise_registration(raw: str | None) -> Registration:
    """Uppercase a mark and remove spaces and hyphens; `?` or `*` stand for characters not seen.

    A mark in one of the full UK formats is valid and complete. Letters, digits and unknown characters that make
    no full format (too short, or with unknowns) are a valid partial mark. Anything else, more than eight
    characters, or nothing at all is invalid. Letter O and digit 0, letter I and digit 1 are kept as written:
    which one the witness saw is evidence, and matching allows for the confusion instead.
    """
    if not isinstance(raw, str):
        return INVALID_REGISTRATION
    compact = _SEPARATORS.sub("", raw)
    if not compact or len(compact) > REGISTRATION_MAX_LENGTH or not _ALLOWED.fullmatch(compact):
        return INVALID_REGISTRATION
    normalised = compact.upper().replace("*", UNKNOWN)
    complete = UNKNOWN not in normalised and any(
        p.fullmatch(normalised) for p in REGISTRATION_FORMATS.values()
    )
    return Registration(normalised=normalised, partial=not complete, valid=True)


def format_registration(normalised: str) -> str:
    """A normalised mark written the usual way, with its space: AB12CDE → AB12 CDE, ABC123D → ABC 123D."""
    if len(normalised) == 7 and REGISTRATION_FORMATS["current"].fullmatch(normalised):
        return f"{normalised[:4]} {normalised[4:]}"
    if REGISTRATION_FORMATS["prefix"].fullmatch(normalised):
        return f"{normalised[:-3]} {normalised[-3:]}"
    if REGISTRATION_FORMATS["suffix"].fullmatch(normalised):
        return f"{normalised[:3]} {normalised[3:]}"
    match = re.fullmatch(r"([A-Z]{1,3})([0-9]{1,4})|([0-9]{1,4})([A-Z]{1,3})", normalised)
    if match:
        return " ".join(part for part in match.groups() if part)
    return normalised


@dataclass(frozen=True)
class Phone:
    """A phone number in E.164 (empty when invalid)."""

    e164: str
    valid: bool


INVALID_PHONE = Phone(e164="", valid=False)


def _is_drama_number(e164: str) -> bool:
    return len(e164) == 13 and e164.startswith(DRAMA_PREFIXES)


@functools.lru_cache(maxsize=65536)
def normalise_phone(raw: str | None, region: str = "GB") -> Phone:
    """A phone number in E.164, read as a UK number unless it starts with + or 00 and a country code."""
    if not isinstance(raw, str):
        return INVALID_PHONE
    text = raw.strip()
    if not text or len(text) > PHONE_MAX_LENGTH or not re.search(r"\d", text):
        return INVALID_PHONE
    if text.startswith("00"):
        text = "+" + text[2:]
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return INVALID_PHONE
    if number.extension:
        # "07700 900982 ext 12" is a number plus something else; refuse it rather than drop part of it.
        return INVALID_PHONE
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    # Checking against the default region first is much faster than finding the region, and almost always enough.
    if (
        phonenumbers.is_valid_number_for_region(number, region)
        or phonenumbers.is_valid_number(number)
        or _is_drama_number(e164)
    ):
        return Phone(e164=e164, valid=True)
    return INVALID_PHONE


def format_phone(e164: str) -> str:
    """An E.164 number written for reading: national format for UK numbers, international otherwise."""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    style = (
        phonenumbers.PhoneNumberFormat.NATIONAL
        if number.country_code == 44
        else (phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    )
    return phonenumbers.format_number(number, style)


def registration_or_error(raw: str) -> Registration:
    """The normalised mark, or ValueError with the message a reporter sees (for forms and API schemas)."""
    registration = normalise_registration(raw)
    if not registration.valid:
        raise ValueError(REGISTRATION_ERROR)
    return registration


def phone_or_error(raw: str) -> Phone:
    """The number in E.164, or ValueError with the message a reporter sees (for forms and API schemas)."""
    phone = normalise_phone(raw)
    if not phone.valid:
        raise ValueError(PHONE_ERROR)
    return phone
