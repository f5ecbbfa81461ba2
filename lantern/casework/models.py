"""Cases, the tasks agencies must act on, their clocks and escalations, and the rest of a child's record."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from lantern.core.crypto import EncryptedTextField
from lantern.intake.models import Priority


class CaseKind(models.TextChoices):
    """Children, and in contextual safeguarding places and peer groups, can be cases."""

    CHILD = "child", "Child"
    PLACE = "place", "Place"
    PEER_GROUP = "peer_group", "Peer group"


class CaseStatus(models.TextChoices):
    """Whether a case is open."""

    OPEN = "open", "Open"
    CLOSED = "closed", "Closed"


class Case(models.Model):
    """A child's (or place's, or peer group's) case: the record that referrals, tasks and meetings hang on."""

    reference = models.CharField(max_length=20, unique=True)
    kind = models.CharField(max_length=20, choices=CaseKind.choices, default=CaseKind.CHILD)
    subject_name = models.CharField(max_length=200)
    date_of_birth = models.DateField(null=True, blank=True)
    expected_date = models.DateField(
        null=True, blank=True, help_text="For an unborn child (a pre-birth assessment): when the baby is due."
    )
    status = models.CharField(max_length=10, choices=CaseStatus.choices, default=CaseStatus.OPEN)
    lead_agency = models.ForeignKey("accounts.Agency", on_delete=models.PROTECT, related_name="led_cases")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="owned_cases"
    )
    referrals = models.ManyToManyField("intake.Referral", blank=True, related_name="cases")
    restricted = models.BooleanField(default=False)
    restricted_to = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    opened_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)
    closure_reason = models.TextField(blank=True)
    # Contextual safeguarding: a place's case names the place entity; a peer group's case names its members.
    entity = models.ForeignKey(
        "intel.Entity",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="cases",
        help_text="The place (or other entity) this case is about, for a place case.",
    )
    members = models.ManyToManyField(
        "intel.Entity",
        blank=True,
        related_name="peer_group_cases",
        help_text="The people an analyst named as the peer group, for a peer group case.",
    )

    class Meta:
        ordering = ["-opened_at"]

    def __str__(self) -> str:
        return f"{self.reference} {self.subject_name}"


class TaskStatus(models.TextChoices):
    """Where an agency task is."""

    AWAITING_ACKNOWLEDGEMENT = "awaiting_ack", "Awaiting acknowledgement"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    COMPLETED = "completed", "Completed"


class TaskOutcome(models.TextChoices):
    """The controlled list of what an agency did."""

    ASSESSMENT_STARTED = "assessment_started", "Child and family assessment started"
    SECTION_47 = "section_47", "Section 47 enquiry opened"
    CHILD_PROTECTION_PLAN = "cp_plan", "Child protection plan"
    CHILD_IN_NEED_PLAN = "cin_plan", "Child in need plan"
    EARLY_HELP = "early_help", "Early help offered"
    CRIME_RECORDED = "crime_recorded", "Crime recorded"
    INVESTIGATION_OPENED = "investigation", "Investigation opened"
    ARREST = "arrest", "Arrest made"
    DISRUPTION = "disruption", "Disruption activity"
    SAFETY_PLAN = "safety_plan", "Safety plan agreed"
    HEALTH_ASSESSMENT = "health_assessment", "Health assessment or treatment"
    SCHOOL_SUPPORT = "school_support", "Support in school"
    LICENCE_REVIEW = "licence_review", "Licence reviewed"
    LICENCE_SUSPENDED = "licence_suspended", "Licence suspended or revoked"
    INTELLIGENCE_RECORDED = "intelligence_recorded", "Information recorded as intelligence"
    REFERRED_ON = "referred_on", "Referred to another service"
    NO_ACTION_FOR_AGENCY = "no_action", "No action for this agency (reason given)"


