"""The audit journal: `AuditPending`, `AuditEvent.journal_id`, and the triggers that guard the journal.

A pending event may not be updated, and may be deleted only once an event with the same contents and its id as
`journal_id` is on the chain, so the only way out of the journal is to be chained. `journal_id` is added as a
nullable column with a partial unique index: on SQLite both are done in place (ALTER TABLE ADD COLUMN, CREATE
UNIQUE INDEX … WHERE), so the event table is not rebuilt and migration 0003's triggers on it survive
(`lantern/audit/tests/test_journal.py` checks they do). The SQL is written out here, not imported, so this
migration keeps meaning what it meant when it was applied.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

# The chained event must carry exactly the pending row's contents: a forged event with the right journal id
# but other contents does not let the pending row go.
POSTGRESQL_FORWARD = [
    """
    CREATE OR REPLACE FUNCTION audit_pending_refuse_unchained_delete() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF NOT EXISTS (
            SELECT 1 FROM audit_auditevent e
            WHERE e.journal_id = OLD.id
              AND e.occurred_at = OLD.occurred_at
              AND e.event_type = OLD.event_type
              AND e.actor_id IS NOT DISTINCT FROM OLD.actor_id
              AND e.actor_username = OLD.actor_username
              AND e.actor_agency = OLD.actor_agency
              AND e.object_type = OLD.object_type
              AND e.object_id = OLD.object_id
              AND e.ip_address = OLD.ip_address
              AND e.reason = OLD.reason
              AND e.data = OLD.data
        ) THEN
            RAISE EXCEPTION
                'The audit journal is append-only: pending event % leaves it only by being chained.', OLD.id
                USING ERRCODE = 'restrict_violation';
        END IF;
        RETURN OLD;
    END;
    $$
    """,
    """
    CREATE TRIGGER audit_pending_refuse_update BEFORE UPDATE ON audit_auditpending
        FOR EACH ROW EXECUTE FUNCTION audit_refuse_change()
    """,
    """
    CREATE TRIGGER audit_pending_refuse_unchained_delete BEFORE DELETE ON audit_auditpending
        FOR EACH ROW EXECUTE FUNCTION audit_pending_refuse_unchained_delete()
    """,
    """
    CREATE TRIGGER audit_pending_refuse_truncate BEFORE TRUNCATE ON audit_auditpending
        FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change()
    """,
    # Every row is deleted moments after it is inserted: vacuum the journal after every few hundred deletes
    # rather than after a fifth of its (tiny) size, so dead rows never pile up in front of the live ones.
    """
    ALTER TABLE audit_auditpending SET (
        autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 500,
        autovacuum_vacuum_insert_scale_factor = 0, autovacuum_vacuum_insert_threshold = 500,
        autovacuum_vacuum_cost_delay = 0
    )
    """,
]

POSTGRESQL_REVERSE = [
    """
    ALTER TABLE audit_auditpending RESET (
        autovacuum_vacuum_scale_factor, autovacuum_vacuum_threshold, autovacuum_vacuum_insert_scale_factor,
        autovacuum_vacuum_insert_threshold, autovacuum_vacuum_cost_delay
    )
    """,
    "DROP TRIGGER IF EXISTS audit_pending_refuse_truncate ON audit_auditpending",
    "DROP TRIGGER IF EXISTS audit_pending_refuse_unchained_delete ON audit_auditpending",
    "DROP TRIGGER IF EXISTS audit_pending_refuse_update ON audit_auditpending",
    "DROP FUNCTION IF EXISTS audit_pending_refuse_unchained_delete()",
]

# SQLite keeps JSON as text; json() compares it without regard to insignificant whitespace.
SQLITE_FORWARD = [
    """
    CREATE TRIGGER audit_pending_refuse_update BEFORE UPDATE ON audit_auditpending
    BEGIN SELECT RAISE(ABORT,
        'The audit journal is append-only: UPDATE on audit_auditpending is refused.'); END
    """,
    """
    CREATE TRIGGER audit_pending_refuse_unchained_delete BEFORE DELETE ON audit_auditpending
    WHEN NOT EXISTS (
        SELECT 1 FROM audit_auditevent e
        WHERE e.journal_id = OLD.id
          AND e.occurred_at IS OLD.occurred_at
          AND e.event_type IS OLD.event_type
          AND e.actor_id IS OLD.actor_id
          AND e.actor_username IS OLD.actor_username
          AND e.actor_agency IS OLD.actor_agency
          AND e.object_type IS OLD.object_type
          AND e.object_id IS OLD.object_id
          AND e.ip_address IS OLD.ip_address
          AND e.reason IS OLD.reason
          AND json(e.data) IS json(OLD.data)
    )
    BEGIN SELECT RAISE(ABORT,
        'The audit journal is append-only: a pending event leaves it only by being chained.'); END
    """,
]

SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS audit_pending_refuse_unchained_delete",
    "DROP TRIGGER IF EXISTS audit_pending_refuse_update",
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
    """Create the journal's triggers for this database."""
    _run(schema_editor, 0)


def remove(apps, schema_editor):
    """Drop the journal's triggers for this database."""
    _run(schema_editor, 1)


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0003_append_only_triggers"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="AuditPending",
            fields=[
                ("id", models.BigAutoField(primary_key=True, serialize=False)),
                ("occurred_at", models.DateTimeField()),
                ("event_type", models.CharField(max_length=60)),
                ("actor_username", models.CharField(blank=True, max_length=150)),
                ("actor_agency", models.CharField(blank=True, max_length=40)),
                ("object_type", models.CharField(blank=True, max_length=60)),
                ("object_id", models.CharField(blank=True, max_length=64)),
                ("ip_address", models.CharField(blank=True, max_length=45)),
                ("reason", models.CharField(blank=True, max_length=500)),
                ("data", models.JSONField(blank=True, default=dict)),
                (
                    "actor",
                    models.ForeignKey(
                        blank=True, db_constraint=False, null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING, related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={"ordering": ["id"]},
        ),
        migrations.AddField(
            model_name="auditevent",
            name="journal_id",
            field=models.BigIntegerField(blank=True, editable=False, null=True),
        ),
        migrations.AddConstraint(
            model_name="auditevent",
            constraint=models.UniqueConstraint(
                condition=models.Q(("journal_id__isnull", False)),
                fields=("journal_id",),
                name="audit_event_journal_unique",
            ),
        ),
        migrations.RunPython(install, remove),
    ]
