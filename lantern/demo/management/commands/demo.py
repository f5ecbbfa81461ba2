"""`lantern demo`: load Riverton, the synthetic borough, with a demo login for every role."""

from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.core.management.base import BaseCommand, CommandError

from lantern.accounts.models import Agency
from lantern.audit.checkpoints import checkpoint_write
from lantern.demo.dataset import DEFAULT_SEED, GROUND_TRUTH, demo_ground_truth, json_write
from lantern.demo.services import borough_load


def ground_truth_path() -> Path:
    """Where `lantern demo` writes its ground truth: `var/demo/ground_truth.json` under `VAR_DIR`."""
    return Path(settings.VAR_DIR) / "demo" / GROUND_TRUTH


class Command(BaseCommand):
    """Load the demo borough; running it again changes nothing."""

    help = "Load Riverton, the synthetic demo borough: its agencies, teams and a demo login for every role."

    def add_arguments(self, parser):
        """--seed, --if-empty and --password."""
        parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="Seed for the synthetic data.")
        parser.add_argument("--if-empty", action="store_true", help="Do nothing if any agency exists.")
        parser.add_argument("--password", help="Password for new accounts (default LANTERN_DEMO_PASSWORD).")

    def handle(self, *args, seed: int, if_empty: bool, password: str | None, **options):
        """Load the borough, write its ground truth and an audit checkpoint, and list the demo logins."""
        if if_empty and Agency.objects.exists():
            self.stdout.write("Agencies already exist, so the demo borough was not loaded.")
            return
        password = password if password is not None else settings.DEMO_PASSWORD
        if not password:
            raise CommandError("Set LANTERN_DEMO_PASSWORD or pass --password: demo accounts need a password.")
        try:
            result = borough_load(password=password)
        except ValidationError as error:
            raise CommandError("The demo borough was not loaded: " + " ".join(error.messages)) from error
        path = ground_truth_path()
        try:
            json_write(path, demo_ground_truth(seed=seed))
        except OSError as error:
            raise CommandError(f"The borough was loaded but {path} could not be written: {error}") from error
        try:
            checkpoint_write(only_if_moved=True)
        except ImproperlyConfigured as error:
            self.stderr.write(f"No audit checkpoint was written: {error}")
        self._report(result, password, path)

    def _report(self, result, password: str, path: Path) -> None:
        headings = ("Username", "Agency", "Role")
        rows = [(login.username, login.agency, login.role) for login in result.logins]
        widths = [max(len(row[i]) for row in [headings, *rows]) for i in range(len(headings))]
        for row in [headings, tuple("-" * w for w in widths), *rows]:
            line = "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
            self.stdout.write(line.rstrip())
        self.stdout.write("")
        self.stdout.write(
            f"Created {result.agencies_created} agencies, {result.teams_created} teams and "
            f"{result.users_created} demo accounts. Ground truth: {path}"
        )
        if result.users_created:
            self.stdout.write(self.style.SUCCESS(f"Password for the new demo accounts: {password}"))
        if result.users_created < len(result.logins):
            self.stdout.write("Accounts that existed already keep their own passwords.")
