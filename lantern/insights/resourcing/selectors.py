"""Reads: resourcing figures per agency and team, for the partnership lead (every agency) or a manager (their own).

For each team: `staff` (active accounts in the team), `trained` (the share of them holding current completions of
every course the team requires; a team that requires nothing counts everyone), the caseload per worker (open tasks
assigned to them plus open cases they own: median and maximum, workers with none included), work with nobody on it
(open tasks of the team with no one assigned, and how many days the oldest has waited), the latest staffing record
(established posts, vacancies, absences) and, by calendar quarter, the share of the team's tasks completed by
someone trained at the time. Every task in Lantern is work on a child-exploitation referral, so all completed tasks
count as exploitation tasks. An agency's own row adds its open cases with no owner (cases belong to an agency, not a
team) and takes the caseload over every worker in its teams.

The training register and staffing records live in `lantern.accounts` (see `lantern.accounts.training`). The
figures are counts, shares and waits: they name no worker and no child. A fixed number of queries answers any
number of agencies and teams.
"""

import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time

from django.db.models import Count, Min, QuerySet
from django.utils import timezone

from lantern.accounts import training
from lantern.accounts.models import Agency, Team, TeamCourseRequirement, TrainingRecord, User
from lantern.casework.models import AgencyTask, Case, CaseStatus, TaskStatus
from lantern.core import policy

OPEN_TASK = (TaskStatus.AWAITING_ACKNOWLEDGEMENT, TaskStatus.ACKNOWLEDGED)
QUARTERS = 4


@dataclass
class Unallocated:
    """Open work with nobody on it, and how long the oldest has waited (whole days)."""

    tasks: int = 0
    cases: int = 0
    oldest_days: int | None = None


@dataclass
class QuarterShare:
    """Of the tasks completed in a quarter, how many were completed by someone with the required training."""

    quarter: str
    completed: int = 0
    by_trained: int = 0

    @property
    def share(self) -> float | None:
        """by_trained / completed, or None when nothing was completed."""
        return round(self.by_trained / self.completed, 3) if self.completed else None


@dataclass
class UnitResourcing:
    """One team's figures, or an agency's (team_id None)."""

    agency_code: str
    agency_name: str
    team_id: int | None
    team_name: str
    required_courses: list[str]
    staff: int
    trained_staff: int
    caseloads: list[int] = field(repr=False)
    unallocated: Unallocated
    established_posts: int | None
    vacancies: int | None
    absences: int | None
    completed_by_trained: list[QuarterShare]

    @property
    def trained(self) -> float | None:
        """The share of staff with every required course current (None for a team with no staff)."""
        return round(self.trained_staff / self.staff, 3) if self.staff else None

    @property
    def caseload_median(self) -> float | None:
        """The median open caseload per worker."""
        return float(statistics.median(self.caseloads)) if self.caseloads else None

    @property
    def caseload_max(self) -> int | None:
        """The largest open caseload of any worker."""
        return max(self.caseloads) if self.caseloads else None


@dataclass
class AgencyResourcing:
    """An agency's own row and its teams' rows."""

    agency: UnitResourcing
    teams: list[UnitResourcing]


def quarters_to(today: date, count: int = QUARTERS) -> list[tuple[str, date]]:
    """The last `count` calendar quarters up to and including today's, oldest first: (label, first day)."""
    year, index = today.year, (today.month - 1) // 3
    out = []
    for _ in range(count):
        out.append((f"{year} Q{index + 1}", date(year, index * 3 + 1, 1)))
        year, index = (year, index - 1) if index else (year - 1, 3)
    return out[::-1]


def agencies_visible_to(user) -> list[Agency]:
    """The agencies whose resourcing the user may see: every one for the partnership lead, else their own."""
    if not policy.allows(user, "can_view_resourcing"):
        return []
    return [
        a
        for a in Agency.objects.filter(is_active=True)
        if policy.allows(user, "can_view_resourcing_agency", a)
    ]


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


