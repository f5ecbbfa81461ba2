"""Models: complaints about how a concern was handled, conduct matters about named professionals, their stages,
learning actions, and the escalations raised when a stage runs out of time.

A complaint moves received → acknowledged → investigating → responded → closed within a procedure stage: stage 1 is
the responsible agency's own response; a complainant who is dissatisfied may take it to stage 2, a review by the
partnership, which starts the same steps again with its own clocks. A conduct matter moves assessment → (referred to
an external body) → investigation → finding → concluded with an outcome. Every move is kept as a step for the
timeline, and an overdue stage escalates up the same ladder as an agency task.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone

from lantern.casework.models import EscalationLevel, EscalationStatus
from lantern.core.crypto import EncryptedTextField

__all__ = [
    "AssessmentDecision",
    "ComplainantType",
    "Complaint",
    "ComplaintOutcome",
    "ComplaintStatus",
    "ComplaintStep",
    "ConductFinding",
    "ConductMatter",
    "ConductOutcome",
    "ConductStatus",
    "ConductStep",
    "ExternalBody",
    "ExternalDecision",
    "LearningAction",
    "ProcedureStage",
    "StageEscalation",
]


class ComplainantType(models.TextChoices):
    """Who complained."""

    REPORTER = "reporter", "The person who reported the concern"
    FAMILY = "family", "The child's family"
    PROFESSIONAL = "professional", "A professional"
    ELECTED_MEMBER = "elected_member", "An elected member"


class ProcedureStage(models.IntegerChoices):
    """The stage of the complaints procedure: the agency's own response, then a review by the partnership."""

    AGENCY = 1, "Stage 1: the agency's response"
    PARTNERSHIP = 2, "Stage 2: review by the partnership"


class ComplaintStatus(models.TextChoices):
    """Where a complaint is within its procedure stage."""

    RECEIVED = "received", "Received"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    INVESTIGATING = "investigating", "Being investigated"
    RESPONDED = "responded", "Response sent"
    CLOSED = "closed", "Closed"


class ComplaintOutcome(models.TextChoices):
    """What the response found."""

    UPHELD = "upheld", "Upheld"
    PARTLY_UPHELD = "partly_upheld", "Partly upheld"
    NOT_UPHELD = "not_upheld", "Not upheld"


class Complaint(models.Model):
    """A complaint about how a concern was handled, against the agency responsible, through to its outcome."""

    reference = models.CharField(max_length=24, unique=True)
    complainant_type = models.CharField(max_length=20, choices=ComplainantType.choices)
    complainant_name = models.CharField(max_length=200)
    complainant_contact = models.CharField(max_length=300, blank=True)
    account = EncryptedTextField(max_length=10000, help_text="The complaint as the complainant made it.")
    agency = models.ForeignKey("accounts.Agency", on_delete=models.PROTECT, related_name="complaints")
    referrals = models.ManyToManyField("intake.Referral", blank=True, related_name="complaints")
    tasks = models.ManyToManyField("casework.AgencyTask", blank=True, related_name="complaints")
    received_at = models.DateTimeField()
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)
    handler = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="Who is handling the complaint at its current stage.",
    )
    stage = models.PositiveSmallIntegerField(choices=ProcedureStage.choices, default=ProcedureStage.AGENCY)
    status = models.CharField(
        max_length=20, choices=ComplaintStatus.choices, default=ComplaintStatus.RECEIVED, db_index=True
    )
    stage_started_at = models.DateTimeField(help_text="When the current procedure stage began.")
    ack_due_at = models.DateTimeField()
    response_due_at = models.DateTimeField()
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    investigation_started_at = models.DateTimeField(null=True, blank=True)
    responded_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(
        max_length=20,
        choices=ComplaintOutcome.choices,
        blank=True,
        help_text="The latest outcome (stage 2's, once there is one).",
    )
    outcome_at = models.DateTimeField(null=True, blank=True)
    response = models.TextField(max_length=10000, blank=True)
    stage_one_outcome = models.CharField(max_length=20, choices=ComplaintOutcome.choices, blank=True)
    stage_two_reason = models.TextField(max_length=5000, blank=True)
    stage_two_requested_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-pk"]
        indexes = [
            models.Index(fields=["status", "ack_due_at"], name="complaint_ack_clock_idx"),
            models.Index(fields=["status", "response_due_at"], name="complaint_response_clock_idx"),
            models.Index(fields=["agency", "outcome_at"], name="complaint_outcome_idx"),
        ]

    def __str__(self) -> str:
        return self.reference


