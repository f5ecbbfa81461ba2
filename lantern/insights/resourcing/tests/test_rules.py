"""The resourcing rules as a matrix of role × agency kind, written from the policy in plain terms (see
`lantern.insights.resourcing.rules`), not from the code."""

import itertools

import pytest

from lantern.accounts.models import AgencyKind, Role
from lantern.accounts.testing import AgencyFactory, UserFactory
from lantern.core import policy

COVERED_RULES = {"can_view_resourcing", "can_view_resourcing_agency"}
MANAGERS = {Role.TEAM_MANAGER, Role.SERVICE_MANAGER}


@pytest.fixture
def grid(db):
    """One user for every role in every kind of agency."""
    return {
        (role, kind): UserFactory(username=f"grid-{role}-{kind}", role=role, agency=AgencyFactory(kind=kind))
        for role, kind in itertools.product(Role.values, AgencyKind.values)
    }


def check(grid, rule: str, obj, expected) -> None:
    """Every cell of the grid gives the expected answer."""
    wrong = [
        (role, kind)
        for (role, kind), user in grid.items()
        if policy.allows(user, rule, obj) != expected(role, kind)
    ]
    assert not wrong, f"{rule}: wrong for {wrong}"


def test_managers_and_the_partnership_lead_see_the_page(grid):
    """Team and service managers of any agency, and the partnership lead; nobody else."""
    check(
        grid,
        "can_view_resourcing",
        None,
        lambda role, kind: role in MANAGERS or role == Role.PARTNERSHIP_LEAD,
    )


def test_a_manager_sees_only_their_own_agencys_resourcing(grid):
    """Social care's figures: social care's team and service managers, and the partnership lead."""
    csc = AgencyFactory(kind=AgencyKind.CSC)
    check(
        grid,
        "can_view_resourcing_agency",
        csc,
        lambda role, kind: role == Role.PARTNERSHIP_LEAD or (role in MANAGERS and kind == AgencyKind.CSC),
    )
