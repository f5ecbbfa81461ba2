"""API: the accountability dashboard's figures for a period, as the user may see them.

`GET /api/v1/insights/accountability?from=YYYY-MM-DD&to=YYYY-MM-DD` (both optional: this year so far). Team and
service managers get their own agency; the partnership lead every agency and the partnership-wide figures. Bad
dates are answered 422 with a message for `from` or `to`. A period ending after today covers up to today (and one
starting before 2000 from 2000): the answer's `from` and `to` state the period covered. A period that holds no
day (starting after it ends, or after today) is answered 404 naming `from`, as is an agency code no agency has
(decision 0022).

`GET /api/v1/insights/not-acted-on?agency=CODE&kind=referral|intelligence&limit=50&offset=0`: concerns and
intelligence passed to an agency and not acknowledged or acted on within their timescale, oldest first, for the
partnership lead and independent reviewers (as the page at /insights/accountability/not-acted-on).
"""

from dataclasses import asdict
from datetime import date, datetime
from typing import Literal

from ninja import Field, Query, Router, Schema
from pydantic import ConfigDict

from lantern.audit import events
from lantern.core import policy
from lantern.core.api import ErrorOut, IsoDate, offset_field
from lantern.insights.accountability import selectors as accountability

router = Router(tags=["insights"])


class PeriodQuery(Schema):
    """The period: first and last day, both included (London dates)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    start: IsoDate | None = Field(
        None, alias="from", description="First day, YYYY-MM-DD (default: 1 January)."
    )
    end: IsoDate | None = Field(None, alias="to", description="Last day, YYYY-MM-DD (default: today).")


class DurationOut(Schema):
    """Elapsed clock hours over a set of records: how many, median and 90th percentile (type 7)."""

    count: int
    median_hours: float | None
    p90_hours: float | None


class EscalationsOut(Schema):
    """Escalations raised in the period by rung and kind, resolved by rung and by who, and open now."""

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
    time_to_resolve: DurationOut
    open_now: int


class UnitOut(Schema):
    """One agency's or team's figures."""

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
    time_to_acknowledge: DurationOut
    tasks_completed: int
    completed_late: int
    time_to_complete: DurationOut
    no_action: int
    no_action_percent: float | None
    open_now: int
    overdue_now: int
    overdue_percent: float | None
    escalations: EscalationsOut


class AgencyFiguresOut(UnitOut):
    """An agency's figures with each of its teams'."""

    teams: list[UnitOut]


class PartnershipOut(Schema):
    """Partnership-wide referral figures (the partnership lead only)."""

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


class SlowestOut(Schema):
    """The agency slowest to acknowledge its tasks (by 90th percentile), and why."""

    agency_code: str
    agency_name: str
    summary: str


class AccountabilityOut(Schema):
    """The accountability figures for a period. Agencies are sorted slowest first (90th percentile to acknowledge).

    `live_from` is the first day computed live from the records rather than from the daily figures (normally
    today), or null.
    """

    start: date = Field(..., serialization_alias="from")
    end: date = Field(..., serialization_alias="to")
    live_from: date | None
    hours: str = "Elapsed clock hours, nights, weekends and bank holidays included."
    partnership: PartnershipOut | None
    agencies: list[AgencyFiguresOut]
    slowest: SlowestOut | None


@router.get(
    "/insights/accountability",
    response={200: AccountabilityOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    summary="Accountability figures for a period",
    operation_id="insights_accountability",
    by_alias=True,
)
def accountability_figures(request, period: Query[PeriodQuery]):
    """Per agency and team: referrals received, decisions within one working day, time to acknowledge and
    complete tasks (median and 90th percentile), tasks overdue now, escalations, "no further action" rate and
    outcomes fed back."""
    user = request.auth
    policy.require(user, "can_view_accountability")
    on = accountability.today()
    default = accountability.default_period(on=on)
    checked = accountability.period_covered(period.start or default.start, period.end or default.end, on=on)
    figures = accountability.accountability_for_user(user=user, period=checked)
    events.accountability_viewed(
        actor=user,
        start=checked.start,
        end=checked.end,
        agencies=[a.agency_code for a in figures.agencies],
        via="api",
    )
    return asdict(figures)


class NotActedOnQuery(Schema):
    """Filters and paging for evidence passed and not acted on."""

    model_config = ConfigDict(extra="forbid")

    agency: str | None = Field(
        None, max_length=40, description="The code of the agency it was passed to, e.g. riverton-police."
    )
    kind: Literal["referral", "intelligence"] | None = Field(
        None,
        description="`referral`: concerns passed as agency tasks; `intelligence`: items awaiting grading.",
    )
    limit: int = Field(50, ge=1, le=accountability.NOT_ACTED_ON_PAGE_MAX)
    offset: int = offset_field()


class NotActedOnHolderOut(Schema):
    """Who holds the record now: `person`, `team` (nobody in it has taken it) or `nobody` (name empty)."""

    kind: Literal["person", "team", "nobody"]
    name: str


class NotActedOnEscalationOut(Schema):
    """The highest rung of the escalation ladder the record reached, and where that escalation stands."""

    level: int
    label: str
    kind: str
    status: str
    raised_at: datetime
    count: int = Field(..., description="How many escalations about the record there are in all.")


class NotActedOnRowOut(Schema):
    """A concern or an item of intelligence passed to an agency and not acknowledged or acted on in time.

    `url` is the record's page (empty where the user opens it through a review). `missed` is the timescale that
    ran out; `working_days_overdue` counts the working days (weekends and bank holidays left out) after its
    deadline up to today.
    """

    kind: Literal["referral", "intelligence"]
    record_type: str
    id: int
    reference: str
    url: str
    what: str
    passed_at: datetime
    from_agency_name: str
    to_agency_code: str
    to_agency_name: str
    to_team_name: str
    missed: Literal["acknowledgement", "outcome", "grading"]
    due_at: datetime
    acknowledged_at: datetime | None
    outcome_due_at: datetime | None
    working_days_overdue: int
    holder: NotActedOnHolderOut
    escalation: NotActedOnEscalationOut | None


class NotActedOnOut(Schema):
    """One page of evidence passed and not acted on, oldest first.

    `count` is how many the user may see in all; `hidden` how many more they may not open (the partnership lead
    only, else null).
    """

    count: int
    hidden: int | None
    limit: int
    offset: int
    grading_working_days: int
    items: list[NotActedOnRowOut]


@router.get(
    "/insights/not-acted-on",
    response={200: NotActedOnOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    summary="Evidence passed and not acted on",
    operation_id="insights_not_acted_on",
)
def not_acted_on(request, filters: Query[NotActedOnQuery]):
    """Concerns (agency tasks) and intelligence (awaiting grading by the police) with no acknowledgement or outcome
    recorded within their timescale, oldest first: when and to whom each was passed, the timescale missed, who
    holds it now and the escalation it reached."""
    user = request.auth
    policy.require(user, "can_view_not_acted_on")
    agency, kind = accountability.not_acted_on_check(
        agency_code=filters.agency or "", kind=filters.kind or ""
    )
    found = accountability.evidence_not_acted_on(
        user=user, agency=agency, kind=kind, limit=filters.limit, offset=filters.offset
    )
    accountability.not_acted_on_listed(actor=user, page=found, via="api")
    return {
        "count": found.total,
        "hidden": found.hidden,
        "limit": found.limit,
        "offset": found.offset,
        "grading_working_days": found.grading_working_days,
        "items": [asdict(row) for row in found.rows],
    }
