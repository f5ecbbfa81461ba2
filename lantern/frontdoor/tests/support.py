"""Shared set-up for the front door's tests: a small borough and referrals as intake receives them."""

from lantern.accounts.models import AgencyKind, Role
from lantern.accounts.testing import AgencyFactory, TeamFactory, UserFactory
from lantern.intake import services
from lantern.intake.models import Channel
from lantern.intake.schemas import ReferralIn

ROUTABLE_KINDS = (
    AgencyKind.CSC,
    AgencyKind.POLICE,
    AgencyKind.HEALTH,
    AgencyKind.EDUCATION,
    AgencyKind.LICENSING,
)


def make_borough() -> dict:
    """Agencies that take tasks, and the people of the front door around them.

    The front-door workers and their team managers share the MASH team in children's social care; another
    CSC team manager runs a team with no front-door workers.
    """
    people: dict = {"agencies": {kind: AgencyFactory(kind=kind) for kind in ROUTABLE_KINDS}}
    csc = people["agencies"][AgencyKind.CSC]
    mash = TeamFactory(agency=csc, name="MASH")
    people["front_door"] = UserFactory(username="fd.worker", agency=csc, team=mash, role=Role.FRONT_DOOR)
    people["front_door_2"] = UserFactory(username="fd.worker2", agency=csc, team=mash, role=Role.FRONT_DOOR)
    people["fd_manager"] = UserFactory(username="fd.manager", agency=csc, team=mash, role=Role.TEAM_MANAGER)
    people["fd_manager_2"] = UserFactory(
        username="fd.manager2", agency=csc, team=mash, role=Role.TEAM_MANAGER
    )
    people["csc_manager"] = UserFactory(
        username="csc.manager",
        agency=csc,
        team=TeamFactory(agency=csc, name="Assessment"),
        role=Role.TEAM_MANAGER,
    )
    people["csc_service_manager"] = UserFactory(
        username="csc.sm", agency=csc, team=mash, role=Role.SERVICE_MANAGER
    )
    people["police"] = UserFactory(
        username="police.officer", agency=people["agencies"][AgencyKind.POLICE], role=Role.PRACTITIONER
    )
    people["lead"] = UserFactory(
        username="lead", agency=AgencyFactory(kind=AgencyKind.PARTNERSHIP), role=Role.PARTNERSHIP_LEAD
    )
    people["admin"] = UserFactory(username="admin", agency=people["lead"].agency, role=Role.SYSTEM_ADMIN)
    return people


def make_referral(
    *,
    actor=None,
    source="public",
    summary="Two girls seen getting into a silver car at night.",
    children=({"name": "Child A", "age": 14},),
    **parts,
):
    """A referral received through intake's one way in."""
    referral, _secret = services.referral_create(
        actor=actor,
        channel=Channel.WEB,
        referral=ReferralIn(source=source, summary=summary, children=list(children), **parts),
    )
    return referral
