"""`lantern generate`: same seed, same bytes; well-formed records; demographics blind to role."""

import csv
import json
import re
from collections import Counter
from dataclasses import replace
from io import StringIO
from math import sqrt
from statistics import NormalDist

import pytest
from django.core.management import CommandError, call_command

from lantern.demo import borough, history, vocabulary
from lantern.demo.population import SIZES, PersonRole, Streams, people

FILES = (
    "people.csv",
    "places.csv",
    "vehicles.csv",
    "phones.csv",
    "referrals.csv",
    "referral_mentions.csv",
    "ground_truth.json",
)
# A current-format mark: region letter, second memory-tag letter (no I, Q, Z), age identifier 02–25 or 51–75,
# three random letters (no I, Q).
PLATE = re.compile(r"^[ABCDEFGHKLMNOPRSVWY][A-HJ-PR-Y](0[2-9]|1\d|2[0-5]|5[1-9]|6\d|7[0-5]) [A-HJ-PR-Z]{3}$")
PHONE = re.compile(r"^07700 900\d{3}$")
PLACE_TYPES = {kind for kind, _ in vocabulary.PLACE_TYPE_WEIGHTS}


def generate(out, *args: str) -> str:
    """Run `lantern generate` into `out`; returns what it printed."""
    output = StringIO()
    call_command("generate", "--out", str(out), *args, stdout=output)
    return output.getvalue()


def read(path) -> list[dict[str, str]]:
    """The rows of a CSV file as dictionaries."""
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    """A small data set for seed 11."""
    out = tmp_path_factory.mktemp("small")
    generate(out, "--seed", "11", "--size", "small")
    return out


def test_same_seed_gives_the_same_bytes(small, tmp_path):
    """Generating again with the same seed gives byte-identical files."""
    generate(tmp_path, "--seed", "11", "--size", "small")
    for name in FILES:
        assert (tmp_path / name).read_bytes() == (small / name).read_bytes(), name


def test_another_seed_gives_other_data(small, tmp_path):
    """Another seed gives different people, places, vehicles and phones."""
    generate(tmp_path, "--seed", "12", "--size", "small")
    for name in FILES:
        assert (tmp_path / name).read_bytes() != (small / name).read_bytes(), name


def test_ground_truth_counts_the_rows(small):
    """The ground truth records the seed, the size and how many rows each file has."""
    truth = json.loads((small / "ground_truth.json").read_text())
    assert (truth["seed"], truth["size"]) == (11, "small")
    for name, kind in (
        ("people.csv", "people"),
        ("places.csv", "places"),
        ("vehicles.csv", "vehicles"),
        ("phones.csv", "phones"),
    ):
        rows = read(small / name)
        assert len(rows) == truth["counts"][kind] == truth["files"][name]["rows"]
        assert len(rows) == getattr(SIZES["small"], kind)


def test_vehicles_have_well_formed_distinct_plates(small):
    """Every registration mark is a valid current-format UK mark, and no two vehicles share one."""
    vehicles = read(small / "vehicles.csv")
    plates = [v["registration"] for v in vehicles]
    assert all(PLATE.match(plate) for plate in plates), [p for p in plates if not PLATE.match(p)]
    assert len(set(plates)) == len(plates)
    for vehicle in vehicles:
        assert bool(vehicle["licence_number"]) == (vehicle["use"] != "private")
        assert vehicle["make"] and vehicle["model"] and vehicle["colour"]


def test_phones_are_distinct_drama_numbers(small):
    """Phone numbers are distinct, in Ofcom's drama range 07700 900000–900999, with a matching +44 form."""
    phones = read(small / "phones.csv")
    assert all(PHONE.match(p["number"]) for p in phones)
    assert all(p["e164"] == "+44" + p["number"].replace(" ", "")[1:] for p in phones)
    assert len({p["number"] for p in phones}) == len(phones)


def test_places_are_inside_the_borough(small):
    """Places have a known type, a Riverton address and postcode, and lie inside the borough's box."""
    for place in read(small / "places.csv"):
        assert place["type"] in PLACE_TYPES
        assert borough.BOX.contains(float(place["lat"]), float(place["lon"]))
        assert re.match(r"^RV\d{1,2} \d[A-Z]{2}$", place["postcode"])
        assert place["address"].endswith(f"Riverton {place['postcode']}")


def test_people_are_well_formed(small):
    """People have names, a sex, an ONS 2021 ethnicity (or "Not stated") and an age that fits their role."""
    rows = read(small / "people.csv")
    assert {row["ethnicity"] for row in rows} <= set(vocabulary.ETHNICITIES)
    assert {row["sex"] for row in rows} <= {"Female", "Male", "Not known"}
    assert {row["role"] for row in rows} == set(PersonRole)
    for row in rows:
        assert row["given_name"] and row["family_name"]
        age = borough.AS_OF.year - int(row["date_of_birth"][:4])
        assert (10 <= age <= 18) if row["role"] == PersonRole.CHILD else age >= 18


def test_demographics_do_not_depend_on_the_role_mix():
    """Changing how many people are persons of concern changes roles but no one's sex, ethnicity or name."""
    size = replace(SIZES["small"], people=300)
    mostly_concern = replace(size, roles={PersonRole.CHILD: 0.1, PersonRole.PERSON_OF_CONCERN: 0.9})
    usual, skewed = list(people(Streams(5), size)), list(people(Streams(5), mostly_concern))
    assert [p.role for p in usual] != [p.role for p in skewed]
    assert [(p.sex, p.ethnicity, p.given_name, p.family_name) for p in usual] == [
        (p.sex, p.ethnicity, p.given_name, p.family_name) for p in skewed
    ]


