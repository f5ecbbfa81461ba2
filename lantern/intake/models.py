"""Referrals (concerns), the screening tool and its results, and the front door's decisions."""

import hashlib

from django.conf import settings
from django.db import models
from django.utils import timezone

from lantern.core.crypto import EncryptedTextField
from lantern.core.idempotency import IdempotencyKeyBase


class ReferralSource(models.TextChoices):
    """Who raised the concern."""

    PROFESSIONAL = "professional", "Professional"
    PUBLIC = "public", "Member of the public"
    SELF = "self", "Self-referral"
    IMPORT = "import", "Imported from another system"


class Channel(models.TextChoices):
    """How the concern reached Lantern."""

    WEB = "web", "Lantern page"
    PUBLIC_FORM = "public_form", "Public report form"
    API = "api", "API"
    IMPORT = "import", "Import"
    PHONE = "phone", "Telephone"
    EMAIL = "email", "Email"


class ReferralStatus(models.TextChoices):
    """Where a referral is in the core loop."""

    RECEIVED = "received", "Awaiting screening"
    AWAITING_SIGN_OFF = "awaiting_sign_off", "Awaiting manager sign-off"
    OPEN = "open", "With agencies"
    CLOSED = "closed", "Closed with an outcome"
    NO_FURTHER_ACTION = "nfa", "Closed: no further action"


class RiskLevel(models.TextChoices):
    """The screening tool's risk level."""

    NOT_ASSESSED = "not_assessed", "Not assessed"
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"


class Priority(models.TextChoices):
    """MASH RAG priority of the work that follows."""

    RED = "red", "Red"
    AMBER = "amber", "Amber"
    GREEN = "green", "Green"


class DecisionKind(models.TextChoices):
    """What the front door decided."""

    NO_FURTHER_ACTION = "nfa", "No further action"
    ADVICE = "advice", "Advice and signposting"
    REFER_AGENCIES = "refer", "Refer to agencies"
    STRATEGY_DISCUSSION = "strategy", "Strategy discussion"


class SignOff(models.TextChoices):
    """A manager's sign-off of a decision that needs one."""

    NOT_REQUIRED = "not_required", "Not required"
    PENDING = "pending", "Awaiting sign-off"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"


class ReferralQuerySet(models.QuerySet):
    """Referral queries."""

    def awaiting_decision(self):
        """Referrals the front door has still to decide."""
        return self.filter(status=ReferralStatus.RECEIVED)


class Referral(models.Model):
    """A concern about one or more children. Every contact expressing a concern becomes one."""

    reference = models.CharField(max_length=20, unique=True)
    source = models.CharField(max_length=20, choices=ReferralSource.choices)
    channel = models.CharField(max_length=20, choices=Channel.choices, default=Channel.WEB)
    status = models.CharField(max_length=20, choices=ReferralStatus.choices, default=ReferralStatus.RECEIVED)
    received_at = models.DateTimeField(default=timezone.now, db_index=True)
    decision_due_at = models.DateTimeField(db_index=True)

    summary = EncryptedTextField(max_length=5000)
    incident_at = models.DateTimeField(null=True, blank=True)
    incident_location = models.CharField(max_length=300, blank=True)

    referrer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="referrals_made",
    )
    referrer_agency = models.ForeignKey(
        "accounts.Agency", on_delete=models.PROTECT, null=True, blank=True, related_name="referrals_made"
    )
    anonymous = models.BooleanField(default=False)
    reporter_name = models.CharField(max_length=200, blank=True)
    reporter_contact = models.CharField(max_length=200, blank=True)
    reporter_relationship = models.CharField(max_length=200, blank=True)
    tracking_secret_digest = models.CharField(max_length=64, blank=True)

    risk_level = models.CharField(max_length=20, choices=RiskLevel.choices, default=RiskLevel.NOT_ASSESSED)
    priority = models.CharField(max_length=10, choices=Priority.choices, blank=True)
    decision = models.ForeignKey(
        "intake.ReferralDecision", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    public_outcome = models.TextField(blank=True, help_text="Plain-English outcome the reporter may see.")

    restricted = models.BooleanField(default=False)
    restricted_to = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    external_reference = models.CharField(max_length=100, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    objects = ReferralQuerySet.as_manager()

    class Meta:
        ordering = ["-received_at"]
        indexes = [
            models.Index(fields=["status", "decision_due_at"], name="referral_queue_idx"),
            models.Index(fields=["source", "received_at"], name="referral_source_idx"),
            # The accountability figures' live slice and drill-down lists: decisions and closures by time.
            models.Index(
                fields=["decided_at"],
                name="referral_decided_idx",
                condition=models.Q(decided_at__isnull=False),
            ),
            models.Index(
                fields=["closed_at"], name="referral_closed_idx", condition=models.Q(closed_at__isnull=False)
            ),
        ]

    def __str__(self) -> str:
        return self.reference

    @staticmethod
    def digest_secret(secret: str) -> str:
        """The stored digest of a tracking secret (the secret itself is shown once)."""
        return hashlib.sha256(secret.encode()).hexdigest()


class IdempotencyKey(IdempotencyKeyBase):
    """The referral a POST /api/v1/referrals with an `Idempotency-Key` created, so a repeat returns it."""

    result_field = "referral"

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="idempotency_unique_user_key")]


