"""The person model: nicknames, phonetics and transposed dates; pure-Python scoring that agrees with Splink; the
readable explanation; clustering bound by analysts' decisions."""

import csv
import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lantern.intel.linking.resolution import cluster, model, names, person


def feats(**fields):
    """Features of a person mention from a few fields."""
    return person.features({"unique_id": fields.pop("unique_id", 1), **fields})


@pytest.fixture(scope="module")
def scorer():
    """The starting model (no training), scored in Python."""
    return model.Scorer(model.starting_settings(), {}, model.DEFAULT_THRESHOLD)


@pytest.mark.parametrize(
    ("short", "full"),
    [("Bob", "Robert"), ("Peggy", "Margaret"), ("Ted", "Edward"), ("Liz", "Elizabeth"), ("Hank", "Henry")],
)
def test_familiar_forms_are_known(short, full):
    """A familiar form is recognised in either order (from the `nicknames` package's table)."""
    assert names.is_familiar_form(names.clean(short), names.clean(full))
    assert set(feats(given_name=short)["given_forms"]) & set(feats(given_name=full)["given_forms"])


def test_the_nickname_table_is_the_curated_one_not_the_generators():
    """The table comes from the `nicknames` package; the demo generator's own forms (such as Haz for Harry) are
    not given to the resolver, and its production modules never import the demo."""
    from lantern.demo.vocabulary import SHORT_FORMS

    assert len(names.FAMILIAR) > 1000
    assert not names.is_familiar_form("haz", "harry") and not names.is_familiar_form("gurps", "gurpreet")
    generator_only = [
        (full, short)
        for full, shorts in SHORT_FORMS.items()
        for short in shorts
        if not names.is_familiar_form(names.clean(short), names.clean(full))
    ]
    assert generator_only  # the synthetic sets test forms the resolver was not told


def test_a_nickname_and_a_transposed_date_still_match(scorer):
    """Bob Smith born 4 March 1980 is Robert Smith born 3 April 1980, typed the other way round."""
    bob = feats(given_name="Bob", family_name="Smith", date_of_birth="1980-03-04")
    robert = feats(given_name="Robert", family_name="Smith", date_of_birth="1980-04-03", unique_id=2)
    probability, weight, evidence = scorer.score(bob, robert, explain=True)
    levels = {e["field"]: e["level"] for e in evidence}
    assert levels["given"] == "familiar form"
    assert levels["birth"] == "day and month swapped"
    assert probability >= scorer.threshold
    stranger = feats(given_name="Robert", family_name="Smith", date_of_birth="1961-11-23", unique_id=3)
    assert scorer.score(bob, stranger)[1] < weight


def test_names_that_sound_alike_are_closer_than_names_that_do_not(scorer):
    """Phonetics and slips count for something; a different name counts against."""
    base = feats(given_name="Stephen", family_name="Thornfield", date_of_birth="1990-01-05")
    alike = feats(given_name="Steven", family_name="Thornfeild", date_of_birth="1990-01-05", unique_id=2)
    unlike = feats(given_name="Gareth", family_name="Okafor", date_of_birth="1990-01-05", unique_id=3)
    assert scorer.score(base, alike)[1] > scorer.score(base, unlike)[1]
    assert person.blocking_keys(base)[0] != ""


def test_the_explanation_reads_the_evidence_strongest_first(scorer):
    """Same nickname, swapped date of birth: the sentence names both, with their weights."""
    left = feats(nickname="Kaz", family_name="Hassan", date_of_birth="1990-03-04")
    right = feats(nickname="kaz", family_name="Hassan", date_of_birth="1990-04-03", unique_id=2)
    _p, _w, evidence = scorer.score(left, right, explain=True)
    text = model.explain(evidence)
    assert text.startswith("Date of birth with day and month swapped (1990-03-04 and 1990-04-03) (weight +")
    assert "; same nickname 'kaz' (+" in text and "; same family name 'hassan' (+" in text
    weights = [float(part.rsplit("(", 1)[1].strip(").").replace("weight ", "")) for part in text.split(";")]
    assert weights == sorted(weights, reverse=True) and text.endswith(".")


def test_missing_fields_are_neither_for_nor_against(scorer):
    """Two mentions with only a name in common score on the name alone."""
    left, right = (
        feats(given_name="Amy", family_name="Fairley"),
        feats(given_name="Amy", family_name="Fairley", unique_id=2),
    )
    _p, _w, evidence = scorer.score(left, right, explain=True)
    assert {e["field"] for e in evidence} == {"given", "family"}


