"""`lantern backup DIR`: the database and the audit checkpoints that sign it, in one new directory."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from lantern.audit.backup import BackupError, backup_write


class Command(BaseCommand):
    """Write a backup (pg_dump, or SQLite's online backup) with every audit checkpoint."""

    help = (
        "Back up the database (pg_dump for PostgreSQL, SQLite's online backup API for SQLite) and every audit "
        "checkpoint into a new directory. A checkpoint of the chain head is written first."
    )

    def add_arguments(self, parser):
        parser.add_argument("out", type=Path, help="A new (or empty) directory for the backup.")

    def handle(self, *args, out, **options):
        try:
            manifest = backup_write(out=out)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"Backed up database {manifest.database} ({manifest.engine}; audit chain to event "
            f"{manifest.head_seq}) with {manifest.checkpoints} checkpoint"
            f"{'' if manifest.checkpoints == 1 else 's'} to {out}."
        )
