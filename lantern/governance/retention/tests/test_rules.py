"""Retention's rules as a matrix of role and action."""

import pytest

from lantern.accounts.models import AgencyKind, Role
from lantern.core.policy import allows

RULES = ("can_view_retention", "can_decide_retention", "can_manage_legal_holds", "can_view_data_protection")
COVERED_RULES = set(RULES)
EXPECTED = {
    "records": {
        "can_view_retention",
        "can_decide_retention",
        "can_manage_legal_holds",
        "can_view_data_protection",
    },
    "dpo": {"can_view_retention", "can_manage_legal_holds", "can_view_data_protection"},
}


@pytest.mark.parametrize(
    "key",
    [
        "records",
        "dpo",
        "admin",
        "lead",
        "reviewer",
        "front_door",
        (AgencyKind.POLICE, Role.PRACTITIONER),
        (AgencyKind.CSC, Role.SERVICE_MANAGER),
    ],
)
def test_rule_matrix(governance, key):
    """Only the records manager decides; the DPO views and holds; nobody else has any of it."""
    allowed = {rule for rule in RULES if allows(governance[key], rule)}
    assert allowed == EXPECTED.get(key, set())