class AgencyTask(models.Model):
    """Work one agency must do on a referral: acknowledged, then completed with an outcome, on clocks."""

    referral = models.ForeignKey("intake.Referral", on_delete=models.PROTECT, related_name="tasks")
    case = models.ForeignKey(Case, on_delete=models.PROTECT, null=True, blank=True, related_name="tasks")
    agency = models.ForeignKey("accounts.Agency", on_delete=models.PROTECT, related_name="tasks")
    team = models.ForeignKey(
        "accounts.Team", on_delete=models.PROTECT, null=True, blank=True, related_name="tasks"
    )
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="tasks"
    )
    priority = models.CharField(max_length=10, choices=Priority.choices)
    instructions = models.TextField(blank=True)
    status = models.CharField(
        max_length=20, choices=TaskStatus.choices, default=TaskStatus.AWAITING_ACKNOWLEDGEMENT, db_index=True
    )
    created_at = models.DateTimeField(default=timezone.now)
    ack_due_at = models.DateTimeField()
    due_at = models.DateTimeField()
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    completed_at = models.DateTimeField(null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    outcome = models.CharField(max_length=30, choices=TaskOutcome.choices, blank=True)
    narrative = EncryptedTextField(max_length=10000, blank=True)
    escalation_level = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["ack_due_at"]
        indexes = [
            models.Index(fields=["status", "ack_due_at"], name="task_ack_clock_idx"),
            models.Index(fields=["status", "due_at"], name="task_due_clock_idx"),
            models.Index(fields=["agency", "status"], name="task_agency_idx"),
            # The accountability figures' live slice and drill-down lists: tasks by each event's time, and open
            # tasks with their clocks (counted per team from the index alone).
            models.Index(fields=["created_at"], name="task_created_idx"),
            models.Index(
                fields=["acknowledged_at"],
                name="task_acknowledged_idx",
                condition=models.Q(acknowledged_at__isnull=False),
            ),
            models.Index(
                fields=["completed_at"],
                name="task_completed_idx",
                condition=models.Q(completed_at__isnull=False),
            ),
            models.Index(
                fields=["agency", "team", "status", "ack_due_at", "due_at"],
                name="task_open_idx",
                condition=models.Q(status__in=["awaiting_ack", "acknowledged"]),
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=["referral", "agency"], name="task_one_per_agency_per_referral"),
        ]

    def __str__(self) -> str:
        return f"{self.agency} task on {self.referral}"


class EscalationKind(models.TextChoices):
    """Why something escalated."""

    NOT_ACKNOWLEDGED = "not_acknowledged", "Not acknowledged in time"
    NOT_COMPLETED = "not_completed", "Not completed in time"
    DECISION_OVERDUE = "decision_overdue", "Screening decision overdue"
    DISAGREEMENT = "disagreement", "Professional disagreement"


class EscalationStatus(models.TextChoices):
    """Open until someone resolves it with a written resolution."""

    OPEN = "open", "Open"
    RESOLVED = "resolved", "Resolved"


class EscalationLevel(models.IntegerChoices):
    """The rungs of the ladder."""

    TEAM_MANAGER = 1, "Level 1: team manager"
    SERVICE_MANAGER = 2, "Level 2: service manager"
    PARTNERSHIP_LEAD = 3, "Level 3: partnership lead"


class Escalation(models.Model):
    """A raised concern about inaction or a disagreement: who, why, to whom, when, and how it was resolved."""

    task = models.ForeignKey(
        AgencyTask, on_delete=models.PROTECT, null=True, blank=True, related_name="escalations"
    )
    referral = models.ForeignKey(
        "intake.Referral", on_delete=models.PROTECT, null=True, blank=True, related_name="escalations"
    )
    agency = models.ForeignKey("accounts.Agency", on_delete=models.PROTECT, related_name="escalations")
    level = models.PositiveSmallIntegerField(choices=EscalationLevel.choices)
    kind = models.CharField(max_length=20, choices=EscalationKind.choices)
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
    recipients = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="escalations_received"
    )
    status = models.CharField(max_length=10, choices=EscalationStatus.choices, default=EscalationStatus.OPEN)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolution = models.TextField(blank=True)

    class Meta:
        ordering = ["-raised_at"]
        indexes = [
            # The accountability figures' live slice and drill-down lists: resolutions by time, and open escalations.
            models.Index(
                fields=["resolved_at"],
                name="escalation_resolved_idx",
                condition=models.Q(resolved_at__isnull=False),
            ),
            models.Index(
                fields=["agency", "level"], name="escalation_open_idx", condition=models.Q(status="open")
            ),
        ]
        constraints = [
            # Automatic escalations are raised once per rung; disagreements may be raised again.
            models.UniqueConstraint(
                fields=["task", "kind", "level"],
                condition=models.Q(task__isnull=False) & ~models.Q(kind="disagreement"),
                name="escalation_once_per_task_kind_level",
            ),
            models.UniqueConstraint(
                fields=["referral", "kind", "level"],
                condition=models.Q(task__isnull=True) & ~models.Q(kind="disagreement"),
                name="escalation_once_per_referral_kind_level",
            ),
        ]

    def __str__(self) -> str:
        return f"Level {self.level} escalation ({self.get_kind_display()})"


