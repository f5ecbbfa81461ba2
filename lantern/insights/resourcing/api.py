"""API: the resourcing figures per agency and team, as the user may see them.

`GET /api/v1/insights/resourcing`: for the partnership lead every agency, for a team or service manager their own.
Per agency and team: staff, the share trained, caseload per worker (median and maximum), unallocated work and the
oldest wait, staffing (established posts, vacancies, absences) and, by quarter, the share of tasks completed by
trained staff (see `lantern.insights.resourcing.selectors`).
"""

from ninja import Router, Schema

from lantern.audit import events
from lantern.core import policy
from lantern.core.api import ErrorOut
from lantern.insights.resourcing import selectors as resourcing

router = Router(tags=["insights"])


class UnallocatedOut(Schema):
    """Open work with nobody on it (cases only on an agency's row) and the oldest wait in days."""

    tasks: int
    cases: int
    oldest_days: int | None


class QuarterShareOut(Schema):
    """Tasks completed in a quarter, how many by trained staff, and the share."""

    quarter: str
    completed: int
    by_trained: int
    share: float | None


class ResourcingUnitOut(Schema):
    """One agency's (team_id null) or team's figures."""

    agency_code: str
    agency_name: str
    team_id: int | None
    team_name: str
    required_courses: list[str]
    staff: int
    trained_staff: int
    trained: float | None
    caseload_median: float | None
    caseload_max: int | None
    unallocated: UnallocatedOut
    established_posts: int | None
    vacancies: int | None
    absences: int | None
    completed_by_trained: list[QuarterShareOut]


class AgencyResourcingOut(Schema):
    """An agency's row and its teams'."""

    agency: ResourcingUnitOut
    teams: list[ResourcingUnitOut]


class ResourcingOut(Schema):
    """Every agency the user may see."""

    agencies: list[AgencyResourcingOut]


def _unit(unit: resourcing.UnitResourcing) -> dict:
    return {
        **{
            name: getattr(unit, name)
            for name in ResourcingUnitOut.model_fields
            if name != "completed_by_trained"
        },
        "unallocated": vars(unit.unallocated),
        "completed_by_trained": [{**vars(q), "share": q.share} for q in unit.completed_by_trained],
    }


@router.get(
    "/insights/resourcing",
    response={200: ResourcingOut, 401: ErrorOut, 403: ErrorOut},
    summary="Resourcing per agency and team",
    operation_id="insights_resourcing",
)
def resourcing_figures(request):
    """Per agency and team: staff, trained share, caseloads, unallocated work, vacancies and trained completions."""
    user = request.auth
    policy.require(user, "can_view_resourcing")
    figures = resourcing.resourcing_for_user(user=user)
    events.resourcing_viewed(actor=user, agencies=[a.agency.agency_code for a in figures], via="api")
    return {"agencies": [{"agency": _unit(a.agency), "teams": [_unit(t) for t in a.teams]} for a in figures]}
