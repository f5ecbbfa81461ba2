"""Subject access rules as a matrix of role × action, and the four-eyes rule on sign-off."""

import pytest

from lantern.accounts.models import AgencyKind, Role
from lantern.accounts.testing import AgencyFactory, UserFactory
from lantern.core.policy import allows
from lantern.governance.subject_access.tests.conftest import record_request

ROLES = ("dpo", "records", "practitioner", "lead", "admin")
MAY = {
    "can_record_subject_access_request": {"dpo", "records"},
    "can_view_subject_access_request": {"dpo", "records"},
    "can_work_subject_access_request": {"dpo", "records"},
    # The handler prepared it; the records manager did not.
    "can_sign_off_subject_access_request": {"records"},
    "can_release_subject_access_bundle": set(),
}
COVERED_RULES = set(MAY)


@pytest.mark.parametrize("rule", sorted(MAY))
def test_who_may_do_what(sar_world, rule):
    """Only the data protection officer and records manager work requests; no one signs off their own bundle;
    nothing is released before sign-off."""
    request = record_request(sar_world)
    obj = None if rule == "can_record_subject_access_request" else request
    allowed = {role for role in ROLES if allows(sar_world[role], rule, obj)}
    assert allowed == MAY[rule]


def test_no_other_role_in_any_agency_has_any_of_it(sar_world):
    """Every role but the data protection officer and the records manager, in every kind of agency, is refused
    every subject access rule."""
    request = record_request(sar_world)
    governance_roles = {Role.DATA_PROTECTION_OFFICER, Role.RECORDS_MANAGER}
    for kind in AgencyKind.values:
        agency = AgencyFactory(kind=kind)
        for role in set(Role.values) - governance_roles:
            user = UserFactory(username=f"{role}-{kind}", agency=agency, role=role)
            allowed = [
                rule
                for rule in MAY
                if allows(user, rule, None if rule == "can_record_subject_access_request" else request)
            ]
            assert allowed == [], (role, kind)


def test_release_is_allowed_only_after_sign_off(sar_world):
    """Once signed off, the DPO and records manager may release the bundle; others still may not."""
    from lantern.governance.subject_access import selectors, services

    request = record_request(sar_world)
    keys = [c.key for c in selectors.candidates_for(request)]
    services.subject_access_records_decide(
        actor=sar_world["dpo"], request=request, decisions=[(k, True) for k in keys]
    )
    request = services.subject_access_sign_off(actor=sar_world["records"], request=request)
    allowed = {r for r in ROLES if allows(sar_world[r], "can_release_subject_access_bundle", request)}
    assert allowed == {"dpo", "records"}
