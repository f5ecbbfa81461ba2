"""`lantern generate`: write a synthetic data set, with its ground truth, from a seed."""

import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from lantern.demo.dataset import DEFAULT_SEED, GROUND_TRUTH, dataset_write
from lantern.demo.population import SIZES


class Command(BaseCommand):
    """Write people, places, vehicles and phones as CSV, and ground_truth.json, into a directory."""

    help = "Write a synthetic data set (same seed, same bytes) with its ground truth into a directory."

    def add_arguments(self, parser):
        """--seed, --size and --out."""
        parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="Same seed, same files.")
        parser.add_argument("--size", choices=list(SIZES), default="small", help="How much data to write.")
        parser.add_argument("--out", type=Path, required=True, help="Directory to write to.")

    def handle(self, *args, seed: int, size: str, out: Path, **options):
        """Write the data set and say what was written."""
        if out.exists() and not out.is_dir():
            raise CommandError(f"{out} exists and is not a directory.")
        started = time.perf_counter()
        try:
            truth = dataset_write(seed=seed, size=size, out=out)
        except OSError as error:
            raise CommandError(f"The data set could not be written to {out}: {error}") from error
        elapsed = time.perf_counter() - started
        for name, info in truth["files"].items():
            self.stdout.write(f"{name:<14} {info['rows']:>9,} rows")
        self.stdout.write(f"{GROUND_TRUTH:<14} seed {seed}, size {size}")
        self.stdout.write(self.style.SUCCESS(f"Wrote {out} in {elapsed:.1f} s."))
