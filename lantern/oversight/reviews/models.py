"""Models: independent reviews, allegations, case audits and review reports.

A `Review` has terms of reference, a commissioning body, the period it looks at, a team of independent reviewers
and a scope (agencies, flags, named cases, and whether sanitised intelligence is included). While it is open and
between its start and end dates, its scope grants the team read-only access to exactly the records it covers
(`lantern.oversight.reviews.selectors`). Allegations are tested against the record with evidence links and a
signed-off finding; case audits grade a reproducible sample of cases; the report is generated from both and frozen
by sign-off.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from lantern.core.crypto import EncryptedTextField


class ReviewStatus(models.TextChoices):
    """Whether the review is under way. A closed review grants no access to records."""

    OPEN = "open", "Open"
    CLOSED = "closed", "Closed"


class Review(models.Model):
    """An independent review commissioned by a body, with terms of reference, a team and a scope."""

    reference = models.CharField(max_length=20, unique=True)
    title = models.CharField(max_length=200)
    terms_of_reference = models.TextField(max_length=10000)
    commissioned_by = models.CharField(max_length=200, help_text="The body that commissioned the review.")
    period_start = models.DateField(help_text="The first day of the period under review.")
    period_end = models.DateField(help_text="The last day of the period under review.")
    starts_on = models.DateField(help_text="The reviewers' access begins on this day.")
    ends_on = models.DateField(help_text="The reviewers' access ends after this day.")
    status = models.CharField(max_length=10, choices=ReviewStatus.choices, default=ReviewStatus.OPEN)
    lead_reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Signs off findings and the report.",
    )
    reviewers = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="reviews")
    scope_agencies = models.ManyToManyField("accounts.Agency", blank=True, related_name="+")
    scope_flags = models.JSONField(default=list, blank=True, help_text="Flag kinds; empty means any.")
    scope_cases = models.ManyToManyField("casework.Case", blank=True, related_name="+")
    include_intelligence = models.BooleanField(default=False, help_text="Sanitised intelligence is in scope.")
    method = models.TextField(max_length=10000, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.reference}: {self.title}"

    @property
    def access_state(self) -> str:
        """ "closed", "outside" (open, but not between its access dates today) or "open"."""
        if self.status == ReviewStatus.CLOSED:
            return "closed"
        today = timezone.localdate()
        return "open" if self.starts_on <= today <= self.ends_on else "outside"


class FindingKind(models.TextChoices):
    """What the review found about an allegation."""

    FOUNDED = "founded", "Founded"
    PARTLY_FOUNDED = "partly_founded", "Partly founded"
    UNFOUNDED = "unfounded", "Unfounded"
    CANNOT_DETERMINE = "cannot_determine", "Cannot determine"


class Allegation(models.Model):
    """A claim under review: as made, by whom and when, the evidence for and against, and the finding."""

    review = models.ForeignKey(Review, on_delete=models.PROTECT, related_name="allegations")
    number = models.PositiveSmallIntegerField()
    claim = models.TextField(max_length=5000, help_text="The claim exactly as it was made.")
    made_by = models.CharField(max_length=200, help_text="Who made the claim.")
    made_on = models.DateField(help_text="When the claim was made.")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    finding = models.CharField(max_length=20, choices=FindingKind.choices, blank=True)
    rationale = models.TextField(max_length=10000, blank=True)
    finding_search = models.ForeignKey(
        "oversight.ReviewSearch",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The recorded search a finding of 'unfounded' relies on, when no record is linked.",
    )
    finding_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    finding_at = models.DateTimeField(null=True, blank=True)
    signed_off_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    signed_off_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["review", "number"]
        constraints = [models.UniqueConstraint(fields=["review", "number"], name="allegation_unique_number")]

    def __str__(self) -> str:
        return f"Allegation {self.number} ({self.review.reference})"


class Stance(models.TextChoices):
    """Whether a linked record supports the allegation or undermines it."""

    FOR = "for", "Evidence for"
    AGAINST = "against", "Evidence against"


class EvidenceKind(models.TextChoices):
    """The kinds of record that can be linked as evidence."""

    REFERRAL = "referral", "Referral"
    TASK = "task", "Agency task"
    ESCALATION = "escalation", "Escalation"
    INTELLIGENCE = "intelligence", "Intelligence item (sanitised)"


class EvidenceLink(models.Model):
    """A record linked to an allegation as evidence for or against it (exactly one record per link)."""

    allegation = models.ForeignKey(Allegation, on_delete=models.PROTECT, related_name="evidence")
    stance = models.CharField(max_length=10, choices=Stance.choices)
    kind = models.CharField(max_length=20, choices=EvidenceKind.choices)
    referral = models.ForeignKey(
        "intake.Referral", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    task = models.ForeignKey(
        "casework.AgencyTask", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    escalation = models.ForeignKey(
        "casework.Escalation", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    intelligence_item = models.ForeignKey(
        "intel.IntelligenceItem", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    note = EncryptedTextField(max_length=5000, help_text="What this record shows about the claim.")
    linked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    linked_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["linked_at", "pk"]
        constraints = [
            models.CheckConstraint(
                name="evidence_exactly_one_record",
                condition=(
                    Q(
                        kind="referral",
                        referral__isnull=False,
                        task__isnull=True,
                        escalation__isnull=True,
                        intelligence_item__isnull=True,
                    )
                    | Q(
                        kind="task",
                        referral__isnull=True,
                        task__isnull=False,
                        escalation__isnull=True,
                        intelligence_item__isnull=True,
                    )
                    | Q(
                        kind="escalation",
                        referral__isnull=True,
                        task__isnull=True,
                        escalation__isnull=False,
                        intelligence_item__isnull=True,
                    )
                    | Q(
                        kind="intelligence",
                        referral__isnull=True,
                        task__isnull=True,
                        escalation__isnull=True,
                        intelligence_item__isnull=False,
                    )
                ),
            ),
        ]

    @property
    def record(self):
        """The linked record."""
        return self.referral or self.task or self.escalation or self.intelligence_item

    def __str__(self) -> str:
        return f"{self.get_stance_display()}: {self.get_kind_display()} {self.record_id}"

    @property
    def record_id(self):
        """The linked record's id."""
        return self.referral_id or self.task_id or self.escalation_id or self.intelligence_item_id


