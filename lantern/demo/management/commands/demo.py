"""`lantern demo`: load Riverton, the synthetic borough: a login for every role, and years of referrals."""

import json
import re
import time
from datetime import date, datetime
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from lantern.accounts.models import Agency
from lantern.audit.checkpoints import checkpoint_write
from lantern.core.exceptions import Invalid
from lantern.demo import history
from lantern.demo.areas import STEPS
from lantern.demo.dataset import (
    DEFAULT_SEED,
    GROUND_TRUTH,
    MENTIONS,
    demo_ground_truth,
    demo_history_truth,
    json_write,
    mentions_write,
)
from lantern.demo.replay import history_load
from lantern.demo.services import borough_load
from lantern.intake.models import Referral
from lantern.intel.linking.realtime import matching_inline

HISTORY_KEYS = (
    "volume_change",
    "seasonality",
    "months",
    "referrals",
    "history",
    "networks",
    "planted_recent",
)


def ground_truth_path() -> Path:
    """Where `lantern demo` writes its ground truth: `var/demo/ground_truth.json` under `VAR_DIR`."""
    return Path(settings.VAR_DIR) / "demo" / GROUND_TRUTH


def _month(text: str) -> date:
    if not re.fullmatch(r"\d{4}-\d{2}", text or ""):
        raise CommandError(f"--since takes a month like 2022-01, not {text!r}.")
    year, month = (int(part) for part in text.split("-"))
    if not 1 <= month <= 12 or year < 2000:
        raise CommandError(f"--since takes a month like 2022-01, not {text!r}.")
    return date(year, month, 1)


