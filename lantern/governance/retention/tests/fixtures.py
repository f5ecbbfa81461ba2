"""Shared set-up for the retention tests: a records manager and a DPO, and old records holding personal data."""

from datetime import date, datetime, timedelta

import pytest
from django.utils import timezone

from lantern.accounts.models import AgencyKind, Role
from lantern.accounts.testing import AgencyFactory, UserFactory
from lantern.casework.tests.fixtures import LONDON
from lantern.intake.models import Referral, ReferralSource, ReferralStatus
from lantern.intake.schemas import ReferralIn
from lantern.intake.services import referral_create
from lantern.intel.linking.realtime import resolve_report

# What the old referral said, each piece unusual enough to be found anywhere it lingers.
CHILD_NAME = "Zephyrine Quorndale"
CHILD_DOB = date(2004, 3, 17)
SUSPECT_NAME = "Barnaby Wolverleigh"
SUSPECT_NICKNAME = "Wolfie"
PHONE = "07700 900581"
PLATE = "KX09 QZV"
ADDRESS = "17 Larkspur Close"
REPORTER = "Philippa Grindlestone"
NARRATIVE = "Seen getting into a silver car with Barnaby near the Quorndale allotments after school."
SECRETS = (
    CHILD_NAME,
    SUSPECT_NAME,
    SUSPECT_NICKNAME,
    "900581",
    "KX09",
    ADDRESS,
    REPORTER,
    "Quorndale allotments",
)
# Thursday 8 October 2026, 10:00 in London.
TODAY = datetime(2026, 10, 8, 10, 0, tzinfo=LONDON)


def old_referral(actor, *, received_at: datetime, closed: bool = True, summary: str = NARRATIVE) -> Referral:
    """A referral about the child and the man, received `received_at`, closed a month later, and matched."""
    referral, _ = referral_create(
        actor=actor,
        channel="web",
        received_at=received_at,
        referral=ReferralIn(
            source=ReferralSource.PROFESSIONAL,
            summary=summary,
            children=[{"name": CHILD_NAME, "date_of_birth": CHILD_DOB, "address": ADDRESS}],
            persons=[{"name": SUSPECT_NAME, "nickname": SUSPECT_NICKNAME, "age": 34}],
            vehicles=[{"registration": PLATE, "colour": "silver"}],
            phones=[{"number": PHONE}],
            reporter={"name": REPORTER, "contact": "phil@example.org", "relationship": "Neighbour"},
        ),
    )
    if closed:
        Referral.objects.filter(pk=referral.pk).update(
            status=ReferralStatus.CLOSED, closed_at=received_at + timedelta(days=30)
        )
        referral.refresh_from_db()
    resolve_report(referral=referral, now=timezone.now())
    return referral


@pytest.fixture
def governance(people):
    """`people` with a records manager and a data protection officer in the partnership."""
    partnership = AgencyFactory(kind=AgencyKind.PARTNERSHIP)
    people["records"] = UserFactory(username="records", agency=partnership, role=Role.RECORDS_MANAGER)
    people["dpo"] = UserFactory(username="dpo", agency=partnership, role=Role.DATA_PROTECTION_OFFICER)
    return people


@pytest.fixture
def old(governance):
    """A referral received in 2018 and closed, so due for review in 2024 under the six-year default."""
    return old_referral(
        governance[AgencyKind.POLICE, Role.PRACTITIONER],
        received_at=datetime(2018, 2, 1, 9, 0, tzinfo=LONDON),
    )
