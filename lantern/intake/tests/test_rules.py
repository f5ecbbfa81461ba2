"""The referral rules as a matrix of role × agency × relationship to the referral, and the selector agreeing."""

import itertools

import pytest
from django.utils import timezone

from lantern.accounts.models import AgencyKind, Role
from lantern.accounts.testing import AgencyFactory, TeamFactory, UserFactory
from lantern.core import policy
from lantern.intake.models import Referral
from lantern.intake.selectors import referral_get_for_user, referral_list_visible_to
from lantern.intake.tests.conftest import add_task

COVERED_RULES = ["can_create_referral", "can_list_referrals", "can_view_referral", "can_view_all_referrals"]

CASE_ROLES = {
    Role.FRONT_DOOR,
    Role.PRACTITIONER,
    Role.TEAM_MANAGER,
    Role.SERVICE_MANAGER,
    Role.ANALYST,
    Role.PARTNERSHIP_LEAD,
}
SEES_ALL = {Role.FRONT_DOOR, Role.ANALYST, Role.PARTNERSHIP_LEAD}
# How the user stands to the referral.
UNRELATED, AGENCY_TASK, REFERRED, RESTRICTED_NAMED, RESTRICTED_OTHER = (
    "unrelated",
    "agency_task",
    "referred",
    "restricted_named",
    "restricted_other",
)


def expected(role: str, relation: str) -> bool:
    """The pinned answer for can_view_referral. A change here is a policy change."""
    if role not in CASE_ROLES:
        return False
    if relation == RESTRICTED_NAMED:
        return True
    if relation == RESTRICTED_OTHER:
        return False
    return role in SEES_ALL or relation in (AGENCY_TASK, REFERRED)


_numbers = itertools.count(1)


def _referral(**fields) -> Referral:
    now = timezone.now()
    return Referral.objects.create(
        reference=f"TEST-{next(_numbers):06d}",
        source="professional",
        summary="Synthetic concern.",
        received_at=now,
        decision_due_at=now,
        **fields,
    )


@pytest.fixture
def matrix(db):
    """Every role in every kind of agency (each in a team of their own), and referrals standing in each relation."""
    users = {}
    for role, kind in itertools.product(Role.values, AgencyKind.values):
        agency = AgencyFactory(kind=kind)
        users[role, kind] = UserFactory(
            username=f"{role}-{kind}",
            role=role,
            agency=agency,
            team=TeamFactory(agency=agency, name=f"{role} team"),
        )
    outsider = UserFactory(
        username="outsider",
        role=Role.PRACTITIONER,
        agency=AgencyFactory(kind=AgencyKind.VOLUNTARY),
        team=TeamFactory(agency=AgencyFactory(kind=AgencyKind.VOLUNTARY), name="outsiders"),
    )
    unrelated = _referral(referrer=outsider)
    by_agency = {}
    for kind in AgencyKind.values:
        by_agency[kind] = _referral(referrer=outsider)
        add_task(by_agency[kind], AgencyFactory(kind=kind))
    restricted_named = _referral(referrer=outsider, restricted=True)
    restricted_named.restricted_to.set(users.values())
    restricted_other = _referral(referrer=outsider, restricted=True)
    for kind in AgencyKind.values:
        add_task(restricted_other, AgencyFactory(kind=kind))
    referred = {key: _referral(referrer=user, referrer_agency=user.agency) for key, user in users.items()}
    return users, unrelated, by_agency, restricted_named, restricted_other, referred


@pytest.mark.django_db
@pytest.mark.parametrize("rule", ["can_create_referral", "can_list_referrals"])
def test_create_and_list_are_for_case_work_roles(rule):
    """Every case-work role in every agency may create and list referrals; reviewers and administrators may not."""
    for role, kind in itertools.product(Role.values, AgencyKind.values):
        user = UserFactory(username=f"{rule}-{role}-{kind}", role=role, agency=AgencyFactory(kind=kind))
        assert policy.allows(user, rule) == (role in CASE_ROLES), (rule, role, kind)


def test_view_referral_matrix(matrix):
    """role × agency × relation: exactly the pinned answer, and the selector shows exactly the allowed referrals."""
    users, unrelated, by_agency, restricted_named, restricted_other, referred = matrix
    everything = set(Referral.objects.all())
    for (role, kind), user in users.items():
        cases = {
            UNRELATED: unrelated,
            AGENCY_TASK: by_agency[kind],
            REFERRED: referred[role, kind],
            RESTRICTED_NAMED: restricted_named,
            RESTRICTED_OTHER: restricted_other,
        }
        for relation, referral in cases.items():
            assert policy.allows(user, "can_view_referral", referral) == expected(role, relation), (
                role,
                kind,
                relation,
            )
        allowed = {r for r in everything if policy.allows(user, "can_view_referral", r)}
        assert set(referral_list_visible_to(user=user)) == allowed, (role, kind)
        assert policy.allows(user, "can_view_all_referrals") == (role in SEES_ALL), (role, kind)


@pytest.mark.django_db
def test_a_front_door_team_manager_sees_every_referral():
    """A team manager whose team has a front-door worker sees all; another team manager in that agency does not."""
    csc = AgencyFactory(kind=AgencyKind.CSC)
    mash, other = TeamFactory(agency=csc, name="MASH"), TeamFactory(agency=csc, name="Locality team")
    UserFactory(username="mash-worker", role=Role.FRONT_DOOR, agency=csc, team=mash)
    mash_manager = UserFactory(username="mash-manager", role=Role.TEAM_MANAGER, agency=csc, team=mash)
    locality_manager = UserFactory(
        username="locality-manager", role=Role.TEAM_MANAGER, agency=csc, team=other
    )
    referral = _referral()
    assert policy.allows(mash_manager, "can_view_referral", referral)
    assert policy.allows(mash_manager, "can_view_all_referrals")
    assert list(referral_list_visible_to(user=mash_manager)) == [referral]
    assert not policy.allows(locality_manager, "can_view_referral", referral)
    assert not referral_list_visible_to(user=locality_manager).exists()


@pytest.mark.django_db
def test_get_for_user_is_404_for_hidden_and_missing_alike():
    """The selector's single read refuses a hidden referral exactly as a missing one."""
    from django.http import Http404

    nurse = UserFactory(
        username="nurse", role=Role.PRACTITIONER, agency=AgencyFactory(kind=AgencyKind.HEALTH)
    )
    referral = _referral()
    for referral_id in (referral.pk, referral.pk + 1, "not-a-number"):
        with pytest.raises(Http404):
            referral_get_for_user(user=nurse, referral_id=referral_id)
    add_task(referral, nurse.agency)
    assert referral_get_for_user(user=nurse, referral_id=referral.pk) == referral


@pytest.mark.django_db
def test_deactivated_users_see_nothing():
    """A deactivated front-door worker is refused every referral rule."""
    worker = UserFactory(username="gone", role=Role.FRONT_DOOR, agency=AgencyFactory(kind=AgencyKind.CSC))
    worker.is_active = False
    referral = _referral()
    for rule in COVERED_RULES:
        assert not policy.allows(worker, rule, referral if rule == "can_view_referral" else None)
    assert not referral_list_visible_to(user=worker).exists()