class PublicReportKey(models.Model):
    """The referral a public or young person's report created, by the digest of its draft's key, so that pressing
    "Send" twice (or a repeat of the same request) gives back the first referral instead of a second one."""

    key_digest = models.CharField(max_length=64, unique=True)
    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.key_digest


class ScreeningTool(models.Model):
    """One version of the CSE screening tool: indicators, weights, thresholds and the under-13 rule.

    Versions are never edited once used; a change is a new version. `config` is validated by
    `lantern.frontdoor.screening.ToolConfig`. Ethnicity, nationality and religion cannot be indicators.
    """

    name = models.CharField(max_length=100, default="CSE screening tool")
    version = models.PositiveIntegerField()
    config = models.JSONField()
    is_active = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["name", "version"], name="screening_tool_unique_version")
        ]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"


class Screening(models.Model):
    """A completed screening: evidence for each indicator, kept apart from professional judgement."""

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="screenings")
    tool = models.ForeignKey(ScreeningTool, on_delete=models.PROTECT, related_name="screenings")
    child_age = models.PositiveSmallIntegerField(null=True, blank=True)
    indicators = models.JSONField(default=dict, help_text="{code: {present: bool, evidence: str}}")
    professional_judgement = models.TextField(blank=True)
    score = models.PositiveIntegerField(default=0)
    risk_level = models.CharField(max_length=20, choices=RiskLevel.choices)
    recommendation = models.TextField()
    reasons = models.JSONField(default=list)
    completed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    completed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-completed_at"]

    def __str__(self) -> str:
        return f"Screening of {self.referral_id}: {self.risk_level}"


class ReferralDecision(models.Model):
    """A front-door decision. "No further action" needs a rationale and a team manager's sign-off."""

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="decisions")
    kind = models.CharField(max_length=20, choices=DecisionKind.choices)
    rationale = models.TextField(max_length=5000)
    priority = models.CharField(max_length=10, choices=Priority.choices, blank=True)
    agencies = models.ManyToManyField("accounts.Agency", blank=True, related_name="+")
    advice_given = models.TextField(blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(default=timezone.now)
    within_timescale = models.BooleanField(default=True)
    sign_off = models.CharField(max_length=20, choices=SignOff.choices, default=SignOff.NOT_REQUIRED)
    signed_off_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    signed_off_at = models.DateTimeField(null=True, blank=True)
    sign_off_note = models.TextField(blank=True)

    class Meta:
        ordering = ["-decided_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.referral_id}"
