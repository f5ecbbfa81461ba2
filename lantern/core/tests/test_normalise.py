"""Registration marks and phone numbers: taken in any form and marked (valid, partial, foreign, not allocated, ...),
never refused; and their properties."""

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from lantern.core.normalise import (
    format_phone,
    format_registration,
    normalise_phone,
    normalise_registration,
    phone_or_error,
    phone_prefix,
)
from lantern.core.vocabulary import PhoneStatus, RegistrationStatus


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
    assert (registration.normalised, registration.status) == (normalised, RegistrationStatus.VALID)
    assert registration.valid and not registration.partial
    assert registration.format == shape


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [
        ("AB12 C?E", "AB12C?E"),
        ("ab1* cde", "AB1?CDE"),
        ("AB12 C", "AB12C"),
        ("K", "K"),
        ("??12 ???", "??12???"),
        ("AB1 ??? 12", "AB1???12"),
    ],
)
def test_partial_marks_are_accepted_as_partial(raw, normalised):
    """Unknown characters (? or *) and marks shorter than a full format in no format are kept as partial marks."""
    registration = normalise_registration(raw)
    assert (registration.normalised, registration.status) == (normalised, RegistrationStatus.PARTIAL)
    assert registration.partial and registration.usable and registration.valid


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [
        ("WOB-ZK 295", "WOBZK295"),  # Germany
        ("B-MW 1234", "BMW1234"),  # Germany, written with its hyphen (compacted, it could be a UK mark)
        ("MÜ-AB 123", "MUAB123"),  # Germany: a letter no UK plate has
        ("1-ABC-123", "1ABC123"),  # Belgium
        ("AB 123 CD", "AB123CD"),  # France
        ("AB-123-CD", "AB123CD"),
        ("12-D-12345", "12D12345"),  # Ireland
        ("ÅB12 CDE", "AB12CDE"),
    ],
)
def test_foreign_marks_are_accepted_and_marked_foreign(raw, normalised):
    """Marks in a known foreign format are kept, normalised like any other, and marked foreign."""
    registration = normalise_registration(raw)
    assert (registration.normalised, registration.status) == (normalised, RegistrationStatus.FOREIGN)
    assert registration.usable and not registration.partial


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [("ABCDEFG", "ABCDEFG"), ("AB 12 CD 34 E", "AB12CD34E"), ("ABCDEFGHIJ", "ABCDEFGHIJ")],
)
def test_marks_in_no_format_are_accepted_as_non_standard(raw, normalised):
    """A whole mark of up to ten letters and digits in no known format is kept and marked non-standard."""
    registration = normalise_registration(raw)
    assert (registration.normalised, registration.status) == (normalised, RegistrationStatus.NON_STANDARD)


def test_personalised_and_punctuated_uk_marks_are_valid():
    """A personalised mark ("1 AB") is a dateless UK mark; punctuation between the characters is ignored."""
    assert normalise_registration("1 AB").status == RegistrationStatus.VALID
    assert (
        normalise_registration("AB12.CDE")
        == normalise_registration("AB12 CDE!")
        == normalise_registration("AB12 CDE")
    )


@pytest.mark.parametrize("raw", ["", "   ", " - ", "??", "ABCDEFGHIJK", "AB12 CDE AB12 CDE", None, 12])
def test_marks_with_nothing_to_match_on_are_unusable(raw):
    """No letter or digit, more than ten of them, or not text: unusable (kept as written elsewhere, never matched)."""
    registration = normalise_registration(raw)
    assert (registration.normalised, registration.status) == ("", RegistrationStatus.UNUSABLE)
    assert not registration.usable and not registration.valid


