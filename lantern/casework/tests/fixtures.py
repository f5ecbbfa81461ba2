"""Fixtures for the case-work tests: a small partnership with people in each role, and referrals routed to tasks."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from lantern.accounts.models import AgencyKind, Role
from lantern.accounts.testing import AgencyFactory, UserFactory
from lantern.casework.timescales import referral_decision_due
from lantern.frontdoor import services as decisions
from lantern.intake.models import DecisionKind, Referral
from lantern.intel.models import PersonMention

LONDON = ZoneInfo("Europe/London")
KINDS = (AgencyKind.CSC, AgencyKind.POLICE, AgencyKind.HEALTH, AgencyKind.EDUCATION, AgencyKind.LICENSING)


class People(dict):
    """People by key: `people[kind, role]` for agency staff, plus "front_door", "lead", "admin", "reviewer"."""

    def agency(self, kind: str):
        """The agency of a kind."""
        return AgencyFactory(kind=kind)


@pytest.fixture
def people(db) -> People:
    """Practitioners, team managers and service managers in each agency; a front-door worker in social care; a
    partnership lead, a system administrator and an independent reviewer in the partnership."""
    found = People()
    for kind in KINDS:
        agency = AgencyFactory(kind=kind)
        for role in (Role.PRACTITIONER, Role.TEAM_MANAGER, Role.SERVICE_MANAGER):
            found[kind, role] = UserFactory(username=f"{kind}-{role}", agency=agency, role=role)
    partnership = AgencyFactory(kind=AgencyKind.PARTNERSHIP)
    found["front_door"] = UserFactory(
        username="mash", agency=AgencyFactory(kind=AgencyKind.CSC), role=Role.FRONT_DOOR
    )
    found["lead"] = UserFactory(username="lead", agency=partnership, role=Role.PARTNERSHIP_LEAD)
    found["admin"] = UserFactory(username="admin", agency=partnership, role=Role.SYSTEM_ADMIN)
    found["reviewer"] = UserFactory(username="reviewer", agency=partnership, role=Role.REVIEWER)
    return found


_counter = {"n": 0}


def make_referral(received_at: datetime, *, child: str = "Child A", age: int = 14, **extra) -> Referral:
    """A referral as intake would create it, about one child."""
    _counter["n"] += 1
    referral = Referral.objects.create(
        reference=f"RIV-T-{_counter['n']:05d}",
        source="professional",
        summary="Girl seen getting into cars with older men outside the takeaway.",
        received_at=received_at,
        decision_due_at=referral_decision_due(received_at),
        **extra,
    )
    PersonMention.objects.create(referral=referral, role="child", name=child, age=age)
    return referral


def route(
    people: People,
    *,
    kinds=(AgencyKind.POLICE, AgencyKind.CSC),
    priority: str = "amber",
    received_at: datetime | None = None,
    kind: str = DecisionKind.REFER_AGENCIES,
    child: str = "Child A",
):
    """A referral decided by the front door and routed to agencies: returns (referral, case, {kind: task})."""
    received_at = received_at or timezone.now() - timedelta(hours=1)
    referral = make_referral(received_at, child=child)
    decisions.referral_decide(
        actor=people["front_door"],
        referral=referral,
        kind=kind,
        rationale="Concern about exploitation.",
        priority=priority,
        agencies=[people.agency(k) for k in kinds],
        now=received_at,
    )
    tasks = {t.agency.kind: t for t in referral.tasks.select_related("agency", "case")}
    case = referral.cases.get()
    return referral, case, tasks


@pytest.fixture
def routed(people):
    """A referral routed to the police and children's social care an hour ago, with its case and tasks."""
    return route(people)
