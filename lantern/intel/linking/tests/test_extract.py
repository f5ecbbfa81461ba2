"""Finding registration marks and phone numbers in narratives, without mistaking years, times or postcodes."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lantern.intel.linking.extract import find_phones, find_registrations, phone_mentions, vehicle_mentions
from lantern.intel.models import MentionOrigin


@pytest.mark.parametrize(
    ("text", "marks"),
    [
        ("Two girls seen getting into a silver car outside a takeaway at 23:00.", []),
        ("Silver Corsa AB12 CDE outside Kebab House, RT1 4AB, at 11pm on 3 March 2019.", ["AB12CDE"]),
        ("the reg was ab12cde, I think, or AB12-CDE", ["AB12CDE"]),
        ("An old red Escort A123 BCD and a classic Mini ABC 123D were parked up.", ["A123BCD", "ABC123D"]),
        ("Northern Irish plate ABZ 1234 on a van at 12:30.", ["ABZ1234"]),
        ("Meet at Flat 4B, apt 4b, off the A14 near the M62, bus 42, year 2019.", []),
        ("Postcodes SW1A 1AA, LS12 5TH, RT12 4AB and M1 1AE are not plates.", []),
        ("She said BIZ 12:30 and AIR 2019 and the Grade A 1 result.", []),
        ("Car YX65 ZZT, then later YX65ZZT again.", ["YX65ZZT"]),
    ],
)
def test_registration_marks_in_narratives(text, marks):
    """Full marks are found, each once, in order; years, times, postcodes and road numbers are not."""
    assert [found.normalised for found in find_registrations(text)] == marks


@pytest.mark.parametrize(
    ("text", "numbers"),
    [
        ("He gave her his number, 07700 900982, and said to text him.", ["+447700900982"]),
        (
            "Landline (0113) 496 0000 and +44 20 7946 0958 were written on a card.",
            ["+441134960000", "+442079460958"],
        ),
        ("She called 07700 900982 22 times on the 14th.", ["+447700900982"]),
        ("Ref 123456789012 paid £2019.50 on 01/02/2024 at 23:00; case 2024-000123.", []),
        ("Met at 12 03 2024 around 1930 hrs, flat 07.", []),
        ("0044 7700 900123 and 07700-900-123 are the same number.", ["+447700900123"]),
    ],
)
def test_phone_numbers_in_narratives(text, numbers):
    """Valid numbers are found once each; references, sums, dates and times are not."""
    assert [found.normalised for found in find_phones(text)] == numbers


def test_found_text_is_what_was_written():
    """The raw text and position point at what the report said."""
    text = "Blue taxi ab12 cde, driver's phone 07700 900982."
    [mark] = find_registrations(text)
    [phone] = find_phones(text)
    assert text[mark.start : mark.end] == mark.raw == "ab12 cde"
    assert text[phone.start : phone.end] == phone.raw == "07700 900982"


def test_free_text_mentions_leave_out_what_is_already_structured():
    """Marks and numbers already given as structured parts are not repeated as free-text mentions."""
    text = "Cars AB12 CDE and XY34 FGH; numbers 07700 900982 and 07700 900123."
    vehicles = vehicle_mentions(text, exclude={"AB12CDE"})
    phones = phone_mentions(text, exclude={"+447700900123"})
    assert [(v.registration_normalised, v.origin) for v in vehicles] == [("XY34FGH", MentionOrigin.FREE_TEXT)]
    assert [(p.number_e164, p.origin) for p in phones] == [("+447700900982", MentionOrigin.FREE_TEXT)]


@given(st.text(max_size=300))
def test_extraction_never_raises(text):
    """Any narrative at all: no exception, and everything found is valid and inside the text."""
    for found in find_registrations(text) + find_phones(text):
        assert 0 <= found.start < found.end <= len(text)
