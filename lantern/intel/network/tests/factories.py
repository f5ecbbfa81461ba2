"""Factories for the network tests: entities, associations, and reports that mention entities.

Resolution (another module) normally creates entities and associations; these tests make them directly.
"""

from datetime import datetime, timedelta

import factory
from django.utils import timezone

from lantern.accounts.models import AgencyKind, Role
from lantern.accounts.testing import AgencyFactory, UserFactory
from lantern.casework.timescales import referral_decision_due
from lantern.core.normalise import normalise_phone, normalise_registration
from lantern.intake.models import Referral
from lantern.intel.models import (
    Association,
    AssociationKind,
    Entity,
    EntityKind,
    IntelligenceItem,
    PersonMention,
    PhoneMention,
    PlaceMention,
    VehicleMention,
)


class EntityFactory(factory.django.DjangoModelFactory):
    """An entity of a kind (a person unless told)."""

    class Meta:
        model = Entity

    kind = EntityKind.PERSON
    label = factory.Sequence(lambda n: f"Entity {n}")


class AssociationFactory(factory.django.DjangoModelFactory):
    """A co-mention edge between two entities."""

    class Meta:
        model = Association

    source = factory.SubFactory(EntityFactory)
    target = factory.SubFactory(EntityFactory)
    kind = AssociationKind.CO_MENTION
    weight = 1


def link(a: Entity, b: Entity, kind: str = AssociationKind.CO_MENTION, **extra) -> Association:
    """Associate two entities."""
    return AssociationFactory(source=a, target=b, kind=kind, **extra)


def chain(*entities: Entity) -> None:
    """Associate each entity with the next."""
    for a, b in zip(entities, entities[1:], strict=False):
        link(a, b)


_counter = {"n": 0}


def referral_mentioning(
    *,
    received_at: datetime | None = None,
    agency=None,
    source: str = "professional",
    people=(),
    vehicles=(),
    phones=(),
    places=(),
) -> Referral:
    """A referral from `agency` (None for a public report) mentioning entities.

    `people` is a list of (entity, role); vehicles, phones and places are lists of (entity, text).
    """
    _counter["n"] += 1
    received_at = received_at or timezone.now()
    referral = Referral.objects.create(
        reference=f"RIV-N-{_counter['n']:05d}",
        source=source if agency is not None else "public",
        summary="Concern about a child getting into cars.",
        received_at=received_at,
        decision_due_at=referral_decision_due(received_at),
        referrer_agency=agency,
    )
    for position, (entity, role) in enumerate(people):
        PersonMention.objects.create(
            referral=referral, entity=entity, role=role, name=entity.label, position=position
        )
    for entity, mark in vehicles:
        registration = normalise_registration(mark)
        VehicleMention.objects.create(
            referral=referral,
            entity=entity,
            registration=mark,
            registration_normalised=registration.normalised,
            registration_partial=registration.partial,
            registration_status=registration.status,
        )
    for entity, number in phones:
        phone = normalise_phone(number)
        PhoneMention.objects.create(
            referral=referral,
            entity=entity,
            number=number,
            number_e164=phone.normalised,
            number_status=phone.status,
        )
    for entity, name in places:
        PlaceMention.objects.create(referral=referral, entity=entity, name=name)
    return referral


def item_mentioning(*, agency, submitted_at: datetime, people=()) -> IntelligenceItem:
    """An intelligence item from `agency` mentioning people; its content is secret and must never be exported."""
    _counter["n"] += 1
    item = IntelligenceItem.objects.create(
        reference=f"INT-N-{_counter['n']:05d}",
        agency=agency,
        submitted_at=submitted_at,
        summary="Sighting",
        content="SECRET-CONTENT the informant saw him at the flat.",
        sanitised_text="SANITISED-TEXT seen at a flat.",
    )
    for entity, role in people:
        PersonMention.objects.create(item=item, entity=entity, role=role, name=entity.label)
    return item


