"""The referrals importer's check and preparation, without a database: CPU per row and function calls per row.

    python bench/import_check.py [--json] [--rows 20000] [--repeat 3]

`lantern import referrals` first checks every row (`clean_row`: the row mapped onto `ReferralImportIn` and
validated), then prepares each batch's rows and mentions (`prepare_batch`) while the previous batch is written.
This measures those two steps alone, in one process, on `lantern generate`'s referral history (seed 1, kept in
var/bench/import_check/): the best CPU time per row of `--repeat` runs, and the Python function calls per row,
which do not depend on the machine and so compare two commits where the timings drift. The database writes,
which bench/intake.py measures, are left out.
"""

import argparse
import cProfile
import json
import os
import pstats
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "var" / "bench" / "import_check"


def referrals_file(rows: int) -> Path:
    """`rows` generated referrals in the import format, written once and kept."""
    from lantern.demo import history
    from lantern.demo.dataset import referrals_write

    path = BENCH_DIR / f"referrals-seed1-{rows}.csv"
    if not path.exists():
        work = BENCH_DIR / f"generating-{os.getpid()}"
        work.mkdir(parents=True, exist_ok=True)
        referrals_write(history.plan_history(seed=1, until=history.GENERATED_UNTIL, total=rows), work)
        (work / "referrals.csv").rename(path)
        for leftover in work.iterdir():
            leftover.unlink()
        work.rmdir()
    return path


def importer(path: Path):
    """A referrals importer that knows every agency code in the file, built without a database."""
    import csv

    from lantern.intake.importers import ReferralImporter

    with open(path, newline="", encoding="utf-8-sig") as handle:
        codes = sorted(
            {row["referrer_agency"] for row in csv.DictReader(handle) if row.get("referrer_agency")}
        )
    made = object.__new__(ReferralImporter)
    made.actor, made.batch_size, made.references = None, 1000, {}
    made.agencies = {code: number for number, code in enumerate(codes, start=1)}
    return made


def measure(made, rows: list) -> tuple[float, float, list]:
    """CPU seconds to check every row, and to prepare the checked rows in batches; the checked rows."""
    start = time.process_time()
    cleaned = [value for number, row in rows if (value := made.clean_row(row, number)[0]) is not None]
    checked = time.process_time()
    for item in cleaned:
        made.references[id(item)] = "RIV-2020-000001"
    for first in range(0, len(cleaned), made.batch_size):
        made.prepare_batch(cleaned[first : first + made.batch_size])
    return checked - start, time.process_time() - checked, cleaned


def calls(function) -> int:
    """How many Python function calls `function()` makes."""
    profile = cProfile.Profile()
    profile.runcall(function)
    return pstats.Stats(profile).total_calls


def main(argv: list[str] | None = None) -> int:
    """Generate (once) the file, check and prepare it, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="One JSON object instead of a table.")
    parser.add_argument("--rows", type=int, default=20_000, help="Generated referrals (default 20,000).")
    parser.add_argument("--repeat", type=int, default=3, help="Runs; the best is reported (default 3).")
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lantern.settings.test")
    sys.path[:0] = [str(ROOT), str(ROOT / "bench")]
    import django

    django.setup()
    from _tables import table

    path = referrals_file(args.rows)
    made = importer(path)
    rows = list(made.read(path)[1])
    runs = [measure(made, rows) for _ in range(args.repeat)]
    check, prepare = min(run[0] for run in runs), min(run[1] for run in runs)
    cleaned = runs[0][2]
    sample = rows[:1000]
    check_calls = calls(lambda: [made.clean_row(row, number) for number, row in sample]) / len(sample)
    figures = {
        "rows": len(rows),
        "accepted": len(cleaned),
        "check_us_per_row": round(1e6 * check / len(rows), 1),
        "prepare_us_per_row": round(1e6 * prepare / max(len(cleaned), 1), 1),
        "check_calls_per_row": round(check_calls, 1),
    }
    if args.json:
        print(json.dumps(figures))
    else:
        print(
            table(
                ["figure", "value"],
                [
                    ["rows in the file", f"{figures['rows']:,}"],
                    ["rows accepted", f"{figures['accepted']:,}"],
                    ["check: CPU per row (µs)", figures["check_us_per_row"]],
                    ["prepare: CPU per row (µs)", figures["prepare_us_per_row"]],
                    ["check: Python calls per row", figures["check_calls_per_row"]],
                ],
            )
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