class ComplaintStep(models.Model):
    """One move of a complaint (received, acknowledged, ... stage 2 requested), for its timeline."""

    complaint = models.ForeignKey(Complaint, on_delete=models.PROTECT, related_name="steps")
    stage = models.PositiveSmallIntegerField(choices=ProcedureStage.choices)
    status = models.CharField(max_length=20, choices=ComplaintStatus.choices)
    title = models.CharField(max_length=200)
    note = models.TextField(max_length=10000, blank=True)
    outcome = models.CharField(max_length=20, choices=ComplaintOutcome.choices, blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return self.title


class LearningAction(models.Model):
    """Something an agency will change because of a complaint, with an owner and a due date."""

    complaint = models.ForeignKey(Complaint, on_delete=models.PROTECT, related_name="learning_actions")
    description = models.TextField(max_length=2000)
    agency = models.ForeignKey("accounts.Agency", on_delete=models.PROTECT, related_name="+")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    due_date = models.DateField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    completed_at = models.DateTimeField(null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    completion_note = models.TextField(max_length=5000, blank=True)

    class Meta:
        ordering = ["due_date", "pk"]

    def __str__(self) -> str:
        return self.description[:60]


class ConductStatus(models.TextChoices):
    """Where a conduct matter is."""

    ASSESSMENT = "assessment", "Being assessed"
    REFERRED = "referred", "Referred to an external body"
    INVESTIGATING = "investigating", "Being investigated"
    AWAITING_OUTCOME = "awaiting_outcome", "Finding made, awaiting outcome"
    CONCLUDED = "concluded", "Concluded"


class AssessmentDecision(models.TextChoices):
    """What the assessment of an allegation decided."""

    REFER_EXTERNAL = "refer_external", "Refer to an external body"
    INVESTIGATE = "investigate", "Investigate within the agency"
    NO_CASE_TO_ANSWER = "no_case_to_answer", "No case to answer"


class ExternalBody(models.TextChoices):
    """Bodies outside the partnership that conduct matters are referred to."""

    POLICE_WATCHDOG = "police_watchdog", "Police conduct watchdog (Independent Office for Police Conduct)"
    SOCIAL_WORK_REGULATOR = "social_work_regulator", "Social Work England"
    NURSING_REGULATOR = "nursing_regulator", "Nursing and Midwifery Council"
    MEDICAL_REGULATOR = "medical_regulator", "General Medical Council"
    TEACHING_REGULATOR = "teaching_regulator", "Teaching Regulation Agency"
    LADO = "lado", "Local authority designated officer (LADO)"
    OTHER = "other", "Another body"


class ExternalDecision(models.TextChoices):
    """What the external body decided to do."""

    LOCAL_INVESTIGATION = "local_investigation", "Returned to the agency to investigate"
    BODY_INVESTIGATION = "body_investigation", "The body will investigate or direct the investigation"
    NO_FURTHER_ACTION = "no_further_action", "No further action"


class ConductFinding(models.TextChoices):
    """What the investigation found."""

    GROSS_MISCONDUCT = "gross_misconduct", "Case to answer for gross misconduct"
    MISCONDUCT = "misconduct", "Case to answer for misconduct"
    PRACTICE_REQUIRING_IMPROVEMENT = "practice_requiring_improvement", "Practice requiring improvement"
    NO_CASE_TO_ANSWER = "no_case_to_answer", "No case to answer"


class ConductOutcome(models.TextChoices):
    """How a conduct matter ended."""

    NO_CASE_TO_ANSWER = "no_case_to_answer", "No case to answer"
    REFLECTIVE_PRACTICE = "reflective_practice", "Reflective practice"
    MANAGEMENT_ACTION = "management_action", "Management action"
    WRITTEN_WARNING = "written_warning", "Written warning"
    MISCONDUCT_MEETING = "misconduct_meeting", "Misconduct meeting"
    MISCONDUCT_HEARING = "misconduct_hearing", "Misconduct hearing"
    DISMISSAL = "dismissal", "Dismissal"


class ConductMatter(models.Model):
    """An allegation about a named professional's conduct, through assessment, any external referral,
    investigation and finding to an outcome. The subject sees only that it exists and its outcome."""

    reference = models.CharField(max_length=24, unique=True)
    subject = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    agency = models.ForeignKey("accounts.Agency", on_delete=models.PROTECT, related_name="conduct_matters")
    allegation = EncryptedTextField(max_length=10000)
    complaint = models.ForeignKey(
        Complaint, on_delete=models.PROTECT, null=True, blank=True, related_name="conduct_matters"
    )
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(
        max_length=20, choices=ConductStatus.choices, default=ConductStatus.ASSESSMENT, db_index=True
    )
    assessment_due_at = models.DateTimeField()
    assessed_at = models.DateTimeField(null=True, blank=True)
    assessed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    assessment = models.TextField(max_length=10000, blank=True)
    assessment_decision = models.CharField(max_length=20, choices=AssessmentDecision.choices, blank=True)
    external_body = models.CharField(max_length=30, choices=ExternalBody.choices, blank=True)
    external_reference = models.CharField(max_length=100, blank=True)
    external_sent_at = models.DateTimeField(null=True, blank=True)
    external_due_at = models.DateTimeField(null=True, blank=True)
    external_acknowledged_at = models.DateTimeField(null=True, blank=True)
    external_decided_at = models.DateTimeField(null=True, blank=True)
    external_decision = models.CharField(max_length=30, choices=ExternalDecision.choices, blank=True)
    investigator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    investigation_started_at = models.DateTimeField(null=True, blank=True)
    investigation_due_at = models.DateTimeField(null=True, blank=True)
    investigation_notes = EncryptedTextField(max_length=20000, blank=True)
    finding = models.CharField(max_length=40, choices=ConductFinding.choices, blank=True)
    finding_at = models.DateTimeField(null=True, blank=True)
    finding_rationale = models.TextField(max_length=10000, blank=True)
    outcome_due_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=30, choices=ConductOutcome.choices, blank=True)
    outcome_at = models.DateTimeField(null=True, blank=True)
    outcome_summary = models.TextField(max_length=5000, blank=True)
    subject_notified_at = models.DateTimeField(null=True, blank=True)
    subject_summary = models.TextField(
        max_length=2000,
        blank=True,
        help_text="What the subject is told about the matter: nothing more.",
    )

    class Meta:
        ordering = ["-recorded_at", "-pk"]
        indexes = [models.Index(fields=["agency", "outcome_at"], name="conduct_outcome_idx")]

    def __str__(self) -> str:
        return self.reference


class ConductStep(models.Model):
    """One move of a conduct matter, for its timeline (never shown to the subject)."""

    matter = models.ForeignKey(ConductMatter, on_delete=models.PROTECT, related_name="steps")
    status = models.CharField(max_length=20, choices=ConductStatus.choices)
    title = models.CharField(max_length=200)
    note = models.TextField(max_length=10000, blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return self.title


class StageEscalation(models.Model):
    """A complaint's or conduct matter's stage that ran out of time, escalated one rung of the ladder: who it went
    to, why, when, and how it was resolved. Meeting the stage late does not clear it; only a written resolution."""

    complaint = models.ForeignKey(
        Complaint, on_delete=models.PROTECT, null=True, blank=True, related_name="escalations"
    )
    conduct_matter = models.ForeignKey(
        ConductMatter, on_delete=models.PROTECT, null=True, blank=True, related_name="escalations"
    )
    agency = models.ForeignKey("accounts.Agency", on_delete=models.PROTECT, related_name="+")
    clock = models.CharField(max_length=30, help_text="Which stage's clock ran out, e.g. s1_acknowledge.")
    level = models.PositiveSmallIntegerField(choices=EscalationLevel.choices)
    reason = models.TextField(max_length=5000)
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="Empty when raised automatically by the worker.",
    )
    raised_at = models.DateTimeField(default=timezone.now, db_index=True)
    recipients = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    status = models.CharField(max_length=10, choices=EscalationStatus.choices, default=EscalationStatus.OPEN)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolution = models.TextField(max_length=5000, blank=True)

    class Meta:
        ordering = ["-raised_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(complaint__isnull=False) & models.Q(conduct_matter__isnull=True))
                | (models.Q(complaint__isnull=True) & models.Q(conduct_matter__isnull=False)),
                name="stage_escalation_one_record",
            ),
            # Each rung of each stage's clock is raised once.
            models.UniqueConstraint(
                fields=["complaint", "clock", "level"],
                condition=models.Q(complaint__isnull=False),
                name="stage_escalation_once_per_complaint_clock_level",
            ),
            models.UniqueConstraint(
                fields=["conduct_matter", "clock", "level"],
                condition=models.Q(conduct_matter__isnull=False),
                name="stage_escalation_once_per_conduct_clock_level",
            ),
        ]

    def __str__(self) -> str:
        return f"Level {self.level} escalation ({self.clock})"

    @property
    def record(self):
        """The complaint or conduct matter this escalation is about."""
        return self.complaint if self.complaint_id else self.conduct_matter