def _moment(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise CommandError(f"--until takes a date and time like 2026-06-30T17:00, not {text!r}.") from None
    value = timezone.make_aware(value) if timezone.is_naive(value) else value
    if value > timezone.now():
        raise CommandError("--until cannot be in the future: the history is of things that have happened.")
    return value


class Command(BaseCommand):
    """Load the demo borough and its history; running it again changes nothing."""

    help = (
        "Load Riverton, the synthetic demo borough: its agencies, teams, a demo login for every role, and "
        "several years of referrals with their screening, decisions, tasks, escalations and cases."
    )

    def add_arguments(self, parser):
        """--seed, --if-empty, --password; the history's --since, --until, --per-month and --no-history."""
        parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="Seed for the synthetic data.")
        parser.add_argument("--if-empty", action="store_true", help="Do nothing if any agency exists.")
        parser.add_argument("--password", help="Password for new accounts (default LANTERN_DEMO_PASSWORD).")
        parser.add_argument(
            "--no-history", action="store_true", help="Load agencies and users, no referrals."
        )
        parser.add_argument(
            "--since",
            default=history.month_label(history.DEMO_FIRST_MONTH),
            help="First month of the referral history (default %(default)s).",
        )
        parser.add_argument("--until", help="End the history at this moment instead of now (ISO 8601).")
        parser.add_argument(
            "--per-month",
            type=float,
            default=history.DEMO_PER_MONTH,
            help="Referrals in an average month (default %(default)s).",
        )

    def handle(
        self,
        *args,
        seed: int,
        if_empty: bool,
        password: str | None,
        no_history: bool,
        since: str,
        until: str | None,
        per_month: float,
        **options,
    ):
        """Load the borough and its history, write the ground truth and an audit checkpoint, and report."""
        if if_empty and Agency.objects.exists():
            self.stdout.write("Agencies already exist, so the demo borough was not loaded again. Its logins:")
            self._report_existing(password if password is not None else settings.DEMO_PASSWORD)
            return
        password = password if password is not None else settings.DEMO_PASSWORD
        if not password:
            raise CommandError("Set LANTERN_DEMO_PASSWORD or pass --password: demo accounts need a password.")
        if not 0 <= per_month <= 2000:
            raise CommandError("--per-month must be between 0 and 2,000.")
        first, end = _month(since), _moment(until) if until else timezone.now()
        if no_history:
            plan = None
        else:
            try:
                plan = history.plan_history(
                    seed=seed, until=end, first=first, per_month=per_month, showcase=True
                )
            except ValueError as error:
                raise CommandError(f"The history cannot be planned: {error}") from error
        started = time.perf_counter()
        try:
            with matching_inline(), transaction.atomic():
                result = borough_load(password=password)
                loaded = None
                if plan is not None and not Referral.objects.exists():
                    loaded = history_load(plan=plan)
        except ValidationError as error:
            raise CommandError("The demo borough was not loaded: " + " ".join(error.messages)) from error
        except Invalid as error:
            raise CommandError(
                f"The demo history could not be loaded: {error.detail} {error.fields}"
            ) from error
        path = ground_truth_path()
        try:
            json_write(path, self._truth(seed, plan, loaded, path))
            if loaded is not None:
                mentions_write(path.parent / MENTIONS, loaded.planned, loaded.references)
        except OSError as error:
            raise CommandError(f"The borough was loaded but {path} could not be written: {error}") from error
        extra = []
        for step in STEPS:
            with matching_inline(), transaction.atomic():
                for area in step:
                    extra.extend(area.demo_load(seed=seed, loaded=loaded))
        try:
            checkpoint_write(only_if_moved=True)
        except ImproperlyConfigured as error:
            self.stderr.write(f"No audit checkpoint was written: {error}")
        self._report(result, password, path)
        self._report_history(plan, loaded, time.perf_counter() - started)
        for line in extra:
            self.stdout.write(line)

    @staticmethod
    def _truth(seed: int, plan, loaded, path: Path) -> dict:
        truth = demo_ground_truth(seed=seed)
        if loaded is not None:
            truth.update(demo_history_truth(plan, loaded.references, loaded.showcase))
            truth["files"] = {MENTIONS: "The true entity behind every mention, by referral reference."}
        elif path.exists():
            # A run that loaded no history keeps what the file says about the history loaded before.
            try:
                previous = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                previous = {}
            truth.update({key: previous[key] for key in (*HISTORY_KEYS, "files") if key in previous})
        return truth

    def _report_existing(self, password: str) -> None:
        from lantern.accounts.models import User

        users = (
            User.objects.filter(is_active=True).select_related("agency").order_by("agency__name", "username")
        )
        self._table([(u.username, u.agency.name if u.agency_id else "", u.get_role_display()) for u in users])
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS(f"Demo password (unless an account's was changed): {password}"))

    def _report(self, result, password: str, path: Path) -> None:
        self._table([(login.username, login.agency, login.role) for login in result.logins])
        self.stdout.write("")
        self.stdout.write(
            f"Created {result.agencies_created} agencies, {result.teams_created} teams and "
            f"{result.users_created} demo accounts. Ground truth: {path}"
        )
        if result.users_created:
            self.stdout.write(self.style.SUCCESS(f"Password for the new demo accounts: {password}"))
        if result.users_created < len(result.logins):
            self.stdout.write("Accounts that existed already keep their own passwords.")

    def _table(self, rows: list[tuple[str, str, str]]) -> None:
        headings = ("Username", "Agency", "Role")
        widths = [max(len(row[i]) for row in [headings, *rows]) for i in range(len(headings))]
        for row in [headings, tuple("-" * w for w in widths), *rows]:
            line = "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
            self.stdout.write(line.rstrip())

    def _report_history(self, plan, loaded, seconds: float) -> None:
        if plan is None:
            return
        if loaded is None:
            self.stdout.write("Referrals exist already, so no referral history was added.")
            return
        decisions = ", ".join(f"{kind} {count}" for kind, count in sorted(loaded.decisions.items()))
        levels = ", ".join(f"level {level}: {loaded.escalations.get(level, 0)}" for level in (1, 2, 3))
        change = plan.volume_change
        self.stdout.write(
            f"Loaded {len(loaded.references):,} referrals from {history.month_label(plan.months[0])} to "
            f"{timezone.localtime(plan.until):%d %b %Y %H:%M} in {seconds:.0f} s. Decisions: {decisions}. "
            f"Escalations: {levels}, disagreements {loaded.escalations.get('disagreement', 0)}. "
            f"Planted change in volume: x{change.factor} from {history.month_label(change.start)} to "
            f"{history.month_label(change.end)}."
        )
        example = loaded.tracking_example
        if example:
            reference, secret = example
            self.stdout.write(
                self.style.SUCCESS(
                    f"Try /track as the member of the public who reported {reference}: secret {secret}"
                )
            )
