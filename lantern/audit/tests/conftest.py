"""Helpers for the audit tests: appending events, and tampering as someone with direct database access."""

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.db import connection

from lantern.audit.chain import append
from lantern.audit.models import AuditEvent


@contextmanager
def triggers_off() -> Iterator[None]:
    """Switch the audit triggers off the way an attacker with database access would, then back on."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = replica")
            try:
                yield
            finally:
                cursor.execute("SET session_replication_role = DEFAULT")
        else:
            cursor.execute(
                "SELECT name, sql FROM sqlite_master "
                "WHERE type = 'trigger' "
                "AND tbl_name IN ('audit_auditevent', 'audit_chainhead', 'audit_auditpending')"
            )
            saved = cursor.fetchall()
            assert saved, "the audit triggers should exist before they are dropped"
            for name, _sql in saved:
                cursor.execute(f'DROP TRIGGER "{name}"')
            try:
                yield
            finally:
                for _name, sql in saved:
                    cursor.execute(sql)


def tamper(*statements: tuple[str, list] | str) -> None:
    """Run raw SQL against the audit tables with the triggers off."""
    with triggers_off(), connection.cursor() as cursor:
        for statement in statements:
            sql, params = (statement, None) if isinstance(statement, str) else statement
            cursor.execute(sql, params)


def append_events(count: int, **fields) -> list[AuditEvent]:
    """Append `count` synthetic events and return them."""
    return [
        append(
            event_type=fields.get("event_type", "test.appended"),
            object_type="test.thing",
            object_id=i,
            reason=fields.get("reason", ""),
            data={"i": i, "note": "synthetic"},
        )
        for i in range(count)
    ]


@pytest.fixture
def chain(db) -> list[AuditEvent]:
    """Ten events on the chain."""
    return append_events(10)
