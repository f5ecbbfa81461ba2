"""The accountability figures: per agency and team, for any period, from the daily fact table and a live slice.

What each figure means (DESIGN §4; the dashboard's "About these figures" says the same in plain words):

* **Referrals received** — partnership-wide, referrals received in the period. For an agency or team, the
  referrals passed to it: tasks created for it in the period (one task per agency per referral).
* **Decisions within one working day** — front-door decisions made in the period (the referral's standing
  decision), counted against the agency and team of the person who decided; "within" means on or before the
  referral's decision clock, set at receipt to one working day on the England and Wales business-day calendar
  (`lantern.core.calendar.add_working_days`, through `casework.timescales.referral_decision_due`).
* **"No further action" rate** — the share of those decisions that were "no further action".
* **Time to acknowledge / to complete** — for tasks acknowledged (completed) in the period, the elapsed time
  from the task being created, in **clock hours** (nights, weekends and bank holidays included, so that agencies
  that work around the clock and those that keep office hours are compared on one scale). Median and 90th
  percentile by linear interpolation between closest ranks (Hyndman and Fan type 7, the spreadsheet
  PERCENTILE.INC), exact over every task in the period.
* **Tasks overdue now** — open tasks whose current clock (acknowledgement, then completion) has run out, now,
  whatever the period; shown beside the agency's open tasks.
* **Escalations** — raised in the period about the agency, by rung and by kind; resolved in the period, by rung
  and by the role of who resolved them, with the time from raising to resolution; open now.
* **"No action for this agency"** — the share of tasks completed in the period with that outcome.
* **Outcomes fed back** — referrals closed in the period that carry a plain-English outcome and have someone to
  tell: a professional referrer (who sees it in Lantern) or a reporter with a tracking reference.

Days up to `AccountabilityRefresh.complete_through` come from the fact table: each whole calendar month in the
period from `AccountabilityMonth`, the ragged days at either end from `AccountabilityDay`; later days (normally just
today) are computed live from the referral loop's tables by the same code that builds the fact rows, reading each
kind of event by its time through the index on it.
`accountability_figures_raw` computes the same answer with plain ORM aggregations over the raw tables (for the
benchmark and for the test that the two agree).

`evidence_not_acted_on` lists, rather than counts, what was passed and not acted on: agency tasks whose current
clock has run out (the "overdue now" figure's records) and intelligence a partner agency submitted that the police
have not graded in time, oldest first, with who holds each now and the highest escalation it reached.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

import numpy as np
from django.conf import settings
from django.db import transaction
from django.db.models import CharField, Count, F, Prefetch, Q, QuerySet, Value
from django.urls import reverse
from django.utils import timezone

from lantern.accounts.models import Agency, AgencyKind, Role, Team, User
from lantern.audit import events
from lantern.casework.models import (
    AgencyTask,
    Escalation,
    EscalationKind,
    EscalationStatus,
    TaskOutcome,
    TaskStatus,
)
from lantern.casework.selectors import overdue_q, task_list_visible_to
from lantern.core import policy
from lantern.core.calendar import LONDON, add_working_days, working_days_between
from lantern.core.exceptions import Invalid, NotFound
from lantern.insights.accountability.models import (
    AccountabilityDay,
    AccountabilityMonth,
    AccountabilityRefresh,
)
from lantern.intake.models import DecisionKind, Referral, ReferralStatus
from lantern.intel.items.models import IntelligenceItem, ItemStatus
from lantern.intel.items.selectors import item_list_visible_to

EARLIEST = date(2000, 1, 1)
CLOSED_STATUSES = (ReferralStatus.CLOSED, ReferralStatus.NO_FURTHER_ACTION)
# Whole seconds, signed 32-bit little-endian: 68 years either way, four bytes a task.
SECONDS = np.dtype("<i4")
RESOLVER_FIELDS = {
    Role.TEAM_MANAGER: "resolved_by_team_manager",
    Role.SERVICE_MANAGER: "resolved_by_service_manager",
    Role.PARTNERSHIP_LEAD: "resolved_by_partnership_lead",
}
KIND_FIELDS = {
    EscalationKind.NOT_ACKNOWLEDGED: "escalations_not_acknowledged",
    EscalationKind.NOT_COMPLETED: "escalations_not_completed",
    EscalationKind.DECISION_OVERDUE: "escalations_decision_overdue",
    EscalationKind.DISAGREEMENT: "escalations_disagreement",
}
COUNT_FIELDS = (
    "referrals_received",
    "referrals_closed",
    "outcomes_fed_back",
    "decisions_made",
    "decisions_within_day",
    "decisions_nfa",
    "tasks_received",
    "tasks_acknowledged",
    "tasks_acknowledged_late",
    "tasks_completed",
    "tasks_completed_late",
    "tasks_no_action",
    "escalations_level_1",
    "escalations_level_2",
    "escalations_level_3",
    *KIND_FIELDS.values(),
    "resolved_level_1",
    "resolved_level_2",
    "resolved_level_3",
    "resolved_by_team_manager",
    "resolved_by_service_manager",
    "resolved_by_partnership_lead",
    "resolved_by_other",
)
DURATION_FIELDS = ("ack_seconds", "complete_seconds", "resolve_seconds")


# Periods
@dataclass(frozen=True)
class Period:
    """A run of whole London calendar days, both ends included."""

    start: date
    end: date

    @property
    def bounds(self) -> tuple[datetime, datetime]:
        """The period as aware datetimes: midnight at its start to midnight after its end (London clocks)."""
        return day_start(self.start), day_start(self.end + timedelta(days=1))


@dataclass(frozen=True)
class Preset:
    """A named period offered as a link: "Last quarter", "This year"."""

    key: str
    label: str
    start: date
    end: date


def day_start(day: date) -> datetime:
    """Midnight at the start of a London calendar day, as an aware datetime in UTC."""
    return datetime.combine(day, time.min).replace(tzinfo=LONDON).astimezone(UTC)


def london_day(moment: datetime) -> date:
    """The London calendar day of an aware datetime."""
    return moment.astimezone(LONDON).date()


def today(now: datetime | None = None) -> date:
    """Today in London."""
    return london_day(now or timezone.now())


def _quarter_start(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def presets(*, on: date) -> list[Preset]:
    """The periods offered as one-click choices, relative to the day `on`."""
    this_quarter = _quarter_start(on)
    last_quarter_end = this_quarter - timedelta(days=1)
    year_ago = (
        on.replace(year=on.year - 1) if not (on.month == 2 and on.day == 29) else date(on.year - 1, 2, 28)
    )
    return [
        Preset("this_quarter", "This quarter", this_quarter, on),
        Preset("last_quarter", "Last quarter", _quarter_start(last_quarter_end), last_quarter_end),
        Preset("this_year", "This year", date(on.year, 1, 1), on),
        Preset("last_year", "Last year", date(on.year - 1, 1, 1), date(on.year - 1, 12, 31)),
        Preset("last_12_months", "Last 12 months", year_ago + timedelta(days=1), on),
    ]


def default_period(*, on: date) -> Period:
    """The period shown when none is asked for: this year so far."""
    return Period(date(on.year, 1, 1), on)


def period_check(start: date | None, end: date | None, *, on: date) -> Period:
    """A valid period from two dates, or `Invalid` with a message for `from` and `to`."""
    errors: dict[str, list[str]] = {}
    if start is None:
        errors["from"] = ["Enter the start of the period."]
    elif start < EARLIEST:
        errors["from"] = [f"The start of the period must be on or after {EARLIEST:%-d %B %Y}."]
    elif start > on:
        errors["from"] = ["The start of the period must be today or in the past."]
    if end is None:
        errors["to"] = ["Enter the end of the period."]
    elif end > on:
        errors["to"] = ["The end of the period must be today or in the past."]
    elif end < EARLIEST:
        errors["to"] = [f"The end of the period must be on or after {EARLIEST:%-d %B %Y}."]
    if not errors and start > end:
        errors["to"] = ["The end of the period must be the same as or after the start."]
    if errors:
        raise Invalid("The period has errors.", errors)
    return Period(start, end)


def period_covered(start: date, end: date, *, on: date) -> Period:
    """The days from `start` to `end` that figures can be given for, as the API answers them.

    A period ending after `on` (today) covers up to `on`, and one starting before `EARLIEST` covers from it; the
    answer states the period covered. A period that holds no day (it starts after it ends, or after today) has
    no figures: `NotFound` (404) naming `from` (decision 0022). The pages ask for a period again instead
    (`period_check`).
    """
    end = min(end, on)
    if start > end:
        after = "after it ends" if start <= on else "after today"
        raise NotFound.field("from", f"The period starts {after}, so it holds no day to give figures for.")
    return Period(max(start, EARLIEST), end)


# Durations and percentiles
@dataclass(frozen=True)
class Duration:
    """How long something took over a set of records: how many, the median and the 90th percentile, in hours."""

    count: int
    median_hours: float | None
    p90_hours: float | None


def _seconds(later: datetime, earlier: datetime) -> int:
    return (later - earlier) // timedelta(seconds=1)


def duration_of(values: np.ndarray) -> Duration:
    """Median and 90th percentile (type 7) of durations in seconds, in hours to two decimal places.

    Type 7 reads the two closest ranks to (n - 1) × p and interpolates between them; only those ranks are put in
    place (one partial sort of the whole-second integers for both figures), not the whole array sorted.
    """
    n = len(values)
    if not n:
        return Duration(0, None, None)
    ranks = [(n - 1) * share for share in (0.5, 0.9)]
    placed = np.partition(values, sorted({min(int(r) + step, n - 1) for r in ranks for step in (0, 1)}))

    def at(rank: float) -> float:
        low = int(rank)
        below, above = float(placed[low]), float(placed[min(low + 1, n - 1)])
        return below + (rank - low) * (above - below)

    return Duration(n, round(at(ranks[0]) / 3600, 2), round(at(ranks[1]) / 3600, 2))


def _pack(values: np.ndarray) -> bytes:
    return np.sort(np.asarray(values, dtype=SECONDS)).tobytes() if len(values) else b""


def _unpack(blob) -> np.ndarray:
    return np.frombuffer(blob, dtype=SECONDS) if blob else np.empty(0, dtype=SECONDS)


# Totals: counts and durations for one (agency, team), summed over days
class Totals:
    """Counts and durations for one agency and team (or the partnership row) over some days."""

    __slots__ = ("counts", "durations")

    def __init__(self) -> None:
        self.counts: dict[str, int] = dict.fromkeys(COUNT_FIELDS, 0)
        self.durations: dict[str, list] = {name: [] for name in DURATION_FIELDS}

    def add(self, name: str, n: int = 1) -> None:
        """Add to a count."""
        self.counts[name] += n

    def merge(self, other: "Totals") -> None:
        """Add another set of totals to this one."""
        for name, n in other.counts.items():
            self.counts[name] += n
        for name, parts in other.durations.items():
            self.durations[name].extend(parts)

    def values(self, name: str) -> np.ndarray:
        """Every duration of one kind as one array of seconds."""
        parts = [np.asarray(p, dtype=SECONDS) for p in self.durations[name] if len(p)]
        return np.concatenate(parts) if parts else np.empty(0, dtype=SECONDS)


Key = tuple[int | None, int | None]


@dataclass(frozen=True)
class _Window:
    """The events one collection reads: those in [start, end), for some agencies or all, keyed by day or not."""

    start: datetime
    end: datetime
    agency_ids: list[int] | None = None
    by_day: bool = True

    def rows(self, queryset: QuerySet, *fields: str):
        """The fields of each row of `queryset`."""
        # A refresh reads a year's events and streams them; the live slice (normally today) reads them at once.
        if self.end - self.start > timedelta(days=7):
            return queryset.values_list(*fields).iterator(10000)
        return queryset.values_list(*fields)

    def key(self, moment: datetime, agency_id, team_id) -> tuple:
        """Where an event is counted: (London day, agency, team), or (agency, team) when not by day."""
        return (london_day(moment), agency_id, team_id) if self.by_day else (agency_id, team_id)

    def in_range(self, field_name: str) -> Q:
        """Rows whose `field_name` falls in the window."""
        return Q(**{f"{field_name}__gte": self.start, f"{field_name}__lt": self.end})

    def scoped(self, queryset: QuerySet, path: str = "agency_id") -> QuerySet:
        """`queryset` limited to the window's agencies through `path`, if it has any."""
        return queryset if self.agency_ids is None else queryset.filter(**{f"{path}__in": self.agency_ids})