def network_people() -> dict:
    """An analyst and a practitioner in the police, a social care practitioner, the partnership lead, an
    administrator and a reviewer."""
    police = AgencyFactory(kind=AgencyKind.POLICE)
    csc = AgencyFactory(kind=AgencyKind.CSC)
    partnership = AgencyFactory(kind=AgencyKind.PARTNERSHIP)
    return {
        "analyst": UserFactory(username="analyst", agency=police, role=Role.ANALYST),
        "officer": UserFactory(username="officer", agency=police, role=Role.PRACTITIONER),
        "social_worker": UserFactory(username="social.worker", agency=csc, role=Role.PRACTITIONER),
        "lead": UserFactory(username="lead", agency=partnership, role=Role.PARTNERSHIP_LEAD),
        "admin": UserFactory(username="admin", agency=partnership, role=Role.SYSTEM_ADMIN),
        "reviewer": UserFactory(username="reviewer", agency=partnership, role=Role.REVIEWER),
    }


def planted_network(people: dict) -> dict:
    """A small network: a child, a person of concern known as Daz, his car AB12 CDE, his phone, another man who
    shares the phone, and the takeaway where the other man was seen; a partly seen car AB12 C??; a report the
    social worker made about the takeaway; and a police intelligence item about Daz whose content is secret.
    """
    school = AgencyFactory(kind=AgencyKind.EDUCATION)
    police = people["analyst"].agency
    now = timezone.now()
    child = EntityFactory(label="Child C")
    daz = EntityFactory(label="Darren Smith", owner=people["analyst"])
    car = EntityFactory(kind=EntityKind.VEHICLE, label="AB12 CDE")
    partial_car = EntityFactory(kind=EntityKind.VEHICLE, label="AB12 C??")
    phone = EntityFactory(kind=EntityKind.PHONE, label="07700 900982")
    other = EntityFactory(label="Other Man")
    takeaway = EntityFactory(kind=EntityKind.PLACE, label="Riverside takeaway")
    school_report = referral_mentioning(
        received_at=now.replace(day=1) - timedelta(days=40),
        agency=school,
        people=[(child, "child"), (daz, "person_of_concern")],
        vehicles=[(car, "AB12 CDE")],
    )
    PersonMention.objects.filter(referral=school_report, entity=daz).update(nickname="Daz")
    police_report = referral_mentioning(
        received_at=now - timedelta(days=3),
        agency=police,
        people=[(daz, "person_of_concern")],
        phones=[(phone, "07700 900982")],
        vehicles=[(partial_car, "AB12 C??")],
    )
    public_report = referral_mentioning(
        received_at=now - timedelta(days=2),
        agency=None,
        people=[(other, "person_of_concern")],
        phones=[(phone, "07700900982")],
        places=[(takeaway, "Riverside takeaway")],
    )
    social_worker_report = referral_mentioning(
        received_at=now - timedelta(days=1),
        agency=people["social_worker"].agency,
        places=[(takeaway, "the takeaway on Riverside")],
    )
    Referral.objects.filter(pk=social_worker_report.pk).update(referrer=people["social_worker"])
    item = item_mentioning(
        agency=police, submitted_at=now - timedelta(hours=5), people=[(daz, "person_of_concern")]
    )
    link(child, daz, weight=1, last_seen=school_report.received_at)
    link(child, car)
    link(daz, car)
    link(daz, phone, weight=2)
    link(other, phone, kind=AssociationKind.SHARED_PHONE)
    link(other, takeaway)
    link(daz, partial_car)
    return {
        "child": child,
        "daz": daz,
        "car": car,
        "partial_car": partial_car,
        "phone": phone,
        "other": other,
        "takeaway": takeaway,
        "school": school,
        "school_report": school_report,
        "police_report": police_report,
        "public_report": public_report,
        "social_worker_report": social_worker_report,
        "item": item,
    }
