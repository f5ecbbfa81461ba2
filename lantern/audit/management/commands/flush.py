"""`flush`, aware of the append-only audit log: refused unless `AUDIT_ALLOW_FLUSH` (test settings) is on."""

from django.conf import settings
from django.core.management.base import CommandError
from django.core.management.commands import flush
from django.db import connections

from lantern.audit.triggers import triggers_suspended


class Command(flush.Command):
    """Django's flush, lifting the audit triggers for its own transaction when flushing is allowed.

    Django's transactional tests flush the database after each test; without this, the audit triggers would
    refuse the TRUNCATE (PostgreSQL) or DELETE (SQLite) of the audit tables.
    """

    help = (
        flush.Command.help + " Refused unless AUDIT_ALLOW_FLUSH is set, because the audit log is append-only."
    )

    def handle(self, **options):
        if not getattr(settings, "AUDIT_ALLOW_FLUSH", False):
            raise CommandError(
                "The audit log is append-only, so flush is refused. "
                "Set AUDIT_ALLOW_FLUSH only for a throwaway test or demonstration database."
            )
        with triggers_suspended(connections[options["database"]]):
            super().handle(**options)
