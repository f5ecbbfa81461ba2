"""Timescales of DESIGN §2 on the business-day calendar, and the escalation ladder's timings.

Task timescales are configurable per RAG priority with `settings.LANTERN_TASK_TIMESCALES` (merged over the
defaults below). Acknowledgement is counted in hours on one of three calendars: "clock" (every hour),
"working_days" (every hour of working days, skipping weekends and bank holidays) or "office_hours"
(09:00–17:00 on working days). Completion is counted in working days.
"""

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from dateutil.relativedelta import relativedelta
from django.conf import settings

from lantern.casework.models import TaskStatus
from lantern.core.calendar import AROUND_THE_CLOCK, OFFICE_HOURS, WorkingCalendar, add_working_days

WORKING_DAYS_ALL_HOURS = WorkingCalendar(hours=(0, 24))
CALENDARS = {"clock": AROUND_THE_CLOCK, "working_days": WORKING_DAYS_ALL_HOURS, "office_hours": OFFICE_HOURS}

DEFAULT_TASK_TIMESCALES = {
    "red": {"acknowledge_hours": 2, "calendar": "clock", "complete_working_days": 1},
    "amber": {"acknowledge_hours": 6, "calendar": "working_days", "complete_working_days": 3},
    "green": {"acknowledge_hours": 24, "calendar": "working_days", "complete_working_days": 10},
}

REFERRAL_DECISION_WORKING_DAYS = 1
STRATEGY_DISCUSSION_WORKING_DAYS = getattr(settings, "LANTERN_STRATEGY_DISCUSSION_WORKING_DAYS", 3)
ASSESSMENT_WORKING_DAYS = 45
INITIAL_CONFERENCE_WORKING_DAYS = 15
NRM_REASONABLE_GROUNDS_WORKING_DAYS = 5
RETURN_INTERVIEW_HOURS = 72
FIRST_REVIEW_CONFERENCE_MONTHS = 3
LATER_REVIEW_CONFERENCE_MONTHS = 6
TOP_LEVEL = 3


@dataclass(frozen=True)
class TaskTimescale:
    """How long an agency has to acknowledge and to complete a task of one priority."""

    acknowledge_hours: float
    calendar: WorkingCalendar
    complete_working_days: int

    def acknowledge_by(self, start: datetime) -> datetime:
        """When a task created at `start` must be acknowledged."""
        return self.calendar.add_working_hours(start, self.acknowledge_hours)

    def complete_by(self, start: datetime) -> datetime:
        """When a task created at `start` must be completed."""
        return add_working_days(start, self.complete_working_days)

    def acknowledgement_level_due_at(self, ack_due_at: datetime, level: int) -> datetime:
        """When an unacknowledged task reaches escalation `level`: each rung one acknowledgement period later."""
        return self.calendar.add_working_hours(ack_due_at, self.acknowledge_hours * (level - 1))

    def completion_level_due_at(self, due_at: datetime, level: int) -> datetime:
        """When an incomplete task reaches escalation `level`: each rung one working day later."""
        return add_working_days(due_at, level - 1) if level > 1 else due_at


def task_timescale(priority: str) -> TaskTimescale:
    """The configured timescale for a RAG priority."""
    merged = {
        **DEFAULT_TASK_TIMESCALES[priority],
        **getattr(settings, "LANTERN_TASK_TIMESCALES", {}).get(priority, {}),
    }
    return TaskTimescale(
        acknowledge_hours=float(merged["acknowledge_hours"]),
        calendar=CALENDARS[merged["calendar"]],
        complete_working_days=int(merged["complete_working_days"]),
    )


def referral_decision_due(received_at: datetime) -> datetime:
    """A referral must be decided (and the referrer told) within one working day of receipt."""
    return add_working_days(received_at, REFERRAL_DECISION_WORKING_DAYS)


def decision_level_due_at(decision_due_at: datetime, level: int) -> datetime:
    """When an undecided referral reaches escalation `level`: half a working day per rung, in office hours."""
    return OFFICE_HOURS.add_working_hours(decision_due_at, 4 * (level - 1)) if level > 1 else decision_due_at


