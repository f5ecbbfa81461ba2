"""The intelligence item rules as a matrix of role × agency × relation to the item, and the selector agreeing."""

import itertools

import pytest

from lantern.accounts.models import AgencyKind, Role
from lantern.accounts.testing import AgencyFactory, UserFactory
from lantern.core import policy
from lantern.intel.items import services as items
from lantern.intel.items.schemas import IntelItemIn
from lantern.intel.items.selectors import item_list_visible_to
from lantern.intel.items.tests.support import grade
from lantern.intel.models import HandlingCode, IntelligenceItem, ItemStatus

COVERED_RULES = [
    "can_submit_intel_item",
    "can_list_intel_items",
    "can_view_intel_item",
    "can_view_intel_item_content",
    "can_view_intel_source",
    "can_grade_intel_item",
    "can_disclose_intel_item",
]

CASE_ROLES = {
    Role.FRONT_DOOR,
    Role.PRACTITIONER,
    Role.TEAM_MANAGER,
    Role.SERVICE_MANAGER,
    Role.ANALYST,
    Role.PARTNERSHIP_LEAD,
}
INTEL_ROLES = {Role.ANALYST, Role.PRACTITIONER}
# How the user stands to the item.
OWN_UNGRADED, OTHER_UNGRADED, GRADED_P, GRADED_C, GRADED_C_DISCLOSED, LEGACY_ONLY = (
    "own_ungraded",
    "other_ungraded",
    "graded_p",
    "graded_c",
    "graded_c_disclosed",
    "legacy_only",
)
RELATIONS = (OWN_UNGRADED, OTHER_UNGRADED, GRADED_P, GRADED_C, GRADED_C_DISCLOSED, LEGACY_ONLY)


def police_intel(role, kind) -> bool:
    """Police analysts and practitioners: the police intelligence roles."""
    return kind == AgencyKind.POLICE and role in INTEL_ROLES


def expected(rule: str, role: str, kind: str, relation: str) -> bool:
    """The pinned answer for each rule about an item. A change here is a policy change."""
    case_worker = role in CASE_ROLES
    graded = relation in (GRADED_P, GRADED_C, GRADED_C_DISCLOSED, LEGACY_ONLY)
    own = relation == OWN_UNGRADED
    if rule == "can_view_intel_item":
        if not case_worker:
            return False
        if police_intel(role, kind) or own or (graded and kind == AgencyKind.POLICE):
            return True
        if relation == GRADED_P and role in (Role.ANALYST, Role.PARTNERSHIP_LEAD):
            return True
        return relation == GRADED_C_DISCLOSED  # disclosed to every agency kind in the fixture
    if rule == "can_view_intel_item_content":
        return case_worker and (police_intel(role, kind) or own)
    if rule in ("can_view_intel_source", "can_grade_intel_item"):
        return police_intel(role, kind)
    if rule == "can_disclose_intel_item":
        return police_intel(role, kind) and relation in (GRADED_P, GRADED_C, GRADED_C_DISCLOSED)
    raise AssertionError(rule)


@pytest.fixture
def matrix(db):
    """Every role in every kind of agency, and an item standing in each relation to each of them."""
    users = {}
    for role, kind in itertools.product(Role.values, AgencyKind.values):
        users[role, kind] = UserFactory(username=f"{role}-{kind}", role=role, agency=AgencyFactory(kind=kind))
    analyst = UserFactory(username="grader", role=Role.ANALYST, agency=AgencyFactory(kind=AgencyKind.POLICE))
    outsider = UserFactory(
        username="outsider", role=Role.PRACTITIONER, agency=AgencyFactory(kind=AgencyKind.HEALTH)
    )

    def new(actor):
        return items.item_submit(
            actor=actor, item=IntelItemIn(summary="Synthetic item", content="Synthetic content.")
        )

    found = {
        OTHER_UNGRADED: new(outsider),
        GRADED_P: grade(new(outsider), analyst),
        GRADED_C: grade(new(outsider), analyst, handling=HandlingCode.CONDITIONS),
        GRADED_C_DISCLOSED: grade(new(outsider), analyst, handling=HandlingCode.CONDITIONS),
    }
    for kind in AgencyKind.values:
        items.item_disclose(
            actor=analyst,
            item=found[GRADED_C_DISCLOSED],
            recipient_agency=AgencyFactory(kind=kind),
            purpose="Strategy discussion.",
            conditions_acknowledged=True,
        )
    legacy = new(outsider)
    IntelligenceItem.objects.filter(pk=legacy.pk).update(
        imported=True,
        status=ItemStatus.GRADED,
        legacy_source_evaluation="B",
        legacy_intelligence_evaluation="2",
        legacy_handling_code="1",
        sanitised_text="Sanitised.",
    )
    found[LEGACY_ONLY] = IntelligenceItem.objects.get(pk=legacy.pk)
    own = {}
    for key, user in users.items():
        if policy.allows(user, "can_submit_intel_item"):
            own[key] = new(user)
    return users, found, own


@pytest.mark.django_db
@pytest.mark.parametrize("rule", ["can_submit_intel_item", "can_list_intel_items"])
def test_submit_and_list_are_for_case_work_roles_in_every_agency(rule):
    """Any case worker of any partner agency may submit and list intelligence; reviewers and administrators not."""
    for role, kind in itertools.product(Role.values, AgencyKind.values):
        user = UserFactory(username=f"{rule}-{role}-{kind}", role=role, agency=AgencyFactory(kind=kind))
        assert policy.allows(user, rule) == (role in CASE_ROLES), (rule, role, kind)


ITEM_RULES = (
    "can_view_intel_item",
    "can_view_intel_item_content",
    "can_view_intel_source",
    "can_grade_intel_item",
    "can_disclose_intel_item",
)


@pytest.mark.django_db
def test_item_rule_matrix_and_the_list_selector_agreeing(matrix):
    """Every role in every agency kind gets exactly the pinned answer for each rule about an item in each
    relation, and the list shows exactly the items the view rule allows (one set-up for both: it is costly)."""
    users, found, own = matrix
    for rule, ((role, kind), user), relation in itertools.product(ITEM_RULES, users.items(), RELATIONS):
        if relation == OWN_UNGRADED:
            if (role, kind) not in own:
                continue
            item = own[role, kind]
        else:
            item = found[relation]
        assert policy.allows(user, rule, item) == expected(rule, role, kind, relation), (
            rule,
            role,
            kind,
            relation,
        )
    every = list(IntelligenceItem.objects.all())
    for (role, kind), user in users.items():
        listed = set(item_list_visible_to(user=user).values_list("pk", flat=True))
        allowed = {item.pk for item in every if policy.allows(user, "can_view_intel_item", item)}
        assert listed == allowed, (role, kind)


@pytest.mark.django_db
def test_withdrawn_items_cannot_be_graded():
    """A withdrawn item is no longer graded by anyone."""
    analyst = UserFactory(username="grader", role=Role.ANALYST, agency=AgencyFactory(kind=AgencyKind.POLICE))
    item = items.item_submit(
        actor=analyst, item=IntelItemIn(summary="Synthetic item", content="Synthetic content.")
    )
    assert policy.allows(analyst, "can_grade_intel_item", item)
    item.status = ItemStatus.WITHDRAWN
    assert not policy.allows(analyst, "can_grade_intel_item", item)
