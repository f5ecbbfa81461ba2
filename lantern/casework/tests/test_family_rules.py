"""The family network's rules as a matrix of role × agency kind: who sees a child's network and its safeguarding
conflicts, who adds to it, who decides a conflict and who signs a decision to involve off.

The expected answers are written from the policy in plain terms (see `lantern.casework.rules`), not from the code.
"""

import itertools

import pytest
from django.utils import timezone

from lantern.accounts.models import AgencyKind, Role
from lantern.accounts.testing import AgencyFactory, UserFactory
from lantern.casework.models import (
    ConflictDecision,
    ConflictLevel,
    ConflictStatus,
    NetworkMember,
    SafeguardingConflict,
)
from lantern.casework.tests.fixtures import route
from lantern.casework.tests.test_rules import CASE_ROLES, MANAGERS, SEES_ALL_CASES, check
from lantern.intel.linking.models import PersonMention, PersonRole

COVERED_RULES = {
    "can_open_case",
    "can_view_family_network",
    "can_add_network_member",
    "can_record_involvement",
    "can_decide_safeguarding_conflict",
    "can_sign_off_safeguarding_conflict",
}
OPENERS = {Role.FRONT_DOOR, Role.PRACTITIONER, Role.TEAM_MANAGER, Role.SERVICE_MANAGER}


@pytest.fixture
def grid(people):
    """One user for every role in every kind of agency."""
    return {
        (role, kind): UserFactory(username=f"grid-{role}-{kind}", role=role, agency=AgencyFactory(kind=kind))
        for role, kind in itertools.product(Role.values, AgencyKind.values)
    }


@pytest.fixture
def record(people):
    """A referral routed to the police and social care (the lead agency of the case)."""
    referral, case, tasks = route(people)
    return {"referral": referral, "case": case, "police_task": tasks[AgencyKind.POLICE]}


@pytest.fixture
def conflict(record, people):
    """A conflict on the case of a referral routed to the police and social care (the lead agency)."""
    case = record["case"]
    member = NetworkMember.objects.create(
        case=case,
        mention=PersonMention.objects.create(role=PersonRole.ASSOCIATE, name="Darren Cole"),
        relationship="father",
        added_by=people[AgencyKind.CSC, Role.PRACTITIONER],
    )
    return SafeguardingConflict.objects.create(
        case=case,
        member=member,
        referral=record["referral"],
        report_reference=record["referral"].reference,
        level=ConflictLevel.HIGH,
        matched="Darren Cole (father) matches the person of concern.",
    )


def sees_case(role, kind) -> bool:
    """A case worker who sees every case, or one of the lead agency or an agency with a task on it."""
    return role in CASE_ROLES and (role in SEES_ALL_CASES or kind in (AgencyKind.CSC, AgencyKind.POLICE))


def test_opening_a_case_directly(grid):
    """Front-door workers, practitioners and their managers open a child's case; no one else does."""
    check(grid, "can_open_case", None, lambda role, kind, user: role in OPENERS)


@pytest.mark.parametrize(
    "rule", ["can_view_family_network", "can_add_network_member", "can_record_involvement"]
)
def test_the_network_goes_with_the_case(grid, record, rule):
    """Whoever may see the case sees its network and adds to it; reviewers outside a review and administrators do
    not."""
    check(grid, rule, record["case"], lambda role, kind, user: sees_case(role, kind))


def test_a_conflict_is_decided_by_the_lead_agencys_managers(grid, conflict):
    """A team or service manager of the case's lead agency decides; practitioners and other agencies do not."""
    check(
        grid,
        "can_decide_safeguarding_conflict",
        conflict,
        lambda role, kind, user: role in MANAGERS and kind == AgencyKind.CSC,
    )


def test_a_decision_to_involve_is_signed_off_by_someone_else(grid, conflict):
    """A service manager of the lead agency or the partnership lead signs off; never the manager who decided."""
    decider = grid[Role.SERVICE_MANAGER, AgencyKind.CSC]
    conflict.decision, conflict.status = (
        ConflictDecision.INVOLVE_WITH_SAFEGUARDS,
        ConflictStatus.AWAITING_SIGN_OFF,
    )
    conflict.decided_by, conflict.decided_at = decider, timezone.now()
    conflict.save()
    check(
        grid,
        "can_sign_off_safeguarding_conflict",
        conflict,
        lambda role, kind, user: (
            user != decider
            and ((role == Role.SERVICE_MANAGER and kind == AgencyKind.CSC) or role == Role.PARTNERSHIP_LEAD)
        ),
    )