def _collect(start: datetime, end: datetime, *, agency_ids=None, by_day: bool = True) -> dict:
    """Facts for events in [start, end) from the raw tables, keyed by (London day, agency, team) or (agency, team).

    This is the one definition of every figure: the fact table is built from it, and the live slice uses it.
    The partnership-wide referral figures (key agency None, team None) are collected only for every agency.
    Each kind of event is read by a range on its own time, which has an index (see the intake and case-work
    models), so that today's live slice reads today's events only.
    """
    window = _Window(start, end, agency_ids=agency_ids, by_day=by_day)
    facts: dict = defaultdict(Totals)
    if agency_ids is None:
        _collect_referrals(window, facts)
    _collect_decisions(window, facts)
    _collect_tasks(window, facts)
    _collect_escalations(window, facts)
    return facts


def _collect_referrals(window: _Window, facts: dict) -> None:
    """Partnership-wide: referrals received, referrals closed, and closed ones whose outcome was fed back."""
    referrals = Referral.objects.all()
    for (received_at,) in window.rows(referrals.filter(window.in_range("received_at")), "received_at"):
        facts[window.key(received_at, None, None)].add("referrals_received")
    closed = referrals.filter(window.in_range("closed_at"), status__in=CLOSED_STATUSES).annotate(
        told=_fed_back_flag()
    )
    for closed_at, told in window.rows(closed, "closed_at", "told"):
        facts[window.key(closed_at, None, None)].add("referrals_closed")
        if told:
            facts[window.key(closed_at, None, None)].add("outcomes_fed_back")


def _collect_decisions(window: _Window, facts: dict) -> None:
    """Front-door decisions by the decider's agency and team: made, within one working day, no further action."""
    decided = window.scoped(
        Referral.objects.filter(window.in_range("decided_at"), decision__isnull=False),
        "decision__decided_by__agency_id",
    )
    for decided_at, due_at, kind, agency_id, team_id in window.rows(
        decided,
        "decided_at",
        "decision_due_at",
        "decision__kind",
        "decision__decided_by__agency_id",
        "decision__decided_by__team_id",
    ):
        totals = facts[window.key(decided_at, agency_id, team_id)]
        totals.add("decisions_made")
        # The clock set at receipt: one working day on the business-day calendar (`referral_decision_due`).
        if decided_at <= due_at:
            totals.add("decisions_within_day")
        if kind == DecisionKind.NO_FURTHER_ACTION:
            totals.add("decisions_nfa")


def _collect_tasks(window: _Window, facts: dict) -> None:
    """Tasks received, acknowledged and completed (late or not), with the time taken to acknowledge and complete."""
    tasks = window.scoped(AgencyTask.objects.all())
    for created_at, agency_id, team_id in window.rows(
        tasks.filter(window.in_range("created_at")), "created_at", "agency_id", "team_id"
    ):
        facts[window.key(created_at, agency_id, team_id)].add("tasks_received")
    acknowledged: dict = defaultdict(list)
    for at, created_at, due_at, agency_id, team_id in window.rows(
        tasks.filter(window.in_range("acknowledged_at")),
        "acknowledged_at",
        "created_at",
        "ack_due_at",
        "agency_id",
        "team_id",
    ):
        k = window.key(at, agency_id, team_id)
        facts[k].add("tasks_acknowledged")
        facts[k].add("tasks_acknowledged_late", at > due_at)
        acknowledged[k].append(_seconds(at, created_at))
    _add_durations(facts, "ack_seconds", acknowledged)
    completed: dict = defaultdict(list)
    for at, created_at, due_at, outcome, agency_id, team_id in window.rows(
        tasks.filter(window.in_range("completed_at")),
        "completed_at",
        "created_at",
        "due_at",
        "outcome",
        "agency_id",
        "team_id",
    ):
        k = window.key(at, agency_id, team_id)
        facts[k].add("tasks_completed")
        facts[k].add("tasks_completed_late", at > due_at)
        facts[k].add("tasks_no_action", outcome == TaskOutcome.NO_ACTION_FOR_AGENCY)
        completed[k].append(_seconds(at, created_at))
    _add_durations(facts, "complete_seconds", completed)


def _collect_escalations(window: _Window, facts: dict) -> None:
    """Escalations raised (by rung and kind) and resolved (by rung and resolver), with the time taken to resolve."""
    escalations = window.scoped(Escalation.objects.all())
    for at, agency_id, team_id, level, kind in window.rows(
        escalations.filter(window.in_range("raised_at")),
        "raised_at",
        "agency_id",
        "task__team_id",
        "level",
        "kind",
    ):
        k = window.key(at, agency_id, team_id)
        facts[k].add(f"escalations_level_{level}")
        facts[k].add(KIND_FIELDS[kind])
    resolved: dict = defaultdict(list)
    for at, raised_at, agency_id, team_id, level, role in window.rows(
        escalations.filter(window.in_range("resolved_at"), status=EscalationStatus.RESOLVED),
        "resolved_at",
        "raised_at",
        "agency_id",
        "task__team_id",
        "level",
        "resolved_by__role",
    ):
        k = window.key(at, agency_id, team_id)
        facts[k].add(f"resolved_level_{level}")
        facts[k].add(RESOLVER_FIELDS.get(role, "resolved_by_other"))
        resolved[k].append(_seconds(at, raised_at))
    _add_durations(facts, "resolve_seconds", resolved)


def _add_durations(facts: dict, name: str, found: dict) -> None:
    """Add each key's durations of one kind, in whole seconds, to its totals."""
    for k, values in found.items():
        facts[k].durations[name].append(np.asarray(values, dtype=SECONDS))


def _fed_back_flag():
    from django.db.models import BooleanField, ExpressionWrapper

    return ExpressionWrapper(_fed_back_q(), output_field=BooleanField())


def _fed_back_q() -> Q:
    """A closed referral whose outcome was put into words for someone who can read it."""
    return ~Q(public_outcome="") & (Q(referrer__isnull=False) | ~Q(tracking_secret_digest=""))


# Refreshing the fact table
@dataclass(frozen=True)
class RefreshResult:
    """What a refresh did."""

    start: date | None
    end: date | None
    rows: int
    complete_through: date | None


def _first_event_day() -> date | None:
    first = Referral.objects.order_by("received_at").values_list("received_at", flat=True).first()
    return london_day(first) if first else None


@transaction.atomic
def accountability_refresh(
    *, start: date | None = None, end: date | None = None, now: datetime | None = None, rebuild: bool = False
) -> RefreshResult:
    """Rebuild the fact rows for the days [start, end]. Idempotent: the days' old rows are replaced in one
    transaction. By default it does nothing if the table is complete through yesterday, and otherwise rebuilds
    from the day before its last complete day (or the first referral) to yesterday, so that records written just
    after midnight about the day before are caught. `rebuild` rebuilds every day from the first referral (after
    backdated loads such as the demo); the old figures are used until it commits.
    """
    yesterday = today(now) - timedelta(days=1)
    state, _ = AccountabilityRefresh.objects.select_for_update().get_or_create(pk=1)
    first = _first_event_day()
    if rebuild:
        state.complete_through, start = None, first
    end = min(end or yesterday, yesterday)
    if start is None:
        if state.complete_through is not None and state.complete_through >= end:
            return RefreshResult(None, None, 0, state.complete_through)
        start = (
            (state.complete_through - timedelta(days=1)) if state.complete_through else (first or yesterday)
        )
    if first is not None:
        start = max(start, first)
    if first is None or start > end:
        state.complete_through = state.complete_through or (yesterday if first is None else None)
        state.refreshed_at = timezone.now()
        state.save()
        return RefreshResult(None, None, 0, state.complete_through)
    rows = 0
    AccountabilityDay.objects.filter(day__gte=start, day__lte=end).delete()
    chunk_start = start
    while chunk_start <= end:
        # A calendar year at a time: few scans of the big tables, and a year's events fit in memory.
        chunk_end = min(end, date(chunk_start.year, 12, 31))
        facts = _collect(day_start(chunk_start), day_start(chunk_end + timedelta(days=1)))
        batch = [
            _fact_row(AccountabilityDay, {"day": day}, agency_id, team_id, totals)
            for (day, agency_id, team_id), totals in facts.items()
        ]
        AccountabilityDay.objects.bulk_create(batch, batch_size=1000)
        rows += len(batch)
        chunk_start = chunk_end + timedelta(days=1)
    covers_start = (
        start <= first if state.complete_through is None else start <= state.complete_through + timedelta(1)
    )
    if covers_start and (state.complete_through is None or end > state.complete_through):
        state.complete_through = end
    _roll_up_months(start, end, through=state.complete_through)
    state.first_day = min(filter(None, [state.first_day, first]))
    state.refreshed_at = timezone.now()
    state.rows = AccountabilityDay.objects.count()
    state.save()
    return RefreshResult(start, end, rows, state.complete_through)


