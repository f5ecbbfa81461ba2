"""The database triggers that keep the audit log append-only (created by migrations 0003 and 0004)."""

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import transaction
from django.db.backends.base.base import BaseDatabaseWrapper

AUDIT_TABLES = ("audit_auditevent", "audit_chainhead", "audit_auditpending")

EXPECTED_TRIGGERS = {
    "postgresql": {
        "audit_event_refuse_update_delete",
        "audit_event_refuse_truncate",
        "audit_head_refuse_rewind",
        "audit_head_refuse_delete",
        "audit_pending_refuse_update",
        "audit_pending_refuse_unchained_delete",
        "audit_pending_refuse_truncate",
    },
    "sqlite": {
        "audit_event_refuse_update",
        "audit_event_refuse_delete",
        "audit_head_refuse_rewind",
        "audit_head_refuse_delete",
        "audit_pending_refuse_update",
        "audit_pending_refuse_unchained_delete",
    },
}


def installed_triggers(connection: BaseDatabaseWrapper) -> set[str]:
    """The names of the enabled audit triggers in this database."""
    placeholders = ", ".join(["%s"] * len(AUDIT_TABLES))
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                f"WHERE NOT t.tgisinternal AND t.tgenabled <> 'D' AND c.relname IN ({placeholders})",
                AUDIT_TABLES,
            )
        elif connection.vendor == "sqlite":
            cursor.execute(
                f"SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name IN ({placeholders})",
                AUDIT_TABLES,
            )
        else:
            return set()
        return {row[0] for row in cursor.fetchall()}


def missing_triggers(connection: BaseDatabaseWrapper) -> set[str]:
    """Audit triggers that should exist on this database but do not (or are disabled)."""
    return EXPECTED_TRIGGERS.get(connection.vendor, set()) - installed_triggers(connection)


@contextmanager
def triggers_suspended(connection: BaseDatabaseWrapper) -> Iterator[None]:
    """Lift the audit triggers for one transaction, restoring them before it commits.

    Only the table owner can do this, and only `flush` under `AUDIT_ALLOW_FLUSH` (test settings) uses it: the
    triggers guard against the application and its bugs, while the hash chain and the signed checkpoints are
    what catch someone who can run DDL.
    """
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for table in AUDIT_TABLES:
                cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
            yield
            for table in AUDIT_TABLES:
                cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")
        elif connection.vendor == "sqlite":
            placeholders = ", ".join(["%s"] * len(AUDIT_TABLES))
            cursor.execute(
                "SELECT name, sql FROM sqlite_master "
                f"WHERE type = 'trigger' AND tbl_name IN ({placeholders})",
                AUDIT_TABLES,
            )
            saved = cursor.fetchall()
            for name, _sql in saved:
                cursor.execute(f'DROP TRIGGER "{name}"')
            yield
            for _name, sql in saved:
                cursor.execute(sql)
        else:
            yield
