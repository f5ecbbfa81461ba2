"""Transactional tests may flush the database: the audit tables empty and their triggers come back."""

import pytest
from django.core.management import call_command
from django.db import connection

from lantern.audit.chain import append
from lantern.audit.models import AuditEvent, ChainHead
from lantern.audit.triggers import missing_triggers
from lantern.audit.verify import verify_chain


@pytest.mark.xdist_group("audit-concurrency")
@pytest.mark.django_db(transaction=True)
def test_flush_empties_the_audit_log_and_keeps_its_triggers():
    """With AUDIT_ALLOW_FLUSH (test settings), flush empties the log; the triggers are back afterwards."""
    append(event_type="test.before_flush")
    call_command("flush", interactive=False, verbosity=0)
    assert not AuditEvent.objects.exists()
    assert not ChainHead.objects.exists()
    assert missing_triggers(connection) == set()
    assert append(event_type="test.after_flush").seq == 1
    assert verify_chain().ok
