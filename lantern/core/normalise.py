"""Normalised forms of vehicle registration marks and phone numbers, used for storage and matching.

A report says what its author saw, as they wrote it; the normalised form is what matching compares, and a status
says what kind of identifier it is. Nothing about a suspect's or a vehicle's identifier is ever refused: a partial
sighting ("AB12 C??", "079111234"), a foreign plate ("WOB-ZK 295"), or a real-looking number that is not
allocated ("07700 934567") is still evidence, so it is kept and marked, and matching weighs it accordingly. Only
what someone gives as their own contact number may be checked strictly (`phone_or_error`).
"""

import functools
import re
import unicodedata
from dataclasses import dataclass

import phonenumbers

from lantern.core.vocabulary import PhoneStatus, RegistrationStatus

PHONE_ERROR = "Enter a phone number, like 07700 900982 or +44 20 7946 0958"

REGISTRATION_MAX_LENGTH = 10  # letters, digits and unknowns: the longest plates in Europe have 9 or 10
PHONE_MAX_LENGTH = 40
# Fewer digits than this is not enough to match on: kept as written, but no identifier is made of it.
PHONE_MIN_DIGITS = 6
# E.164 allows 15 digits with the country code: more (after an international or national prefix) is not one number.
PHONE_MAX_DIGITS = 15
UNKNOWN = "?"

# The full formats of UK marks, with spaces and hyphens removed.
REGISTRATION_FORMATS = {
    "current": re.compile(r"[A-Z]{2}[0-9]{2}[A-Z]{3}"),  # AB12 CDE (2001 onwards)
    "prefix": re.compile(r"[A-Z][0-9]{1,3}[A-Z]{3}"),  # A123 BCD (1983-2001)
    "suffix": re.compile(r"[A-Z]{3}[0-9]{1,3}[A-Z]"),  # ABC 123D (1963-1983)
    "dateless": re.compile(r"[A-Z]{1,3}[0-9]{1,4}|[0-9]{1,4}[A-Z]{1,3}"),  # ABC 123, 1234 AB; also Northern
    # Ireland's ABZ 1234, which has the same shape
}
# Foreign formats that no UK format can be, with spaces and hyphens removed. Not every country's: a mark in none
# of these or the UK's is kept as non-standard, and matched just the same.
FOREIGN_FORMATS = {
    "france": re.compile(r"[A-Z]{2}[0-9]{3}[A-Z]{2}"),  # AB-123-CD (since 2009)
    "belgium": re.compile(r"[0-9][A-Z]{3}[0-9]{3}"),  # 1-ABC-123 (since 2010)
    "ireland": re.compile(r"[0-9]{2,3}[A-Z]{1,2}[0-9]{1,6}"),  # 12-D-12345, 191-KY-123
    "germany": re.compile(
        r"[A-Z]{4,5}[0-9]{1,4}[EH]?"
    ),  # WOB-ZK 295 (with fewer letters it is read as below)
}
# A German mark as written, with the hyphen after the district ("B-MW 1234"): compacted, it could be a UK one.
_GERMAN_LAYOUT = re.compile(r"[A-Z]{1,3}-[A-Z]{1,2}\s?[0-9]{1,4}[EH]?")
_NOT_MARK = re.compile(r"[^A-Z0-9?]+")
# Shorter than a current UK mark and in no format: part of a mark.
_WHOLE_MARK_LENGTH = 7

# Ofcom reserves these ranges for drama and examples. libphonenumber calls them unallocated, but synthetic data
# (and training material) uses them, so they are accepted as valid. Each is an E.164 prefix of a 12-digit number.
DRAMA_PREFIXES = ("+447700900", "+441632960", "+448081570", "+449098790", "+443069990")


