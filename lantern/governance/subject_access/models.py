"""Models: a subject access request, the records confirmed as the subject's, the redactions made to them, and
the escalations raised as its one-month clock runs down.

A request moves received → in redaction (records confirmed) → signed off (by a second person) → released. Its
clock is one calendar month from receipt, or from when the requester's identity was confirmed if that was later,
extended once by up to two further months with a reason (UK GDPR Art. 12(3); `docs/decisions/0020-subject-access.md`).
"""

from django.conf import settings
from django.db import models
from django.utils import timezone

__all__ = [
    "BundleRecord",
    "IdentityCheck",
    "RecordKind",
    "Redaction",
    "RedactionReason",
    "RequesterKind",
    "SubjectAccessEscalation",
    "SubjectAccessRequest",
    "SubjectAccessStatus",
]


class RequesterKind(models.TextChoices):
    """Who made the request."""

    SUBJECT = "subject", "The data subject"
    PARENT = "parent", "A parent or carer with parental responsibility"
    REPRESENTATIVE = "representative", "A solicitor or other representative with written authority"


class IdentityCheck(models.TextChoices):
    """How the requester's identity (and any authority to act) was checked."""

    PHOTO_ID = "photo_id", "Photographic identity document seen"
    KNOWN_TO_SERVICE = "known_to_service", "Known to the service and confirmed in person"
    TWO_DOCUMENTS = "two_documents", "Two documents confirming name and address"
    WRITTEN_AUTHORITY = (
        "written_authority",
        "Written authority from the subject, with the representative's ID",
    )
    PARENTAL_RESPONSIBILITY = "parental_responsibility", "Evidence of parental responsibility, with photo ID"


class SubjectAccessStatus(models.TextChoices):
    """Where a request is."""

    RECEIVED = "received", "Received: finding records"
    REDACTION = "redaction", "Records confirmed: redacting"
    SIGNED_OFF = "signed_off", "Signed off"
    RELEASED = "released", "Released"


OPEN_STATUSES = (SubjectAccessStatus.RECEIVED, SubjectAccessStatus.REDACTION, SubjectAccessStatus.SIGNED_OFF)


class SubjectAccessRequest(models.Model):
    """A person's request for the information Lantern holds about them, through to the released bundle."""

    reference = models.CharField(max_length=24, unique=True)
    subject_name = models.CharField(max_length=200)
    subject_other_names = models.CharField(
        max_length=300,
        blank=True,
        help_text="Other names or nicknames the subject is known by, comma separated.",
    )
    subject_date_of_birth = models.DateField(null=True, blank=True)
    subject_address = models.CharField(max_length=300, blank=True)
    subject_entity = models.ForeignKey(
        "intel.Entity",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="The person entity the request is about, where the handler picked one.",
    )
    requester_kind = models.CharField(max_length=20, choices=RequesterKind.choices)
    requester_name = models.CharField(max_length=200)
    requester_contact = models.CharField(max_length=300, blank=True)
    identity_method = models.CharField(max_length=30, choices=IdentityCheck.choices)
    identity_checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    identity_confirmed_on = models.DateField()
    what_is_asked = models.TextField(max_length=5000)
    received_on = models.DateField()
    due_on = models.DateField(
        help_text="One calendar month from receipt (or identity), by the ICO's reckoning."
    )
    extended_due_on = models.DateField(null=True, blank=True)
    extension_reason = models.TextField(max_length=2000, blank=True)
    extended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    extended_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(
        max_length=20,
        choices=SubjectAccessStatus.choices,
        default=SubjectAccessStatus.RECEIVED,
        db_index=True,
    )
    agency = models.ForeignKey(
        "accounts.Agency",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The agency handling it, whose managers its escalations reach (the handler's).",
    )
    handler = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Who prepares the bundle; they may not sign it off.",
    )
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)
    signed_off_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    signed_off_at = models.DateTimeField(null=True, blank=True)
    sign_off_note = models.TextField(max_length=2000, blank=True)
    released_at = models.DateTimeField(null=True, blank=True)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["due_on", "pk"]
        indexes = [models.Index(fields=["status", "due_on"], name="sar_clock_idx")]

    def __str__(self) -> str:
        return self.reference

    @property
    def deadline(self):
        """The date the response is due: the extended date once extended."""
        return self.extended_due_on or self.due_on

    @property
    def is_overdue(self) -> bool:
        """Open, and its deadline has passed."""
        return self.is_open and self.deadline < timezone.localdate()

    @property
    def is_open(self) -> bool:
        """Not yet released."""
        return self.status in OPEN_STATUSES


