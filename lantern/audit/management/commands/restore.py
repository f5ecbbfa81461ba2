"""`lantern restore DIR`: fill an empty database from a backup, put its checkpoints back, verify the chain."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from lantern.audit.backup import BackupError, backup_restore, manifest_read


class Command(BaseCommand):
    """Restore a backup written by `lantern backup` into the (empty) database DATABASE_URL names."""

    help = (
        "Restore a backup written by `lantern backup` into the empty database that DATABASE_URL names, copy its "
        "checkpoints into LANTERN_CHECKPOINT_DIR, and verify the audit chain. Exits non-zero if it fails."
    )

    def add_arguments(self, parser):
        parser.add_argument("source", type=Path, help="The backup's directory.")

    def handle(self, *args, source, **options):
        try:
            manifest = manifest_read(source)
            result = backup_restore(source=source)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"Restored database {manifest.database} (audit chain to event {manifest.head_seq}) from {source}."
        )
        if not result.ok:
            raise CommandError(result.summary())
        self.stdout.write(result.summary())