def _fact_row(model, when: dict, agency_id, team_id, totals: Totals):
    packed = {name: _pack(totals.values(name)) for name in DURATION_FIELDS}
    return model(**when, agency_id=agency_id, team_id=team_id, **totals.counts, **packed)


def _month_start(day: date) -> date:
    return day.replace(day=1)


def _next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def _roll_up_months(start: date, end: date, *, through: date | None) -> None:
    """Rebuild the month rows of every month touching [start, end] from its day rows; only months whose every day
    is in the table (up to `through`) get rows, so that a month row is always the whole month."""
    first = _month_start(start)
    AccountabilityMonth.objects.filter(month__gte=first, month__lte=end).delete()
    batch = []
    month = first
    while through is not None and month <= end and _next_month(month) - timedelta(days=1) <= through:
        days = AccountabilityDay.objects.filter(day__gte=month, day__lt=_next_month(month))
        batch += [
            _fact_row(AccountabilityMonth, {"month": month}, agency_id, team_id, totals)
            for (agency_id, team_id), totals in _add_rows(defaultdict(Totals), days).items()
        ]
        month = _next_month(month)
    AccountabilityMonth.objects.bulk_create(batch, batch_size=500)


# Reading: pre-aggregated and raw
@dataclass(frozen=True)
class Live:
    """Figures about now, whatever the period: open and overdue tasks, open escalations, undecided referrals."""

    open_tasks: dict
    overdue_tasks: dict
    open_escalations: dict
    awaiting_decision: int
    decisions_overdue: int


def _live(*, now: datetime, agency_ids=None) -> Live:
    # `status IN (...)` rather than `<> completed`, so that the (status, clock) indexes serve it.
    tasks = AgencyTask.objects.filter(
        status__in=(TaskStatus.AWAITING_ACKNOWLEDGEMENT, TaskStatus.ACKNOWLEDGED)
    )
    escalations = Escalation.objects.filter(status=EscalationStatus.OPEN)
    if agency_ids is not None:
        tasks, escalations = (
            tasks.filter(agency_id__in=agency_ids),
            escalations.filter(agency_id__in=agency_ids),
        )
    open_tasks, overdue = {}, {}
    # Counting a column of the open-task index (never null), not the primary key, lets the count be read from the
    # index alone (`task_open_idx`).
    for row in (
        tasks.values("agency_id", "team_id")
        .annotate(n=Count("agency_id"), overdue=Count("agency_id", filter=overdue_q(now)))
        .order_by()
    ):
        open_tasks[(row["agency_id"], row["team_id"])] = row["n"]
        overdue[(row["agency_id"], row["team_id"])] = row["overdue"]
    open_escalations: dict = defaultdict(int)
    for row in escalations.values("agency_id", "task__team_id", "level").annotate(n=Count("pk")).order_by():
        open_escalations[(row["agency_id"], row["task__team_id"], row["level"])] += row["n"]
    undecided = Referral.objects.filter(status=ReferralStatus.RECEIVED).aggregate(
        waiting=Count("pk"), overdue=Count("pk", filter=Q(decision_due_at__lte=now))
    )
    return Live(open_tasks, overdue, dict(open_escalations), undecided["waiting"], undecided["overdue"])


def _spans(start: date, end: date) -> tuple[tuple[date, date] | None, list[tuple[date, date]]]:
    """[start, end] as its whole calendar months (the first days of the first and last of them, or None) and the
    runs of days before and after them."""
    first = start if start.day == 1 else _next_month(start)
    after = _next_month(end) if _next_month(end) - timedelta(days=1) == end else _month_start(end)
    if first >= after:
        return None, [(start, end)]
    ragged = [(lo, hi) for lo, hi in ((start, first - timedelta(days=1)), (after, end)) if lo <= hi]
    return (first, after - timedelta(days=1)), ragged


def _add_rows(totals: dict, rows: QuerySet, *, durations: bool = True) -> dict:
    """Add fact rows (days or months) to the totals by agency and team; return the totals. Without `durations`,
    only the counts are read."""
    counts, kinds = len(COUNT_FIELDS), DURATION_FIELDS if durations else ()
    for row in rows.values_list("agency_id", "team_id", *COUNT_FIELDS, *kinds).order_by():
        t = totals[(row[0], row[1])]
        for name, n in zip(COUNT_FIELDS, row[2 : 2 + counts], strict=True):
            t.counts[name] += n
        for name, blob in zip(kinds, row[2 + counts :], strict=True):
            if blob:
                t.durations[name].append(_unpack(blob))
    return totals


def _totals_from_table(
    period: Period, *, through: date, agency_ids, durations: bool = True
) -> dict[Key, Totals]:
    """The period's totals up to `through`: its whole months from the month rows, the rest from the day rows."""
    months, ragged = _spans(period.start, min(period.end, through))
    parts = []
    if months:
        parts.append(AccountabilityMonth.objects.filter(month__gte=months[0], month__lte=months[1]))
    if ragged:
        days = Q()
        for lo, hi in ragged:
            days |= Q(day__gte=lo, day__lte=hi)
        parts.append(AccountabilityDay.objects.filter(days))
    totals: dict[Key, Totals] = defaultdict(Totals)
    for rows in parts:
        _add_rows(
            totals, rows if agency_ids is None else rows.filter(agency_id__in=agency_ids), durations=durations
        )
    return totals


def _period_totals(
    period: Period, *, now: datetime, agency_ids, durations: bool = True
) -> tuple[dict[Key, Totals], date | None]:
    """The period's totals by agency and team: from the fact table, with days not yet in it (normally today)
    computed live; and the first day computed live (None if none was)."""
    state = AccountabilityRefresh.objects.filter(pk=1).values_list("complete_through", flat=True).first()
    totals: dict[Key, Totals] = defaultdict(Totals)
    live_from = period.start
    if state is not None and state >= period.start:
        totals.update(_totals_from_table(period, through=state, agency_ids=agency_ids, durations=durations))
        live_from = state + timedelta(days=1)
    if live_from > period.end:
        return totals, None
    for k, t in _collect(
        day_start(live_from), min(period.bounds[1], now), agency_ids=agency_ids, by_day=False
    ).items():
        totals[k].merge(t)
    return totals, live_from


def accountability_figures(
    *, start: date, end: date, now: datetime | None = None, agency_ids=None
) -> "AccountabilityFigures":
    """The figures for a period from the fact table, with days not yet in it (normally today) computed live.

    `agency_ids` limits the figures to those agencies; None gives every agency and the partnership-wide figures.
    """
    now = now or timezone.now()
    period = Period(start, end)
    totals, live_from = _period_totals(period, now=now, agency_ids=agency_ids)
    return _figures(
        period, totals, _live(now=now, agency_ids=agency_ids), agency_ids=agency_ids, live_from=live_from
    )


