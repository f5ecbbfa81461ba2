"""`lantern insights_refresh`: rebuild the accountability dashboard's daily fact table."""

from datetime import date

from django.core.management.base import BaseCommand, CommandError

from lantern.audit import events
from lantern.insights.accountability.selectors import accountability_refresh


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"{text!r} is not a date like 2026-03-27.") from None


class Command(BaseCommand):
    """Bring the accountability figures up to yesterday, or rebuild a range of days, or all of them."""

    help = (
        "Rebuild the accountability dashboard's daily figures (today is always computed live). With no options, "
        "bring them up to yesterday."
    )

    def add_arguments(self, parser):
        """--from/--to for a range of days (YYYY-MM-DD), --all to rebuild every day since the first referral."""
        parser.add_argument("--from", dest="start", help="First day to rebuild (YYYY-MM-DD).")
        parser.add_argument("--to", dest="end", help="Last day to rebuild (YYYY-MM-DD); at most yesterday.")
        parser.add_argument("--all", action="store_true", help="Rebuild every day from the first referral.")

    def handle(self, *args, start=None, end=None, all=False, **options):
        """Run the refresh and say what it did."""
        if all and (start or end):
            raise CommandError("Give --all, or --from and --to, not both.")
        first = _date(start) if start else None
        last = _date(end) if end else None
        if first and last and first > last:
            raise CommandError("--from must be on or before --to.")
        result = accountability_refresh(start=first, end=last, rebuild=all)
        events.accountability_refreshed(start=result.start, end=result.end, rows=result.rows)
        if result.start is None:
            self.stdout.write(f"Nothing to do: the figures are complete through {result.complete_through}.")
        else:
            self.stdout.write(
                f"Rebuilt {result.rows:,} daily rows for {result.start} to {result.end}; the figures are complete "
                f"through {result.complete_through}."
            )