class _Facts:
    """Everything the figures need, fetched in a fixed number of queries."""

    def __init__(
        self,
        agencies: list[Agency],
        today: date,
        quarters: list[tuple[str, date]] | None = None,
        until: date | None = None,
    ):
        self.today = today
        self.quarters = quarters or quarters_to(today)
        self.until = until
        self.teams = list(Team.objects.filter(agency__in=agencies).select_related("agency").order_by("name"))
        self.staff: dict[int, list[int]] = defaultdict(list)
        for pk, team_id in User.objects.filter(is_active=True, team__in=self.teams).values_list(
            "pk", "team_id"
        ):
            self.staff[team_id].append(pk)
        self.required: dict[int, dict[int, str]] = defaultdict(dict)
        for team_id, course_id, name in TeamCourseRequirement.objects.filter(team__in=self.teams).values_list(
            "team_id", "course_id", "course__name"
        ):
            self.required[team_id][course_id] = name
        staff_ids = [pk for ids in self.staff.values() for pk in ids]
        self.current = training.current_courses(user_ids=staff_ids, on=today)
        self.load: dict[int, int] = defaultdict(int)
        open_tasks = AgencyTask.objects.filter(status__in=OPEN_TASK, assigned_to__in=staff_ids)
        for pk, n in open_tasks.values_list("assigned_to").annotate(n=Count("pk")).order_by():
            self.load[pk] += n
        open_cases = Case.objects.filter(status=CaseStatus.OPEN, owner__in=staff_ids)
        for pk, n in open_cases.values_list("owner").annotate(n=Count("pk")).order_by():
            self.load[pk] += n
        self.staffing = training.latest_staffing(self.teams)
        self._unallocated(agencies)
        self._completions()

    def _unallocated(self, agencies: list[Agency]) -> None:
        waiting = AgencyTask.objects.filter(
            status__in=OPEN_TASK, assigned_to__isnull=True, agency__in=agencies
        )
        self.unallocated_tasks = {
            (agency_id, team_id): (n, oldest)
            for agency_id, team_id, n, oldest in waiting.values_list("agency_id", "team_id")
            .annotate(n=Count("pk"), oldest=Min("created_at"))
            .order_by()
        }
        ownerless = Case.objects.filter(status=CaseStatus.OPEN, owner__isnull=True, lead_agency__in=agencies)
        self.unallocated_cases = {
            agency_id: (n, oldest)
            for agency_id, n, oldest in ownerless.values_list("lead_agency_id")
            .annotate(n=Count("pk"), oldest=Min("opened_at"))
            .order_by()
        }

    def _completions(self) -> None:
        completions = AgencyTask.objects.filter(
            team__in=self.teams, completed_at__gte=_start_of(self.quarters[0][1])
        )
        if self.until is not None:
            completions = completions.filter(completed_at__lt=_start_of(self.until))
        self.completed = list(completions.values_list("team_id", "completed_by_id", "completed_at"))
        completers = {user_id for _, user_id, _ in self.completed if user_id}
        self.records: dict[int, list[tuple[int, date, date | None]]] = defaultdict(list)
        for user_id, course_id, done, expires in TrainingRecord.objects.filter(
            user_id__in=completers
        ).values_list("user_id", "course_id", "completed_on", "expires_on"):
            self.records[user_id].append((course_id, done, expires))

    def trained_on(self, user_id: int | None, team_id: int, day: date) -> bool:
        """Whether the user held every course the team requires, current on the day."""
        required = set(self.required.get(team_id, {}))
        if user_id is None:
            return False
        held = {
            c
            for c, done, expires in self.records.get(user_id, ())
            if done <= day and (not expires or expires > day)
        }
        return required <= held

    def wait_days(self, oldest: datetime | None) -> int | None:
        """Whole days since a moment, by London dates."""
        return (self.today - timezone.localdate(oldest)).days if oldest else None


def _shares(facts: _Facts, team_ids: set[int]) -> list[QuarterShare]:
    shares = [QuarterShare(quarter=label) for label, _ in facts.quarters]
    firsts = [first for _, first in facts.quarters]
    for team_id, user_id, at in facts.completed:
        if team_id not in team_ids:
            continue
        day = timezone.localdate(at)
        index = max(i for i, first in enumerate(firsts) if first <= day)
        shares[index].completed += 1
        shares[index].by_trained += facts.trained_on(user_id, team_id, day)
    return shares


def _team_row(facts: _Facts, team: Team) -> UnitResourcing:
    staff = facts.staff.get(team.pk, [])
    required = facts.required.get(team.pk, {})
    trained = sum(1 for pk in staff if set(required) <= facts.current.get(pk, set()))
    count, oldest = facts.unallocated_tasks.get((team.agency_id, team.pk), (0, None))
    staffing = facts.staffing.get(team.pk)
    return UnitResourcing(
        agency_code=team.agency.code,
        agency_name=team.agency.name,
        team_id=team.pk,
        team_name=team.name,
        required_courses=sorted(required.values()),
        staff=len(staff),
        trained_staff=trained,
        caseloads=[facts.load.get(pk, 0) for pk in staff],
        unallocated=Unallocated(tasks=count, oldest_days=facts.wait_days(oldest)),
        established_posts=staffing.established_posts if staffing else None,
        vacancies=staffing.vacancies if staffing else None,
        absences=staffing.absences if staffing else None,
        completed_by_trained=_shares(facts, {team.pk}),
    )


def _sum_or_none(values: list[int | None]) -> int | None:
    known = [v for v in values if v is not None]
    return sum(known) if known else None