def test_o_and_zero_i_and_one_are_not_silently_changed():
    """What the witness wrote is kept: O stays O and I stays I, even where a digit belongs."""
    assert normalise_registration("AB1O CDE").normalised == "AB1OCDE"
    # Not a full UK mark as written, so kept as a non-standard one (still matched exactly, and by its masks).
    assert normalise_registration("AB1O CDE").status == RegistrationStatus.NON_STANDARD
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
    if first.usable:
        again = normalise_registration(first.normalised)
        assert again.normalised == first.normalised
        # Only how a mark was written (accents, a German hyphen) can make it foreign rather than valid.
        assert again.status == first.status or first.status == RegistrationStatus.FOREIGN
        assert len(first.normalised) <= 10 and first.normalised == first.normalised.upper()
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
    """UK numbers in every usual layout, and international ones with their code, become E.164, marked valid."""
    phone = normalise_phone(raw)
    assert (phone.e164, phone.normalised, phone.status) == (e164, e164, PhoneStatus.VALID)
    assert phone_or_error(raw).valid


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("07700 934567", "+447700934567"),
        ("+44 7700 934567", "+447700934567"),
        ("0999 999 9999", "+449999999999"),
    ],
)
def test_whole_numbers_no_operator_has_are_marked_not_allocated(raw, e164):
    """A real-looking number of a possible length that is not allocated is kept in E.164, marked not allocated."""
    phone = normalise_phone(raw)
    assert (phone.normalised, phone.e164, phone.status) == (e164, e164, PhoneStatus.NOT_ALLOCATED)
    assert phone.usable and not phone.valid


@pytest.mark.parametrize(
    ("raw", "normalised", "prefix"),
    [
        ("079111234", "079111234", "+4479111234"),  # the start of a mobile number
        ("07911 12345", "0791112345", "+44791112345"),  # one digit short
        ("0113 496 000", "0113496000", "+44113496000"),
        ("0044 79111", "+4479111", "+4479111"),
        ("+1 202 555 01", "+120255501", "+120255501"),
        ("0791112345678", "0791112345678", "+44791112345678"),  # too long to be a number: kept as written
        ("123456", "123456", ""),  # written without 0 or +: could be any part of a number
    ],
)
def test_part_of_a_number_is_marked_partial_with_its_digits_as_written(raw, normalised, prefix):
    """Too few digits for a whole number, or digits that cannot be one: the digits as written with their 0 or +."""
    phone = normalise_phone(raw)
    assert (phone.normalised, phone.status, phone.e164) == (normalised, PhoneStatus.PARTIAL, "")
    assert phone_prefix(phone.normalised) == prefix


def test_an_extension_is_left_out_of_the_normalised_number():
    """ "ext 2" is not part of the number matched on (the text as written keeps it)."""
    phone = normalise_phone("+44 7911 123456 ext 2")
    assert (phone.normalised, phone.status) == ("+447911123456", PhoneStatus.VALID)


@pytest.mark.parametrize(
    "raw", ["", "999", "12345", "0791 1", "call me", "1" * 41, None, "07911 123456; 07911 654321"]
)
def test_numbers_with_too_few_digits_are_unusable(raw):
    """Fewer than six digits, words, more than one number's worth, or not text: unusable, never matched."""
    phone = normalise_phone(raw)
    assert (phone.normalised, phone.status) == ("", PhoneStatus.UNUSABLE)
    assert not phone.usable


@pytest.mark.parametrize("raw", ["07700 934567", "079111234", "12345"])
def test_only_a_number_given_as_ones_own_is_checked_strictly(raw):
    """`phone_or_error`, for a number someone gives to be called back on, still refuses anything but a valid one."""
    with pytest.raises(ValueError, match="Enter a phone number"):
        phone_or_error(raw)


@given(st.text(max_size=50))
@example("+")
@example("0" * 40)
@example("+٤٤ ٧٩١١ ١٢٣٤٥٦")
def test_phone_never_raises_and_is_idempotent(raw):
    """Any text: no exception; a normalised number normalises to itself, with the same status."""
    phone = normalise_phone(raw)
    if phone.usable:
        assert normalise_phone(phone.normalised) == phone
        assert len(phone.normalised) <= 20
    else:
        assert phone.normalised == ""
    if phone.valid:
        assert phone.e164.startswith("+")
        assert normalise_phone(format_phone(phone.e164)) == phone


@given(st.from_regex(r"07[1-57-9][0-9]{8}", fullmatch=True), st.sampled_from(["", " ", "-"]))
def test_phone_ignores_spacing(number, separator):
    """A mobile number written with or without separators gives the same E.164 (or is invalid both ways)."""
    spaced = separator.join([number[:5], number[5:8], number[8:]])
    assert normalise_phone(spaced) == normalise_phone(number)
