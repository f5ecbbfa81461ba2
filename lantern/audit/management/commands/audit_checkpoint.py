"""`lantern audit_checkpoint`: write a signed checkpoint of the audit chain head outside the database."""

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError

from lantern.audit.checkpoints import checkpoint_dir, checkpoint_write


class Command(BaseCommand):
    """Sign the current chain head with AUDIT_KEY and write it to AUDIT_CHECKPOINT_DIR."""

    help = "Write a signed checkpoint of the audit chain head to AUDIT_CHECKPOINT_DIR."

    def add_arguments(self, parser):
        parser.add_argument(
            "--if-moved",
            action="store_true",
            help="Only write one if events other than checkpoint records were added since the latest one.",
        )

    def handle(self, *args, if_moved, **options):
        try:
            checkpoint = checkpoint_write(only_if_moved=if_moved)
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc)) from exc
        except OSError as exc:
            raise CommandError(
                f"Could not write a checkpoint to {checkpoint_dir()}: {exc.strerror or exc}."
            ) from exc
        if checkpoint is None:
            self.stdout.write(
                "No checkpoint written: the audit log is empty or has not moved since the latest one."
            )
            return
        self.stdout.write(f"Checkpoint of event {checkpoint.seq} written to {checkpoint.path}.")
