"""The database itself refuses to change or remove audit events, whatever path the change takes."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, connection, transaction

from lantern.audit.models import AuditEvent, ChainHead
from lantern.audit.triggers import missing_triggers

pytestmark = pytest.mark.usefixtures("chain")


def refused(action) -> None:
    """Assert that the database refuses `action`, leaving the rest of the test's transaction usable."""
    with pytest.raises(IntegrityError, match="append-only|only moves forward"), transaction.atomic():
        action()


def raw(sql: str, params=None):
    """A raw SQL statement, as a callable."""

    def run():
        with connection.cursor() as cursor:
            cursor.execute(sql, params)

    return run


def test_every_trigger_is_installed():
    """Each trigger the migration creates is present and enabled on this database."""
    assert missing_triggers(connection) == set()


def test_orm_update_is_refused():
    """A queryset update of an event is refused and the event is unchanged."""
    event = AuditEvent.objects.get(seq=3)
    refused(lambda: AuditEvent.objects.filter(seq=3).update(reason="rewritten"))
    event.reason = "rewritten"
    refused(event.save)
    assert AuditEvent.objects.get(seq=3).reason == ""


def test_orm_delete_is_refused():
    """Deleting an event through the ORM, singly or in bulk, is refused."""
    refused(AuditEvent.objects.get(seq=4).delete)
    refused(AuditEvent.objects.all().delete)
    assert AuditEvent.objects.filter(seq=4).exists()


def test_raw_sql_update_and_delete_are_refused(chain):
    """UPDATE and DELETE in raw SQL are refused too."""
    refused(raw("UPDATE audit_auditevent SET data = %s WHERE seq = %s", ['{"i": 99}', 5]))
    refused(raw("UPDATE audit_auditevent SET hash = prev_hash"))
    refused(raw("DELETE FROM audit_auditevent WHERE seq = %s", [5]))
    refused(raw("DELETE FROM audit_auditevent"))
    assert AuditEvent.objects.count() >= len(chain)
    assert AuditEvent.objects.get(seq=5).hash == chain[4].hash


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite has no TRUNCATE")
def test_truncate_is_refused_on_postgresql():
    """TRUNCATE, which skips row triggers, is refused by its own statement trigger."""
    refused(raw("TRUNCATE audit_auditevent"))


def test_chain_head_cannot_be_rewound_or_deleted():
    """The chain head cannot move back, nor be deleted."""
    head = ChainHead.objects.get()
    refused(lambda: ChainHead.objects.filter(pk=1).update(seq=head.seq - 1))
    refused(raw("UPDATE audit_chainhead SET seq = 0, hash = %s", ["0" * 64]))
    refused(raw("DELETE FROM audit_chainhead"))
    assert (ChainHead.objects.get().seq, ChainHead.objects.get().hash) == (head.seq, head.hash)


def test_chain_head_only_moves_to_an_event_that_exists(chain):
    """Moving the head past the last event, or to an event with another hash, is refused."""
    head = ChainHead.objects.get()
    refused(lambda: ChainHead.objects.filter(pk=1).update(seq=head.seq + 2))
    refused(lambda: ChainHead.objects.filter(pk=1).update(seq=head.seq + 1, hash="f" * 64))
    refused(lambda: ChainHead.objects.filter(pk=1).update(hash=chain[0].hash))
    assert ChainHead.objects.get().hash == head.hash


def test_flush_is_refused_unless_allowed(settings):
    """`flush` would wipe the audit log, so it is refused outside test databases."""
    settings.AUDIT_ALLOW_FLUSH = False
    with pytest.raises(CommandError, match="append-only"):
        call_command("flush", interactive=False, verbosity=0)
    assert AuditEvent.objects.filter(seq=1).exists()
