"""The accountability and data-quality rules as a matrix of role × agency kind, written from the policy in plain
terms (see `lantern.insights.accountability.rules`), not from the code."""

import itertools

import pytest

from lantern.accounts.models import AgencyKind, Role
from lantern.accounts.testing import AgencyFactory, UserFactory
from lantern.core import policy

COVERED_RULES = {
    "can_view_accountability",
    "can_view_accountability_agency",
    "can_view_partnership_figures",
    "can_view_data_quality",
    "can_view_not_acted_on",
}
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


@pytest.mark.parametrize("rule", ["can_view_accountability", "can_view_data_quality"])
def test_managers_and_the_partnership_lead_see_the_pages(grid, rule):
    """Team and service managers of any agency, and the partnership lead; nobody else."""
    check(grid, rule, None, lambda role, kind: role in MANAGERS or role == Role.PARTNERSHIP_LEAD)


def test_a_manager_sees_only_their_own_agencys_figures(grid):
    """Health's figures: health's team and service managers, and the partnership lead."""
    health = AgencyFactory(kind=AgencyKind.HEALTH)
    check(
        grid,
        "can_view_accountability_agency",
        health,
        lambda role, kind: role == Role.PARTNERSHIP_LEAD or (role in MANAGERS and kind == AgencyKind.HEALTH),
    )


def test_only_the_partnership_lead_sees_partnership_wide_figures(grid):
    """The partnership-wide referral figures are the partnership lead's alone."""
    check(grid, "can_view_partnership_figures", None, lambda role, kind: role == Role.PARTNERSHIP_LEAD)


def test_the_partnership_lead_and_reviewers_see_evidence_not_acted_on(grid):
    """The partnership lead and independent reviewers, in any agency; nobody else (reviewers' rows are limited to
    their reviews' scope by the selectors, not by the rule)."""
    check(
        grid,
        "can_view_not_acted_on",
        None,
        lambda role, kind: role in (Role.PARTNERSHIP_LEAD, Role.REVIEWER),
    )


def test_a_manager_without_an_agency_sees_nothing(db):
    """A manager account not attached to an agency has no figures to see."""
    manager = UserFactory(username="floating", role=Role.TEAM_MANAGER, agency=None, team=None)
    assert not policy.allows(manager, "can_view_accountability")
    assert not policy.allows(manager, "can_view_accountability_agency", AgencyFactory(kind=AgencyKind.HEALTH))
