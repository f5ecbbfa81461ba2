"""The append-only, hash-chained audit log.

Each `AuditEvent` carries a gap-free sequence number and the SHA-256 of its canonical JSON together with the
previous event's hash. `ChainHead` holds the latest sequence number and hash; whatever extends the chain locks
it, so the chain has no gaps and no forks. In journal mode a transaction records its events as `AuditPending`
rows, which a chainer moves onto the chain right after the commit. Database triggers (see the migrations)
refuse UPDATE and DELETE on the event table, and on the journal allow only the DELETE that chaining does.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

GENESIS_HASH = "0" * 64


class AuditEvent(models.Model):
    """One thing that happened: who did what to which record, when and from where. Never the sensitive values."""

    seq = models.BigIntegerField(primary_key=True)
    occurred_at = models.DateTimeField()
    event_type = models.CharField(max_length=60, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
    )
    actor_username = models.CharField(max_length=150, blank=True)
    actor_agency = models.CharField(max_length=40, blank=True)
    object_type = models.CharField(max_length=60, blank=True, db_index=True)
    object_id = models.CharField(max_length=64, blank=True)
    ip_address = models.CharField(max_length=45, blank=True)
    reason = models.CharField(max_length=500, blank=True)
    data = models.JSONField(default=dict, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)
    # The `AuditPending` row this event was chained from (journal mode); not hashed. Unique, so a pending
    # event can be chained only once, and indexed for the journal's DELETE trigger.
    journal_id = models.BigIntegerField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["seq"]
        indexes = [
            models.Index(fields=["object_type", "object_id", "seq"], name="audit_object_idx"),
            models.Index(fields=["actor", "seq"], name="audit_actor_idx"),
        ]
        constraints = [
            # Partial, so that adding it on SQLite creates an index instead of rebuilding the table (which
            # would drop the append-only triggers).
            models.UniqueConstraint(
                fields=["journal_id"],
                condition=Q(journal_id__isnull=False),
                name="audit_event_journal_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.event_type}"


class ChainHead(models.Model):
    """The single row holding the chain's latest sequence number and hash; locked by every append."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    seq = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64, default=GENESIS_HASH)

    def __str__(self) -> str:
        return f"head #{self.seq}"


class AuditPending(models.Model):
    """An event written in journal mode, in the same transaction as what it records, waiting to be chained.

    It carries everything an `AuditEvent` does except its place in the chain (`seq`, `prev_hash`, `hash`),
    which the chainer assigns right after the transaction commits, so concurrent transactions never wait for
    one another. Triggers refuse UPDATE, and DELETE unless the same event is already on the chain.
    """

    id = models.BigAutoField(primary_key=True)
    occurred_at = models.DateTimeField()
    event_type = models.CharField(max_length=60)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
    )
    actor_username = models.CharField(max_length=150, blank=True)
    actor_agency = models.CharField(max_length=40, blank=True)
    object_type = models.CharField(max_length=60, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    ip_address = models.CharField(max_length=45, blank=True)
    reason = models.CharField(max_length=500, blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"pending {self.id} {self.event_type}"
