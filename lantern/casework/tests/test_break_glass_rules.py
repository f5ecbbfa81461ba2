"""The break-glass rules as a matrix of role × agency kind: who may break the glass at all, on a restricted case
they have no relationship to, who reviews the uses, and who signs one off (never its own user).

The expected answers are written from the policy in plain terms (see `lantern.casework.rules`), not from the code.
"""

import itertools

import pytest

from lantern.accounts.models import AgencyKind, Role
from lantern.accounts.testing import AgencyFactory, UserFactory
from lantern.casework import breakglass, services
from lantern.core import policy

COVERED_RULES = {
    "can_break_glass",
    "can_break_glass_into",
    "can_review_break_glass",
    "can_sign_off_break_glass",
}
CASE_ROLES = {
    Role.FRONT_DOOR,
    Role.PRACTITIONER,
    Role.TEAM_MANAGER,
    Role.SERVICE_MANAGER,
    Role.ANALYST,
    Role.PARTNERSHIP_LEAD,
}
REVIEWERS = {Role.PARTNERSHIP_LEAD, Role.DATA_PROTECTION_OFFICER}
REASON = "Child missing tonight; the people named on the record cannot be reached before morning."


@pytest.fixture
def grid(db):
    """One user for every role in every kind of agency."""
    return {
        (role, kind): UserFactory(username=f"bgr-{role}-{kind}", role=role, agency=AgencyFactory(kind=kind))
        for role, kind in itertools.product(Role.values, AgencyKind.values)
    }


@pytest.fixture
def restricted(grid):
    """A children's social care case restricted to its owner, a practitioner there."""
    owner = grid[Role.PRACTITIONER, AgencyKind.CSC]
    case = services.case_open(actor=owner, subject_name="Jade Example", lead_agency=owner.agency, owner=owner)
    return services.case_restrict(
        actor=owner, case=case, to=[owner], reason="A relative works in the police."
    )


def check(grid, rule: str, obj, expected) -> None:
    """Every cell of the grid gives the expected answer."""
    wrong = [
        (role, kind, not ok)
        for (role, kind), user in grid.items()
        if policy.allows(user, rule, obj) != (ok := expected(role, kind, user))
    ]
    assert not wrong, f"{rule}: (role, kind, expected) wrong for {wrong}"


def test_who_may_break_glass(grid, restricted):
    """Every case-work role in every agency may break glass; on this case, all of them but its named owner.
    Reviewers, administrators, records managers and data protection officers never may."""
    owner = restricted.owner
    check(grid, "can_break_glass", None, lambda role, kind, _: role in CASE_ROLES)
    check(
        grid,
        "can_break_glass_into",
        restricted,
        lambda role, kind, user: role in CASE_ROLES and user != owner,
    )


def test_an_unrestricted_case_is_never_broken_into(grid, restricted):
    """Without a restriction the ordinary rules decide who reads a case: nobody breaks into it."""
    restricted.restricted = False
    restricted.save(update_fields=["restricted"])
    check(grid, "can_break_glass_into", restricted, lambda role, kind, _: False)


def test_who_reviews_and_signs_off(grid, restricted):
    """Partnership leads and data protection officers, in any agency, review uses; they sign one off unless it is
    their own."""
    user = grid[Role.PARTNERSHIP_LEAD, AgencyKind.PARTNERSHIP]
    use = breakglass.break_glass_open(actor=user, case=restricted, reason=REASON)
    check(grid, "can_review_break_glass", None, lambda role, kind, _: role in REVIEWERS)
    check(grid, "can_sign_off_break_glass", use, lambda role, kind, who: role in REVIEWERS and who != user)
