"""The front door's rules as a matrix of role × agency × front-door team, and sign-off of a record."""

import pytest

from lantern.accounts.models import AgencyKind, Role
from lantern.accounts.testing import AgencyFactory, TeamFactory, UserFactory
from lantern.core import policy
from lantern.frontdoor import services as decisions
from lantern.frontdoor.tests.support import make_borough, make_referral

COVERED_RULES = {
    "can_screen_referrals",
    "can_sign_off_decision",
    "can_view_screening_tool",
    "can_manage_screening_tool",
}
FRONT_DOOR_AGENCIES = {AgencyKind.CSC, AgencyKind.PARTNERSHIP}


def expected(rule: str, role: str, kind: str, in_front_door_team: bool) -> bool:
    """The pinned answer: a change here is a change of policy."""
    front_door_manager = role == Role.TEAM_MANAGER and in_front_door_team and kind in FRONT_DOOR_AGENCIES
    if rule == "can_screen_referrals":
        return (role == Role.FRONT_DOOR and kind in FRONT_DOOR_AGENCIES) or front_door_manager
    if rule == "can_sign_off_decision":
        return front_door_manager or role == Role.PARTNERSHIP_LEAD
    if rule == "can_view_screening_tool":
        return True  # every role: the tool holds no personal data, and scoring should be open to scrutiny
    if rule == "can_manage_screening_tool":
        return role == Role.PARTNERSHIP_LEAD
    raise AssertionError(rule)


@pytest.mark.django_db
@pytest.mark.parametrize("rule", sorted(COVERED_RULES))
@pytest.mark.parametrize("in_front_door_team", [True, False])
def test_front_door_rule_matrix(rule, in_front_door_team):
    """Every role in every agency kind, in a team with front-door workers or not, gets the pinned answer."""
    for kind in AgencyKind.values:
        agency = AgencyFactory(kind=kind)
        team = TeamFactory(agency=agency, name="MASH" if in_front_door_team else "Other team")
        if in_front_door_team:
            UserFactory(username=f"colleague-{kind}", agency=agency, team=team, role=Role.FRONT_DOOR)
        elsewhere = TeamFactory(agency=agency, name="Front door")
        for role in Role.values:
            # Outside a front-door team, the front-door worker of the matrix sits in a team of their own.
            own_team = elsewhere if role == Role.FRONT_DOOR and not in_front_door_team else team
            user = UserFactory(
                username=f"{role}-{kind}-{in_front_door_team}", agency=agency, team=own_team, role=role
            )
            assert policy.allows(user, rule) == expected(rule, role, kind, in_front_door_team), (
                rule,
                role,
                kind,
            )


@pytest.fixture
def borough(db):
    """The front door and the agencies around it."""
    return make_borough()


def test_a_decision_is_never_signed_off_by_its_maker(borough):
    """The manager who made a decision may not sign it off; another front-door manager may."""
    decision = decisions.referral_decide(
        actor=borough["fd_manager"], referral=make_referral(), kind="nfa", rationale="Duplicate."
    )
    assert not policy.allows(borough["fd_manager"], "can_sign_off_decision", decision)
    assert policy.allows(borough["fd_manager_2"], "can_sign_off_decision", decision)
    assert policy.allows(borough["lead"], "can_sign_off_decision", decision)


def test_a_restricted_referral_is_signed_off_only_by_someone_it_names(borough):
    """Sign-off of a decision on a restricted referral needs the manager to be one of its named people."""
    referral = make_referral()
    decision = decisions.referral_decide(
        actor=borough["front_door"], referral=referral, kind="nfa", rationale="No."
    )
    referral.restricted = True
    referral.save(update_fields=["restricted"])
    referral.restricted_to.add(borough["fd_manager_2"])
    decision.refresh_from_db()
    assert policy.allows(borough["fd_manager_2"], "can_sign_off_decision", decision)
    assert not policy.allows(borough["fd_manager"], "can_sign_off_decision", decision)
    assert not policy.allows(borough["lead"], "can_sign_off_decision", decision)


def test_an_inactive_front_door_worker_does_not_make_a_front_door_team(db):
    """A team manager manages the front door only while the team has an active front-door worker."""
    agency = AgencyFactory(kind=AgencyKind.CSC)
    team = TeamFactory(agency=agency, name="MASH")
    worker = UserFactory(username="leaver", agency=agency, team=team, role=Role.FRONT_DOOR)
    worker.is_active = False
    worker.save(update_fields=["is_active"])
    manager = UserFactory(username="tm", agency=agency, team=team, role=Role.TEAM_MANAGER)
    assert not policy.allows(manager, "can_screen_referrals")
