"""Models: the accountability dashboard and data quality.

The dashboard answers from `AccountabilityDay`, a daily fact table per agency and team, so that a period of any
length is a sum over a few thousand small rows rather than a scan of the referral loop's tables. Every figure is
an *event* on a London calendar day (a task acknowledged on that day, an escalation raised on that day), so a
day's row is final once the day is over and only needs rebuilding if records are backdated (the demo, imports).
Durations are kept exactly, as each day's sorted durations in whole seconds (`array('q')` bytes): medians and
90th percentiles over any period are then exact, not estimates from a histogram.
"""

from django.db import models
from django.utils import timezone


class AccountabilityDay(models.Model):
    """One London calendar day's accountability figures for one agency and team.

    The row with no agency and no team holds the partnership-wide referral figures (received, closed, outcome
    told to the reporter). Front-door decisions count against the agency and team of the person who decided.
    """

    day = models.DateField()
    agency = models.ForeignKey("accounts.Agency", on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    team = models.ForeignKey("accounts.Team", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

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
        ordering = ["day", "agency_id", "team_id"]
        indexes = [models.Index(fields=["day", "agency"], name="insights_acc_day_agency_idx")]

    def __str__(self) -> str:
        return f"{self.day} {self.agency_id or 'partnership'}/{self.team_id or '-'}"


class AccountabilityRefresh(models.Model):
    """How far the fact table is complete: every day up to `complete_through` (one row, pk 1)."""

    complete_through = models.DateField(null=True, blank=True)
    first_day = models.DateField(null=True, blank=True)
    refreshed_at = models.DateTimeField(default=timezone.now)
    rows = models.PositiveIntegerField(default=0)
    snapshot = models.JSONField(
        default=dict, blank=True,
        help_text="At the start of the first day not in the table: the ids of the referrals, tasks and escalations "
                  "still open then, and the highest id before it; the live slice reads only those and newer ones.",
    )

    def __str__(self) -> str:
        return f"Accountability figures complete through {self.complete_through}"
