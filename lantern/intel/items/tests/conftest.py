"""Fixtures for the intelligence item tests: one person in each part the item rules distinguish."""

import pytest

from lantern.accounts.models import AgencyKind, Role
from lantern.accounts.testing import AgencyFactory, UserFactory
from lantern.intel.items.tests.support import People


@pytest.fixture
def people(db) -> People:
    """One person in each part the intelligence rules distinguish."""
    police, csc = AgencyFactory(kind=AgencyKind.POLICE), AgencyFactory(kind=AgencyKind.CSC)
    health, partnership = AgencyFactory(kind=AgencyKind.HEALTH), AgencyFactory(kind=AgencyKind.PARTNERSHIP)
    found = People()
    found["analyst"] = UserFactory(username="police.analyst", agency=police, role=Role.ANALYST)
    found["officer"] = UserFactory(username="police.officer", agency=police, role=Role.PRACTITIONER)
    found["police_manager"] = UserFactory(username="police.manager", agency=police, role=Role.TEAM_MANAGER)
    found["police_front_door"] = UserFactory(username="police.mash", agency=police, role=Role.FRONT_DOOR)
    found["csc"] = UserFactory(username="csc.worker", agency=csc, role=Role.PRACTITIONER)
    found["csc_other"] = UserFactory(username="csc.other", agency=csc, role=Role.PRACTITIONER)
    found["health"] = UserFactory(username="health.nurse", agency=health, role=Role.PRACTITIONER)
    found["partnership_analyst"] = UserFactory(username="p.analyst", agency=partnership, role=Role.ANALYST)
    found["lead"] = UserFactory(username="lead", agency=partnership, role=Role.PARTNERSHIP_LEAD)
    found["admin"] = UserFactory(username="admin", agency=partnership, role=Role.SYSTEM_ADMIN)
    found["reviewer"] = UserFactory(username="reviewer", agency=partnership, role=Role.REVIEWER)
    return found
