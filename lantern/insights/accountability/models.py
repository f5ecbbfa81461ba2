"""Models: the accountability dashboard and data quality.

The dashboard answers from `AccountabilityDay`, a daily fact table per agency and team, and from
`AccountabilityMonth`, the same facts rolled up by calendar month, so that a period of any length is a sum over a
few hundred small rows (its whole months, and the days at either ragged end) rather than a scan of the referral
loop's tables. Every figure is an *event* on a London calendar day (a task acknowledged on that day, an escalation
raised on that day), so a day's row is final once the day is over and only needs rebuilding if records are
backdated (the demo, imports). Durations are kept exactly, as the sorted durations in whole seconds
(signed 32-bit integers): medians and 90th percentiles over any period are then exact, not estimates from a histogram.
"""

from django.db import models
from django.utils import timezone


class AccountabilityFacts(models.Model):
    """The facts kept for one agency and team over some days: counts of events, and their sorted durations.

    The row with no agency and no team holds the partnership-wide referral figures (received, closed, outcome
    told to the reporter). Front-door decisions count against the agency and team of the person who decided.
    """

    agency = models.ForeignKey(
        "accounts.Agency", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    team = models.ForeignKey(
        "accounts.Team", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    # The partnership-wide row only
    referrals_received = models.PositiveIntegerField(default=0)
    referrals_closed = models.PositiveIntegerField(default=0)
    outcomes_fed_back = models.PositiveIntegerField(default=0)

    # Front-door decisions, by the deciding person's agency and team
    decisions_made = models.PositiveIntegerField(default=0)
    decisions_within_day = models.PositiveIntegerField(default=0)
    decisions_nfa = models.PositiveIntegerField(default=0)

    # Agency tasks
    tasks_received = models.PositiveIntegerField(default=0)
    tasks_acknowledged = models.PositiveIntegerField(default=0)
    tasks_acknowledged_late = models.PositiveIntegerField(default=0)
    tasks_completed = models.PositiveIntegerField(default=0)
    tasks_completed_late = models.PositiveIntegerField(default=0)
    tasks_no_action = models.PositiveIntegerField(default=0)
    ack_seconds = models.BinaryField(default=b"", help_text="Sorted seconds from task to acknowledgement.")
    complete_seconds = models.BinaryField(default=b"", help_text="Sorted seconds from task to completion.")

    # Escalations about the agency: raised (by rung and by kind) and resolved (by rung and by who resolved)
    escalations_level_1 = models.PositiveIntegerField(default=0)
    escalations_level_2 = models.PositiveIntegerField(default=0)
    escalations_level_3 = models.PositiveIntegerField(default=0)
    escalations_not_acknowledged = models.PositiveIntegerField(default=0)
    escalations_not_completed = models.PositiveIntegerField(default=0)
    escalations_decision_overdue = models.PositiveIntegerField(default=0)
    escalations_disagreement = models.PositiveIntegerField(default=0)
    resolved_level_1 = models.PositiveIntegerField(default=0)
    resolved_level_2 = models.PositiveIntegerField(default=0)
    resolved_level_3 = models.PositiveIntegerField(default=0)
    resolved_by_team_manager = models.PositiveIntegerField(default=0)
    resolved_by_service_manager = models.PositiveIntegerField(default=0)
    resolved_by_partnership_lead = models.PositiveIntegerField(default=0)
    resolved_by_other = models.PositiveIntegerField(default=0)
    resolve_seconds = models.BinaryField(default=b"", help_text="Sorted seconds from raising to resolution.")

    class Meta:
        abstract = True


class AccountabilityDay(AccountabilityFacts):
    """One London calendar day's accountability figures for one agency and team."""

    day = models.DateField()

    class Meta:
        ordering = ["day", "agency_id", "team_id"]
        indexes = [models.Index(fields=["day", "agency"], name="insights_acc_day_agency_idx")]

    def __str__(self) -> str:
        return f"{self.day} {self.agency_id or 'partnership'}/{self.team_id or '-'}"


class AccountabilityMonth(AccountabilityFacts):
    """One whole London calendar month's figures for one agency and team: the sum of its days' rows.

    Kept only for months whose every day is in the daily table (up to `AccountabilityRefresh.complete_through`),
    and rebuilt from those rows whenever any of its days is.
    """

    month = models.DateField(help_text="The first day of the month.")

    class Meta:
        ordering = ["month", "agency_id", "team_id"]
        indexes = [models.Index(fields=["month", "agency"], name="insights_acc_month_agency_idx")]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.agency_id or 'partnership'}/{self.team_id or '-'}"


class AccountabilityRefresh(models.Model):
    """How far the fact table is complete: every day up to `complete_through` (one row, pk 1)."""

    complete_through = models.DateField(null=True, blank=True)
    first_day = models.DateField(null=True, blank=True)
    refreshed_at = models.DateTimeField(default=timezone.now)
    rows = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"Accountability figures complete through {self.complete_through}"
