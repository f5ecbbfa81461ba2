"""The network rules as a matrix of role × agency kind × action, written from the policy in plain terms (see
`lantern.intel.network.rules`): analysts and police practitioners see entities and networks; the partnership lead
sees aggregate figures only; other case workers see places (and there only the concerns they may already see)."""

import itertools

import pytest

from lantern.accounts.models import AgencyKind, Role
from lantern.accounts.testing import AgencyFactory, UserFactory
from lantern.core import policy
from lantern.intel.models import EntityKind
from lantern.intel.network.graph import graph_reset
from lantern.intel.network.tests.factories import EntityFactory

COVERED_RULES = {
    "can_view_networks",
    "can_search_entities",
    "can_view_entity",
    "can_view_entity_network",
    "can_view_network_summary",
    "can_record_association",
    "can_export_network",
    "can_open_place_case",
    "can_name_peer_group",
    "can_manage_signal_rules",
}
CASE_ROLES = {
    Role.FRONT_DOOR,
    Role.PRACTITIONER,
    Role.TEAM_MANAGER,
    Role.SERVICE_MANAGER,
    Role.ANALYST,
    Role.PARTNERSHIP_LEAD,
}

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_graph():
    """Each test starts without this process's graph (the database reuses rolled-back ids)."""
    graph_reset()


def sees_networks(role, kind) -> bool:
    """Analysts anywhere, and police practitioners."""
    return role == Role.ANALYST or (role == Role.PRACTITIONER and kind == AgencyKind.POLICE)


def sees_places(role, kind) -> bool:
    """Every case worker but the partnership lead (who sees only aggregates)."""
    return role in CASE_ROLES and role != Role.PARTNERSHIP_LEAD


@pytest.fixture
def grid():
    """One user for every role in every kind of agency."""
    return {
        (role, kind): UserFactory(username=f"grid-{role}-{kind}", role=role, agency=AgencyFactory(kind=kind))
        for role, kind in itertools.product(Role.values, AgencyKind.values)
    }


def check(grid, rule: str, obj, expected) -> None:
    """Every cell of the grid gives the expected answer."""
    wrong = [
        (role, kind, not ok)
        for (role, kind), user in grid.items()
        if policy.allows(user, rule, obj) != (ok := bool(expected(role, kind)))
    ]
    assert not wrong, f"{rule}: (role, kind, expected) wrong for {wrong}"


def test_rules_without_a_record(grid):
    """Who sees networks, searches, sees aggregate figures, records associations, names groups, sets rules."""
    check(grid, "can_view_networks", None, sees_networks)
    check(grid, "can_search_entities", None, lambda r, k: sees_networks(r, k) or sees_places(r, k))
    check(
        grid, "can_view_network_summary", None, lambda r, k: sees_networks(r, k) or r == Role.PARTNERSHIP_LEAD
    )
    check(grid, "can_record_association", None, lambda r, k: r == Role.ANALYST)
    check(grid, "can_name_peer_group", None, lambda r, k: r == Role.ANALYST)
    check(grid, "can_manage_signal_rules", None, lambda r, k: r == Role.PARTNERSHIP_LEAD)


def test_rules_about_a_person(grid):
    """A person (or vehicle, phone, organisation) is seen only by network users; only analysts export."""
    person = EntityFactory(kind=EntityKind.PERSON)
    check(grid, "can_view_entity", person, sees_networks)
    check(grid, "can_view_entity_network", person, sees_networks)
    check(grid, "can_export_network", person, lambda r, k: r == Role.ANALYST)
    check(grid, "can_open_place_case", person, lambda r, k: False)


def test_rules_about_a_place(grid):
    """A place is opened by every case worker but the lead, who cannot see its network unless a network user."""
    place = EntityFactory(kind=EntityKind.PLACE)
    check(grid, "can_view_entity", place, lambda r, k: sees_networks(r, k) or sees_places(r, k))
    check(grid, "can_view_entity_network", place, sees_networks)
    check(grid, "can_export_network", place, lambda r, k: r == Role.ANALYST)
    check(grid, "can_open_place_case", place, lambda r, k: sees_networks(r, k) or sees_places(r, k))


def test_record_rules_refuse_anything_but_an_entity(grid):
    """A rule about an entity given something else (or nothing) says no, even to an analyst."""
    analyst = grid[Role.ANALYST, AgencyKind.POLICE]
    for rule in ("can_view_entity", "can_view_entity_network", "can_export_network", "can_open_place_case"):
        assert not policy.allows(analyst, rule, None)
        assert not policy.allows(analyst, rule, analyst)
