"""Intelligence items: the information as received, its source held apart, its 3x5x2 grade, its disclosures.

The people, vehicles, phones, places and organisations an item mentions are linking's mentions
(`lantern.intel.linking.models`), as a referral's are.
"""

from django.conf import settings
from django.db import models

from lantern.core.crypto import EncryptedTextField
from lantern.core.idempotency import IdempotencyKeyBase


class SourceEvaluation(models.TextChoices):
    """3x5x2 source evaluation."""

    RELIABLE = "1", "1: Reliable"
    UNTESTED = "2", "2: Untested"
    NOT_RELIABLE = "3", "3: Not reliable"


class IntelligenceAssessment(models.TextChoices):
    """3x5x2 intelligence assessment."""

    KNOWN_DIRECTLY = "A", "A: Known directly to the source"
    CORROBORATED = "B", "B: Known indirectly to the source but corroborated"
    KNOWN_INDIRECTLY = "C", "C: Known indirectly to the source"
    NOT_KNOWN = "D", "D: Not known"
    SUSPECTED_FALSE = "E", "E: Suspected to be false"


class HandlingCode(models.TextChoices):
    """3x5x2 handling code."""

    PERMITTED = "P", "P: Lawful sharing permitted"
    CONDITIONS = "C", "C: Lawful sharing permitted with conditions"


class ItemStatus(models.TextChoices):
    """Where an item is in its life: partner agencies submit, police grade."""

    SUBMITTED = "submitted", "Submitted, awaiting grading"
    GRADED = "graded", "Graded"
    WITHDRAWN = "withdrawn", "Withdrawn"


class IntelligenceItem(models.Model):
    """A piece of intelligence: content held apart from its source, graded 3x5x2 by police (or 5x5x5 if historic)."""

    reference = models.CharField(max_length=20, unique=True)
    status = models.CharField(
        max_length=20, choices=ItemStatus.choices, default=ItemStatus.SUBMITTED, db_index=True
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    agency = models.ForeignKey(
        "accounts.Agency",
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The agency that submitted the information.",
    )
    submitted_at = models.DateTimeField(db_index=True)
    occurred_at = models.DateTimeField(null=True, blank=True, help_text="When what it describes happened.")
    summary = models.CharField(max_length=200)
    content = EncryptedTextField(
        max_length=20000, help_text="The information as received. Never disseminated."
    )
    sanitised_text = EncryptedTextField(
        max_length=20000,
        blank=True,
        help_text="Text safe to disseminate: nothing that could identify the source.",
    )
    # 3x5x2, set by police when graded.
    source_evaluation = models.CharField(max_length=1, choices=SourceEvaluation.choices, blank=True)
    intelligence_assessment = models.CharField(
        max_length=1, choices=IntelligenceAssessment.choices, blank=True
    )
    handling_code = models.CharField(max_length=1, choices=HandlingCode.choices, blank=True)
    handling_conditions = models.TextField(
        max_length=2000, blank=True, help_text="The conditions on sharing when the handling code is C."
    )
    graded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    graded_at = models.DateTimeField(null=True, blank=True)
    # Legacy 5x5x5 grade, kept as recorded for historic items (source A-E, intelligence 1-5, handling 1-5).
    legacy_source_evaluation = models.CharField(max_length=1, blank=True)
    legacy_intelligence_evaluation = models.CharField(max_length=1, blank=True)
    legacy_handling_code = models.CharField(max_length=1, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="The analyst who owns this item and receives its link alerts.",
    )
    imported = models.BooleanField(
        default=False, help_text="Loaded from a historic file, not submitted here."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-submitted_at", "-pk"]

    def __str__(self) -> str:
        return self.reference


class ItemIdempotencyKey(IdempotencyKeyBase):
    """The item a POST /api/v1/intel with an `Idempotency-Key` created, so a repeat returns it."""

    result_field = "item"

    item = models.ForeignKey(IntelligenceItem, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="intel_idempotency_unique_user_key")
        ]


class IntelligenceSource(models.Model):
    """Who the information came from, held apart from the item so it never travels with the content."""

    item = models.OneToOneField(IntelligenceItem, on_delete=models.CASCADE, related_name="source")
    source_type = models.CharField(max_length=40, blank=True)
    name = EncryptedTextField(max_length=200, blank=True)
    contact = EncryptedTextField(max_length=300, blank=True)
    reference = models.CharField(max_length=100, blank=True, help_text="The source's own reference, if any.")
    notes = EncryptedTextField(max_length=4000, blank=True)


class Disclosure(models.Model):
    """One sharing of an item outside its owner: to whom, by whom, why, and the conditions acknowledged."""

    item = models.ForeignKey(IntelligenceItem, on_delete=models.PROTECT, related_name="disclosures")
    disclosed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recipient_agency = models.ForeignKey(
        "accounts.Agency", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    recipient = models.CharField(
        max_length=200, blank=True, help_text="A person or body outside the partnership."
    )
    purpose = models.TextField(max_length=2000)
    channel = models.CharField(max_length=20, default="page", help_text="page, api or export.")
    conditions = models.TextField(
        max_length=2000, blank=True, help_text="The handling conditions as they stood."
    )
    conditions_acknowledged = models.BooleanField(default=False)
    disclosed_at = models.DateTimeField()
