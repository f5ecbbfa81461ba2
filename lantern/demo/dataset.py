"""Writing synthetic data sets: CSV files streamed row by row, and the ground truth to measure against.

The same seed and size always give byte-identical files: rows come from `lantern.demo.population`'s seeded
streams, CSV lines end in "\\n" on every platform, and the ground truth is JSON with sorted keys and no
timestamps.
"""

import csv
import hashlib
import json
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from lantern.demo import borough, population
from lantern.demo.population import Size, Streams

GENERATOR_VERSION = 1
DEFAULT_SEED = 1
GROUND_TRUTH = "ground_truth.json"

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


def dataset_write(*, seed: int, size: str | Size, out: Path) -> dict[str, Any]:
    """Write the data set for `seed` and `size` into `out` (created if missing); returns its ground truth."""
    size = size_named(size) if isinstance(size, str) else size
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    streams = Streams(seed)
    files = {}
    for name, generate, header in FILES:
        path = out / name
        rows = csv_write(path, header, generate(streams, size))
        files[name] = {"rows": rows, "sha256": _sha256(path)}
    truth = {
        "generator": {"name": "lantern.demo", "version": GENERATOR_VERSION},
        "seed": seed,
        "size": size.name,
        "counts": size.counts(),
        "roles": {str(role): share for role, share in size.roles.items()},
        "demographics": "Sex and ethnicity are drawn before, and independently of, each person's role.",
        "borough": borough_summary(),
        "files": files,
    }
    json_write(out / GROUND_TRUTH, truth)
    return truth


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