def _without_accents(text: str) -> tuple[str, bool]:
    """The text with accents taken off its letters (MÜ → MU), and whether there were any."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return plain, plain != decomposed


@dataclass(frozen=True)
class Registration:
    """A registration mark: its normalised form (uppercase letters, digits and ? for unseen) and its status."""

    normalised: str
    status: str

    @property
    def partial(self) -> bool:
        """Whether it is only part of a mark."""
        return self.status == RegistrationStatus.PARTIAL

    @property
    def usable(self) -> bool:
        """Whether there is anything to match on (every status but unusable)."""
        return self.status != RegistrationStatus.UNUSABLE

    @property
    def valid(self) -> bool:
        """Whether it can be a mark at all, whole or partial (as `usable`; callers that need a full UK mark ask
        for `status == RegistrationStatus.VALID`)."""
        return self.usable

    @property
    def format(self) -> str:
        """Which full UK format the mark has ("current", "prefix", "suffix", "dateless"), or "" if none."""
        if self.status != RegistrationStatus.VALID:
            return ""
        return next(
            name for name, pattern in REGISTRATION_FORMATS.items() if pattern.fullmatch(self.normalised)
        )


UNUSABLE_REGISTRATION = Registration(normalised="", status=RegistrationStatus.UNUSABLE)


@functools.lru_cache(maxsize=65536)
def normalise_registration(raw: str | None) -> Registration:
    """Uppercase a mark, take accents off its letters and keep only letters, digits and `?` or `*` (characters not
    seen); then say what it is.

    With an unseen character, or shorter than a full UK mark and in no format, it is partial; in a full UK format,
    valid; in a known foreign format (or with letters a UK plate never has, such as Ü), foreign; otherwise
    non-standard. More than ten characters, or no letter or digit, is unusable: kept as written, never matched.
    Letter O and digit 0, letter I and digit 1 are kept as written: which one the witness saw is evidence, and
    matching allows for the confusion instead.
    """
    if not isinstance(raw, str):
        return UNUSABLE_REGISTRATION
    text, accented = _without_accents(raw.upper())
    text = text.replace("*", UNKNOWN)
    normalised = _NOT_MARK.sub("", text)
    if len(normalised) > REGISTRATION_MAX_LENGTH or not normalised.strip(UNKNOWN):
        return UNUSABLE_REGISTRATION
    return Registration(normalised=normalised, status=_registration_status(normalised, text, accented))


def _registration_status(normalised: str, written: str, accented: bool) -> str:
    if UNKNOWN in normalised:
        return RegistrationStatus.PARTIAL
    if any(pattern.fullmatch(normalised) for pattern in REGISTRATION_FORMATS.values()):
        return (
            RegistrationStatus.FOREIGN
            if accented or _GERMAN_LAYOUT.fullmatch(written.strip())
            else RegistrationStatus.VALID
        )
    if accented or any(pattern.fullmatch(normalised) for pattern in FOREIGN_FORMATS.values()):
        return RegistrationStatus.FOREIGN
    if len(normalised) < _WHOLE_MARK_LENGTH:
        return RegistrationStatus.PARTIAL
    return RegistrationStatus.NON_STANDARD


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
    """A phone number: its normalised form and its status.

    A whole number (valid or not allocated) is normalised to E.164. Part of a number is normalised to its digits
    as written, with its marker: a leading 0 (national) or + (international, for + or 00); "" when unusable.
    """

    normalised: str
    status: str

    @property
    def e164(self) -> str:
        """The number in E.164, for a whole number (valid or not allocated); else ""."""
        whole = self.status in (PhoneStatus.VALID, PhoneStatus.NOT_ALLOCATED)
        return self.normalised if whole else ""

    @property
    def valid(self) -> bool:
        """Whether it is a whole, allocated number (or one in a drama range)."""
        return self.status == PhoneStatus.VALID

    @property
    def usable(self) -> bool:
        """Whether there is anything to match on (every status but unusable)."""
        return self.status != PhoneStatus.UNUSABLE


UNUSABLE_PHONE = Phone(normalised="", status=PhoneStatus.UNUSABLE)


def _is_drama_number(e164: str) -> bool:
    return len(e164) == 13 and e164.startswith(DRAMA_PREFIXES)


def _digits(text: str) -> str:
    """The decimal digits in `text`, in any script, as ASCII."""
    return "".join(str(unicodedata.decimal(ch)) for ch in text if ch.isdecimal())


def _as_written(text: str, digits: str) -> str:
    """Part of a number as written: its digits, after + for an international one (written + or 00)."""
    if text.startswith("+"):
        return "+" + digits
    if digits.startswith("00"):
        return "+" + digits[2:]
    return digits


@functools.lru_cache(maxsize=65536)
def normalise_phone(raw: str | None, region: str = "GB") -> Phone:
    """A phone number normalised and marked, read as a UK number unless it starts with + or 00 and a country code.

    Valid: a whole number that is allocated (or in a drama range), in E.164. Not allocated: a whole number of a
    possible length that no operator has (such as 07700 934567), in E.164. Partial: too few digits for a whole
    number, or one that cannot be read as one, as its digits as written. Unusable: fewer than six digits, or more
    than one number's worth. An extension ("ext 12") is left out of the normalised form; the text keeps it.
    """
    if not isinstance(raw, str):
        return UNUSABLE_PHONE
    text = raw.strip()
    digits = _digits(text)
    significant = digits[2:] if digits.startswith("00") else digits.removeprefix("0")
    if len(text) > PHONE_MAX_LENGTH or len(digits) < PHONE_MIN_DIGITS or len(significant) > PHONE_MAX_DIGITS:
        return UNUSABLE_PHONE
    partial = Phone(normalised=_as_written(text, digits), status=PhoneStatus.PARTIAL)
    try:
        number = phonenumbers.parse("+" + text[2:] if text.startswith("00") else text, region)
    except phonenumbers.NumberParseException:
        return partial
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    # Checking against the default region first is much faster than finding the region, and almost always enough.
    if (
        phonenumbers.is_valid_number_for_region(number, region)
        or phonenumbers.is_valid_number(number)
        or _is_drama_number(e164)
    ):
        return Phone(normalised=e164, status=PhoneStatus.VALID)
    if _starts_a_valid_number(number):
        return partial
    reason = phonenumbers.is_possible_number_with_reason(number)
    if reason == phonenumbers.ValidationResult.IS_POSSIBLE and not number.italian_leading_zero:
        return Phone(normalised=e164, status=PhoneStatus.NOT_ALLOCATED)
    return partial


def _starts_a_valid_number(number: phonenumbers.PhoneNumber) -> bool:
    """Whether more digits after these would make a valid number (079111234 is the start of 07911 123456)."""
    region = phonenumbers.region_code_for_country_code(number.country_code)
    metadata = phonenumbers.PhoneMetadata.metadata_for_region_or_calling_code(number.country_code, region)
    if metadata is None:
        return False
    national = str(number.national_number)
    longest = max(metadata.general_desc.possible_length or (0,))
    for length in range(len(national) + 1, longest + 1):
        for fill in "0123456789":
            longer = phonenumbers.PhoneNumber(
                country_code=number.country_code,
                national_number=int(national + fill * (length - len(national))),
            )
            if phonenumbers.is_valid_number(longer):
                return True
    return False


def phone_prefix(normalised: str, region: str = "GB") -> str:
    """The E.164 digits that part of a number (as `normalise_phone` writes it) begins a whole number with:
    079111234 → +4479111234, +4479111 → +4479111; "" for digits written without a 0 or + (which could be any
    part of a number)."""
    if normalised.startswith("+"):
        return normalised
    if normalised.startswith("0") and not normalised.startswith("00"):
        code = phonenumbers.country_code_for_region(region)
        return f"+{code}{normalised[1:]}"
    return ""


def format_phone(e164: str) -> str:
    """An E.164 number written for reading: national format for UK numbers, international otherwise; part of a
    number is shown as written."""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    if not phonenumbers.is_possible_number(number):
        return e164
    style = (
        phonenumbers.PhoneNumberFormat.NATIONAL
        if number.country_code == 44
        else (phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    )
    return phonenumbers.format_number(number, style)


def phone_or_error(raw: str) -> Phone:
    """The number in E.164, or ValueError with the message a person sees: only for a number someone gives as
    their own, to be called back on, never for a number a report names."""
    phone = normalise_phone(raw)
    if not phone.valid:
        raise ValueError(PHONE_ERROR)
    return phone
