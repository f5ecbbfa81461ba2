"""The case-work rules as a matrix of role × agency kind × action, and the restrictions that cut across roles.

The expected answers are written from the policy in plain terms (see `lantern.casework.rules`), not from the code.
"""

import itertools

import pytest

from lantern.accounts.models import AgencyKind, Role
from lantern.accounts.testing import AgencyFactory, UserFactory
from lantern.casework import services
from lantern.casework.models import Escalation, EscalationKind, FlagKind
from lantern.casework.tests.fixtures import route
from lantern.core import policy

COVERED_RULES = {
    "can_view_task",
    "can_act_on_task",
    "can_assign_task",
    "can_view_case",
    "can_add_case_record",
    "can_request_flag_change",
    "can_approve_flag_change",
    "can_view_escalation",
    "can_resolve_escalation",
    "can_raise_disagreement",
}
CASE_ROLES = {
    Role.FRONT_DOOR,
    Role.PRACTITIONER,
    Role.TEAM_MANAGER,
    Role.SERVICE_MANAGER,
    Role.ANALYST,
    Role.PARTNERSHIP_LEAD,
}
MANAGERS = {Role.TEAM_MANAGER, Role.SERVICE_MANAGER}
SEES_ALL_CASES = {Role.FRONT_DOOR, Role.ANALYST, Role.PARTNERSHIP_LEAD}


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


def check(grid, rule: str, obj, expected) -> None:
    """Every cell of the grid gives the expected answer."""
    wrong = [
        (role, kind, not ok)
        for (role, kind), user in grid.items()
        if policy.allows(user, rule, obj) != (ok := expected(role, kind, user))
    ]
    assert not wrong, f"{rule}: (role, kind, expected) wrong for {wrong}"


def test_task_rules(grid, record):
    """A task's agency sees and works it; its managers assign it; the partnership lead sees every task."""
    task = record["police_task"]
    check(
        grid,
        "can_view_task",
        task,
        lambda role, kind, _: (
            role in CASE_ROLES and (kind == AgencyKind.POLICE or role == Role.PARTNERSHIP_LEAD)
        ),
    )
    check(
        grid, "can_act_on_task", task, lambda role, kind, _: role in CASE_ROLES and kind == AgencyKind.POLICE
    )
    check(grid, "can_assign_task", task, lambda role, kind, _: role in MANAGERS and kind == AgencyKind.POLICE)


def test_case_rules(grid, record):
    """A case is seen and added to by the lead agency, agencies with a task, the front door, analysts and the lead."""
    case = record["case"]

    def sees(role, kind, _):
        return role in CASE_ROLES and (role in SEES_ALL_CASES or kind in (AgencyKind.CSC, AgencyKind.POLICE))

    for rule in ("can_view_case", "can_add_case_record", "can_request_flag_change"):
        check(grid, rule, case, sees)


def test_restricted_case_is_seen_only_by_the_named_people(grid, record, people):
    """A restricted case is hidden from everyone, the partnership lead included, except the people named on it."""
    case = record["case"]
    named = grid[Role.PRACTITIONER, AgencyKind.HEALTH]
    case.restricted = True
    case.save(update_fields=["restricted"])
    case.restricted_to.add(named)
    for rule in ("can_view_case", "can_add_case_record", "can_request_flag_change"):
        check(grid, rule, case, lambda role, kind, user: user == named)


def test_flag_approval_rule(grid, record, people):
    """Managers and the partnership lead who can see the case approve flag changes; never the person who asked."""
    requester = grid[Role.TEAM_MANAGER, AgencyKind.CSC]
    change = services.flag_change_request(
        actor=requester,
        case=record["case"],
        kind=FlagKind.CSE,
        add=True,
        justification="Disclosed exploitation.",
    )
    check(
        grid,
        "can_approve_flag_change",
        change,
        lambda role, kind, user: (
            role in MANAGERS | {Role.PARTNERSHIP_LEAD}
            and user != requester
            and (role == Role.PARTNERSHIP_LEAD or kind in (AgencyKind.CSC, AgencyKind.POLICE))
        ),
    )


@pytest.mark.parametrize("level", [1, 2, 3])
def test_escalation_rules(grid, record, people, level):
    """Escalations are seen by recipients, the raiser, the agency's managers and the lead; resolved by recipients,
    managers at or above the rung, and the lead."""
    escalation = services.escalation_create(
        actor=None,
        level=level,
        kind=EscalationKind.NOT_ACKNOWLEDGED,
        reason="Not acknowledged.",
        agency=record["police_task"].agency,
        task=record["police_task"],
    )
    recipients = set(escalation.recipients.all())
    check(
        grid,
        "can_view_escalation",
        escalation,
        lambda role, kind, user: (
            role in CASE_ROLES
            and (
                role == Role.PARTNERSHIP_LEAD
                or (role in MANAGERS and kind == AgencyKind.POLICE)
                or user in recipients
            )
        ),
    )
    at_or_above = {1: MANAGERS, 2: {Role.SERVICE_MANAGER}, 3: set()}[level]
    check(
        grid,
        "can_resolve_escalation",
        escalation,
        lambda role, kind, user: (
            role in CASE_ROLES
            and (
                role == Role.PARTNERSHIP_LEAD
                or (role in at_or_above and kind == AgencyKind.POLICE)
                or user in recipients
            )
        ),
    )


def test_recipients_and_raisers_see_their_escalations(record, people):
    """The people an escalation went to see and resolve it; whoever raised a disagreement sees it."""
    teacher = people[AgencyKind.CSC, Role.PRACTITIONER]
    escalation = services.escalation_raise(
        actor=teacher, task=record["police_task"], reason="No contact made."
    )
    police_manager = people[AgencyKind.POLICE, Role.TEAM_MANAGER]
    assert set(escalation.recipients.all()) == {police_manager}
    assert policy.allows(teacher, "can_view_escalation", escalation)
    assert not policy.allows(teacher, "can_resolve_escalation", escalation)
    assert policy.allows(police_manager, "can_resolve_escalation", escalation)
    stranger = people[AgencyKind.HEALTH, Role.TEAM_MANAGER]
    assert not policy.allows(stranger, "can_view_escalation", escalation)
    # A recipient who is no longer a case worker loses sight of it.
    police_manager.role = Role.SYSTEM_ADMIN
    police_manager.save(update_fields=["role"])
    assert not policy.allows(police_manager, "can_view_escalation", Escalation.objects.get(pk=escalation.pk))


def test_disagreement_rule(grid, record):
    """Any case worker who can see the task or its referral may raise a disagreement about the task."""
    task, referral = record["police_task"], record["referral"]
    check(
        grid,
        "can_raise_disagreement",
        task,
        lambda role, kind, user: (
            role in CASE_ROLES
            and (
                kind in (AgencyKind.POLICE, AgencyKind.CSC)
                or role == Role.PARTNERSHIP_LEAD
                or policy.allows(user, "can_view_referral", referral)
            )
        ),
    )
    # Nobody outside the referral and without sight of every referral may.
    assert not policy.allows(grid[Role.PRACTITIONER, AgencyKind.HEALTH], "can_raise_disagreement", task)


def test_system_administrators_never_see_case_content(grid, record):
    """System administrators see no task, case or escalation, whatever their agency."""
    for kind in AgencyKind.values:
        admin = grid[Role.SYSTEM_ADMIN, kind]
        assert not policy.allows(admin, "can_view_task", record["police_task"])
        assert not policy.allows(admin, "can_view_case", record["case"])
