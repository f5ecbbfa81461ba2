"""`lantern publish --period 2025Q4 --out DIR`: write the transparency report for a quarter."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from lantern.core.exceptions import Invalid
from lantern.insights.statistics.publish import transparency_report_publish


class Command(BaseCommand):
    """Build, keep and write the transparency report: report.html, report.pdf and figures.json."""

    help = (
        "Publish the transparency report for a quarter: aggregate figures only, counts below 5 suppressed, "
        "each figure with its query and the hash of its data. Writes report.html, report.pdf and figures.json."
    )

    def add_arguments(self, parser):
        """--period (e.g. 2025Q4) and --out (a directory, created if need be)."""
        parser.add_argument("--period", required=True, help="The quarter, e.g. 2025Q4.")
        parser.add_argument("--out", required=True, help="Directory to write the report to.")

    def handle(self, *args, period: str, out: str, **options):
        """Publish and say where the files are."""
        directory = Path(out)
        if directory.exists() and not directory.is_dir():
            raise CommandError(f"--out must be a directory; {out} is a file.")
        try:
            report = transparency_report_publish(actor=None, period=period, out_dir=directory)
        except Invalid as error:
            raise CommandError(
                " ".join(m for ms in error.fields.values() for m in ms) or error.detail
            ) from None
        self.stdout.write(
            f"Published the transparency report for {report.period} to {directory}/ (report.html, report.pdf, "
            f"figures.json). Snapshot hash {report.snapshot_hash}."
        )