def chi_square(table: dict[str, Counter]) -> tuple[float, int]:
    """Pearson's chi-square statistic of a table {row: Counter(column)}, and its degrees of freedom."""
    columns = sorted({c for counts in table.values() for c in counts})
    row_totals = {r: sum(counts.values()) for r, counts in table.items()}
    column_totals = {c: sum(counts[c] for counts in table.values()) for c in columns}
    total = sum(row_totals.values())
    statistic = 0.0
    for r, counts in table.items():
        for c in columns:
            expected = row_totals[r] * column_totals[c] / total
            statistic += (counts[c] - expected) ** 2 / expected
    return statistic, (len(table) - 1) * (len(columns) - 1)


def critical_value(df: int, p: float = 0.001) -> float:
    """The chi-square value exceeded with probability p (Wilson–Hilferty approximation)."""
    z = NormalDist().inv_cdf(1 - p)
    return df * (1 - 2 / (9 * df) + z * sqrt(2 / (9 * df))) ** 3


def test_ethnicity_and_sex_are_independent_of_role_on_a_medium_set():
    """On a medium set, ethnicity and sex of persons of concern, children and others differ only by chance."""
    population = list(people(Streams(2026), SIZES["medium"]))
    for attribute in ("ethnicity", "sex"):
        table = {
            role: Counter(getattr(p, attribute) for p in population if p.role == role) for role in PersonRole
        }
        statistic, df = chi_square(table)
        assert statistic < critical_value(df), (attribute, statistic, critical_value(df))
    # The same check does catch a generator that ties ethnicity to role.
    ordered = sorted(population, key=lambda p: p.ethnicity)
    biased = {
        "first": Counter(p.ethnicity for p in ordered[: len(ordered) // 5]),
        "rest": Counter(p.ethnicity for p in ordered[len(ordered) // 5 :]),
    }
    statistic, df = chi_square(biased)
    assert statistic > critical_value(df)


def test_namesakes_are_about_as_rare_as_in_a_real_borough():
    """Names are varied enough that matching meets namesakes about as often as it would in a real borough of
    this size: no given or family name is far commoner than England's commonest (Oliver about 2% of a year's
    boys, Smith 1.2% of people), and few people share a full name with anyone born within a year of them."""
    population = list(people(Streams(2026), SIZES["medium"]))
    given = Counter(p.given_name for p in population)
    family = Counter(p.family_name for p in population)
    assert max(given.values()) / len(population) < 0.01
    assert max(family.values()) / len(population) < 0.01
    full = Counter((p.given_name, p.family_name) for p in population)
    assert sum(n for n in full.values() if n > 1) / len(population) < 0.3
    born = Counter((p.given_name, p.family_name, p.date_of_birth.year // 2) for p in population)
    assert sum(n for n in born.values() if n > 1) / len(population) < 0.03


def test_bad_arguments_are_refused(tmp_path):
    """An unknown size, or an output path that is a file, gives a clear error."""
    with pytest.raises(CommandError, match="invalid choice"):
        generate(tmp_path, "--size", "enormous")
    not_a_directory = tmp_path / "file"
    not_a_directory.write_text("")
    with pytest.raises(CommandError, match="not a directory"):
        generate(not_a_directory)


def test_referrals_file_is_in_the_import_format_and_matches_its_truth(small):
    """referrals.csv has the import columns and the size's count; the ground truth gives its volume change,
    its networks by external reference, and the true entity of each mention."""
    rows = read(small / "referrals.csv")
    truth = json.loads((small / "ground_truth.json").read_text())
    assert len(rows) == truth["counts"]["referrals"] == SIZES["small"].referrals
    assert list(rows[0]) == list(history.IMPORT_COLUMNS)
    assert set(truth["volume_change"]) == {"start", "end", "factor"}
    assert sum(month["referrals"] for month in truth["months"].values()) == len(rows)
    references = {row["external_reference"] for row in rows}
    assert len(references) == len(rows)
    assert truth["networks"] and all(set(n["referrals"]) <= references for n in truth["networks"])
    mentions = read(small / "referral_mentions.csv")
    assert {m["reference"] for m in mentions} <= references
    assert {m["kind"] for m in mentions} == {"child", "person", "vehicle", "phone", "place"}


def test_referrals_file_imports_without_a_bad_row(small, db, settings, tmp_path):
    """Every generated row passes the checks of `lantern import referrals` (a dry run, Riverton loaded)."""
    settings.VAR_DIR = tmp_path / "var"
    call_command("demo", "--no-history", "--password", "lamplit-ferry-crossing-77", stdout=StringIO())
    out, err = StringIO(), StringIO()
    call_command(
        "import",
        "referrals",
        str(small / "referrals.csv"),
        "--dry-run",
        "--no-progress",
        stdout=out,
        stderr=err,
    )
    assert err.getvalue() == ""
    assert f"Checked {SIZES['small'].referrals} rows: {SIZES['small'].referrals} good" in out.getvalue()


def test_the_number_of_referrals_can_be_chosen(tmp_path):
    """--referrals writes that many referrals whatever the size; a negative number is refused."""
    output = generate(tmp_path, "--seed", "4", "--referrals", "250")
    assert len(read(tmp_path / "referrals.csv")) == 250
    assert "referrals.csv" in output
    with pytest.raises(CommandError, match="between 0"):
        generate(tmp_path, "--referrals", "-1")
