"""Writing synthetic data sets: CSV files streamed row by row, and the ground truth to measure against.

The same seed and size always give byte-identical files: rows come from `lantern.demo.population`'s and
`lantern.demo.history`'s seeded streams, CSV lines end in "\\n" on every platform, and the ground truth is
JSON with sorted keys and no timestamps. `referrals.csv` is in the import format of `lantern import referrals`
(docs/import-referrals.md); `referral_mentions.csv` gives the true entity behind every mention in it.
"""

import csv
import hashlib
import json
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from lantern.demo import borough, history, population
from lantern.demo.population import Size, Streams

GENERATOR_VERSION = 3
DEFAULT_SEED = 1
GROUND_TRUTH = "ground_truth.json"
REFERRALS = "referrals.csv"
MENTIONS = "referral_mentions.csv"
MENTION_FIELDS = ("reference", "kind", "written", "entity")

# File name, the record generator, and its header: written in this order.
FILES: tuple[tuple[str, Callable[[Streams, Size], Iterator], tuple[str, ...]], ...] = (
    ("people.csv", population.people, population.Person.FIELDS),
    ("places.csv", population.places, population.Place.FIELDS),
    ("vehicles.csv", population.vehicles, population.Vehicle.FIELDS),
    ("phones.csv", population.phones, population.Phone.FIELDS),
)


def size_named(name: str) -> Size:
    """The data-set size called `name` (small, medium or large); raises ValueError for any other."""
    try:
        return population.SIZES[name]
    except KeyError:
        raise ValueError(f"Choose a size from {', '.join(population.SIZES)}, not {name!r}.") from None


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def csv_write(path: Path, header: Iterable[str], records: Iterable) -> int:
    """Write records (each with a `row()`) under a header, one at a time; returns how many were written."""
    count = 0
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        for record in records:
            writer.writerow(record.row())
            count += 1
    return count


def referrals_write(plan: history.HistoryPlan, out: Path) -> int:
    """Write the plan's referrals in the import format and each mention's true entity; return how many."""
    count = 0
    with (
        open(out / REFERRALS, "w", encoding="utf-8", newline="") as referrals,
        open(out / MENTIONS, "w", encoding="utf-8", newline="") as mentions,
    ):
        rows, truth = csv.writer(referrals, lineterminator="\n"), csv.writer(mentions, lineterminator="\n")
        rows.writerow(history.IMPORT_COLUMNS)
        truth.writerow(MENTION_FIELDS)
        for referral in plan.referrals():
            rows.writerow(history.import_row(referral, plan.until))
            truth.writerows([referral.key, m.kind, m.written, m.entity] for m in referral.mentions)
            count += 1
    return count


def networks_truth(
    plan: history.HistoryPlan,
    references: dict[str, str] | None = None,
) -> list[dict[str, Any]]:
    """The planted networks: their entities, and each mention of them by referral reference.

    `references` maps the plan's keys to the references referrals were given (for the demo); without it the
    keys themselves are the references (the external references of `referrals.csv`).
    """
    references = references or {}
    return [
        {
            "id": network.id,
            "active": {"start": history.month_label(network.first), "end": history.month_label(network.last)},
            "entities": network.entities(),
            "referrals": sorted({references.get(m["key"], m["key"]) for m in network.mentions}),
            "sources": sorted({m["agency"] or m["source"] for m in network.mentions}),
            "mentions": [
                {
                    "reference": references.get(m["key"], m["key"]),
                    "kind": m["kind"],
                    "entity": m["entity"],
                    "written": m["written"],
                    "source": m["agency"] or m["source"],
                }
                for m in network.mentions
            ],
        }
        for network in plan.networks
    ]


