"""Fixtures for the subject access tests: a data protection officer and a records manager, and a child whose
records linking has joined up, among other people's."""

import datetime as dt

import pytest
from django.utils import timezone

from lantern.accounts.models import AgencyKind, Role
from lantern.accounts.testing import AgencyFactory, UserFactory
from lantern.casework.timescales import referral_decision_due
from lantern.intake.models import Referral
from lantern.intel.items.models import IntelligenceItem
from lantern.intel.linking.models import Entity, EntityKind, PersonMention

BORN = dt.date(2011, 4, 5)


def _referral(reference: str, summary: str, days_ago: int, **extra) -> Referral:
    received = timezone.now() - dt.timedelta(days=days_ago)
    return Referral.objects.create(
        reference=reference,
        source="professional",
        summary=summary,
        received_at=received,
        decision_due_at=referral_decision_due(received),
        **extra,
    )


@pytest.fixture
def sar_world(db):
    """The world of `build_world`."""
    return build_world()


def build_world() -> dict:
    """Staff, the subject Jade Robson (one entity across two referrals and an item, once under a nickname),
    the man of concern and the reporter named beside her, and a namesake born in another year."""
    partnership = AgencyFactory(kind=AgencyKind.PARTNERSHIP)
    police = AgencyFactory(kind=AgencyKind.POLICE)
    world = {
        "dpo": UserFactory(username="dpo", agency=partnership, role=Role.DATA_PROTECTION_OFFICER),
        "dpo2": UserFactory(username="dpo2", agency=partnership, role=Role.DATA_PROTECTION_OFFICER),
        "records": UserFactory(username="records.manager", agency=partnership, role=Role.RECORDS_MANAGER),
        "practitioner": UserFactory(username="pc", agency=police, role=Role.PRACTITIONER),
        "lead": UserFactory(username="lead", agency=partnership, role=Role.PARTNERSHIP_LEAD),
        "admin": UserFactory(username="admin", agency=partnership, role=Role.SYSTEM_ADMIN),
    }
    jade = Entity.objects.create(kind=EntityKind.PERSON, label="Jade Robson")
    darren = Entity.objects.create(kind=EntityKind.PERSON, label="Darren Kell")
    first = _referral(
        "RIV-T-00001",
        "Jade Robson was seen getting into a silver car with Darren Kell outside the takeaway.",
        40,
        reporter_name="Sandra Pike",
        reporter_relationship="Neighbour",
        incident_location="Mill Street",
    )
    PersonMention.objects.create(
        referral=first, role="child", name="Jade Robson", date_of_birth=BORN, entity=jade
    )
    PersonMention.objects.create(
        referral=first, role="person_of_concern", name="Darren Kell", age=34, entity=darren, position=1
    )
    second = _referral("RIV-T-00002", "Jaz missed school again; Darren Kell collected her at lunch.", 20)
    PersonMention.objects.create(referral=second, role="child", nickname="Jaz", age=15, entity=jade)
    PersonMention.objects.create(referral=second, role="person_of_concern", name="Darren Kell", entity=darren)
    namesake = _referral("RIV-T-00003", "Another Jade Robson, older, reported missing.", 10)
    PersonMention.objects.create(
        referral=namesake, role="child", name="Jade Robson", date_of_birth=dt.date(2008, 1, 1)
    )
    item = IntelligenceItem.objects.create(
        reference="RIV-I-00001",
        agency=police,
        submitted_at=timezone.now() - dt.timedelta(days=15),
        summary="Girl in Darren Kell's car",
        content="Jade Robson was seen in the back of a silver Astra driven by Darren Kell.",
    )
    PersonMention.objects.create(item=item, role="child", name="Jade Robson", entity=jade)
    PersonMention.objects.create(item=item, role="person_of_concern", name="Darren Kell", entity=darren)
    world.update(jade=jade, first=first, second=second, namesake=namesake, item=item)
    return world


def record_request(world, *, actor=None, received_on=None, **extra):
    """A request about Jade Robson recorded through the service."""
    from lantern.governance.subject_access import services

    fields = {
        "subject_name": "Jade Robson",
        "subject_date_of_birth": BORN,
        "requester_kind": "subject",
        "requester_name": "Jade Robson",
        "identity_method": "photo_id",
        "what_is_asked": "Everything you hold about me.",
        "received_on": received_on or timezone.localdate() - dt.timedelta(days=3),
    }
    fields.update(extra)
    return services.subject_access_request_record(actor=actor or world["dpo"], **fields)
