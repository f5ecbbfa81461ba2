"""Registration marks and phone numbers: the formats accepted, the tolerance for partial sightings, and properties."""

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from lantern.core.normalise import (
    format_phone,
    format_registration,
    normalise_phone,
    normalise_registration,
    phone_or_error,
    registration_or_error,
)


@pytest.mark.parametrize(
    ("raw", "normalised", "shape"),
    [
        ("AB12 CDE", "AB12CDE", "current"),
        ("ab12cde", "AB12CDE", "current"),
        (" ab-12 c de ", "AB12CDE", "current"),
        ("A123 BCD", "A123BCD", "prefix"),
        ("A1 BCD", "A1BCD", "prefix"),
        ("ABC 123D", "ABC123D", "suffix"),
        ("ABC 123", "ABC123", "dateless"),
        ("1234 AB", "1234AB", "dateless"),
        ("ABZ 1234", "ABZ1234", "dateless"),  # Northern Ireland
    ],
)
def test_full_uk_marks_are_valid_and_complete(raw, normalised, shape):
    """Current, prefix, suffix, dateless and Northern Ireland marks: uppercase, without spaces or hyphens."""
    registration = normalise_registration(raw)
    assert (registration.normalised, registration.partial, registration.valid) == (normalised, False, True)
    assert registration.format == shape


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [
        ("AB12 C?E", "AB12C?E"),
        ("ab1* cde", "AB1?CDE"),
        ("AB12 C", "AB12C"),
        ("K", "K"),
        ("??12 ???", "??12???"),
        ("ABCDEFG", "ABCDEFG"),
    ],
)
def test_partial_marks_are_accepted_as_partial(raw, normalised):
    """Unknown characters (? or *) and marks shorter than a full format are kept as partial marks."""
    registration = normalise_registration(raw)
    assert (registration.normalised, registration.partial, registration.valid) == (normalised, True, True)


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "   ",
        " - ",
        "AB12 CDE!",
        "AB12.CDE",
        "ABCDEFGHI",
        "AB12 CDE 123",
        "ÅB12 CDE",
        "ß",
        "AB12_CDE",
        None,
        12,
    ],
)
def test_impossible_marks_are_invalid_with_the_reporters_message(raw):
    """Other characters, more than eight characters, or nothing at all: invalid, with a message saying what to do."""
    assert not normalise_registration(raw).valid
    with pytest.raises(ValueError, match="Enter a registration mark like AB12 CDE, or the part you saw"):
        registration_or_error(raw)


def test_o_and_zero_i_and_one_are_not_silently_changed():
    """What the witness wrote is kept: O stays O and I stays I, even where a digit belongs."""
    assert normalise_registration("AB1O CDE").normalised == "AB1OCDE"
    assert normalise_registration("AB1O CDE").partial  # not a full current mark as written
    assert normalise_registration("OB12 CDI").normalised == "OB12CDI"
    assert normalise_registration("0B12 CDE").normalised == "0B12CDE"


def test_marks_are_written_back_with_their_space():
    """Display form puts the space where a plate has it."""
    assert [
        format_registration(m) for m in ("AB12CDE", "A123BCD", "ABC123D", "ABZ1234", "1234AB", "AB1?")
    ] == [
        "AB12 CDE",
        "A123 BCD",
        "ABC 123D",
        "ABZ 1234",
        "1234 AB",
        "AB1?",
    ]


PLATE_TEXT = st.text(alphabet="ABCDEFGHJKLMNOPRSTUVWXYZabcxyz0123456789?* -", max_size=14)


@given(st.text(max_size=40))
@example("ß")
@example("İ")
@example("\x00")
def test_registration_never_raises_and_is_idempotent(raw):
    """Any text: no exception, and normalising the normalised form changes nothing."""
    first = normalise_registration(raw)
    if first.valid:
        again = normalise_registration(first.normalised)
        assert again == first
        assert len(first.normalised) <= 8 and first.normalised == first.normalised.upper()
    else:
        assert first.normalised == ""


@given(PLATE_TEXT, st.lists(st.integers(min_value=0, max_value=14), max_size=4))
def test_registration_ignores_case_and_spacing(raw, cuts):
    """Upper or lower case, and spaces or hyphens anywhere, give the same result."""
    spaced = raw
    for cut in sorted(cuts, reverse=True):
        spaced = spaced[:cut] + " - "[cut % 3] + spaced[cut:]
    assert normalise_registration(spaced.lower()) == normalise_registration(raw.upper())


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("07911 123456", "+447911123456"),
        ("07911-123-456", "+447911123456"),
        ("+44 7911 123456", "+447911123456"),
        ("0044 7911 123456", "+447911123456"),
        ("(0113) 496 0000", "+441134960000"),
        ("020 7946 0958", "+442079460958"),
        ("+44 (0)20 7946 0958", "+442079460958"),
        ("07700 900982", "+447700900982"),  # Ofcom drama range: not allocated, but used by synthetic data
        ("01632 960123", "+441632960123"),
        ("+1 202 555 0123", "+12025550123"),
    ],
)
def test_phone_numbers_become_e164(raw, e164):
    """UK numbers in every usual layout, and international ones with their code, become E.164."""
    assert normalise_phone(raw).e164 == e164
    assert phone_or_error(raw).valid


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "999",
        "12345",
        "call me",
        "07911 12345",
        "0791112345678",
        "+44 7911 123456 ext 2",
        "1" * 41,
        None,
        "07911 123456; 07911 654321",
    ],
)
def test_bad_phone_numbers_are_invalid_with_a_message(raw):
    """Too short, too long, words, extensions, two numbers at once: invalid, with a message."""
    assert not normalise_phone(raw).valid
    with pytest.raises(ValueError, match="Enter a phone number"):
        phone_or_error(raw)


@given(st.text(max_size=50))
@example("+")
@example("0" * 40)
@example("+٤٤ ٧٩١١ ١٢٣٤٥٦")
def test_phone_never_raises_and_is_idempotent(raw):
    """Any text: no exception; an E.164 result normalises to itself."""
    phone = normalise_phone(raw)
    if phone.valid:
        assert phone.e164.startswith("+")
        assert normalise_phone(phone.e164) == phone
        assert normalise_phone(format_phone(phone.e164)) == phone


@given(st.from_regex(r"07[1-57-9][0-9]{8}", fullmatch=True), st.sampled_from(["", " ", "-"]))
def test_phone_ignores_spacing(number, separator):
    """A mobile number written with or without separators gives the same E.164 (or is invalid both ways)."""
    spaced = separator.join([number[:5], number[5:8], number[8:]])
    assert normalise_phone(spaced) == normalise_phone(number)