def strategy_discussion_due(start: datetime) -> datetime:
    """A strategy discussion is due within the configured working days (default 3) of the decision."""
    return add_working_days(start, STRATEGY_DISCUSSION_WORKING_DAYS)


def assessment_due(referral_received_at: datetime) -> datetime:
    """An assessment is due 45 working days from the referral."""
    return add_working_days(referral_received_at, ASSESSMENT_WORKING_DAYS)


def initial_conference_due(strategy_held_at: datetime) -> datetime:
    """An initial child protection conference is due 15 working days from the strategy discussion."""
    return add_working_days(strategy_held_at, INITIAL_CONFERENCE_WORKING_DAYS)


def nrm_reasonable_grounds_due(referred_at: datetime) -> datetime:
    """A reasonable-grounds decision is due 5 working days from the NRM referral."""
    return add_working_days(referred_at, NRM_REASONABLE_GROUNDS_WORKING_DAYS)


def return_interview_due(returned_at: datetime) -> datetime:
    """A return interview is due within 72 hours of the child's return."""
    return returned_at + timedelta(hours=RETURN_INTERVIEW_HOURS)


def review_conference_due(previous: datetime, *, first: bool) -> datetime:
    """The first review conference within 3 months of the initial conference, later ones within 6 months."""
    months = FIRST_REVIEW_CONFERENCE_MONTHS if first else LATER_REVIEW_CONFERENCE_MONTHS
    return previous + relativedelta(months=months)


# Reading a clock: time left, overdue, or met, in words and with the moment it refers to
def _plural(n: int, unit: str) -> str:
    return f"{n} {unit}{'' if n == 1 else 's'}"


def describe_duration(delta: timedelta) -> str:
    """A duration in words, to its two largest units: "2 days 3 hours", "45 minutes", "less than a minute"."""
    seconds = int(abs(delta.total_seconds()))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return _plural(days, "day") + (f" {_plural(hours, 'hour')}" if hours else "")
    if hours:
        return _plural(hours, "hour") + (f" {_plural(minutes, 'minute')}" if minutes else "")
    if minutes:
        return _plural(minutes, "minute")
    return "less than a minute"


@dataclass(frozen=True)
class ClockReading:
    """Where a clock stands at a moment: state ("due", "overdue", "met", "met_late" or "none") and words."""

    state: str
    text: str
    due_at: datetime | None = None
    met_at: datetime | None = None
    what: str = ""

    @property
    def tag_class(self) -> str:
        """The GOV.UK tag colour for the state."""
        return {
            "overdue": "govuk-tag--red",
            "met_late": "govuk-tag--orange",
            "met": "govuk-tag--green",
            "due": "govuk-tag--blue",
        }.get(self.state, "govuk-tag--grey")

    @property
    def is_overdue(self) -> bool:
        """Whether the clock ran out without being met."""
        return self.state == "overdue"


def clock_reading(due_at: datetime | None, *, now: datetime, met_at: datetime | None = None) -> ClockReading:
    """Read a clock at `now`: "3 hours left", "Overdue by 2 days", "Met", "Met 4 hours late"."""
    if due_at is None:
        return ClockReading("none", "No deadline")
    if met_at is not None:
        if met_at <= due_at:
            return ClockReading("met", "Met on time", due_at, met_at)
        return ClockReading("met_late", f"Met {describe_duration(met_at - due_at)} late", due_at, met_at)
    if now >= due_at:
        return ClockReading("overdue", f"Overdue by {describe_duration(now - due_at)}", due_at)
    return ClockReading("due", f"{describe_duration(due_at - now)} left", due_at)


def task_clock(task, *, now: datetime) -> ClockReading:
    """The clock that matters for a task now: acknowledgement until acknowledged, then completion."""
    if task.status == TaskStatus.AWAITING_ACKNOWLEDGEMENT:
        return replace(clock_reading(task.ack_due_at, now=now), what="Acknowledgement")
    if task.status == TaskStatus.ACKNOWLEDGED:
        return replace(clock_reading(task.due_at, now=now), what="Completion")
    return replace(clock_reading(task.due_at, now=now, met_at=task.completed_at), what="Completion")
