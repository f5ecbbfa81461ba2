"""Two people of one household (twins, siblings, a parent and child, a couple on one copied number) are kept
apart unless what tells them apart agrees; one person written two ways in one household is still one."""

from lantern.intel.linking.resolution import batch, cluster, model, person
from lantern.intel.linking.tests.test_spark import _levels_by_sql

HOME = "70 Independence St, Anytown"
SCORER = model.Scorer(model.starting_settings(), {}, model.DEFAULT_THRESHOLD)


def child(uid: int, given: str | None, **fields) -> dict:
    """A child of the Lopez household at 70 Independence St, born on 7 March 2019 unless said otherwise."""
    record = {
        "unique_id": uid,
        "given_name": given,
        "family_name": "Lopez",
        "date_of_birth": "2019-03-07",
        "address": HOME,
        "sex": "male",
    }
    return person.features({**record, **fields})


def adult(uid: int, given: str | None, family: str = "Schmidt", **fields) -> dict:
    """An adult at 1365 Ridgeway St known by a tax form: no date of birth, a social security number."""
    record = {"unique_id": uid, "given_name": given, "family_name": family, "address": "1365 Ridgeway St"}
    return person.features({**record, "id_number": "277155204", **fields})


def probability(left: dict, right: dict) -> float:
    return SCORER.score(left, right)[0]


def test_twins_with_other_given_names_are_two_people_and_a_slip_is_one():
    """Twins share a family name, an address and a date of birth: a wholly different given name keeps them apart.
    The same child with a slip in the given name, or a familiar form, is still one child."""
    jakai, karter = child(1, "Jakai"), child(2, "Karter")
    assert probability(jakai, karter) < SCORER.threshold
    assert probability(jakai, child(3, "Jakaii")) >= SCORER.strong_threshold
    assert probability(child(4, "Robert"), child(5, "Bob")) >= SCORER.strong_threshold
    # Without the household taken back, what twins share would have made them one.
    unadjusted = model.Scorer(_without_household(model.starting_settings()), {}, model.DEFAULT_THRESHOLD)
    assert unadjusted.score(jakai, karter)[0] >= SCORER.strong_threshold


def _without_household(settings: dict) -> dict:
    settings["comparisons"] = [c for c in settings["comparisons"] if c["output_column_name"] != "household"]
    return settings


def test_a_shared_number_with_other_given_names_is_not_one_person():
    """A social security number copied from one member of a household onto another's form is weak evidence when
    their given names disagree, whatever their family names; the same person with a slip is still one."""
    gary, donna = adult(1, "Gary"), adult(2, "Donna")
    assert probability(gary, donna) < SCORER.threshold
    assert probability(adult(3, "Keith", "Nguyen"), adult(4, "David", "Thao")) < SCORER.threshold
    assert probability(gary, adult(5, "Garry")) >= SCORER.strong_threshold
    judge = model.Judge(SCORER, {1: gary, 2: donna}.__getitem__)
    assert judge.conflict(1, 2)


def test_a_date_of_birth_and_a_number_both_shared_are_one_person_whatever_the_given_name():
    """A household member may share a date of birth (a twin) or a copied number, seldom both: a given name written
    wholly differently with both the same is still one person."""
    left = child(1, "Benjamin", id_number="4415928")
    assert probability(left, child(2, "Joshua", id_number="4415928")) >= SCORER.threshold
    assert probability(left, child(3, "Joshua", id_number="9822354")) < SCORER.threshold


def test_a_parent_without_a_given_name_is_not_the_child():
    """A mention with no given name at the child's address but born decades earlier is another member of the
    household, not the child."""
    assert probability(child(1, "Chloe"), child(2, None, date_of_birth="1990-09-07", sex="female")) < 0.5
    assert probability(child(1, "Chloe"), child(2, None)) >= SCORER.strong_threshold


def test_an_initial_tells_nobody_apart():
    """ "W Martens" may be Charles Martens' middle initial: an initial is not a given name that disagrees."""
    pair = (adult(1, "W", "Martens"), adult(2, "Charles", "Martens"))
    assert not person.one_household_two_people(*pair)
    assert person.one_household_two_people(adult(1, "Wendy", "Martens"), adult(2, "Charles", "Martens"))


def test_a_mention_that_names_neither_twin_does_not_make_them_one():
    """A mention of the household's child born that day with no given name links to both twins, but clustering
    never puts the twins in one entity through it."""
    feats = {1: child(1, "Jakai"), 2: child(2, "Karter"), 3: child(3, None), 4: child(4, "Jakai")}
    pairs = [
        (a, b, p)
        for a, b in sorted(batch.blocked_pairs(feats))
        if (p := SCORER.score(feats[a], feats[b])[0]) >= SCORER.threshold
    ]
    assignment = cluster.cluster(
        feats, pairs, strong=SCORER.strong_threshold, judge=model.Judge(SCORER, feats.__getitem__)
    )
    assert assignment[1] == assignment[4]
    assert assignment[1] != assignment[2]


def test_the_reason_names_the_household_and_shows_no_empty_value():
    """The evidence says in plain words why what the two share was not counted."""
    _p, _w, evidence = SCORER.score(adult(1, "Gary"), adult(2, "Donna"), explain=True)
    household = next(item for item in evidence if item["field"] == "household")
    assert household["text"].startswith(
        "Two people of one household, it seems: the same family name, address"
    )
    assert household["weight"] < 0
    assert all("''" not in item["text"] and "  " not in item["text"] for item in evidence)


def test_the_household_level_is_the_same_in_duckdb_sql_and_python():
    """The household comparison puts every pair of these mentions at the level Python puts it, in DuckDB's SQL."""
    mentions = [
        child(1, "Jakai"),
        child(2, "Karter"),
        child(3, None),
        child(4, "Jakaii"),
        child(5, None, date_of_birth="1990-09-07"),
        child(6, "Mia", family_name=None),
        child(7, "Karter", address="9 Elm Road"),
        adult(8, "Gary"),
        adult(9, "Donna"),
        adult(10, "W"),
        adult(11, "David", "Thao", id_number=None),
        adult(12, None, id_number="555123456"),
        adult(13, "Gary", address="1365 Ridgeway Street"),
    ]
    pairs = [(a, b) for i, a in enumerate(mentions) for b in mentions[i + 1 :]]
    python = [person.HOUSEHOLD.level_of(a, b) for a, b in pairs]
    assert len(set(python)) >= 5
    db_api = model.duckdb_api()
    try:
        assert _levels_by_sql(db_api, person.HOUSEHOLD, pairs) == python
    finally:
        model.release(db_api)


def test_households_are_looked_for_in_the_data_before_the_rule_is_added():
    """Mentions at one address with one family name that mostly disagree on the given name are households of
    several people; mostly agreeing, they are one person written several ways, and no address, no households."""
    families = [
        child(i, given, address=f"{i % 5} Elm Road") for i, given in enumerate(["Amy", "Ben", "Cal"] * 10)
    ]
    one_each = [child(i, "Amelia" if i % 4 else "Sophie", address=f"{i % 5} Elm Road") for i in range(30)]
    no_address = [child(i, given, address=None) for i, given in enumerate(["Amy", "Ben", "Cal"] * 10)]
    assert model.households_in(model.feature_table(families))
    assert not model.households_in(model.feature_table(one_each))
    assert not model.households_in(model.feature_table(no_address))
