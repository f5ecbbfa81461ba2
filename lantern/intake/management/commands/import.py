# ruff: noqa: N999 - the command is `lantern import`, so the module is import.py
"""`lantern import KIND FILE.csv`: bring records in from another system (e.g. `lantern import referrals old.csv`).

Each app offers importers by defining `IMPORTERS = {"kind": ImporterClass}` in its `importers.py` (see
`lantern.intake.importers.CsvImporter`); this command finds them, so a new kind needs no change here.
"""

import importlib
import importlib.util
import sys

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from lantern.accounts.models import User
from lantern.intake.importers import ImportRefused


def discover_importers() -> dict[str, type]:
    """Every installed app's `IMPORTERS`, by kind."""
    found: dict[str, type] = {}
    for config in apps.get_app_configs():
        name = f"{config.name}.importers"
        if importlib.util.find_spec(name) is None:
            continue
        for kind, importer in getattr(importlib.import_module(name), "IMPORTERS", {}).items():
            if kind in found:
                raise CommandError(f"Two apps offer an importer for {kind!r}.")
            found[kind] = importer
    return found


class Command(BaseCommand):
    """Check every row of a CSV file, then import it in batches; a file with a bad row imports nothing."""

    help = (
        "Import records from a CSV file, e.g. `lantern import referrals FILE.csv`. Every row is checked first; "
        "a file with a bad row imports nothing unless --skip-invalid is given."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "kind", help="What the file holds: " + ", ".join(sorted(discover_importers())) + "."
        )
        parser.add_argument("file", help="The CSV file (UTF-8, with a header row).")
        parser.add_argument(
            "--skip-invalid", action="store_true", help="Import the good rows and skip the bad ones."
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Check the file and report; write nothing."
        )
        parser.add_argument(
            "--as", dest="username", default="", help="Record the import as done by this user."
        )
        parser.add_argument("--batch-size", type=int, default=1000, help="Rows written per transaction.")
        parser.add_argument("--no-progress", action="store_true", help="Do not show progress bars.")

    def handle(self, *args, kind, file, skip_invalid, dry_run, username, batch_size, no_progress, **options):
        importers = discover_importers()
        if kind not in importers:
            raise CommandError(f"Cannot import {kind!r}. Choose one of: {', '.join(sorted(importers))}.")
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        actor = None
        if username:
            actor = User.objects.filter(username=username, is_active=True).select_related("agency").first()
            if actor is None:
                raise CommandError(f"No active user is called {username!r}.")
        importer = importers[kind](actor=actor, batch_size=batch_size)

        def progress(items, label, total):
            return tqdm(
                items,
                desc=label,
                total=total,
                unit="row" if label == "Checking" else "batch",
                file=sys.stderr,
                disable=no_progress or None,
                leave=False,
            )

        try:
            result = importer.run(file, skip_invalid=skip_invalid, dry_run=dry_run, progress=progress)
        except FileNotFoundError:
            raise CommandError(f"There is no file {file!r}.") from None
        except IsADirectoryError:
            raise CommandError(f"{file!r} is a folder, not a file.") from None
        except ImportRefused as refused:
            for error in refused.errors:
                self.stderr.write(str(error))
            raise CommandError("The file cannot be imported; nothing was imported.") from None

        for error in result.errors:
            self.stderr.write(str(error))
        if result.errors and not (skip_invalid or dry_run):
            raise CommandError(
                f"{result.bad_rows} of {result.rows} rows have errors; nothing was imported. "
                "Correct them, or use --skip-invalid to import the other rows."
            )
        if dry_run:
            self.stdout.write(
                f"Checked {result.rows} rows: {result.rows - result.skipped} good, "
                f"{result.skipped} with errors. Nothing was written (dry run)."
            )
        else:
            skipped = f", skipped {result.skipped} with errors" if result.skipped else ""
            self.stdout.write(
                self.style.SUCCESS(f"Imported {result.imported} {kind} of {result.rows} rows{skipped}.")
            )
