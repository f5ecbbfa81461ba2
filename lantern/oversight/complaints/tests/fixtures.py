"""Shared set-up for the complaints and conduct tests: the case-work partnership, a routed referral, and helpers
that record a complaint or a conduct matter through the services."""

from datetime import datetime

from django.utils import timezone

from lantern.accounts.models import AgencyKind, Role
from lantern.casework.tests.fixtures import LONDON, People
from lantern.oversight.complaints import services as complaints
from lantern.oversight.complaints.models import ComplainantType

POLICE, CSC, HEALTH = AgencyKind.POLICE, AgencyKind.CSC, AgencyKind.HEALTH
PRACTITIONER, TEAM_MANAGER, SERVICE_MANAGER = Role.PRACTITIONER, Role.TEAM_MANAGER, Role.SERVICE_MANAGER
# Monday 7 September 2026, 10:00 in London: a full working week follows.
MONDAY = datetime(2026, 9, 7, 10, 0, tzinfo=LONDON)


def record_complaint(
    people: People,
    *,
    agency_kind: str = POLICE,
    actor=None,
    received_at=None,
    now=None,
    referrals=(),
    tasks=(),
):
    """A complaint from a reporter about the agency of `agency_kind`, recorded by its practitioner."""
    actor = actor or people[agency_kind, PRACTITIONER]
    now = now or timezone.now()
    return complaints.complaint_record(
        actor=actor,
        complainant_type=ComplainantType.REPORTER,
        complainant_name="Jo Complainant",
        complainant_contact="jo@example.org",
        account="Nobody called me back after I reported the cars.",
        agency=people.agency(agency_kind),
        received_at=received_at or now,
        referrals=referrals,
        tasks=tasks,
        now=now,
    )


def record_matter(people: People, *, subject=None, actor=None, now=None):
    """A conduct matter about the police practitioner, recorded by the police service manager."""
    return complaints.conduct_matter_record(
        actor=actor or people[POLICE, SERVICE_MANAGER],
        subject=subject or people[POLICE, PRACTITIONER],
        allegation="Told a parent the referral was 'not worth the paperwork' and closed it without enquiries.",
        now=now,
    )