@given(
    st.text(max_size=40),
    st.text(max_size=40),
    st.text(max_size=12),
    st.one_of(st.none(), st.integers(-5, 200)),
)
@settings(max_examples=200, deadline=None)
def test_features_never_fail_on_anything_written(given_name, family, dob, age):
    """Whatever a report says, features and blocking keys are computed, and the same each time."""
    record = {
        "unique_id": 1,
        "given_name": given_name,
        "family_name": family,
        "date_of_birth": dob,
        "age": age,
        "report_year": 2025,
        "nickname": given_name[:5],
    }
    first = person.features(record)
    assert first == person.features(record)
    assert all(":" in key for key in person.blocking_keys(first))


def test_clustering_keeps_rejected_pairs_apart_and_confirmed_pairs_together():
    """A cannot-link holds against a chain of strong links; a must-link joins what nothing links."""
    pairs = [(1, 2, 0.999), (2, 3, 0.999), (4, 5, 0.6)]
    assert len({cluster.cluster(range(1, 7), pairs)[i] for i in (1, 2, 3)}) == 1
    kept = cluster.cluster(range(1, 7), pairs, cannot_link=[(1, 3)], strong=0.99)
    assert kept[1] != kept[3]
    joined = cluster.cluster(range(1, 7), pairs, must_link=[(1, 6)], strong=0.99)
    assert joined[1] == joined[6]


def test_a_weak_mention_joins_one_person_and_does_not_bridge_two():
    """Below the strong threshold a lone mention joins its best cluster only."""
    pairs = [(1, 2, 0.999), (3, 4, 0.999), (5, 1, 0.7), (5, 3, 0.6)]
    found = cluster.cluster(range(1, 6), pairs, strong=0.99)
    assert found[5] == found[1] and found[1] != found[3]


class BirthYearJudge:
    """A judge that knows only birth years: two years apart is a conflict, and groups are together when none
    differs."""

    def __init__(self, born: dict) -> None:
        self.born = born

    def conflict(self, a, b) -> bool:
        return bool(self.born[a] and self.born[b] and self.born[a] != self.born[b])

    def together(self, left, right) -> bool:
        return not any(self.conflict(a, b) for a in left for b in right)


def test_a_chain_of_links_does_not_make_two_namesakes_one_person():
    """Strong links from Jack Price born 1979 to "Jack Price", 45, and from there to Jack Price born 1964: the
    model is all but sure the two born fifteen years apart are different people, so they stay apart, and a
    lone mention that is not the person in a cluster does not join it."""
    judge = BirthYearJudge({1: 1979, 2: None, 3: 1964, 4: 1964, 5: 1979})
    pairs = [(1, 2, 0.999), (2, 3, 0.995), (3, 4, 0.999), (5, 4, 0.8), (5, 1, 0.7)]
    found = cluster.cluster(range(1, 6), pairs, strong=0.99, judge=judge)
    assert found[1] == found[2] != found[3] == found[4]
    assert found[5] == found[1]
    assert len(set(cluster.cluster(range(1, 6), pairs, strong=0.99).values())) == 1


def test_a_component_too_large_to_check_pair_by_pair_is_left_joined_and_reported(monkeypatch, caplog):
    """Conflicts are looked for among every pair of a component: one past the limit is not checked (the cost
    would be quadratic) but left as the links made it, with a warning."""
    monkeypatch.setattr(cluster, "CONFLICT_COMPONENT_LIMIT", 2)
    judge = BirthYearJudge({1: 1979, 2: None, 3: 1964})
    pairs = [(1, 2, 0.999), (2, 3, 0.995)]
    with caplog.at_level("WARNING", logger="lantern.intel.linking.resolution.cluster"):
        found = cluster.cluster(range(1, 4), pairs, strong=0.99, judge=judge)
    assert found[1] == found[2] == found[3]
    assert "not checked for conflicts" in caplog.text


def test_with_a_judge_a_weak_link_joins_two_clusters_that_are_one_person_and_not_two_that_are_not():
    """Alison Doyle born 2009, said twice, and "Alison Doyle", 13, said twice, are joined by a weak link; a
    weak link to a namesake born in another year is refused."""
    judge = BirthYearJudge({1: 2009, 2: 2009, 3: None, 4: None, 5: 2011, 6: 2011})
    pairs = [(1, 2, 0.999), (3, 4, 0.999), (5, 6, 0.999), (2, 3, 0.9), (4, 5, 0.8)]
    found = cluster.cluster(range(1, 7), pairs, strong=0.99, judge=judge)
    assert found[1] == found[2] == found[3] == found[4] != found[5] == found[6]
    plain = cluster.cluster(range(1, 7), pairs, strong=0.99)
    assert plain[1] != plain[3] and plain[3] != plain[5]