def json_write(path: Path, value: Any) -> None:
    """Write JSON with sorted keys, so the same value always gives the same bytes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")


def borough_summary() -> dict[str, Any]:
    """The fixed facts about Riverton that every ground truth carries."""
    box = borough.BOX
    return {
        "name": borough.BOROUGH_NAME,
        "as_of": borough.AS_OF.isoformat(),
        "postcode_area": borough.POSTCODE_AREA,
        "box": {"south": box.south, "west": box.west, "north": box.north, "east": box.east},
        "areas": [
            {"name": area.name, "district": area.district, "lat": area.lat, "lon": area.lon}
            for area in borough.AREAS
        ],
    }


def dataset_write(*, seed: int, size: str | Size, out: Path, counts: str = "poisson") -> dict[str, Any]:
    """Write the data set for `seed` and `size` into `out` (created if missing); returns its ground truth.

    The referrals run from January 2022 to the end of 2025 whatever today's date, so the files never change.
    `counts` is the process sharing the referrals among the months (`lantern.demo.counts.PROCESSES`).
    """
    size = size_named(size) if isinstance(size, str) else size
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    streams = Streams(seed)
    files = {}
    for name, generate, header in FILES:
        path = out / name
        rows = csv_write(path, header, generate(streams, size))
        files[name] = {"rows": rows, "sha256": _sha256(path)}
    plan = history.plan_history(
        seed=seed, until=history.GENERATED_UNTIL, total=size.referrals, size=size, counts=counts
    )
    files[REFERRALS] = {"rows": referrals_write(plan, out), "sha256": _sha256(out / REFERRALS)}
    with open(out / MENTIONS, encoding="utf-8") as handle:
        files[MENTIONS] = {"rows": sum(1 for _ in handle) - 1, "sha256": _sha256(out / MENTIONS)}
    files[PERSON_MENTIONS] = {
        "rows": person_mentions_write(seed=seed, size=size, out=out),
        "sha256": _sha256(out / PERSON_MENTIONS),
    }
    truth = {
        "generator": {"name": "lantern.demo", "version": GENERATOR_VERSION},
        "seed": seed,
        "size": size.name,
        "counts": size.counts(),
        "roles": {str(role): share for role, share in size.roles.items()},
        "demographics": "Sex and ethnicity are drawn before, and independently of, each person's role.",
        "borough": borough_summary(),
        "files": files,
        **plan.truth(),
        "networks": networks_truth(plan),
    }
    json_write(out / GROUND_TRUTH, truth)
    return truth


def demo_history_truth(
    plan: history.HistoryPlan, references: dict[str, str], showcase: dict[str, list[str]]
) -> dict[str, Any]:
    """The ground truth of the demo's referral history: the planted volume change, counts by month, networks,
    and the referrals planted in the last weeks (by what they show)."""
    return {
        **plan.truth(),
        "referrals": len(references),
        "history": {"start": history.month_label(plan.months[0]), "until": plan.until.isoformat()},
        "networks": networks_truth(plan, references),
        "planted_recent": {
            code: [references[key] for key in keys] for code, keys in sorted(showcase.items())
        },
    }


def mentions_write(
    path: Path,
    referrals: Iterable[history.PlannedReferral],
    references: dict[str, str],
) -> int:
    """Write the true entity of every mention in the loaded referrals, by reference; returns how many."""
    path.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(MENTION_FIELDS)
        for referral in referrals:
            if referral.key in references:
                for mention in referral.mentions:
                    writer.writerow([references[referral.key], mention.kind, mention.written, mention.entity])
                    count += 1
    return count


def demo_ground_truth(*, seed: int) -> dict[str, Any]:
    """The ground truth of the loaded demo borough: seed, agencies, teams, demo logins (never passwords)."""
    return {
        "generator": {"name": "lantern.demo", "version": GENERATOR_VERSION},
        "seed": seed,
        "borough": borough_summary(),
        "agencies": [
            {
                "code": plan.code,
                "name": plan.name,
                "kind": str(plan.kind),
                "teams": list(plan.teams),
                "users": [{"username": s.username, "role": str(s.role), "team": s.team} for s in plan.staff],
            }
            for plan in borough.AGENCIES
        ],
    }


# Person mentions with the true person behind each (for measuring resolution: bench/linking.py)
PERSON_MENTIONS = "person_mentions.csv"
PERSON_MENTION_FIELDS = (
    "mention_id",
    "given_name",
    "family_name",
    "nickname",
    "date_of_birth",
    "age",
    "sex",
    "address",
    "postcode",
    "report_year",
    "entity",
)
PERSON_MENTIONS_PER_PERSON = 5


def _typo(rng, word: str) -> str:
    """A typing slip: two letters swapped, one dropped or one doubled."""
    if len(word) < 4:
        return word
    i = rng.randrange(1, len(word) - 1)
    match rng.randrange(3):
        case 0:
            return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
        case 1:
            return word[:i] + word[i + 1 :]
        case _:
            return word[:i] + word[i] + word[i:]


def person_mention_rows(streams: Streams, size: Size) -> Iterator[list[str]]:
    """About five mentions of each person, as reports write them: familiar names, typing slips, day and month
    transposed, ages for dates of birth, missing fields; the last column is the true person."""
    from lantern.demo import vocabulary

    homes, noise = streams("person_mentions.homes"), streams("person_mentions.noise")
    areas = borough.AREAS
    mention = 0
    for person in population.people(streams, size):
        area = areas[int(homes.random() * len(areas))]
        unit = "".join(homes.choice(vocabulary.POSTCODE_UNIT_LETTERS) for _ in range(2))
        postcode = f"{area.district} {homes.randrange(10)}{unit}"
        street = f"{homes.choice(vocabulary.STREET_NAMES)} {homes.choice(vocabulary.STREET_SUFFIXES)}"
        address = f"{homes.randint(1, 120)} {street}"
        short_forms = vocabulary.SHORT_FORMS.get(person.given_name, ())
        aliases = [n for n in person.nicknames if n in vocabulary.ALIASES]
        count = 1 + min(int(noise.expovariate(1 / (PERSON_MENTIONS_PER_PERSON - 1))), 30)
        for _ in range(count):
            mention += 1
            year = noise.randint(2022, 2025)
            given = person.given_name
            roll = noise.random()
            if short_forms and roll < 0.2:
                given = noise.choice(short_forms)
            elif roll < 0.25:
                given = _typo(noise, given)
            family = _typo(noise, person.family_name) if noise.random() < 0.05 else person.family_name
            # Now and then a name is missing, but not both: a mention with no name at all is a description.
            roll = noise.random()
            if roll < 0.03:
                given = ""
            elif roll < 0.08:
                family = ""
            nickname = aliases[0] if aliases and noise.random() < 0.6 else ""
            dob, age = "", ""
            roll = noise.random()
            if roll < 0.75:
                born = person.date_of_birth
                slip = noise.random()
                if slip < 0.05 and born.day <= 12 and born.day != born.month:
                    born = born.replace(day=born.month, month=born.day)
                elif slip < 0.07:
                    born = born.replace(day=min(28, max(1, born.day + noise.choice((-1, 1)))))
                dob = born.isoformat()
            elif roll < 0.95:
                true_age = year - person.date_of_birth.year
                age = str(max(0, true_age + noise.choice((-1, 0, 0, 0, 1))))
            sex = person.sex if noise.random() < 0.85 else ""
            place_roll = noise.random()
            written_postcode = postcode if place_roll < 0.6 else ""
            written_address = address if noise.random() < 0.4 else ""
            yield [
                f"M{mention:08d}",
                given,
                family,
                nickname,
                dob,
                age,
                sex,
                written_address,
                written_postcode,
                str(year),
                person.id,
            ]


def person_mentions_write(*, seed: int, size: str | Size, out: Path) -> int:
    """Write `person_mentions.csv` for `seed` and `size` into `out`; returns how many mentions."""
    size = size_named(size) if isinstance(size, str) else size
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    count = 0
    with open(out / PERSON_MENTIONS, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(PERSON_MENTION_FIELDS)
        for row in person_mention_rows(Streams(seed), size):
            writer.writerow(row)
            count += 1
    return count