class RecordKind(models.TextChoices):
    """The kinds of record a bundle can hold."""

    REFERRAL = "referral", "Referral"
    INTELLIGENCE = "intelligence", "Intelligence item"
    CASE = "case", "Case"
    NETWORK_MEMBER = "network_member", "Named in a child's family network"


class BundleRecord(models.Model):
    """A candidate record a practitioner decided on: the subject's (in the bundle) or not."""

    request = models.ForeignKey(SubjectAccessRequest, on_delete=models.PROTECT, related_name="records")
    kind = models.CharField(max_length=20, choices=RecordKind.choices)
    referral = models.ForeignKey(
        "intake.Referral", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    item = models.ForeignKey(
        "intel.IntelligenceItem", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    case = models.ForeignKey(
        "casework.Case", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    network_member = models.ForeignKey(
        "casework.NetworkMember", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    included = models.BooleanField(help_text="Confirmed as the subject's, so in the bundle.")
    subject_mention_ids = models.JSONField(
        default=list, blank=True, help_text="The person mentions in the record that are the subject."
    )
    why = models.CharField(max_length=500, blank=True, help_text="Why Lantern offered it: the match.")
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(kind="referral", referral__isnull=False)
                    | models.Q(kind="intelligence", item__isnull=False)
                    | models.Q(kind="case", case__isnull=False)
                    | models.Q(kind="network_member", network_member__isnull=False)
                ),
                name="sar_record_points_at_its_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.target_id}"

    @property
    def target_id(self) -> int:
        """The id of the record itself."""
        return {
            RecordKind.REFERRAL: self.referral_id,
            RecordKind.INTELLIGENCE: self.item_id,
            RecordKind.CASE: self.case_id,
            RecordKind.NETWORK_MEMBER: self.network_member_id,
        }[self.kind]


class RedactionReason(models.TextChoices):
    """The exemption a redaction relies on (Data Protection Act 2018, Schedules 2 and 3)."""

    THIRD_PARTY = "third_party", "Information about another person (DPA 2018 Sch. 2 para. 16)"
    SERIOUS_HARM = (
        "serious_harm",
        "Likely to cause serious harm to someone (DPA 2018 Sch. 3, social work and health)",
    )
    CRIME = "crime", "Would prejudice preventing or detecting crime (DPA 2018 Sch. 2 para. 2)"
    CHILD_ABUSE_DATA = (
        "child_abuse_data",
        "Child abuse data not in the child's best interests (DPA 2018 Sch. 3 para. 21)",
    )
    LEGAL_PRIVILEGE = "legal_privilege", "Legal professional privilege (DPA 2018 Sch. 2 para. 19)"


class Redaction(models.Model):
    """Text withheld from one part of a record in the bundle, with the exemption it relies on. Removing one keeps
    the row, so the history of what was withheld and why is never lost."""

    request = models.ForeignKey(SubjectAccessRequest, on_delete=models.PROTECT, related_name="redactions")
    record = models.ForeignKey(BundleRecord, on_delete=models.PROTECT, related_name="redactions")
    part = models.CharField(max_length=60, help_text="Which part of the record, e.g. summary or person-12.")
    text = models.TextField(max_length=5000, help_text="The exact text withheld from that part.")
    reason = models.CharField(max_length=30, choices=RedactionReason.choices)
    note = models.CharField(max_length=500, blank=True)
    proposed = models.BooleanField(default=False, help_text="Proposed by Lantern as third-party data.")
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    added_at = models.DateTimeField(default=timezone.now)
    removed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    removed_at = models.DateTimeField(null=True, blank=True)
    removal_reason = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["record_id", "pk"]

    def __str__(self) -> str:
        return f"Redaction {self.pk} ({self.get_reason_display()})"

    @property
    def active(self) -> bool:
        """Still applied."""
        return self.removed_at is None


class SubjectAccessEscalation(models.Model):
    """A rung raised as a request's deadline nears or passes: who was told, why and when."""

    request = models.ForeignKey(SubjectAccessRequest, on_delete=models.PROTECT, related_name="escalations")
    level = models.PositiveSmallIntegerField()
    deadline = models.DateField(
        help_text="The deadline the rung was raised against (a new one after extension)."
    )
    reason = models.TextField(max_length=2000)
    recipients = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    raised_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-raised_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["request", "deadline", "level"], name="sar_escalation_once_per_rung"
            ),
        ]

    def __str__(self) -> str:
        return f"Level {self.level} on {self.request}"
