"""`lantern generate`: write a synthetic data set, with its ground truth, from a seed."""

import time
from dataclasses import replace
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from lantern.demo.counts import PROCESSES
from lantern.demo.dataset import DEFAULT_SEED, GROUND_TRUTH, dataset_write, size_named
from lantern.demo.population import SIZES

MAX_REFERRALS = 10_000_000


class Command(BaseCommand):
    """Write people, places, vehicles, phones and referrals as CSV, and ground_truth.json, into a folder."""

    help = "Write a synthetic data set (same seed, same bytes) with its ground truth into a directory."

    def add_arguments(self, parser):
        """--seed, --size, --referrals, --counts and --out."""
        parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="Same seed, same files.")
        parser.add_argument("--size", choices=list(SIZES), default="small", help="How much data to write.")
        parser.add_argument(
            "--referrals",
            type=int,
            help="How many referrals to write (default the size's: 600, 100,000 or 1,000,000).",
        )
        parser.add_argument(
            "--counts",
            choices=PROCESSES,
            default="poisson",
            help=(
                "How referrals vary from month to month: poisson (chance alone, the default), negbin (the rate "
                "itself wanders) or clustered (incidents bring several referrals at once)."
            ),
        )
        parser.add_argument("--out", type=Path, required=True, help="Directory to write to.")

    def handle(
        self,
        *args,
        seed: int,
        size: str,
        referrals: int | None,
        out: Path,
        counts: str = "poisson",
        **options,
    ):
        """Write the data set and say what was written."""
        if out.exists() and not out.is_dir():
            raise CommandError(f"{out} exists and is not a directory.")
        chosen = size_named(size)
        if referrals is not None:
            if not 0 <= referrals <= MAX_REFERRALS:
                raise CommandError(f"--referrals must be between 0 and {MAX_REFERRALS:,}.")
            chosen = replace(chosen, referrals=referrals)
        started = time.perf_counter()
        try:
            truth = dataset_write(seed=seed, size=chosen, out=out, counts=counts)
        except OSError as error:
            raise CommandError(f"The data set could not be written to {out}: {error}") from error
        elapsed = time.perf_counter() - started
        for name, info in truth["files"].items():
            self.stdout.write(f"{name:<22} {info['rows']:>10,} rows")
        self.stdout.write(f"{GROUND_TRUTH:<22} seed {seed}, size {size}, {counts} counts")
        self.stdout.write(self.style.SUCCESS(f"Wrote {out} in {elapsed:.1f} s."))