class ReviewSearch(models.Model):
    """A search a reviewer ran within the review's scope: what was asked, where, when, and what was found.

    Kept so that a finding can cite what was searched and not found.
    """

    review = models.ForeignKey(Review, on_delete=models.PROTECT, related_name="searches")
    allegation = models.ForeignKey(
        Allegation, on_delete=models.PROTECT, null=True, blank=True, related_name="searches"
    )
    terms = models.JSONField(default=dict, help_text="Reference, name, dates and agency searched for.")
    scope = models.JSONField(default=dict, help_text="The review's scope when the search ran.")
    result_count = models.PositiveIntegerField(default=0)
    results = models.JSONField(default=list, help_text="The references found, by kind.")
    searched_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    searched_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-searched_at", "-pk"]

    def __str__(self) -> str:
        return f"Search {self.pk} in {self.review_id}"


class AuditFramework(models.Model):
    """The grades and the criteria a case audit uses: grades best first, criteria in the order they are shown."""

    name = models.CharField(max_length=200, unique=True)
    grades = models.JSONField(help_text='[["outstanding", "Outstanding"], ...], best first.')
    criteria = models.JSONField(help_text='[["timeliness", "Timeliness"], ...].')

    def __str__(self) -> str:
        return self.name


class SamplingRule(models.TextChoices):
    """How the cases for an audit are chosen."""

    RANDOM = "random", "Random within scope"
    BY_AGENCY = "by_agency", "Stratified by lead agency"
    BY_OUTCOME = "by_outcome", "Stratified by outcome"
    CONDITION = "condition", "All cases meeting a condition"


class CaseAudit(models.Model):
    """A sample of in-scope cases chosen by a rule from a recorded seed, each graded against a framework."""

    review = models.ForeignKey(Review, on_delete=models.PROTECT, related_name="audits")
    title = models.CharField(max_length=200)
    rule = models.CharField(max_length=20, choices=SamplingRule.choices)
    size = models.PositiveIntegerField(
        default=0, help_text="How many cases to sample (not used for a condition)."
    )
    condition = models.CharField(max_length=40, blank=True)
    seed = models.BigIntegerField()
    population = models.PositiveIntegerField(
        default=0, help_text="How many in-scope cases there were to sample."
    )
    framework = models.ForeignKey(AuditFramework, on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.title


class CaseAuditItem(models.Model):
    """One sampled case in an audit, with the stratum it was drawn from."""

    audit = models.ForeignKey(CaseAudit, on_delete=models.CASCADE, related_name="items")
    case = models.ForeignKey("casework.Case", on_delete=models.PROTECT, related_name="+")
    position = models.PositiveIntegerField()
    stratum = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["audit", "position"]
        constraints = [models.UniqueConstraint(fields=["audit", "case"], name="audit_case_once")]

    def __str__(self) -> str:
        return f"{self.audit_id}/{self.position}"


class CaseAuditGrade(models.Model):
    """The grade a case was given on one criterion, with the auditor's note."""

    item = models.ForeignKey(CaseAuditItem, on_delete=models.CASCADE, related_name="grades")
    criterion = models.CharField(max_length=40)
    grade = models.CharField(max_length=40)
    note = EncryptedTextField(max_length=5000, blank=True)
    graded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    graded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["item", "criterion"]
        constraints = [models.UniqueConstraint(fields=["item", "criterion"], name="audit_grade_once")]

    def __str__(self) -> str:
        return f"{self.criterion}: {self.grade}"


class ReviewReport(models.Model):
    """One version of a review's report: its generated content and hash, frozen once signed off.

    Nothing changes a version's content after it is written; a change makes a new version.
    """

    review = models.ForeignKey(Review, on_delete=models.PROTECT, related_name="reports")
    version = models.PositiveIntegerField()
    content = models.TextField(help_text="The report's HTML as generated.")
    content_hash = models.CharField(max_length=64, help_text="SHA-256 of the content.")
    generated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    generated_at = models.DateTimeField(default=timezone.now)
    signed_off_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    signed_off_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["review", "-version"]
        constraints = [models.UniqueConstraint(fields=["review", "version"], name="report_unique_version")]

    @property
    def signed(self) -> bool:
        """Whether this version has been signed off (and so is frozen)."""
        return self.signed_off_at is not None

    def __str__(self) -> str:
        return f"{self.review.reference} report v{self.version}"