def accountability_figures_raw(
    *, start: date, end: date, now: datetime | None = None, agency_ids=None
) -> "AccountabilityFigures":
    """The same figures by plain ORM aggregation over the raw tables (no fact table): for the benchmark."""
    now = now or timezone.now()
    period = Period(start, end)
    lo, hi = period.bounds
    hi = min(hi, now)
    totals: dict[Key, Totals] = defaultdict(Totals)

    def between(name: str) -> Q:
        return Q(**{f"{name}__gte": lo, f"{name}__lt": hi})

    def scope(qs: QuerySet, path: str = "agency_id") -> QuerySet:
        return qs if agency_ids is None else qs.filter(**{f"{path}__in": agency_ids})

    if agency_ids is None:
        referral = Referral.objects.aggregate(
            received=Count("pk", filter=between("received_at")),
            closed=Count("pk", filter=between("closed_at") & Q(status__in=CLOSED_STATUSES)),
            told=Count("pk", filter=between("closed_at") & Q(status__in=CLOSED_STATUSES) & _fed_back_q()),
        )
        if any(referral.values()):
            t = totals[(None, None)]
            t.add("referrals_received", referral["received"])
            t.add("referrals_closed", referral["closed"])
            t.add("outcomes_fed_back", referral["told"])
    decisions = scope(
        Referral.objects.filter(between("decided_at"), decision__isnull=False),
        "decision__decided_by__agency_id",
    )
    for row in (
        decisions.values(a=F("decision__decided_by__agency_id"), t=F("decision__decided_by__team_id"))
        .annotate(
            made=Count("pk"),
            within=Count("pk", filter=Q(decided_at__lte=F("decision_due_at"))),
            nfa=Count("pk", filter=Q(decision__kind=DecisionKind.NO_FURTHER_ACTION)),
        )
        .order_by()
    ):
        t = totals[(row["a"], row["t"])]
        t.add("decisions_made", row["made"])
        t.add("decisions_within_day", row["within"])
        t.add("decisions_nfa", row["nfa"])
    tasks = scope(AgencyTask.objects.all())
    for row in (
        tasks.filter(between("created_at")).values("agency_id", "team_id").annotate(n=Count("pk")).order_by()
    ):
        totals[(row["agency_id"], row["team_id"])].add("tasks_received", row["n"])
    for row in (
        tasks.filter(between("acknowledged_at"))
        .values("agency_id", "team_id")
        .annotate(
            n=Count("pk"),
            late=Count("pk", filter=Q(acknowledged_at__gt=F("ack_due_at"))),
        )
        .order_by()
    ):
        t = totals[(row["agency_id"], row["team_id"])]
        t.add("tasks_acknowledged", row["n"])
        t.add("tasks_acknowledged_late", row["late"])
    for row in (
        tasks.filter(between("completed_at"))
        .values("agency_id", "team_id")
        .annotate(
            n=Count("pk"),
            late=Count("pk", filter=Q(completed_at__gt=F("due_at"))),
            no_action=Count("pk", filter=Q(outcome=TaskOutcome.NO_ACTION_FOR_AGENCY)),
        )
        .order_by()
    ):
        t = totals[(row["agency_id"], row["team_id"])]
        t.add("tasks_completed", row["n"])
        t.add("tasks_completed_late", row["late"])
        t.add("tasks_no_action", row["no_action"])
    escalations = scope(Escalation.objects.all())
    for row in (
        escalations.filter(between("raised_at"))
        .values("agency_id", "task__team_id", "level", "kind")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        t = totals[(row["agency_id"], row["task__team_id"])]
        t.add(f"escalations_level_{row['level']}", row["n"])
        t.add(KIND_FIELDS[row["kind"]], row["n"])
    for row in (
        escalations.filter(between("resolved_at"), status=EscalationStatus.RESOLVED)
        .values("agency_id", "task__team_id", "level", "resolved_by__role")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        t = totals[(row["agency_id"], row["task__team_id"])]
        t.add(f"resolved_level_{row['level']}", row["n"])
        t.add(RESOLVER_FIELDS.get(row["resolved_by__role"], "resolved_by_other"), row["n"])
    # Percentiles have no portable SQL aggregate: fetch the durations and rank them.
    for name, queryset, fields in (
        (
            "ack_seconds",
            tasks.filter(between("acknowledged_at")),
            ("agency_id", "team_id", "acknowledged_at", "created_at"),
        ),
        (
            "complete_seconds",
            tasks.filter(between("completed_at")),
            ("agency_id", "team_id", "completed_at", "created_at"),
        ),
        (
            "resolve_seconds",
            escalations.filter(between("resolved_at"), status=EscalationStatus.RESOLVED),
            ("agency_id", "task__team_id", "resolved_at", "raised_at"),
        ),
    ):
        found: dict = defaultdict(list)
        for agency_id, team_id, later, earlier in queryset.values_list(*fields).iterator(10000):
            found[(agency_id, team_id)].append(_seconds(later, earlier))
        for k, values in found.items():
            totals[k].durations[name].append(np.asarray(values, dtype=SECONDS))
    return _figures(
        period, totals, _live(now=now, agency_ids=agency_ids), agency_ids=agency_ids, live_from=period.start
    )


# The figures as shown
@dataclass(frozen=True)
class EscalationFigures:
    """Escalations about an agency or team: raised in the period by rung and kind, resolved, and open now."""

    raised: int
    level_1: int
    level_2: int
    level_3: int
    not_acknowledged: int
    not_completed: int
    decision_overdue: int
    disagreement: int
    resolved: int
    resolved_level_1: int
    resolved_level_2: int
    resolved_level_3: int
    resolved_by_team_manager: int
    resolved_by_service_manager: int
    resolved_by_partnership_lead: int
    resolved_by_other: int
    time_to_resolve: Duration
    open_now: int


@dataclass(frozen=True)
class UnitFigures:
    """One agency's or team's figures for a period."""

    agency_id: int
    agency_code: str
    agency_name: str
    team_id: int | None
    team_name: str
    referrals_received: int
    decisions_made: int
    decisions_within_day: int
    decisions_within_day_percent: float | None
    decisions_nfa: int
    nfa_percent: float | None
    tasks_acknowledged: int
    acknowledged_late: int
    time_to_acknowledge: Duration
    tasks_completed: int
    completed_late: int
    time_to_complete: Duration
    no_action: int
    no_action_percent: float | None
    open_now: int
    overdue_now: int
    overdue_percent: float | None
    escalations: EscalationFigures


@dataclass(frozen=True)
class AgencyFigures(UnitFigures):
    """An agency's figures, with each of its teams'."""

    teams: list[UnitFigures] = field(default_factory=list)


@dataclass(frozen=True)
class PartnershipFigures:
    """The front door and the referral as a whole, partnership-wide."""

    referrals_received: int
    decisions_made: int
    decisions_within_day: int
    decisions_within_day_percent: float | None
    decisions_nfa: int
    nfa_percent: float | None
    referrals_closed: int
    outcomes_fed_back: int
    fed_back_percent: float | None
    awaiting_decision_now: int
    decisions_overdue_now: int


@dataclass(frozen=True)
class Slowest:
    """Which agency is slowest to acknowledge its tasks, and why, in one paragraph."""

    agency_code: str
    agency_name: str
    summary: str


@dataclass(frozen=True)
class AccountabilityFigures:
    """Everything the dashboard shows for a period."""

    start: date
    end: date
    # Where the answer came from, not part of it: the raw aggregation and the fact table agree on everything else.
    live_from: date | None = field(compare=False)
    partnership: PartnershipFigures | None
    agencies: list[AgencyFigures]
    slowest: Slowest | None


def percent(part: int, whole: int) -> float | None:
    """`part` as a percentage of `whole` to one decimal place (None when there is no whole)."""
    return round(100 * part / whole, 1) if whole else None


def _unit(agency: Agency, team: Team | None, t: Totals, live: Live, keys: list[Key]) -> dict:
    c = t.counts
    open_now = sum(live.open_tasks.get(k, 0) for k in keys)
    overdue_now = sum(live.overdue_tasks.get(k, 0) for k in keys)
    open_escalations = sum(n for (a, tm, _), n in live.open_escalations.items() if (a, tm) in keys)
    resolved = c["resolved_level_1"] + c["resolved_level_2"] + c["resolved_level_3"]
    escalations = EscalationFigures(
        raised=c["escalations_level_1"] + c["escalations_level_2"] + c["escalations_level_3"],
        level_1=c["escalations_level_1"],
        level_2=c["escalations_level_2"],
        level_3=c["escalations_level_3"],
        not_acknowledged=c["escalations_not_acknowledged"],
        not_completed=c["escalations_not_completed"],
        decision_overdue=c["escalations_decision_overdue"],
        disagreement=c["escalations_disagreement"],
        resolved=resolved,
        resolved_level_1=c["resolved_level_1"],
        resolved_level_2=c["resolved_level_2"],
        resolved_level_3=c["resolved_level_3"],
        resolved_by_team_manager=c["resolved_by_team_manager"],
        resolved_by_service_manager=c["resolved_by_service_manager"],
        resolved_by_partnership_lead=c["resolved_by_partnership_lead"],
        resolved_by_other=c["resolved_by_other"],
        time_to_resolve=duration_of(t.values("resolve_seconds")),
        open_now=open_escalations,
    )
    return dict(
        agency_id=agency.pk,
        agency_code=agency.code,
        agency_name=agency.name,
        team_id=team.pk if team else None,
        team_name=team.name if team else "",
        referrals_received=c["tasks_received"],
        decisions_made=c["decisions_made"],
        decisions_within_day=c["decisions_within_day"],
        decisions_within_day_percent=percent(c["decisions_within_day"], c["decisions_made"]),
        decisions_nfa=c["decisions_nfa"],
        nfa_percent=percent(c["decisions_nfa"], c["decisions_made"]),
        tasks_acknowledged=c["tasks_acknowledged"],
        acknowledged_late=c["tasks_acknowledged_late"],
        time_to_acknowledge=duration_of(t.values("ack_seconds")),
        tasks_completed=c["tasks_completed"],
        completed_late=c["tasks_completed_late"],
        time_to_complete=duration_of(t.values("complete_seconds")),
        no_action=c["tasks_no_action"],
        no_action_percent=percent(c["tasks_no_action"], c["tasks_completed"]),
        open_now=open_now,
        overdue_now=overdue_now,
        overdue_percent=percent(overdue_now, open_now),
        escalations=escalations,
    )


def _sort_key(agency: AgencyFigures):
    p90 = agency.time_to_acknowledge.p90_hours
    return (p90 is None, -(p90 or 0), agency.agency_name)


def _figures(
    period: Period, totals: dict[Key, Totals], live: Live, *, agency_ids, live_from: date | None
) -> AccountabilityFigures:
    keys = {k for k in totals if k[0] is not None}
    keys |= {k for k in live.open_tasks if k[0] is not None}
    keys |= {(a, t) for a, t, _ in live.open_escalations if a is not None}
    agency_set = {a for a, _ in keys} | set(agency_ids or ())
    agencies = {a.pk: a for a in Agency.objects.filter(pk__in=agency_set)}
    teams = {t.pk: t for t in Team.objects.filter(pk__in={t for _, t in keys if t is not None})}
    rows: list[AgencyFigures] = []
    for agency_id in sorted(agency_set, key=lambda pk: agencies[pk].name if pk in agencies else ""):
        agency = agencies.get(agency_id)
        if agency is None:
            continue
        team_keys = sorted(
            (k for k in keys if k[0] == agency_id),
            key=lambda k: (k[1] is None, teams[k[1]].name if k[1] in teams else ""),
        )
        whole = Totals()
        team_rows = []
        for k in team_keys:
            t = totals.get(k) or Totals()
            whole.merge(t)
            team_rows.append(UnitFigures(**_unit(agency, teams.get(k[1]), t, live, [k])))
        rows.append(AgencyFigures(**_unit(agency, None, whole, live, team_keys), teams=team_rows))
    rows.sort(key=_sort_key)
    front = None
    if agency_ids is None:
        everyone = Totals()
        for t in totals.values():
            everyone.merge(t)
        c = everyone.counts
        front = PartnershipFigures(
            referrals_received=c["referrals_received"],
            decisions_made=c["decisions_made"],
            decisions_within_day=c["decisions_within_day"],
            decisions_within_day_percent=percent(c["decisions_within_day"], c["decisions_made"]),
            decisions_nfa=c["decisions_nfa"],
            nfa_percent=percent(c["decisions_nfa"], c["decisions_made"]),
            referrals_closed=c["referrals_closed"],
            outcomes_fed_back=c["outcomes_fed_back"],
            fed_back_percent=percent(c["outcomes_fed_back"], c["referrals_closed"]),
            awaiting_decision_now=live.awaiting_decision,
            decisions_overdue_now=live.decisions_overdue,
        )
    return AccountabilityFigures(period.start, period.end, live_from, front, rows, _slowest(rows))


def _hours(value: float) -> str:
    if value >= 48:
        return f"{value / 24:.1f} days"
    return f"{value:.1f} hours" if value != 1 else "1 hour"


def _slowest(rows: list[AgencyFigures]) -> Slowest | None:
    timed = [r for r in rows if r.time_to_acknowledge.p90_hours is not None]
    if len(timed) < 1:
        return None
    slow, fast = timed[0], timed[-1]
    ack = slow.time_to_acknowledge
    parts = [
        f"{slow.agency_name} is the slowest to acknowledge its tasks: 9 in 10 of the {ack.count:,} tasks it "
        f"acknowledged in this period were acknowledged within {_hours(ack.p90_hours)} (median "
        f"{_hours(ack.median_hours)})"
    ]
    if fast is not slow:
        parts[0] += (
            f", against {_hours(fast.time_to_acknowledge.p90_hours)} at {fast.agency_name}, the quickest."
        )
    else:
        parts[0] += "."
    if slow.tasks_acknowledged:
        parts.append(f"{slow.acknowledged_late:,} of those acknowledgements were late.")
    parts.append(
        f"{slow.overdue_now:,} of its {slow.open_now:,} open tasks are overdue now"
        + (f" ({slow.overdue_percent:g}%)." if slow.overdue_percent is not None else ".")
    )
    esc = slow.escalations
    parts.append(
        f"Its delays drew {esc.raised:,} escalation{'s' if esc.raised != 1 else ''} in the period: "
        f"{esc.level_1:,} to a team manager, {esc.level_2:,} to a service manager and {esc.level_3:,} to the "
        "partnership lead."
    )
    return Slowest(slow.agency_code, slow.agency_name, " ".join(parts))


# Who sees which agencies, and the figures as one user may see them
def agency_scope(*, user) -> list[int] | None:
    """The agencies whose figures `user` may see: None for every agency (the partnership lead), else a list."""
    if policy.allows(user, "can_view_partnership_figures"):
        return None
    if policy.allows(user, "can_view_accountability"):
        return [user.agency_id]
    return []


def accountability_for_user(*, user, period: Period, now: datetime | None = None) -> AccountabilityFigures:
    """The dashboard's figures limited to the agencies `user` may see (refused before any query if none)."""
    policy.require(user, "can_view_accountability")
    return accountability_figures(
        start=period.start, end=period.end, now=now, agency_ids=agency_scope(user=user)
    )


# Drilling down: the records behind a figure, through the case-work and intake selectors
LISTED_AT_MOST = 1_000  # twenty pages of the newest records behind a figure


@dataclass(frozen=True)
class Metric:
    """A figure that can be drilled into: what records it counts and what the list is called."""

    key: str
    label: str
    record: str  # "referral", "task" or "escalation"
    when: str  # the moment the figure counts the record by: the list is newest first by it
    partnership: bool = False  # a partnership-wide figure (no agency)


METRICS = {
    m.key: m
    for m in (
        Metric("referrals_received", "Referrals received", "referral", "received_at", partnership=True),
        Metric("referrals_closed", "Referrals closed", "referral", "closed_at", partnership=True),
        Metric(
            "outcomes_fed_back",
            "Closed referrals whose outcome was fed back",
            "referral",
            "closed_at",
            partnership=True,
        ),
        Metric(
            "outcomes_not_fed_back",
            "Closed referrals whose outcome was not fed back",
            "referral",
            "closed_at",
            partnership=True,
        ),
        Metric(
            "awaiting_decision_overdue",
            "Referrals awaiting a decision past their deadline now",
            "referral",
            "decision_due_at",
            partnership=True,
        ),
        Metric("decisions_made", "Front-door decisions made", "referral", "decided_at"),
        Metric("decisions_within_day", "Decisions made within one working day", "referral", "decided_at"),
        Metric("decisions_late", "Decisions made after one working day", "referral", "decided_at"),
        Metric("decisions_nfa", "\u201cNo further action\u201d decisions", "referral", "decided_at"),
        Metric("tasks_received", "Referrals passed to the agency (tasks created)", "task", "created_at"),
        Metric("tasks_acknowledged", "Tasks acknowledged", "task", "acknowledged_at"),
        Metric("acknowledged_late", "Tasks acknowledged late", "task", "acknowledged_at"),
        Metric("tasks_completed", "Tasks completed", "task", "completed_at"),
        Metric("completed_late", "Tasks completed late", "task", "completed_at"),
        Metric(
            "no_action", "Tasks completed with \u201cno action for this agency\u201d", "task", "completed_at"
        ),
        Metric("open_now", "Tasks open now", "task", "created_at"),
        Metric("overdue_now", "Tasks overdue now", "task", "created_at"),
        Metric("escalations_raised", "Escalations raised", "escalation", "raised_at"),
        Metric("escalations_resolved", "Escalations resolved", "escalation", "resolved_at"),
        Metric("escalations_open", "Escalations open now", "escalation", "raised_at"),
    )
}


@dataclass
class Drilldown:
    """The records behind one figure that the user may see, and how many the figure counts in all.

    `ids` are those of the newest `considered` records behind the figure (all of them, unless the figure counts
    more than `LISTED_AT_MOST`) that the user may see, newest first; `records` reads a page of them.
    """

    metric: Metric
    period: Period
    agency: Agency | None
    team: Team | None
    level: int | None
    ids: list[int]
    total: int
    considered: int
    visible: QuerySet = field(repr=False)

    @property
    def capped(self) -> bool:
        """Whether the list is of the newest records only, not all that the figure counts."""
        return self.considered < self.total

    @property
    def hidden(self) -> int:
        """How many of the records considered the user may not open."""
        return self.considered - len(self.ids)

    def records(self, ids: list[int]) -> list:
        """The records with these ids (a page of `ids`), in that order, with what the list shows of each."""
        found = self.visible.in_bulk(ids)
        return [found[pk] for pk in ids if pk in found]


def _metric_filter(metric: Metric, period: Period, now: datetime, level: int | None) -> Q:
    lo, hi = period.bounds
    hi = min(hi, now)

    def between(name: str) -> Q:
        return Q(**{f"{name}__gte": lo, f"{name}__lt": hi})

    closed = Q(status__in=CLOSED_STATUSES) & between("closed_at")
    decided = between("decided_at") & Q(decision__isnull=False)
    filters = {
        "referrals_received": between("received_at"),
        "referrals_closed": closed,
        "outcomes_fed_back": closed & _fed_back_q(),
        "outcomes_not_fed_back": closed & ~_fed_back_q(),
        "awaiting_decision_overdue": Q(status=ReferralStatus.RECEIVED, decision_due_at__lte=now),
        "decisions_made": decided,
        "decisions_within_day": decided & Q(decided_at__lte=F("decision_due_at")),
        "decisions_late": decided & Q(decided_at__gt=F("decision_due_at")),
        "decisions_nfa": decided & Q(decision__kind=DecisionKind.NO_FURTHER_ACTION),
        "tasks_received": between("created_at"),
        "tasks_acknowledged": between("acknowledged_at"),
        "acknowledged_late": between("acknowledged_at") & Q(acknowledged_at__gt=F("ack_due_at")),
        "tasks_completed": between("completed_at"),
        "completed_late": between("completed_at") & Q(completed_at__gt=F("due_at")),
        "no_action": between("completed_at") & Q(outcome=TaskOutcome.NO_ACTION_FOR_AGENCY),
        "open_now": ~Q(status=TaskStatus.COMPLETED),
        "overdue_now": overdue_q(now),
        "escalations_raised": between("raised_at"),
        "escalations_resolved": between("resolved_at") & Q(status=EscalationStatus.RESOLVED),
        "escalations_open": Q(status=EscalationStatus.OPEN),
    }
    q = filters[metric.key]
    if level is not None and metric.record == "escalation":
        q &= Q(level=level)
    return q


def _records_for(
    metric: Metric, *, user, agency: Agency | None, team: Team | None
) -> tuple[QuerySet, QuerySet]:
    """(every record of the metric's kind in the agency and team, those of them `user` may see)."""
    from lantern.casework import selectors as casework
    from lantern.intake import selectors as intake

    scope: dict = {}
    if metric.record == "referral":
        everything, visible = Referral.objects.all(), intake.referral_list_visible_to(user=user)
        visible = visible.select_related("decision", "decision__decided_by")
        if agency is not None:
            # By the deciders' ids rather than a join to their agency, so that the planner knows from the column's
            # statistics how many decisions they made (a front door makes most of them) and reads newest first.
            deciders = User.objects.filter(agency=agency, **({"team": team} if team else {}))
            scope = {"decision__decided_by_id__in": list(deciders.values_list("pk", flat=True))}
    elif metric.record == "task":
        everything, visible = AgencyTask.objects.all(), casework.task_list_visible_to(user=user)
        scope = {"agency": agency, "team": team}
    else:
        everything, visible = Escalation.objects.all(), casework.escalation_list_visible_to(user=user)
        visible = visible.select_related("task__team")
        scope = {"agency": agency, "task__team": team}
    scope = {path: value for path, value in scope.items() if value is not None}
    return everything.filter(**scope), visible.filter(**scope)


# What each figure counts in the totals of its agency's and team's rows: counts added ("-" before one taken away).
COUNTED = {
    "referrals_received": ("referrals_received",),
    "referrals_closed": ("referrals_closed",),
    "outcomes_fed_back": ("outcomes_fed_back",),
    "outcomes_not_fed_back": ("referrals_closed", "-outcomes_fed_back"),
    "decisions_made": ("decisions_made",),
    "decisions_within_day": ("decisions_within_day",),
    "decisions_late": ("decisions_made", "-decisions_within_day"),
    "decisions_nfa": ("decisions_nfa",),
    "tasks_received": ("tasks_received",),
    "tasks_acknowledged": ("tasks_acknowledged",),
    "acknowledged_late": ("tasks_acknowledged_late",),
    "tasks_completed": ("tasks_completed",),
    "completed_late": ("tasks_completed_late",),
    "no_action": ("tasks_no_action",),
}


def _figure_total(
    metric: Metric,
    period: Period,
    *,
    now: datetime,
    agency: Agency | None,
    team: Team | None,
    level: int | None,
) -> int:
    """How many records the figure counts, read as the dashboard reads it (the fact table and the live slice, or
    the position now) rather than by counting the records: the same number, without a count over a million rows.
    """

    def ours(k) -> bool:
        return agency is None or (k[0] == agency.pk and (team is None or k[1] == team.pk))

    levels = (level,) if level is not None else (1, 2, 3)
    if metric.key in ("open_now", "overdue_now", "escalations_open", "awaiting_decision_overdue"):
        live = _live(now=now, agency_ids=[agency.pk] if agency else None)
        if metric.key == "awaiting_decision_overdue":
            return live.decisions_overdue
        if metric.key == "escalations_open":
            return sum(n for (a, t, lv), n in live.open_escalations.items() if ours((a, t)) and lv in levels)
        found = live.open_tasks if metric.key == "open_now" else live.overdue_tasks
        return sum(n for k, n in found.items() if ours(k))
    if metric.key == "escalations_raised":
        counted = tuple(f"escalations_level_{lv}" for lv in levels)
    elif metric.key == "escalations_resolved":
        counted = tuple(f"resolved_level_{lv}" for lv in levels)
    else:
        counted = COUNTED[metric.key]
    totals, _ = _period_totals(period, now=now, agency_ids=[agency.pk] if agency else None, durations=False)
    mine = [t.counts for k, t in totals.items() if ours(k)]
    return sum(-c[name[1:]] if name.startswith("-") else c[name] for c in mine for name in counted)


def accountability_drilldown(
    *,
    user,
    metric: str,
    period: Period,
    agency_code: str = "",
    team_id=None,
    level=None,
    now: datetime | None = None,
) -> Drilldown:
    """The records behind a figure, as `user` may see them in case work and intake.

    Bad input raises `Invalid` with field messages. An agency or team the user may not see the figures of, or
    that does not exist, is a 404 (as a record would be); so is a partnership-wide figure for anyone but the
    partnership lead.
    """
    from django.http import Http404

    policy.require(user, "can_view_accountability")
    now = now or timezone.now()
    errors: dict[str, list[str]] = {}
    chosen = METRICS.get(metric or "")
    if chosen is None:
        errors["metric"] = ["Choose a figure to see the records behind it."]
    if level not in (None, ""):
        if str(level) not in ("1", "2", "3"):
            errors["level"] = ["The escalation level must be 1, 2 or 3."]
        level = int(level) if str(level) in ("1", "2", "3") else None
    else:
        level = None
    if errors:
        raise Invalid("The request has errors.", errors)
    agency = team = None
    if chosen.partnership:
        if agency_code or team_id not in (None, ""):
            raise Invalid(
                "The request has errors.", {"agency": ["This figure is for the whole partnership."]}
            )
        policy.require(user, "can_view_partnership_figures", Agency())
    elif agency_code:
        agency = Agency.objects.filter(code=agency_code).first()
        if agency is None or not policy.allows(user, "can_view_accountability_agency", agency):
            raise Http404("Not found.")
    elif not policy.allows(user, "can_view_partnership_figures"):
        agency = Agency.objects.filter(pk=user.agency_id).first()
    if team_id not in (None, ""):
        try:
            team = Team.objects.filter(pk=int(team_id), agency=agency).first() if agency else None
        except (TypeError, ValueError):
            team = None
        if team is None:
            raise Http404("Not found.")
    total = _figure_total(chosen, period, now=now, agency=agency, team=team, level=level)
    everything, visible = _records_for(chosen, user=user, agency=agency, team=team)
    newest = everything.filter(_metric_filter(chosen, period, now, level)).order_by(f"-{chosen.when}", "-pk")
    # A figure of nought has no records behind it: no need to look for them. Otherwise the list is of the newest
    # `LISTED_AT_MOST` records the figure counts, those the user may open: reading and counting it never touches
    # more records than that, however many the figure counts or however few of them the user may open.
    # The ids come first and the user's records are then found among them by primary key (one query for the
    # list, one for each page), rather than planned as a join of the selectors' querysets with the range.
    candidates = list(newest.values_list("pk", flat=True)[:LISTED_AT_MOST]) if total else []
    seen = set(visible.filter(pk__in=candidates).values_list("pk", flat=True)) if candidates else set()
    return Drilldown(
        metric=chosen,
        period=period,
        agency=agency,
        team=team,
        level=level,
        ids=[pk for pk in candidates if pk in seen],
        total=total,
        considered=len(candidates),
        visible=visible,
    )


# Data quality
# Sex and ethnicity are sorted into what was recorded, explicit unknowns, and blanks (nothing at all).
SEX_RECORDED = ("female", "male", "other")
ETHNICITY_EXPLICIT = ("not_stated", "refused")


@dataclass(frozen=True)
class Completeness:
    """How completely one field is filled in over a set of records; explicit unknowns counted apart from blanks."""

    key: str
    label: str
    total: int
    recorded: int
    not_known: int
    not_stated: int
    refused: int
    blank: int

    @property
    def recorded_percent(self) -> float | None:
        """The share recorded, as a percentage."""
        return percent(self.recorded, self.total)


@dataclass(frozen=True)
class CompletenessRow:
    """Every checked field's completeness for one agency or one month."""

    key: str
    label: str
    fields: list[Completeness]


@dataclass(frozen=True)
class FlagCheck:
    """A check for records missing a flag they need: how many fail it, and the first few the user may open."""

    key: str
    label: str
    rule: str
    count: int
    cases: list


@dataclass(frozen=True)
class OverdueRow:
    """Records past their deadline now, for one agency."""

    agency_code: str
    agency_name: str
    tasks_awaiting_acknowledgement: int
    tasks_awaiting_completion: int
    clocks: list[tuple[str, int]]


@dataclass(frozen=True)
class DataQuality:
    """The data-quality page: completeness by agency and by month, flag checks, overdue records, ethnicity counts."""

    period: Period
    by_agency: list[CompletenessRow]
    by_month: list[CompletenessRow]
    flag_checks: list[FlagCheck]
    overdue: list[OverdueRow]
    decisions_overdue: int | None
    ethnicity: list[tuple[str, int, int]]


PEOPLE = (("child", "Child"), ("person_of_concern", "Person of concern"))
NO_AGENCY = "public"
FLAG_CHECKS = (
    (
        "cse_high_risk_no_cse_flag",
        "Child screened as high risk of CSE with no CSE flag",
        "A child's case with a CSE screening whose risk level was high, and no active child sexual exploitation flag.",
    ),
    (
        "missing_episode_no_missing_flag",
        "Missing episode recorded but never flagged",
        "A case with at least one missing episode that has never carried the missing episodes flag.",
    ),
    (
        "nrm_no_trafficking_flag",
        "NRM referral made but never flagged",
        "A case with a National Referral Mechanism referral that has never carried the trafficking / NRM flag.",
    ),
)
CHECK_ROWS = 20


def _person_counts(prefix: str) -> dict:
    from lantern.core.vocabulary import Ethnicity

    recorded_ethnicity = [v for v in Ethnicity.values if v not in ETHNICITY_EXPLICIT]
    role = Q(role=prefix)
    return {
        f"{prefix}_total": Count("pk", filter=role),
        f"{prefix}_age": Count("pk", filter=role & (Q(age__isnull=False) | Q(date_of_birth__isnull=False))),
        f"{prefix}_sex": Count("pk", filter=role & Q(sex__in=SEX_RECORDED)),
        f"{prefix}_sex_not_known": Count("pk", filter=role & Q(sex="not_known")),
        f"{prefix}_sex_not_stated": Count("pk", filter=role & Q(sex="not_stated")),
        f"{prefix}_ethnicity": Count("pk", filter=role & Q(ethnicity__in=recorded_ethnicity)),
        f"{prefix}_ethnicity_not_stated": Count("pk", filter=role & Q(ethnicity="not_stated")),
        f"{prefix}_ethnicity_refused": Count("pk", filter=role & Q(ethnicity="refused")),
    }


def _completeness(people: dict, referrals: dict, tasks: dict) -> list[Completeness]:
    fields = []
    for prefix, label in PEOPLE:
        total = people.get(f"{prefix}_total", 0)
        age = people.get(f"{prefix}_age", 0)
        fields.append(Completeness(f"{prefix}_age", f"{label}: age", total, age, 0, 0, 0, total - age))
        sex = [people.get(f"{prefix}_sex{s}", 0) for s in ("", "_not_known", "_not_stated")]
        fields.append(
            Completeness(f"{prefix}_sex", f"{label}: sex", total, sex[0], sex[1], sex[2], 0, total - sum(sex))
        )
        eth = [people.get(f"{prefix}_ethnicity{s}", 0) for s in ("", "_not_stated", "_refused")]
        fields.append(
            Completeness(
                f"{prefix}_ethnicity",
                f"{label}: ethnicity",
                total,
                eth[0],
                0,
                eth[1],
                eth[2],
                total - sum(eth),
            )
        )
    total, located = referrals.get("total", 0), referrals.get("located", 0)
    fields.append(Completeness("location", "Referral: location", total, located, 0, 0, 0, total - located))
    closed, told = referrals.get("closed", 0), referrals.get("outcome", 0)
    fields.append(
        Completeness("referral_outcome", "Closed referral: outcome", closed, told, 0, 0, 0, closed - told)
    )
    done, outcome = tasks.get("total", 0), tasks.get("outcome", 0)
    fields.append(
        Completeness("task_outcome", "Completed task: outcome", done, outcome, 0, 0, 0, done - outcome)
    )
    return fields


def data_quality_for_user(*, user, period: Period, now: datetime | None = None) -> DataQuality:
    """Data quality for the agencies `user` may see. Referrals and the people in them count against the agency
    that made the referral (public, self-referrals and imports against the partnership); tasks against their
    agency; cases against their lead agency. Ethnicity is only ever counted."""
    from django.db.models import Exists, OuterRef
    from django.db.models.functions import TruncMonth

    from lantern.casework.models import (
        Case,
        CaseFlag,
        Clock,
        ClockKind,
        FlagKind,
        MissingEpisode,
        NRMReferral,
    )
    from lantern.casework.selectors import case_list_visible_to
    from lantern.core.vocabulary import Ethnicity
    from lantern.intake.models import RiskLevel, Screening
    from lantern.intel.models import PersonMention, PlaceMention

    policy.require(user, "can_view_data_quality")
    now = now or timezone.now()
    scope = agency_scope(user=user)
    lo, hi = period.bounds
    referrals = Referral.objects.filter(received_at__gte=lo, received_at__lt=hi)
    people = PersonMention.objects.filter(referral__received_at__gte=lo, referral__received_at__lt=hi)
    tasks = AgencyTask.objects.filter(completed_at__gte=lo, completed_at__lt=hi)
    if scope is not None:
        referrals = referrals.filter(referrer_agency_id__in=scope)
        people = people.filter(referral__referrer_agency_id__in=scope)
        tasks = tasks.filter(agency_id__in=scope)
    referrals = referrals.annotate(has_place=Exists(PlaceMention.objects.filter(referral_id=OuterRef("pk"))))
    referral_counts = {
        "total": Count("pk"),
        "located": Count("pk", filter=~Q(incident_location="") | Q(has_place=True)),
        "closed": Count("pk", filter=Q(status__in=CLOSED_STATUSES)),
        "outcome": Count("pk", filter=Q(status__in=CLOSED_STATUSES) & ~Q(public_outcome="")),
    }
    person_counts = {**_person_counts("child"), **_person_counts("person_of_concern")}
    task_counts = {"total": Count("pk"), "outcome": Count("pk", filter=~Q(outcome=""))}

    def grouped(queryset, by: str, counts: dict) -> dict:
        return {row.pop("group"): row for row in queryset.values(group=F(by)).annotate(**counts).order_by()}

    agencies = {a.pk: a for a in Agency.objects.all()}
    by_agency_people = grouped(people, "referral__referrer_agency_id", person_counts)
    by_agency_referrals = grouped(referrals, "referrer_agency_id", referral_counts)
    by_agency_tasks = grouped(tasks, "agency_id", task_counts)
    keys = sorted(
        set(by_agency_people) | set(by_agency_referrals) | set(by_agency_tasks),
        key=lambda pk: (pk is None, agencies[pk].name if pk in agencies else ""),
    )
    by_agency = [
        CompletenessRow(
            agencies[pk].code if pk in agencies else NO_AGENCY,
            agencies[pk].name if pk in agencies else "Public, self-referrals and imports",
            _completeness(
                by_agency_people.get(pk, {}), by_agency_referrals.get(pk, {}), by_agency_tasks.get(pk, {})
            ),
        )
        for pk in keys
    ]
    by_month_people = grouped(
        people.annotate(month=TruncMonth("referral__received_at", tzinfo=LONDON)), "month", person_counts
    )
    by_month_referrals = grouped(
        referrals.annotate(month=TruncMonth("received_at", tzinfo=LONDON)), "month", referral_counts
    )
    by_month_tasks = grouped(
        tasks.annotate(month=TruncMonth("completed_at", tzinfo=LONDON)), "month", task_counts
    )

    def month_of(value) -> date:
        return value.astimezone(LONDON).date() if isinstance(value, datetime) else value

    months: dict[date, list] = defaultdict(lambda: [{}, {}, {}])
    for i, found in enumerate((by_month_people, by_month_referrals, by_month_tasks)):
        for key, row in found.items():
            if key is not None:
                months[month_of(key)][i] = row
    by_month = [
        CompletenessRow(m.isoformat()[:7], f"{m:%B %Y}", _completeness(*months[m])) for m in sorted(months)
    ]

    # Flag checks: over every case, whatever the period, since a missing flag is a defect until it is fixed.
    cases = Case.objects.all()
    if scope is not None:
        cases = cases.filter(lead_agency_id__in=scope)

    def ever_flagged(kind: str):
        return Exists(CaseFlag.objects.filter(case_id=OuterRef("pk"), kind=kind))

    checks_q = {
        "cse_high_risk_no_cse_flag": cases.filter(
            Exists(Screening.objects.filter(referral__cases=OuterRef("pk"), risk_level=RiskLevel.HIGH)),
            kind="child",
        ).exclude(Exists(CaseFlag.objects.filter(case_id=OuterRef("pk"), kind=FlagKind.CSE, active=True))),
        "missing_episode_no_missing_flag": cases.filter(
            Exists(MissingEpisode.objects.filter(case_id=OuterRef("pk")))
        ).exclude(ever_flagged(FlagKind.MISSING)),
        "nrm_no_trafficking_flag": cases.filter(
            Exists(NRMReferral.objects.filter(case_id=OuterRef("pk")))
        ).exclude(ever_flagged(FlagKind.TRAFFICKING)),
    }
    visible_cases = case_list_visible_to(user=user)
    flag_checks = []
    for key, label, rule in FLAG_CHECKS:
        failing = checks_q[key]
        shown = list(
            visible_cases.filter(pk__in=failing.values("pk")).order_by("-opened_at", "-pk")[:CHECK_ROWS]
        )
        flag_checks.append(FlagCheck(key, label, rule, failing.count(), shown))

    # Overdue now
    open_tasks = AgencyTask.objects.filter(overdue_q(now))
    clocks = Clock.objects.filter(met_at__isnull=True, due_at__lte=now)
    if scope is not None:
        open_tasks = open_tasks.filter(agency_id__in=scope)
        clocks = clocks.filter(case__lead_agency_id__in=scope)
    overdue: dict = defaultdict(lambda: {"ack": 0, "complete": 0, "clocks": defaultdict(int)})
    for row in open_tasks.values("agency_id", "status").annotate(n=Count("pk")).order_by():
        overdue[row["agency_id"]][
            "ack" if row["status"] == TaskStatus.AWAITING_ACKNOWLEDGEMENT else "complete"
        ] += row["n"]
    for row in clocks.values("case__lead_agency_id", "kind").annotate(n=Count("pk")).order_by():
        overdue[row["case__lead_agency_id"]]["clocks"][row["kind"]] += row["n"]
    overdue_rows = [
        OverdueRow(
            agencies[pk].code if pk in agencies else NO_AGENCY,
            agencies[pk].name if pk in agencies else "Referrals without a case",
            found["ack"],
            found["complete"],
            [(ClockKind(kind).label, n) for kind, n in sorted(found["clocks"].items())],
        )
        for pk, found in sorted(
            overdue.items(), key=lambda item: (item[0] is None, agencies.get(item[0], Agency(name="")).name)
        )
    ]
    decisions_overdue = None
    if scope is None:
        decisions_overdue = Referral.objects.filter(
            status=ReferralStatus.RECEIVED, decision_due_at__lte=now
        ).count()

    # Ethnicity, counted only: children and persons of concern in the period's referrals, by ONS 2021 category.
    counts = {
        (row["role"], row["ethnicity"]): row["n"]
        for row in people.filter(role__in=[p for p, _ in PEOPLE])
        .values("role", "ethnicity")
        .annotate(n=Count("pk"))
        .order_by()
    }
    ethnicity = [
        (label, counts.get(("child", value), 0), counts.get(("person_of_concern", value), 0))
        for value, label in Ethnicity.choices
    ]
    ethnicity.append(
        ("Blank (nothing recorded)", counts.get(("child", ""), 0), counts.get(("person_of_concern", ""), 0))
    )
    return DataQuality(period, by_agency, by_month, flag_checks, overdue_rows, decisions_overdue, ethnicity)


# Evidence passed and not acted on
# A concern is passed to an agency as an `AgencyTask`; it is acted on when the task is acknowledged by
# `ack_due_at` and completed with an outcome by `due_at` (the clocks `casework.timescales` sets for its priority).
# Intelligence is passed to the police when a partner agency submits it; it is acted on when the police grade it.
# Intelligence items carry no deadline of their own, so grading is due this many working days after submission.
INTEL_GRADING_WORKING_DAYS = 5
NOT_ACTED_ON_PAGE_MAX = 100
NOT_ACTED_ON_KINDS = {"referral": "Concerns (referrals)", "intelligence": "Intelligence items"}
MISSED_LABELS = {
    "acknowledgement": "Acknowledgement",
    "outcome": "Outcome",
    "grading": "Grading",
}


def intel_grading_working_days() -> int:
    """Working days the police have to grade intelligence a partner agency submitted: the setting
    `INTEL_GRADING_WORKING_DAYS` (environment `LANTERN_INTEL_GRADING_WORKING_DAYS`), else 5."""
    return int(getattr(settings, "INTEL_GRADING_WORKING_DAYS", INTEL_GRADING_WORKING_DAYS))


def latest_start_due_by(now: datetime, working_days: int) -> datetime:
    """The latest moment whose deadline `working_days` working days on (`add_working_days`) is at or before `now`.

    The deadline never moves earlier as the start moves later, so one range on the start time finds exactly the
    records whose deadline has passed; the moment is found by halving, to the microsecond.
    """
    # Two calendar days per working day and a fortnight more covers the longest run of closed days (Christmas).
    low, high = now - timedelta(days=2 * working_days + 14), now
    while high - low > timedelta(microseconds=1):
        middle = low + (high - low) / 2
        if add_working_days(middle, working_days) <= now:
            low = middle
        else:
            high = middle
    return low


@dataclass(frozen=True)
class Holder:
    """Who holds a record now: a named person, a team nobody in which has taken it, or nobody."""

    kind: str  # "person", "team" or "nobody"
    name: str


@dataclass(frozen=True)
class EscalationReached:
    """The highest rung of the escalation ladder a record reached, and where that escalation stands."""

    level: int
    label: str
    kind: str
    status: str
    raised_at: datetime
    count: int


@dataclass(frozen=True)
class NotActedOn:
    """A concern or an item of intelligence passed to an agency and not acknowledged or acted on in time."""

    kind: str  # "referral" or "intelligence"
    record_type: str  # the audit log's name for the record: "casework.agencytask", "intel.intelligenceitem"
    id: int
    reference: str
    url: str  # the record's page, or "" where the user opens it elsewhere (a reviewer's item)
    what: str
    passed_at: datetime
    from_agency_name: str
    to_agency_code: str
    to_agency_name: str
    to_team_name: str
    missed: str  # "acknowledgement", "outcome" or "grading"
    due_at: datetime
    acknowledged_at: datetime | None
    outcome_due_at: datetime | None
    working_days_overdue: int
    holder: Holder
    escalation: EscalationReached | None

    @property
    def missed_label(self) -> str:
        """The timescale missed, in words."""
        return MISSED_LABELS[self.missed]


@dataclass(frozen=True)
class NotActedOnPage:
    """A page of what was passed and not acted on, oldest first, and how many there are.

    `hidden` counts those the user may not open (restricted records, intelligence they may not read); it is given
    only to those who see partnership-wide figures, and is None for anyone else.
    """

    rows: list[NotActedOn]
    total: int
    hidden: int | None
    limit: int
    offset: int
    agency: Agency | None
    kind: str
    grading_working_days: int


def _holder_of_task(task: AgencyTask) -> Holder:
    if task.assigned_to_id is not None:
        return Holder("person", task.assigned_to.display_name)
    if task.team_id is not None:
        return Holder("team", task.team.name)
    return Holder("nobody", "")


def _escalation_reached(escalations: list[Escalation]) -> EscalationReached | None:
    if not escalations:
        return None
    top = max(escalations, key=lambda e: (e.level, e.raised_at, e.pk))
    return EscalationReached(
        level=top.level,
        label=top.get_level_display(),
        kind=top.get_kind_display(),
        status=top.get_status_display(),
        raised_at=top.raised_at,
        count=len(escalations),
    )


def _task_row(task: AgencyTask, now: datetime) -> NotActedOn:
    acknowledged = task.status != TaskStatus.AWAITING_ACKNOWLEDGEMENT
    due = task.due_at if acknowledged else task.ack_due_at
    referrer = task.referral.referrer_agency
    return NotActedOn(
        kind="referral",
        record_type="casework.agencytask",
        id=task.pk,
        reference=task.referral.reference,
        url=reverse("casework:task_detail", args=[task.pk]),
        what=f"Referral passed for action, {task.get_priority_display().lower()} priority",
        passed_at=task.created_at,
        from_agency_name=referrer.name if referrer else "",
        to_agency_code=task.agency.code,
        to_agency_name=task.agency.name,
        to_team_name=task.team.name if task.team_id else "",
        missed="outcome" if acknowledged else "acknowledgement",
        due_at=due,
        acknowledged_at=task.acknowledged_at,
        outcome_due_at=task.due_at,
        working_days_overdue=working_days_between(due, now),
        holder=_holder_of_task(task),
        escalation=_escalation_reached(list(task.escalations.all())),
    )


def _item_row(item, now: datetime, *, linked: bool, working_days: int) -> NotActedOn:
    due = add_working_days(item.submitted_at, working_days)
    return NotActedOn(
        kind="intelligence",
        record_type="intel.intelligenceitem",
        id=item.pk,
        reference=item.reference,
        url=reverse("intel:item_detail", args=[item.pk]) if linked else "",
        what="Intelligence submitted to the police for grading",
        passed_at=item.submitted_at,
        from_agency_name=item.agency.name,
        to_agency_code="",
        to_agency_name="The police",
        to_team_name="",
        missed="grading",
        due_at=due,
        acknowledged_at=None,
        outcome_due_at=None,
        working_days_overdue=working_days_between(due, now),
        holder=Holder("person", item.owner.display_name) if item.owner_id else Holder("nobody", ""),
        escalation=None,
    )


def _not_acted_on_sources(*, user, agency: Agency | None, kind: str, now: datetime, working_days: int):
    """((tasks, items) passed and not acted on that `user` may see, whether the items link to their page), and
    (tasks, items) of the same whether the user may see them or not, for counting those hidden."""
    task_q = overdue_q(now)
    if agency is not None:
        task_q &= Q(agency=agency)
    # Intelligence a partner agency passed to the police, still awaiting grading after its deadline. Historic
    # imports were never passed to anyone here, and what the police submit themselves was not passed.
    item_q = Q(
        status=ItemStatus.SUBMITTED, imported=False, submitted_at__lte=latest_start_due_by(now, working_days)
    ) & ~Q(agency__kind=AgencyKind.POLICE)
    linked = policy.allows(user, "can_list_intel_items")
    if linked:
        seen_items = item_list_visible_to(user=user)
    else:
        # An independent reviewer reads intelligence only as their reviews put it in scope (and no one else).
        seen_items = policy.review_scope().scoped(user=user, queryset=IntelligenceItem.objects.all())
    tasks = (task_list_visible_to(user=user).filter(task_q), AgencyTask.objects.filter(task_q))
    items = (seen_items.filter(item_q), IntelligenceItem.objects.filter(item_q))
    if kind == "intelligence":
        tasks = tuple(qs.none() for qs in tasks)
    if kind == "referral" or (agency is not None and agency.kind != AgencyKind.POLICE):
        items = tuple(qs.none() for qs in items)
    return (tasks[0], items[0], linked), (tasks[1], items[1])


def not_acted_on_check(*, agency_code: str = "", kind: str = "") -> tuple[Agency | None, str]:
    """The agency (by code) and kind asked for; `NotFound` for a code no agency has, `Invalid` for a kind not
    known."""
    errors: dict[str, list[str]] = {}
    agency = None
    if agency_code:
        agency = Agency.objects.filter(code=agency_code).first()
        if agency is None:
            raise NotFound.field("agency", "Choose an agency from the list.")
    if kind and kind not in NOT_ACTED_ON_KINDS:
        errors["kind"] = ["Choose concerns (referrals) or intelligence items."]
    if errors:
        raise Invalid("The request has errors.", errors)
    return agency, kind


def evidence_not_acted_on(
    *,
    user,
    agency: Agency | None = None,
    kind: str = "",
    limit: int = 50,
    offset: int = 0,
    now: datetime | None = None,
) -> NotActedOnPage:
    """Concerns and intelligence passed to an agency with no acknowledgement or outcome within its timescale, as
    `user` may see them, oldest first: the passing, the timescale missed and by how many working days, who holds
    it now and the highest escalation it reached. A page of them, in a fixed number of queries.

    A task counts while its current clock has run out (`casework.selectors.overdue_q`: not acknowledged by its
    acknowledgement deadline, or acknowledged and not completed by its completion deadline); an item of
    intelligence while it is ungraded after its grading deadline (`intel_grading_working_days`). Tasks are those
    `casework.selectors.task_list_visible_to` gives the user, items those `intel.items.selectors` (or, for an
    independent reviewer, their reviews) do.
    """
    policy.require(user, "can_view_not_acted_on")
    now = now or timezone.now()
    limit = max(1, min(int(limit), NOT_ACTED_ON_PAGE_MAX))
    offset = max(0, int(offset))
    working_days = intel_grading_working_days()
    (tasks, items, linked), everything = _not_acted_on_sources(
        user=user, agency=agency, kind=kind, now=now, working_days=working_days
    )

    def keyed(queryset, when: str, label: str):
        return (
            queryset.order_by()
            .annotate(passed=F(when), record=Value(label, output_field=CharField()))
            .values_list("passed", "record", "pk")
        )

    both = keyed(tasks, "created_at", "referral").union(
        keyed(items, "submitted_at", "intelligence"), all=True
    )
    total = both.count()
    page = list(both.order_by("passed", "record", "pk")[offset : offset + limit]) if total > offset else []
    hidden = None
    if policy.allows(user, "can_view_partnership_figures"):
        hidden = sum(qs.count() for qs in everything) - total
    task_ids = [pk for _, record, pk in page if record == "referral"]
    item_ids = [pk for _, record, pk in page if record == "intelligence"]
    found_tasks = (
        AgencyTask.objects.select_related("referral__referrer_agency", "agency", "team", "assigned_to")
        .prefetch_related(Prefetch("escalations", queryset=Escalation.objects.order_by("level", "raised_at")))
        .in_bulk(task_ids)
        if task_ids
        else {}
    )
    # What was received is never read here: the list shows only that an item was passed, by whom and when.
    found_items = (
        IntelligenceItem.objects.select_related("agency", "owner")
        .defer("content", "sanitised_text", "handling_conditions", "summary")
        .in_bulk(item_ids)
        if item_ids
        else {}
    )
    rows = [
        _task_row(found_tasks[pk], now)
        if record == "referral"
        else _item_row(found_items[pk], now, linked=linked, working_days=working_days)
        for _, record, pk in page
    ]
    return NotActedOnPage(rows, total, hidden, limit, offset, agency, kind, working_days)


def not_acted_on_listed(*, actor, page: NotActedOnPage, via: str) -> None:
    """Audit the list as shown: the tasks and the intelligence items on the page, each under its own record type."""
    query = {
        "agency": page.agency.code if page.agency else "",
        "kind": page.kind,
        "limit": page.limit,
        "offset": page.offset,
        "via": via,
    }
    kinds = [page.kind] if page.kind else list(NOT_ACTED_ON_KINDS)
    for kind in kinds:
        rows = [r for r in page.rows if r.kind == kind]
        record_type = "casework.agencytask" if kind == "referral" else "intel.intelligenceitem"
        events.accountability_records_listed(
            actor=actor, metric="not_acted_on", object_type=record_type, ids=[r.id for r in rows], query=query
        )
