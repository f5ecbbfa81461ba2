"""Fixtures for the intake tests: agencies and people in each role, referrals, tasks, and counting what was written."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from lantern.accounts.models import AgencyKind, Role
from lantern.accounts.testing import AgencyFactory, TeamFactory, UserFactory
from lantern.audit.models import AuditEvent
from lantern.casework.models import AgencyTask
from lantern.intake import services
from lantern.intake.models import Channel, IdempotencyKey, PublicReportKey, Referral, ReferralSource
from lantern.intake.schemas import ReferralIn
from lantern.intel.models import PersonMention, PhoneMention, PlaceMention, VehicleMention

# The example body the API must accept as it stands (issue 3).
EXAMPLE_BODY = {
    "source": "professional",
    "summary": "Two girls seen getting into a silver car outside a takeaway at 23:00.",
    "children": [{"name": "Child A", "age": 14}],
    "places": [{"name": "Kebab House, High Street", "type": "takeaway"}],
    "vehicles": [{"registration": "AB12 CDE", "colour": "silver"}],
}


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    """Each test starts with no requests counted against the public pages' limits."""
    cache.clear()
    yield
    cache.clear()


def counts() -> dict[str, int]:
    """How many referrals, mentions, idempotency keys and audit events exist."""
    return {
        model.__name__: model.objects.count()
        for model in (
            Referral,
            PersonMention,
            VehicleMention,
            PhoneMention,
            PlaceMention,
            IdempotencyKey,
            PublicReportKey,
            AuditEvent,
        )
    }


@pytest.fixture
def agency(db):
    """`agency(kind)`: the agency of that kind."""
    return lambda kind: AgencyFactory(kind=kind)


@pytest.fixture
def person(db):
    """`person(role, kind, name=None, team=None)`: a user with that role in the agency of that kind."""
    made = {"n": 0}

    def make(role: str = Role.PRACTITIONER, kind: str = AgencyKind.POLICE, *, team=None, username: str = ""):
        made["n"] += 1
        agency = AgencyFactory(kind=kind)
        return UserFactory(
            username=username or f"{role}-{kind}-{made['n']}",
            role=role,
            agency=agency,
            team=team or TeamFactory(agency=agency, name=f"{agency.name} {role} team"),
        )

    return make


@pytest.fixture
def front_door(person):
    """A front-door (MASH) worker, hosted by children's social care."""
    return person(Role.FRONT_DOOR, AgencyKind.CSC, username="mash-worker")


@pytest.fixture
def police_officer(person):
    """A police practitioner."""
    return person(Role.PRACTITIONER, AgencyKind.POLICE, username="police-officer")


@pytest.fixture
def nurse(person):
    """A health practitioner."""
    return person(Role.PRACTITIONER, AgencyKind.HEALTH, username="school-nurse")


@pytest.fixture
def make_referral(db):
    """`make_referral(actor=..., **overrides)`: a referral created through the service."""

    def make(actor=None, **overrides):
        fields = {
            "source": ReferralSource.PROFESSIONAL if actor else ReferralSource.PUBLIC,
            "summary": "A girl of about 14 was seen getting into a grey car at the allotments after school.",
        }
        fields.update(overrides)
        channel = fields.pop("channel", Channel.WEB if actor else Channel.PUBLIC_FORM)
        received_at = fields.pop("received_at", None)
        referral, _secret = services.referral_create(
            actor=actor, referral=ReferralIn(**fields), channel=channel, received_at=received_at
        )
        return referral

    return make


def add_task(referral, agency, **fields) -> AgencyTask:
    """Give an agency a task on a referral (as casework's routing would)."""
    now = timezone.now()
    return AgencyTask.objects.create(
        referral=referral,
        agency=agency,
        priority=fields.pop("priority", "amber"),
        ack_due_at=fields.pop("ack_due_at", now + timedelta(hours=6)),
        due_at=fields.pop("due_at", now + timedelta(days=10)),
        **fields,
    )
