"""Models: where each record stands in its retention, the legal holds on records, and every decision taken.

A record (a referral, a case, an intelligence item, a complaint or a conduct matter) enters retention when its
review date, derived from the schedule (`lantern.governance.retention.schedule`), comes due: the periodic job then
writes its `RecordReview`. The records manager retains it (with a reason and a new date), or disposes of it; a
legal hold stops disposal until it is lifted. Rows here name a record by its class, key and reference only: never
its personal data, so they outlive its disposal.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone

__all__ = [
    "DecisionKind",
    "HoldStatus",
    "LegalHold",
    "RecordClass",
    "RecordReview",
    "RetentionDecision",
    "ReviewState",
]


class RecordClass(models.TextChoices):
    """The classes of record the retention schedule covers."""

    REFERRAL = "referral", "Referral (concern)"
    CASE = "case", "Case"
    INTELLIGENCE_ITEM = "intelligence_item", "Intelligence item"
    COMPLAINT = "complaint", "Complaint"
    CONDUCT_MATTER = "conduct_matter", "Conduct matter"


class ReviewState(models.TextChoices):
    """Where a record stands in its retention review."""

    DUE = "due", "Due for review"
    RETAINED = "retained", "Retained until a later review"
    DISPOSED = "disposed", "Disposed of"


class RecordReview(models.Model):
    """One record's retention: its current review date and state. Written when the record first falls due."""

    record_class = models.CharField(max_length=30, choices=RecordClass.choices)
    object_id = models.PositiveBigIntegerField()
    reference = models.CharField(max_length=40, help_text="The record's reference, never its content.")
    agency = models.ForeignKey(
        "accounts.Agency", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    review_due = models.DateField(db_index=True)
    state = models.CharField(
        max_length=10, choices=ReviewState.choices, default=ReviewState.DUE, db_index=True
    )
    listed_at = models.DateTimeField(default=timezone.now, help_text="When it was first listed as due.")
    disposed_at = models.DateTimeField(null=True, blank=True)
    disposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["review_due", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["record_class", "object_id"], name="retention_one_review_per_record"
            )
        ]
        indexes = [models.Index(fields=["state", "review_due"], name="retention_queue_idx")]

    def __str__(self) -> str:
        return f"{self.get_record_class_display()} {self.reference}"


class HoldStatus(models.TextChoices):
    """Whether a legal hold is in force."""

    ACTIVE = "active", "In force"
    LIFTED = "lifted", "Lifted"


class LegalHold(models.Model):
    """A legal hold: while it is in force the record is never disposed of, whatever its review date."""

    record_class = models.CharField(max_length=30, choices=RecordClass.choices)
    object_id = models.PositiveBigIntegerField()
    reference = models.CharField(max_length=40)
    status = models.CharField(max_length=10, choices=HoldStatus.choices, default=HoldStatus.ACTIVE)
    reason = models.TextField(
        max_length=2000, help_text="Why the record must be kept (an inquiry, a claim...)."
    )
    placed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    placed_at = models.DateTimeField(default=timezone.now)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    lifted_at = models.DateTimeField(null=True, blank=True)
    lift_reason = models.TextField(max_length=2000, blank=True)

    class Meta:
        ordering = ["-placed_at", "-pk"]
        indexes = [models.Index(fields=["record_class", "object_id", "status"], name="retention_hold_idx")]

    def __str__(self) -> str:
        return f"Hold on {self.reference}"


class DecisionKind(models.TextChoices):
    """What the records manager decided."""

    RETAIN = "retain", "Retained"
    DISPOSE = "dispose", "Disposed of"
    HOLD_PLACED = "hold_placed", "Legal hold placed"
    HOLD_LIFTED = "hold_lifted", "Legal hold lifted"


class RetentionDecision(models.Model):
    """One decision about a record's retention, for its history and the disposal history."""

    record_class = models.CharField(max_length=30, choices=RecordClass.choices)
    object_id = models.PositiveBigIntegerField()
    reference = models.CharField(max_length=40)
    kind = models.CharField(max_length=20, choices=DecisionKind.choices)
    reason = models.TextField(max_length=2000, blank=True)
    new_review_date = models.DateField(null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-decided_at", "-pk"]
        indexes = [models.Index(fields=["record_class", "object_id"], name="retention_decision_record_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.reference}"
