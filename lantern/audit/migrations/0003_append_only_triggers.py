"""Database triggers that refuse UPDATE and DELETE (and on PostgreSQL TRUNCATE) of audit events.

The chain head may only move forward, to an event that exists with the hash it records, and cannot be deleted.
The SQL is written out here, not imported, so this migration keeps meaning what it meant when it was applied.
"""

from django.db import migrations

POSTGRESQL_FORWARD = [
    """
    CREATE OR REPLACE FUNCTION audit_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION 'The audit log is append-only: % on % is refused.', TG_OP, TG_TABLE_NAME
            USING ERRCODE = 'restrict_violation';
    END;
    $$
    """,
    """
    CREATE TRIGGER audit_event_refuse_update_delete BEFORE UPDATE OR DELETE ON audit_auditevent
        FOR EACH ROW EXECUTE FUNCTION audit_refuse_change()
    """,
    """
    CREATE TRIGGER audit_event_refuse_truncate BEFORE TRUNCATE ON audit_auditevent
        FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change()
    """,
    """
    CREATE OR REPLACE FUNCTION audit_head_refuse_rewind() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF NEW.id <> OLD.id OR NEW.seq <= OLD.seq OR NEW.hash IS DISTINCT FROM
                (SELECT e.hash FROM audit_auditevent e WHERE e.seq = NEW.seq) THEN
            RAISE EXCEPTION 'The audit chain head only moves forward, to an event that exists.'
                USING ERRCODE = 'restrict_violation';
        END IF;
        RETURN NEW;
    END;
    $$
    """,
    """
    CREATE TRIGGER audit_head_refuse_rewind BEFORE UPDATE ON audit_chainhead
        FOR EACH ROW EXECUTE FUNCTION audit_head_refuse_rewind()
    """,
    """
    CREATE TRIGGER audit_head_refuse_delete BEFORE DELETE ON audit_chainhead
        FOR EACH ROW EXECUTE FUNCTION audit_refuse_change()
    """,
]

POSTGRESQL_REVERSE = [
    "DROP TRIGGER IF EXISTS audit_head_refuse_delete ON audit_chainhead",
    "DROP TRIGGER IF EXISTS audit_head_refuse_rewind ON audit_chainhead",
    "DROP TRIGGER IF EXISTS audit_event_refuse_truncate ON audit_auditevent",
    "DROP TRIGGER IF EXISTS audit_event_refuse_update_delete ON audit_auditevent",
    "DROP FUNCTION IF EXISTS audit_head_refuse_rewind()",
    "DROP FUNCTION IF EXISTS audit_refuse_change()",
]

# SQLite has no TRUNCATE: `DELETE FROM` without a WHERE clause still fires row triggers.
SQLITE_FORWARD = [
    """
    CREATE TRIGGER audit_event_refuse_update BEFORE UPDATE ON audit_auditevent
    BEGIN SELECT RAISE(ABORT, 'The audit log is append-only: UPDATE on audit_auditevent is refused.'); END
    """,
    """
    CREATE TRIGGER audit_event_refuse_delete BEFORE DELETE ON audit_auditevent
    BEGIN SELECT RAISE(ABORT, 'The audit log is append-only: DELETE on audit_auditevent is refused.'); END
    """,
    """
    CREATE TRIGGER audit_head_refuse_rewind BEFORE UPDATE ON audit_chainhead
    WHEN NEW.id <> OLD.id OR NEW.seq <= OLD.seq
        OR NEW.hash IS NOT (SELECT e.hash FROM audit_auditevent e WHERE e.seq = NEW.seq)
    BEGIN SELECT RAISE(ABORT, 'The audit chain head only moves forward, to an event that exists.'); END
    """,
    """
    CREATE TRIGGER audit_head_refuse_delete BEFORE DELETE ON audit_chainhead
    BEGIN SELECT RAISE(ABORT, 'The audit log is append-only: DELETE on audit_chainhead is refused.'); END
    """,
]

SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS audit_head_refuse_delete",
    "DROP TRIGGER IF EXISTS audit_head_refuse_rewind",
    "DROP TRIGGER IF EXISTS audit_event_refuse_delete",
    "DROP TRIGGER IF EXISTS audit_event_refuse_update",
]

SQL = {
    "postgresql": (POSTGRESQL_FORWARD, POSTGRESQL_REVERSE),
    "sqlite": (SQLITE_FORWARD, SQLITE_REVERSE),
}


def _run(schema_editor, direction: int) -> None:
    vendor = schema_editor.connection.vendor
    if vendor not in SQL:
        raise RuntimeError(f"Lantern's audit log needs PostgreSQL or SQLite; {vendor} is not supported.")
    for statement in SQL[vendor][direction]:
        # No parameters, so `%` in the PL/pgSQL reaches the server untouched.
        schema_editor.execute(statement, params=None)


def install(apps, schema_editor):
    """Create the triggers for this database."""
    _run(schema_editor, 0)


def remove(apps, schema_editor):
    """Drop the triggers for this database."""
    _run(schema_editor, 1)


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_chain_head_row")]

    operations = [migrations.RunPython(install, remove)]