def test_a_namesake_of_the_other_sex_born_elsewhere_is_a_conflict_and_a_vague_mention_is_not(scorer):
    """The same name, but another sex, date of birth and postcode, is all but surely someone else; the same
    name with only an age that fits is not, however little it says."""
    jack = feats(
        given_name="Jack", family_name="Price", date_of_birth="1979-10-28", sex="male", postcode="RV5 3HS"
    )
    other = feats(
        given_name="Jack",
        family_name="Price",
        date_of_birth="1964-02-11",
        sex="female",
        postcode="RV9 1AA",
        unique_id=2,
    )
    vague = feats(given_name="Jack", family_name="Price", age=45, report_year=2024, unique_id=3)
    judge = model.Judge(scorer, {f["unique_id"]: f for f in (jack, other, vague)}.__getitem__)
    assert judge.conflict(1, 2) and judge.conflict(2, 1)
    assert not judge.conflict(1, 3) and not judge.conflict(2, 3)
    assert judge.together([1], [3]) and not judge.together([1, 3], [2])


def test_house_numbers_tell_addresses_in_one_street_apart():
    """Two houses in one street are two addresses; the same house written twice is one."""
    one = feats(address="12 Mill Lane")
    assert one["address"] == feats(address="12, Mill Lane.")["address"] == "12 mill lane"
    assert one["address"] != feats(address="14 Mill Lane")["address"]


@pytest.fixture(scope="module")
def small_training():
    """A small synthetic set of person mentions, trained on with Splink (a few seconds)."""
    from dataclasses import replace

    from lantern.demo import dataset
    from lantern.demo.population import SIZES, Streams

    size = replace(SIZES["small"], people=120)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(dataset.PERSON_MENTION_FIELDS)
    writer.writerows(dataset.person_mention_rows(Streams(5), size))
    buffer.seek(0)
    rows = [person.features({**r, "unique_id": i}) for i, r in enumerate(csv.DictReader(buffer))]
    return rows, model.train(rows, max_pairs=2e5)


@pytest.mark.django_db
def test_python_scoring_agrees_with_splink_on_every_pair(small_training):
    """Real time's pure-Python scorer gives the match probability Splink gives, pair for pair."""
    rows, trained = small_training
    frame = model.predict_pairs(trained, threshold=0.01)
    scorer = model.Scorer(trained.settings, trained.tf, trained.threshold)
    assert len(frame) > 100
    worst = max(
        abs(scorer.score(rows[a], rows[b])[0] - p)
        for a, b, p in zip(frame.unique_id_l, frame.unique_id_r, frame.match_probability, strict=True)
    )
    assert worst < 1e-6


@pytest.mark.django_db
def test_pairs_streamed_from_duckdb_are_the_pairs_predicted(small_training):
    """Batch reads predictions a batch at a time into arrays; they are the pairs and scores Splink predicts."""
    _rows, trained = small_training
    frame = model.predict_pairs(trained, threshold=0.01)
    streamed = cluster.Pairs.from_batches(model.predicted_pairs(trained, threshold=0.01, batch_rows=50))
    assert sorted(
        zip(streamed.left.tolist(), streamed.right.tolist(), streamed.probability.tolist(), strict=True)
    ) == sorted(
        zip(
            frame.unique_id_l.tolist(),
            frame.unique_id_r.tolist(),
            frame.match_probability.tolist(),
            strict=True,
        )
    )


@pytest.mark.django_db
def test_training_and_prediction_keep_the_seconds_of_each_phase(small_training):
    """The trained model keeps how long each phase took (the features, starting the engine, the prior, u, each
    EM block, prediction and bringing the pairs back), for bench/linking.py to say where an engine's time goes."""
    _rows, trained = small_training
    list(model.predicted_pairs(trained, threshold=0.01))
    phases = trained.phases
    assert {"features", "start", "prior", "u", "predict", "transfer"} <= phases.keys()
    assert any(name.startswith("em ") for name in phases)
    assert all(seconds >= 0 for seconds in phases.values())
    assert phases["u"] > 0 and phases["predict"] > 0


def test_clusters_do_not_depend_on_the_order_pairs_come_in():
    """DuckDB returns pairs in no fixed order: of two equal weak links, the one between the lower ids wins."""
    pairs = [(1, 2, 0.999), (3, 4, 0.999), (5, 3, 0.7), (5, 1, 0.7)]
    found = [cluster.cluster(range(1, 6), order, strong=0.99) for order in (pairs, pairs[::-1])]
    assert found[0] == found[1] and found[0][5] == found[0][1] != found[0][3]


