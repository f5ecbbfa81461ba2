"""Placeholders and generic descriptions ("Child Q", "Unknown male", "Asian male") are recognised in every
spelling, are never evidence of identity, and real names that begin the same way are left alone."""

import pytest

from lantern.intel.linking.resolution import person, placeholders
from lantern.intel.linking.resolution.placeholders import is_placeholder

# What practitioners write where a name should be, as the issue lists them, in the spellings they use.
PLACEHOLDERS = [
    "Child A", "Child Q", "child  Q", "CHILD-Q", "child_q", "Unknown male", "UNKNOWN MALE", "Girl 1", "N/K",
    "n/k", "n.k.", "NK", "Not known", "not  known", "Mum", "MUM", "Asian male", "asian  male", "the driver",
    "The Driver", "Father", "Mum's partner", "Mum’s partner", "mums partner", "unknown", "UNK", "Boy",
    "Female 2", "Suspect 1", "Male 1", "XX", "Baby", "the taxi driver", "white female", "Unknown Asian male 2",
    "older white female", "her boyfriend", "victim's brother", "Mr X", "Mrs A", "Person unknown", "John Doe",
    "Girl A1", "Child No 3", "tall Asian", "Muslim", "unidentified driver", "Stepdad", "Father 2", "Youth 3",
    "Eastern European male", "middle-aged white man", "Young Person B", "YP 1", "Unborn", "",
    "   ", "?",
]  # fmt: skip
# Real names, among them ones that begin like a placeholder or are a placeholder word inside a longer name.
REAL_NAMES = [
    "Childs", "Mumtaz", "Drivers", "Ali", "Kay", "Amy Fairley", "Kareem Hassan", "Jack Black", "Ben White",
    "White", "Young", "Brown", "Guy", "Nana Mensah", "Minnie Driver", "Boyd", "Mandy", "Girling", "Manny",
    "Asia", "Fatima", "Mo", "Kaz", "Lee", "Ann", "Una", "Will Young", "Tom Short", "Mummery", "Fathers",
    "Malek", "Femi", "Sonny Black", "Oliver Mann", "Childers", "Unwin", "Doe", "Man Lee", "Brother Ali",
    "Xavier", "Ma", "Dadson",
]  # fmt: skip


@pytest.mark.parametrize("name", PLACEHOLDERS)
def test_each_listed_placeholder_is_recognised(name):
    """Each placeholder the issue lists, in any case, spacing or punctuation, is no name."""
    assert is_placeholder(name)


@pytest.mark.parametrize("name", REAL_NAMES)
def test_real_names_are_not_placeholders(name):
    """Names that begin the same way, or hold a placeholder word, are names."""
    assert not is_placeholder(name)


@pytest.mark.parametrize(
    ("words", "shape"),
    [
        (placeholders.ROLES, "{}"),
        (placeholders.ROLES, "{} 1"),
        (placeholders.ROLES, "the {}"),
        (placeholders.ROLES, "Unknown {} B"),
        (placeholders.RELATIONS, "{}"),
        (placeholders.RELATIONS, "her {}"),
        (placeholders.RELATIONS, "mum's {}"),
        (placeholders.UNKNOWNS, "{}"),
        (placeholders.ORIGINS - placeholders.SURNAMES_TOO, "{}"),
        (placeholders.ORIGINS, "{} male"),
        (placeholders.ORIGINS, "unknown {} woman"),
        (placeholders.DESCRIPTIVE, "{} female"),
        (placeholders.PHRASES, "{}"),
        (placeholders.NOT_A_NAME_PART, "{}"),
    ],
)
def test_every_entry_of_every_list_is_recognised(words, shape):
    """Every word in the lists, alone or in the phrases it is used in, is recognised: no entry is dead."""
    missed = [shape.format(word) for word in sorted(words) if not is_placeholder(shape.format(word).upper())]
    assert not missed


def test_placeholders_give_no_name_features_and_no_name_keys():
    """A placeholder name or nickname leaves no name, nickname or name-based blocking key: only real evidence
    (here the age and sex) is left."""
    for record in (
        {"name": "Child Q"},
        {"given_name": "Unknown", "family_name": "Male"},
        {"nickname": "the driver"},
    ):
        feats = person.features({**record, "age": 12, "report_year": 2026, "sex": "female"})
        assert (feats["given"], feats["family"], feats["nickname"]) == (None, None, None)
        assert [key for key in person.blocking_keys(feats) if not key.startswith("dob:")] == []


def test_a_name_part_that_stands_for_a_name_not_known_is_dropped():
    """ "Baby Smith" and "Unknown Khan" keep their family name, not the placeholder."""
    assert (
        person.features({"name": "Baby Smith"})["given"],
        person.features({"name": "Baby Smith"})["family"],
    ) == (
        None,
        "smith",
    )
    assert person.features({"name": "Unknown Khan"})["family"] == "khan"
    assert person.features({"name": "Kay Smith"})["given"] == "kay"


def test_descriptions_and_ethnicity_are_never_features():
    """What a person looks like, their ethnicity and religion, are not compared: the features are the same."""
    plain = person.features({"name": "Amy Fairley", "age": 12, "report_year": 2026})
    described = person.features(
        {
            "name": "Amy Fairley",
            "age": 12,
            "report_year": 2026,
            "description": "Asian female, Muslim, wears a headscarf",
            "ethnicity": "asian_pakistani",
        }
    )
    assert described == plain


@pytest.mark.parametrize("word", sorted(placeholders.GIVEN_NAME_STANDINS))
def test_a_role_written_as_a_given_name_is_no_given_name(word):
    """ "Mother Moreno", "Minor Lopez": every listed role or relation word written as the given name leaves no
    given name, and the family name is kept."""
    feats = person.features({"given_name": word.upper(), "family_name": "Moreno"})
    assert (feats["given"], feats["family"]) == (None, "moreno")


def test_given_names_that_are_also_words_are_kept():
    """Given names that are role words elsewhere ("Man", "Nana", "Son", "Guy") or a religion ("Christian") are
    names."""
    for given in ("Man", "Nana", "Son", "Guy", "Christian", "Mandy", "Minnie"):
        assert person.features({"given_name": given, "family_name": "Lee"})["given"] == given.lower()