class Notification(models.Model):
    """An in-app message to a user; also sent by email."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    message = models.CharField(max_length=500)
    url = models.CharField(max_length=300, blank=True)
    escalation = models.ForeignKey(
        Escalation, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "read_at"], name="notification_unread_idx")]

    def __str__(self) -> str:
        return self.message


class FlagKind(models.TextChoices):
    """Flags on a case that count in the partnership's figures."""

    CSE = "cse", "Child sexual exploitation"
    CCE = "cce", "Child criminal exploitation"
    TRAFFICKING = "trafficking", "Trafficking / NRM"
    GROUP_BASED = "group_based", "Group-based abuse"
    MISSING = "missing", "Missing episodes"


class FlagChangeStatus(models.TextChoices):
    """A flag change takes effect only when approved."""

    PENDING = "pending", "Awaiting approval"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"


class FlagChange(models.Model):
    """A request to add or remove a flag, with justification and approver. The history is never deleted."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="flag_changes")
    kind = models.CharField(max_length=20, choices=FlagKind.choices)
    add = models.BooleanField(help_text="True to add the flag, False to remove it.")
    justification = models.TextField(max_length=5000)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(
        max_length=10, choices=FlagChangeStatus.choices, default=FlagChangeStatus.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True)

    class Meta:
        ordering = ["-requested_at"]

    def __str__(self) -> str:
        return f"{'Add' if self.add else 'Remove'} {self.get_kind_display()} on {self.case_id}"


class CaseFlag(models.Model):
    """The current state of one flag on one case, kept in step with approved `FlagChange`s."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="flags")
    kind = models.CharField(max_length=20, choices=FlagKind.choices)
    active = models.BooleanField(default=True)
    first_added_at = models.DateTimeField()
    changed_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["case", "kind"], name="case_flag_unique_kind")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({'active' if self.active else 'removed'})"