def test_a_blocking_key_too_common_finds_no_pairs_by_itself():
    """A key held by more mentions than the limit is left out of prediction's blocking; the rest stand."""
    import pyarrow as pa

    table = pa.table(
        {
            "unique_id": [1, 2, 3, 4],
            "bk_gy": ["william:2008"] * 3 + ["ann:1990"],
            "given": ["william"] * 3 + ["ann"],
        }
    )
    kept = model.without_common_keys(table, 2)
    assert kept.column("bk_gy").to_pylist() == [None, None, None, "ann:1990"]
    assert kept.column("given").equals(table.column("given"))
    assert model.without_common_keys(table, None).equals(table)


def _learnt(given_m: list[float], prior: float = 3.3e-4) -> dict:
    """The starting model with the given name's m as expectation maximisation might learn them (one per level:
    exact, familiar form, slip, sounds alike, alike, swapped, different; None for a level it never saw)."""
    settings = model.starting_settings()
    settings["probability_two_random_records_match"] = prior
    levels = [
        level for level in settings["comparisons"][0]["comparison_levels"] if not level.get("is_null_level")
    ]
    for level, m in zip(levels, given_m, strict=True):
        level["m_probability"] = m
    return settings


def _given_m(settings: dict) -> list[float]:
    return [
        level["m_probability"]
        for level in settings["comparisons"][0]["comparison_levels"]
        if not level.get("is_null_level")
    ]


def test_a_wholly_different_given_name_is_no_commoner_in_matches_than_its_near_forms():
    """Where training took a household's twins and siblings for one person (a different given name in one true
    pair in seven), a wholly different given name is kept no likelier than a given name garbled in the writing
    (a slip, a sound-alike, a name alike; not a familiar form); the m still add up to one. Where garbled names
    are common (heavy typing noise) what was learnt stands."""
    confused = model.clamped(_learnt([0.814, 0.0187, 0.0045, 0.0026, 0.0045, None, 0.1557]))
    m = _given_m(confused)
    assert m[-1] == pytest.approx(0.0045 + 0.0026 + 0.0045)
    assert sum(m[:5]) + m[-1] == pytest.approx(1.0, abs=0.001)
    mistyped = model.clamped(_learnt([0.65, 0.004, 0.14, 0.009, 0.032, 0.079, 0.09]))
    assert _given_m(mistyped)[-1] == pytest.approx(0.09)


def test_siblings_of_one_household_are_not_one_person_and_a_mistyped_name_still_is():
    """Two children of one household (the same family name, sex and address, another given name, one date of
    birth not given) are not one person, even under a model whose training took siblings for one; the same child
    with a slip in the given name is."""
    scorer = model.Scorer(
        model.clamped(_learnt([0.814, 0.0187, 0.0045, 0.0026, 0.0045, None, 0.1557])), {}, 0.5
    )
    home = {"family_name": "Landry", "sex": "female", "address": "4505 Trojan Ave Anytown"}
    chelsey = feats(given_name="Chelsey", date_of_birth="2019-03-29", **home)
    fay = feats(given_name="Fay", unique_id=2, **home)
    chelsea = feats(given_name="Chelsea", date_of_birth="2019-03-29", unique_id=3, **home)
    assert scorer.score(chelsey, fay)[0] < scorer.threshold
    assert scorer.score(chelsey, chelsea)[0] > model.STRONG_THRESHOLD


def test_a_lone_mention_at_odds_with_a_cluster_does_not_join_it_and_a_vague_one_does():
    """A weak link brings a lone mention into a cluster only when it is on the whole that person or disagrees
    with none of its mentions: a sibling whose date of birth is missing (Fay, of the Landrys' address) stays
    apart from her sister said twice, while a mention saying little but nothing against (Chelsey Landry of that
    address, nothing else) joins."""
    scorer = model.Scorer(
        model.clamped(_learnt([0.814, 0.0187, 0.0045, 0.0026, 0.0045, None, 0.1557])), {}, 0.5
    )
    home = {"family_name": "Landry", "address": "4505 Trojan Ave Anytown"}
    mentions = [
        feats(given_name="Chelsey", date_of_birth="2019-03-29", sex="female", unique_id=1, **home),
        feats(given_name="Chelsey", date_of_birth="2019-03-29", sex="female", unique_id=2, **home),
        feats(given_name="Fay", sex="female", unique_id=3, **home),
        feats(given_name="Chelsey", unique_id=4, **home),
    ]
    judge = model.Judge(scorer, {f["unique_id"]: f for f in mentions}.__getitem__)
    assert not judge.together([3], [1, 2]) and judge.together([4], [1, 2])
    pairs = [(1, 2, 0.999), (3, 1, 0.6), (4, 2, 0.6)]
    found = cluster.cluster(range(1, 5), pairs, strong=0.99, judge=judge)
    assert found[1] == found[2] == found[4] != found[3]
    plain = cluster.cluster(range(1, 5), pairs, strong=0.99)
    assert plain[3] == plain[1]