def _agency_row(facts: _Facts, agency: Agency, teams: list[UnitResourcing]) -> UnitResourcing:
    tasks = [facts.unallocated_tasks.get((agency.pk, t.team_id), (0, None)) for t in teams]
    tasks.append(facts.unallocated_tasks.get((agency.pk, None), (0, None)))
    cases, case_oldest = facts.unallocated_cases.get(agency.pk, (0, None))
    waits = [oldest for _, oldest in tasks if oldest] + ([case_oldest] if case_oldest else [])
    return UnitResourcing(
        agency_code=agency.code,
        agency_name=agency.name,
        team_id=None,
        team_name="All teams",
        required_courses=sorted({name for t in teams for name in t.required_courses}),
        staff=sum(t.staff for t in teams),
        trained_staff=sum(t.trained_staff for t in teams),
        caseloads=[load for t in teams for load in t.caseloads],
        unallocated=Unallocated(
            tasks=sum(n for n, _ in tasks), cases=cases, oldest_days=facts.wait_days(min(waits, default=None))
        ),
        established_posts=_sum_or_none([t.established_posts for t in teams]),
        vacancies=_sum_or_none([t.vacancies for t in teams]),
        absences=_sum_or_none([t.absences for t in teams]),
        completed_by_trained=_shares(facts, {t.team_id for t in teams}),
    )


def resourcing_for_user(*, user, today: date | None = None) -> list[AgencyResourcing]:
    """The resourcing figures of every agency the user may see, each with its teams' rows, agencies by name."""
    agencies = agencies_visible_to(user)
    if not agencies:
        return []
    facts = _Facts(agencies, today or timezone.localdate())
    by_agency: dict[int, list[UnitResourcing]] = defaultdict(list)
    for team in facts.teams:
        by_agency[team.agency_id].append(_team_row(facts, team))
    return [
        AgencyResourcing(agency=_agency_row(facts, agency, by_agency[agency.pk]), teams=by_agency[agency.pk])
        for agency in agencies
    ]


# Publication: the partnership's figures in aggregate, for the transparency report.
@dataclass
class PartnershipResourcing:
    """Every active agency's teams taken together, as at `as_at`, with the quarters' completions; the rows and
    queries behind them, so that the report can hash and show them. Counts, shares and waits only: no names."""

    as_at: date
    staff: int
    trained_staff: int
    caseloads: list[int] = field(repr=False)
    unallocated: int
    oldest_wait_days: int | None
    established_posts: int | None
    vacancies: int | None
    quarters: list[QuarterShare]
    staff_rows: list[tuple] = field(repr=False)
    completion_rows: list[tuple] = field(repr=False)
    staff_query: QuerySet = field(repr=False)
    completion_query: QuerySet = field(repr=False)


def partnership_resourcing(
    *, quarters: list[tuple[str, date]], until: date, as_at: date
) -> PartnershipResourcing:
    """The partnership's resourcing in aggregate: staff, training, caseloads, unallocated work and staffing as at
    `as_at`; tasks completed, and by trained staff, in each of `quarters` (label, first day), up to `until` (the
    day after the last). For the transparency report, which suppresses small counts itself."""
    agencies = list(Agency.objects.filter(is_active=True).order_by("pk"))
    facts = _Facts(agencies, as_at, quarters=quarters, until=until)
    by_agency: dict[int, list[UnitResourcing]] = defaultdict(list)
    for team in facts.teams:
        by_agency[team.agency_id].append(_team_row(facts, team))
    rows = [_agency_row(facts, agency, by_agency[agency.pk]) for agency in agencies]
    waits = [r.unallocated.oldest_days for r in rows if r.unallocated.oldest_days is not None]
    team_ids = {team.pk for team in facts.teams}
    staff_rows = sorted(
        (
            pk,
            team_id,
            set(facts.required.get(team_id, {})) <= facts.current.get(pk, set()),
            facts.load.get(pk, 0),
        )
        for team_id, ids in facts.staff.items()
        for pk in ids
    )
    # The same selections as the facts', written without lists of ids so that their SQL can be published.
    staff_query = (
        User.objects.filter(is_active=True, team__isnull=False, team__agency__is_active=True)
        .order_by("pk")
        .values_list("pk", "team_id")
    )
    completion_query = (
        AgencyTask.objects.filter(
            team__agency__is_active=True,
            completed_at__gte=_start_of(quarters[0][1]),
            completed_at__lt=_start_of(until),
        )
        .order_by("pk")
        .values_list("pk", "team_id", "completed_by_id", "completed_at")
    )
    completion_rows = [
        (pk, team_id, user_id, at, facts.trained_on(user_id, team_id, timezone.localdate(at)))
        for pk, team_id, user_id, at in completion_query
    ]
    return PartnershipResourcing(
        as_at=as_at,
        staff=sum(r.staff for r in rows),
        trained_staff=sum(r.trained_staff for r in rows),
        caseloads=[load for r in rows for load in r.caseloads],
        unallocated=sum(r.unallocated.tasks + r.unallocated.cases for r in rows),
        oldest_wait_days=max(waits, default=None),
        established_posts=_sum_or_none([r.established_posts for r in rows]),
        vacancies=_sum_or_none([r.vacancies for r in rows]),
        quarters=_shares(facts, team_ids),
        staff_rows=staff_rows,
        completion_rows=completion_rows,
        staff_query=staff_query,
        completion_query=completion_query,
    )