class StrategyDiscussion(models.Model):
    """A strategy discussion: when it was due and held, who attended, what was decided."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="strategy_discussions")
    referral = models.ForeignKey(
        "intake.Referral",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="strategy_discussions",
    )
    due_at = models.DateTimeField()
    held_at = models.DateTimeField(null=True, blank=True)
    chair = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    significant_harm_suspected = models.BooleanField(default=True)
    decisions = EncryptedTextField(max_length=10000, blank=True)
    section_47 = models.BooleanField(default=False, help_text="Section 47 enquiry agreed.")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-due_at"]

    def __str__(self) -> str:
        return f"Strategy discussion for {self.case_id}"


class StrategyAttendee(models.Model):
    """Who attended a strategy discussion, by agency."""

    discussion = models.ForeignKey(StrategyDiscussion, on_delete=models.CASCADE, related_name="attendees")
    agency = models.ForeignKey("accounts.Agency", on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    name = models.CharField(max_length=200)
    role = models.CharField(max_length=200, blank=True)

    def __str__(self) -> str:
        return self.name


class StrategyAction(models.Model):
    """An action agreed at a strategy discussion, with an owner and a due date."""

    discussion = models.ForeignKey(StrategyDiscussion, on_delete=models.CASCADE, related_name="actions")
    description = models.TextField(max_length=2000)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    agency = models.ForeignKey("accounts.Agency", on_delete=models.PROTECT, related_name="+")
    due_date = models.DateField()
    completed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.description[:60]


class MissingEpisode(models.Model):
    """A period when the child was missing, and the return interview that should follow."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="missing_episodes")
    reported_by_agency = models.ForeignKey("accounts.Agency", on_delete=models.PROTECT, related_name="+")
    missing_from = models.DateTimeField()
    returned_at = models.DateTimeField(null=True, blank=True)
    where_found = models.CharField(max_length=300, blank=True)
    return_interview_due_at = models.DateTimeField(null=True, blank=True)
    return_interview_at = models.DateTimeField(null=True, blank=True)
    notes = EncryptedTextField(max_length=5000, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-missing_from"]

    def __str__(self) -> str:
        return f"Missing from {self.missing_from:%d %b %Y}"


class CaseNote(models.Model):
    """A note on a case; significant notes are marked in the chronology."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = EncryptedTextField(max_length=10000)
    significant = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.text[:60]


class NRMDecision(models.TextChoices):
    """National Referral Mechanism reasonable-grounds decision."""

    PENDING = "pending", "Awaiting decision"
    POSITIVE = "positive", "Positive"
    NEGATIVE = "negative", "Negative"


class NRMReferral(models.Model):
    """A National Referral Mechanism referral and its reasonable-grounds clock (5 working days)."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="nrm_referrals")
    referred_at = models.DateTimeField()
    referred_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reasonable_grounds_due_at = models.DateTimeField()
    reasonable_grounds_decision = models.CharField(
        max_length=10, choices=NRMDecision.choices, default=NRMDecision.PENDING
    )
    reasonable_grounds_decided_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"NRM referral for {self.case_id}"


class ClockKind(models.TextChoices):
    """The statutory and local timescales of DESIGN §2."""

    REFERRAL_DECISION = "referral_decision", "Referral decision (1 working day)"
    STRATEGY_DISCUSSION = "strategy_discussion", "Strategy discussion"
    ASSESSMENT = "assessment", "Assessment (45 working days)"
    INITIAL_CONFERENCE = "initial_conference", "Initial child protection conference (15 working days)"
    REVIEW_CONFERENCE = "review_conference", "Review conference"
    NRM_REASONABLE_GROUNDS = "nrm_reasonable_grounds", "NRM reasonable-grounds decision (5 working days)"
    RETURN_INTERVIEW = "return_interview", "Return interview after a missing episode"


class Clock(models.Model):
    """A timescale running on a case or referral: started, due, and met (or not yet)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, null=True, blank=True, related_name="clocks")
    referral = models.ForeignKey(
        "intake.Referral", on_delete=models.CASCADE, null=True, blank=True, related_name="clocks"
    )
    kind = models.CharField(max_length=30, choices=ClockKind.choices)
    started_at = models.DateTimeField()
    due_at = models.DateTimeField(db_index=True)
    met_at = models.DateTimeField(null=True, blank=True)
    note = models.CharField(max_length=300, blank=True)
    # Several clocks of one kind can run on a case at once (two missing episodes, say); this names the record a
    # clock belongs to ("casework.missingepisode:12") so that meeting one never meets the others.
    record = models.CharField(max_length=60, blank=True, db_index=True)

    class Meta:
        ordering = ["due_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} due {self.due_at:%d %b %Y}"


class LawfulBasis(models.TextChoices):
    """Lawful bases for sharing information about a child."""

    DPA_SCH1_PARA18 = "dpa_s1_p18", "DPA 2018 Schedule 1 paragraph 18 (safeguarding of children)"
    DPA_SCH1_PARA10 = "dpa_s1_p10", "DPA 2018 Schedule 1 paragraph 10 (preventing or detecting unlawful acts)"
    UK_GDPR_6_1_E = "gdpr_6_1_e", "UK GDPR Article 6(1)(e) (public task)"
    UK_GDPR_6_1_C = "gdpr_6_1_c", "UK GDPR Article 6(1)(c) (legal obligation)"
    CHILDREN_ACT_S47 = "ca1989_s47", "Children Act 1989 section 47"
    CHILDREN_ACT_S17 = "ca1989_s17", "Children Act 1989 section 17"
    CRIME_DISORDER_S115 = "cda1998_s115", "Crime and Disorder Act 1998 section 115"
    CONSENT = "consent", "Consent"


class ConsentStatus(models.TextChoices):
    """Consent is recorded but is not a gate to sharing."""

    GIVEN = "given", "Given"
    REFUSED = "refused", "Refused"
    NOT_SOUGHT = "not_sought", "Not sought (would place the child at risk)"
    NOT_POSSIBLE = "not_possible", "Not possible"


class InformationShare(models.Model):
    """A disclosure to another agency, or a recorded decision not to share, with its lawful basis."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, null=True, blank=True, related_name="shares")
    referral = models.ForeignKey(
        "intake.Referral", on_delete=models.PROTECT, null=True, blank=True, related_name="shares"
    )
    from_agency = models.ForeignKey("accounts.Agency", on_delete=models.PROTECT, related_name="+")
    to_agency = models.ForeignKey(
        "accounts.Agency", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    recipient = models.CharField(max_length=200, blank=True, help_text="A recipient outside the partnership.")
    shared = models.BooleanField(help_text="False records a decision not to share.")
    lawful_basis = models.CharField(max_length=20, choices=LawfulBasis.choices, blank=True)
    purpose = models.TextField(max_length=2000)
    scope = models.TextField(max_length=2000, help_text="What was (or would have been) shared.")
    consent = models.CharField(max_length=20, choices=ConsentStatus.choices, default=ConsentStatus.NOT_SOUGHT)
    reasons = models.TextField(
        max_length=5000,
        blank=True,
        help_text="Why information was not shared, or the conditions on sharing it.",
    )
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-decided_at"]

    def __str__(self) -> str:
        return f"{'Shared' if self.shared else 'Not shared'} with {self.to_agency or self.recipient}"


# A child's family network: the people in the child's life, each a person mention resolved like any other
class NetworkRelationship(models.TextChoices):
    """Who a member of a child's family network is to the child."""

    MOTHER = "mother", "Mother"
    FATHER = "father", "Father"
    PARENTS_PARTNER = "partner_of_parent", "Partner of a parent"
    CARER = "carer", "Carer"
    HOUSEHOLD_MEMBER = "household_member", "Member of the household"
    GRANDMOTHER = "grandmother", "Grandmother"
    GRANDFATHER = "grandfather", "Grandfather"
    AUNT = "aunt", "Aunt"
    UNCLE = "uncle", "Uncle"
    SIBLING = "sibling", "Brother or sister"
    OTHER_RELATIVE = "other_relative", "Other relative"
    CONTACT = "contact", "Has contact with the child"
    PROPOSED_CARER = "proposed_carer", "Proposed as a carer"
    PROPOSED_CONTACT = "proposed_contact", "Proposed for contact"
    OTHER = "other", "Other"


class NetworkMember(models.Model):
    """A person in a child's life. What is known of them (name, date of birth or age, address) is their person
    mention, matched by real-time matching like a report's, so that the same person named in a referral or an
    intelligence item is the same entity, with the evidence; their phone is a phone mention, matched the same way.
    """

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="network_members")
    mention = models.OneToOneField(
        "intel.PersonMention", on_delete=models.PROTECT, related_name="network_member"
    )
    phone_mention = models.OneToOneField(
        "intel.PhoneMention", on_delete=models.PROTECT, null=True, blank=True, related_name="network_member"
    )
    relationship = models.CharField(max_length=20, choices=NetworkRelationship.choices)
    parental_responsibility = models.BooleanField(
        null=True, blank=True, help_text="Whether they hold parental responsibility, where known."
    )
    victim_parent = models.BooleanField(
        default=False, help_text="A parent who was herself (or himself) a victim of exploitation or abuse."
    )
    victim_parent_case = models.ForeignKey(
        Case,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="The victim parent's own case.",
    )
    victim_parent_referrals = models.ManyToManyField(
        "intake.Referral", blank=True, related_name="+", help_text="The referrals about the victim parent."
    )
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["added_at", "pk"]

    def __str__(self) -> str:
        return f"{self.mention.name or 'Unnamed'} ({self.get_relationship_display()})"


class ConflictLevel(models.TextChoices):
    """How grave a safeguarding conflict is."""

    HIGHEST = "highest", "Highest: a person of concern against the child or the child's own parent"
    HIGH = "high", "High"
    MEDIUM = "medium", "Medium"


class ConflictStatus(models.TextChoices):
    """Open until a manager decides; a decision to involve needs a service manager's sign-off as well."""

    OPEN = "open", "Open"
    AWAITING_SIGN_OFF = "awaiting_sign_off", "Decided, awaiting a service manager's sign-off"
    DECIDED = "decided", "Decided"


class ConflictDecision(models.TextChoices):
    """What a manager decided about involving a person of concern in the child's life."""

    DO_NOT_INVOLVE = "do_not_involve", "Do not involve"
    INVOLVE_WITH_SAFEGUARDS = "involve_with_safeguards", "Involve with safeguards"


class SafeguardingConflict(models.Model):
    """A member of a child's network who resolves to a person recorded as a person of concern in a report: one per
    member and report. Involving the member waits for a manager's decision (and, to involve, a sign-off)."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="safeguarding_conflicts")
    member = models.ForeignKey(NetworkMember, on_delete=models.PROTECT, related_name="conflicts")
    referral = models.ForeignKey(
        "intake.Referral", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    item = models.ForeignKey(
        "intel.IntelligenceItem", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    report_reference = models.CharField(max_length=40)
    report_agency = models.ForeignKey(
        "accounts.Agency",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The agency that holds the report: whom to ask about it.",
    )
    level = models.CharField(max_length=10, choices=ConflictLevel.choices)
    status = models.CharField(
        max_length=20, choices=ConflictStatus.choices, default=ConflictStatus.OPEN, db_index=True
    )
    matched = models.CharField(max_length=300, help_text="What matched what, in words.")
    evidence = models.JSONField(default=list, blank=True, help_text="The match's explanation, one line each.")
    probability = models.FloatField(null=True, blank=True)
    raised_at = models.DateTimeField(default=timezone.now)
    decision = models.CharField(max_length=30, choices=ConflictDecision.choices, blank=True)
    decision_reason = models.TextField(max_length=5000, blank=True)
    legal_basis = models.TextField(max_length=2000, blank=True)
    victim_parent_told = models.BooleanField(null=True, blank=True)
    victim_parent_view = models.TextField(max_length=5000, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    signed_off_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    signed_off_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["raised_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["member", "referral"],
                condition=models.Q(referral__isnull=False),
                name="conflict_once_per_member_referral",
            ),
            models.UniqueConstraint(
                fields=["member", "item"],
                condition=models.Q(item__isnull=False),
                name="conflict_once_per_member_item",
            ),
        ]

    def __str__(self) -> str:
        return f"Safeguarding conflict on {self.case.reference}: {self.matched}"

    @property
    def allows_involvement(self) -> bool:
        """Decided, to involve with safeguards, and signed off."""
        return (
            self.status == ConflictStatus.DECIDED
            and self.decision == ConflictDecision.INVOLVE_WITH_SAFEGUARDS
            and self.signed_off_at is not None
        )


class InvolvementKind(models.TextChoices):
    """The ways a network member can be brought into a child's life or proceedings."""

    CONTACT = "contact", "Contact with the child"
    CARER_ASSESSMENT = "carer_assessment", "Assessment as a carer"
    MEETING_INVITATION = "meeting_invitation", "Invitation to a meeting"
    NOTICE_OF_PROCEEDINGS = "notice_of_proceedings", "Notice of proceedings"
    INFORMATION_SHARING = "information_sharing", "Sharing information with them"


class Involvement(models.Model):
    """A decision to involve a network member, recorded only while no safeguarding conflict about them stands."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="involvements")
    member = models.ForeignKey(NetworkMember, on_delete=models.PROTECT, related_name="involvements")
    kind = models.CharField(max_length=30, choices=InvolvementKind.choices)
    details = models.TextField(max_length=5000, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["recorded_at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.member}"


class AllocationWarning(models.Model):
    """Work allocated to someone without the current training its team requires: warned and recorded, never refused.

    `missing_courses` keeps the codes as they stood at the allocation, since the register changes afterwards.
    """

    task = models.ForeignKey(
        AgencyTask, on_delete=models.PROTECT, null=True, blank=True, related_name="allocation_warnings"
    )
    case = models.ForeignKey(
        Case, on_delete=models.PROTECT, null=True, blank=True, related_name="allocation_warnings"
    )
    team = models.ForeignKey("accounts.Team", on_delete=models.PROTECT, related_name="+")
    allocated_to = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    allocated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    missing_courses = models.JSONField(default=list)
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-recorded_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(task__isnull=False) | models.Q(case__isnull=False),
                name="allocation_warning_names_work",
            )
        ]

    def __str__(self) -> str:
        return f"Allocation of {self.task or self.case} to {self.allocated_to} without required training"


class BreakGlassUse(models.Model):
    """Someone with no relationship to a restricted case opened it by stating a reason ("break glass").

    The access lasts until `expires_at` (`lantern.casework.breakglass.ACCESS_HOURS` after the use) and is read
    only. Every use stays on the review list until a partnership lead or data protection officer, other than the
    person who used it, signs it off.
    """

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="break_glass_uses")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField(max_length=2000)
    opened_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    signed_off_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    signed_off_at = models.DateTimeField(null=True, blank=True, db_index=True)
    review_note = models.TextField(max_length=2000, blank=True)

    class Meta:
        ordering = ["opened_at", "pk"]
        indexes = [models.Index(fields=["case", "user", "expires_at"], name="break_glass_current_idx")]

    def __str__(self) -> str:
        return f"Break glass on {self.case.reference} by {self.user}"
