"""The resolution and link-alert rules as a matrix of role × agency kind, and alerts being personal.

The expected answers are written from the policy in plain terms (see `lantern.intel.linking.rules`).
"""

import itertools

import pytest

from lantern.accounts.models import AgencyKind, Role
from lantern.accounts.testing import AgencyFactory, UserFactory
from lantern.core import policy
from lantern.intel.models import AlertKind, LinkAlert

COVERED_RULES = {
    "can_view_match",
    "can_decide_match",
    "can_run_linking",
    "can_view_link_alerts",
    "can_view_link_alert",
    "can_update_link_alert",
}

pytestmark = pytest.mark.django_db


@pytest.fixture
def grid(db):
    """One user for every role in every kind of agency."""
    return {
        (role, kind): UserFactory(username=f"grid-{role}-{kind}", role=role, agency=AgencyFactory(kind=kind))
        for role, kind in itertools.product(Role.values, AgencyKind.values)
    }


def sees_matches(role, kind) -> bool:
    """Analysts anywhere, and police practitioners."""
    return role == Role.ANALYST or (role == Role.PRACTITIONER and kind == AgencyKind.POLICE)


def check(grid, rule: str, obj, expected) -> None:
    """Every cell of the grid gives the expected answer."""
    wrong = [
        (role, kind)
        for (role, kind), user in grid.items()
        if policy.allows(user, rule, obj) != expected(role, kind, user)
    ]
    assert not wrong, f"{rule}: wrong for {wrong}"


def test_matches_are_read_by_analysts_and_police_practitioners_and_decided_by_analysts(grid):
    """Reading a match's evidence follows who sees networks; deciding and running batch are for analysts."""
    check(grid, "can_view_match", None, lambda role, kind, _: sees_matches(role, kind))
    check(grid, "can_view_link_alerts", None, lambda role, kind, _: sees_matches(role, kind))
    check(grid, "can_decide_match", None, lambda role, kind, _: role == Role.ANALYST)
    check(grid, "can_run_linking", None, lambda role, kind, _: role == Role.ANALYST)


def test_an_alert_is_seen_and_worked_only_by_its_recipient(grid):
    """Only the analyst it was sent to sees or works an alert; nobody else, whatever their role."""
    recipient = grid[(Role.ANALYST, AgencyKind.POLICE)]
    alert = LinkAlert.objects.create(kind=AlertKind.JOINED_NETWORK, recipient=recipient, summary="A match.")
    for rule in ("can_view_link_alert", "can_update_link_alert"):
        check(grid, rule, alert, lambda role, kind, user: user == recipient)


def test_a_recipient_who_changes_role_stops_seeing_their_alerts(grid):
    """Alerts follow the role: an analyst moved to system administration no longer sees them."""
    recipient = grid[(Role.ANALYST, AgencyKind.POLICE)]
    alert = LinkAlert.objects.create(kind=AlertKind.JOINED_NETWORK, recipient=recipient, summary="A match.")
    recipient.role = Role.SYSTEM_ADMIN
    recipient.save(update_fields=["role"])
    assert not policy.allows(recipient, "can_view_link_alert", alert)
