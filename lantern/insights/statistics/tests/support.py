"""Helpers for the statistics, hotspot and publication tests: referrals written straight to the tables, so a test
can place them in any month, from any source, with any places and times."""

import itertools
from datetime import datetime, timedelta

from lantern.accounts.models import AgencyKind
from lantern.accounts.testing import AgencyFactory
from lantern.casework.models import AgencyTask, TaskOutcome, TaskStatus
from lantern.core.calendar import LONDON
from lantern.intake.models import Referral
from lantern.intel.models import PersonMention, PlaceMention

_numbers = itertools.count(1)


def at(year: int, month: int, day: int = 10, hour: int = 12) -> datetime:
    """A moment in London time."""
    return datetime(year, month, day, hour, tzinfo=LONDON)


def agency(kind: str = AgencyKind.POLICE):
    """The agency of a kind (one per kind per test)."""
    from lantern.accounts.models import Agency

    return Agency.objects.filter(kind=kind).first() or AgencyFactory(kind=kind)


def referral(
    received_at: datetime,
    *,
    source: str = "professional",
    kind: str | None = AgencyKind.POLICE,
    risk: str = "low",
    incident_at: datetime | None = None,
    children=(),
    persons=(),
    places=(),
    crime: bool = False,
) -> Referral:
    """A referral with the given people (names), places ((name, type, lat, lon)) and, if `crime`, a police task
    completed as "Crime recorded" a day later."""
    number = next(_numbers)
    made = Referral.objects.create(
        reference=f"RIV-S-{number:06d}",
        source=source,
        summary="A concern.",
        received_at=received_at,
        decision_due_at=received_at + timedelta(days=1),
        risk_level=risk,
        incident_at=incident_at,
        referrer_agency=agency(kind) if source == "professional" and kind else None,
    )
    for name in children:
        PersonMention.objects.create(referral=made, role="child", name=name)
    for name in persons:
        PersonMention.objects.create(referral=made, role="person_of_concern", name=name)
    for name, place_type, lat, lon in places:
        PlaceMention.objects.create(
            referral=made, name=name, place_type=place_type, latitude=lat, longitude=lon
        )
    if crime:
        AgencyTask.objects.create(
            referral=made,
            agency=agency(AgencyKind.POLICE),
            priority="amber",
            ack_due_at=received_at,
            due_at=received_at + timedelta(days=5),
            status=TaskStatus.COMPLETED,
            completed_at=received_at + timedelta(days=1),
            outcome=TaskOutcome.CRIME_RECORDED,
        )
    return made
