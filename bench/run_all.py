"""Run every benchmark in bench/ in turn (what `make bench` does).

    python bench/run_all.py [--json] [NAME ...]

Each `bench/*.py` except this one runs as its own process, in alphabetical order, with `--json` passed
through; NAME limits the run to the named benchmarks (e.g. `intake`). A benchmark that fails is reported and
the others still run; the exit status is 1 if any failed.
"""

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def benchmarks(names: list[str]) -> list[Path]:
    """The benchmark scripts to run: all of bench/*.py but this one, or the named ones."""
    found = sorted(
        p for p in HERE.glob("*.py") if p.name != Path(__file__).name and not p.name.startswith("_")
    )
    if not names:
        return found
    by_name = {p.stem: p for p in found}
    unknown = [n for n in names if n not in by_name]
    if unknown:
        raise SystemExit(f"No benchmark called {', '.join(unknown)}. Choose from: {', '.join(by_name)}.")
    return [by_name[n] for n in names]


def main(argv: list[str] | None = None) -> int:
    """Run the benchmarks and say which failed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--json", action="store_true", help="Ask each benchmark for one JSON object per line."
    )
    parser.add_argument("names", nargs="*", help="Only these benchmarks (file names without .py).")
    args = parser.parse_args(argv)
    failed = []
    for script in benchmarks(args.names):
        if not args.json:
            print(f"== {script.stem} ==", flush=True)
        started = time.perf_counter()
        command = [sys.executable, str(script), *(["--json"] if args.json else [])]
        code = subprocess.call(command, cwd=HERE.parent)  # noqa: S603 - a fixed argument list, no shell
        if code != 0:
            failed.append(script.stem)
            print(f"{script.stem} failed with exit status {code}.", file=sys.stderr, flush=True)
        elif not args.json:
            print(f"({script.stem} took {time.perf_counter() - started:.0f} s)\n", flush=True)
    if failed:
        print(f"Failed: {', '.join(failed)}.", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
