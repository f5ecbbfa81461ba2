"""The statistics rules as a matrix of role × agency kind, written from the policy in plain terms
(`lantern.insights.statistics.rules`), and the pages and API asking them."""

import itertools

import pytest

from lantern.accounts.models import AgencyKind, Role
from lantern.accounts.testing import AgencyFactory, UserFactory
from lantern.core import policy

COVERED_RULES = {"can_view_statistics", "can_view_hotspots", "can_publish_statistics"}

EXPECTED = {
    "can_view_statistics": lambda role, kind: (
        role in {Role.TEAM_MANAGER, Role.SERVICE_MANAGER, Role.PARTNERSHIP_LEAD, Role.ANALYST}
    ),
    "can_view_hotspots": lambda role, kind: (
        role == Role.PARTNERSHIP_LEAD
        or (role == Role.ANALYST and kind in {AgencyKind.POLICE, AgencyKind.PARTNERSHIP})
    ),
    "can_publish_statistics": lambda role, kind: role == Role.PARTNERSHIP_LEAD,
}


@pytest.fixture
def grid(db):
    """One user for every role in every kind of agency."""
    return {
        (role, kind): UserFactory(username=f"grid-{role}-{kind}", role=role, agency=AgencyFactory(kind=kind))
        for role, kind in itertools.product(Role.values, AgencyKind.values)
    }


@pytest.mark.parametrize("rule", sorted(COVERED_RULES))
def test_statistics_rule_matrix(grid, rule):
    """Every role in every agency kind gets exactly the answer the policy gives in words."""
    wrong = [
        (role, kind)
        for (role, kind), user in grid.items()
        if policy.allows(user, rule) != EXPECTED[rule](role, kind)
    ]
    assert not wrong, f"{rule} wrong for {wrong}"


def test_pages_follow_the_rules(grid, client_for):
    """Each page answers 403 exactly when its rule refuses (a sample of the grid, one user per answer)."""
    from django.urls import reverse

    pages = {
        "can_view_statistics": "insights:scale",
        "can_view_hotspots": "insights:hotspots",
        "can_publish_statistics": "insights:publish",
    }
    for rule, name in pages.items():
        allowed = next(u for (r, k), u in grid.items() if EXPECTED[rule](r, k))
        refused = next(u for (r, k), u in grid.items() if not EXPECTED[rule](r, k) and r != Role.SYSTEM_ADMIN)
        assert client_for(allowed).get(reverse(name)).status_code == 200, rule
        assert client_for(refused).get(reverse(name)).status_code == 403, rule


def test_navigation_shows_insights_only_to_those_allowed(grid, client_for):
    """The "Insights" link appears for a manager and not for a practitioner."""
    manager = grid[Role.TEAM_MANAGER, AgencyKind.HEALTH]
    worker = grid[Role.PRACTITIONER, AgencyKind.HEALTH]
    assert ">Insights</a>" in client_for(manager).get("/").content.decode()
    assert ">Insights</a>" not in client_for(worker).get("/").content.decode()
