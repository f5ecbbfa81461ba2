"""`lantern link`: batch resolution of every mention into entities, and the association graph rebuilt."""

from django.core.management.base import BaseCommand, CommandError

from lantern.intel.linking.resolution.model import ENGINES
from lantern.intel.linking.services import linking_run
from lantern.intel.models import EntityKind


class Command(BaseCommand):
    """Train a new person model (Splink), resolve every kind of mention, rebuild networks, and report."""

    help = (
        "Resolve every mention into entities (Splink for people), keep analysts' decisions, rebuild networks."
    )

    def add_arguments(self, parser):
        """--kind (repeatable), --no-train and --engine."""
        parser.add_argument(
            "--kind",
            action="append",
            choices=EntityKind.values,
            help="Only this kind of entity (repeat for more); the default is every kind.",
        )
        parser.add_argument(
            "--no-train",
            action="store_true",
            help="Score with the current saved model instead of training a new version.",
        )
        parser.add_argument(
            "--engine",
            choices=ENGINES,
            help=(
                "Splink's backend for people: duckdb on this machine, or spark (at LANTERN_SPARK_MASTER); "
                "the default is the LANTERN_LINK_ENGINE setting, else duckdb."
            ),
        )

    def handle(self, *args, kind=None, no_train=False, engine=None, **options):
        """Run and print one line per kind."""
        try:
            outcomes = linking_run(actor=None, kinds_to_link=kind, train=not no_train, engine=engine)
        except Exception as error:  # noqa: BLE001 - shown to the operator as a command error, not a traceback
            raise CommandError(f"Linking failed: {error}") from error
        for outcome in outcomes:
            if outcome.kind == "graph":
                self.stdout.write(
                    f"{'networks':<14} {outcome.entities:>9,} networks  {outcome.pairs:>9,} edges"
                )
                continue
            version = f"  model v{outcome.model_version}" if outcome.model_version else ""
            self.stdout.write(
                f"{outcome.kind:<14} {outcome.mentions:>9,} mentions {outcome.entities:>9,} entities"
                f" {outcome.pairs:>9,} pairs  {outcome.seconds:6.1f} s{version}"
            )
            for note in outcome.notes:
                self.stdout.write(f"  {note}")
        self.stdout.write(self.style.SUCCESS("Linking finished."))
