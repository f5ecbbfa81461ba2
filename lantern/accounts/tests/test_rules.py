"""The accounts app's own rules as a matrix of role × agency × whose record."""

import itertools

import pytest

from lantern.accounts import services
from lantern.accounts.models import AgencyKind, Role
from lantern.accounts.testing import AgencyFactory, TeamFactory, UserFactory
from lantern.core import policy

COVERED_RULES = {"can_revoke_api_token", "can_manage_team_resourcing"}


@pytest.mark.django_db
@pytest.mark.parametrize("owner", [True, False])
def test_revoke_api_token_matrix(owner):
    """Only a token's owner may revoke it, whatever their role or agency (administrators included)."""
    holder = UserFactory(username="holder", agency=AgencyFactory(kind=AgencyKind.CSC))
    token, _ = services.api_token_issue(actor=None, user=holder)
    for role, kind in itertools.product(Role.values, AgencyKind.values):
        if owner:
            holder.role = role
            holder.agency = AgencyFactory(kind=kind)
            actor = holder
        else:
            actor = UserFactory(username=f"{role}-{kind}", role=role, agency=AgencyFactory(kind=kind))
        assert policy.allows(actor, "can_revoke_api_token", token) == owner, (role, kind)


@pytest.mark.django_db
def test_manage_team_resourcing_matrix():
    """A team's training register and staffing: its agency's team and service managers and the partnership lead."""
    team = TeamFactory(agency=AgencyFactory(kind=AgencyKind.CSC), name="Child Exploitation Team")
    for role, kind in itertools.product(Role.values, AgencyKind.values):
        actor = UserFactory(username=f"{role}-{kind}", role=role, agency=AgencyFactory(kind=kind))
        expected = role == Role.PARTNERSHIP_LEAD or (
            role in (Role.TEAM_MANAGER, Role.SERVICE_MANAGER) and kind == AgencyKind.CSC
        )
        assert policy.allows(actor, "can_manage_team_resourcing", team) == expected, (role, kind)
