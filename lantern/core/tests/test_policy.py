"""The permission policy as a matrix of role × agency × action, and the rule registry itself."""

import itertools

import pytest

from lantern.accounts.models import AgencyKind, Role
from lantern.accounts.testing import AgencyFactory, UserFactory
from lantern.core import policy

ALL_ROLES = set(Role.values)
CASE_ROLES = {
    Role.FRONT_DOOR,
    Role.PRACTITIONER,
    Role.TEAM_MANAGER,
    Role.SERVICE_MANAGER,
    Role.ANALYST,
    Role.PARTNERSHIP_LEAD,
}

# Rules that take no record: which roles are allowed, in every agency. Pinned: a change here is a policy change.
USER_RULES: dict[str, set[str]] = {
    "can_use_lantern": ALL_ROLES,
    "can_view_my_work": CASE_ROLES | {Role.REVIEWER},
    "can_view_case_content": CASE_ROLES,
    "can_manage_users": {Role.SYSTEM_ADMIN},
    "can_view_audit_log": {Role.PARTNERSHIP_LEAD, Role.SYSTEM_ADMIN},
    "can_manage_own_mfa": ALL_ROLES,
    "can_manage_own_tokens": ALL_ROLES,
}


def _user(role: str, kind: str, suffix: str = ""):
    agency = AgencyFactory(kind=kind)
    return UserFactory(username=f"{role}-{kind}{suffix}", role=role, agency=agency)


@pytest.mark.django_db
@pytest.mark.parametrize("rule", sorted(USER_RULES))
def test_user_rule_matrix(rule):
    """Every role in every agency kind gets exactly the pinned answer for each rule without a record."""
    for role, kind in itertools.product(Role.values, AgencyKind.values):
        user = _user(role, kind)
        assert policy.allows(user, rule) == (role in USER_RULES[rule]), (rule, role, kind)


@pytest.mark.django_db
@pytest.mark.parametrize("role", Role.values)
@pytest.mark.parametrize("same_agency", [True, False])
@pytest.mark.parametrize("admin_kind", [AgencyKind.POLICE, AgencyKind.PARTNERSHIP])
def test_manage_user_matrix(role, same_agency, admin_kind):
    """An administrator manages users of their own agency; the partnership's administrators manage everyone."""
    actor = _user(role, admin_kind)
    target_kind = admin_kind if same_agency else AgencyKind.HEALTH
    target = _user(Role.PRACTITIONER, target_kind, suffix="-target")
    expected = role == Role.SYSTEM_ADMIN and (same_agency or admin_kind == AgencyKind.PARTNERSHIP)
    assert policy.allows(actor, "can_manage_user", target) == expected


@pytest.mark.django_db
def test_administrator_cannot_manage_themself():
    """An administrator cannot deactivate or demote their own account (another administrator must)."""
    admin = _user(Role.SYSTEM_ADMIN, AgencyKind.PARTNERSHIP)
    assert not policy.allows(admin, "can_manage_user", admin)


@pytest.mark.django_db
def test_inactive_and_anonymous_users_are_refused_everything():
    """No rule allows an anonymous or deactivated user."""
    from django.contrib.auth.models import AnonymousUser

    admin = _user(Role.SYSTEM_ADMIN, AgencyKind.PARTNERSHIP)
    admin.is_active = False
    for rule in policy.REGISTRY:
        assert not policy.allows(AnonymousUser(), rule)
        assert not policy.allows(admin, rule)
        assert not policy.allows(None, rule)


def test_unknown_rule_is_an_error():
    """Asking for a rule that does not exist is a programming error, not a silent refusal."""
    with pytest.raises(KeyError):
        policy.allows(None, "can_do_anything")


def test_rule_names_are_checked():
    """Rules are named can_…"""
    with pytest.raises(ValueError):
        policy.register("view_everything", lambda user: True)


@pytest.mark.django_db
def test_require_hides_records_and_refuses_actions():
    """A refused record answers 404 (as if absent); a refused action answers 403."""
    from django.http import Http404

    practitioner = _user(Role.PRACTITIONER, AgencyKind.POLICE)
    target = _user(Role.PRACTITIONER, AgencyKind.POLICE, suffix="-2")
    with pytest.raises(Http404):
        policy.require(practitioner, "can_manage_user", target)
    with pytest.raises(policy.PolicyDenied):
        policy.require(practitioner, "can_manage_users")


def test_every_registered_rule_is_in_a_matrix():
    """A new rule must come with its row in a permission matrix test (core, or an app's tests/test_*rules.py)."""
    import importlib
    import pkgutil

    import lantern

    covered = set(USER_RULES) | {"can_manage_user"}
    for module in pkgutil.walk_packages(lantern.__path__, "lantern."):
        if ".tests.test_" in module.name and module.name.endswith("rules"):
            covered |= set(getattr(importlib.import_module(module.name), "COVERED_RULES", ()))
    missing = set(policy.REGISTRY) - covered
    assert not missing, f"Rules without a matrix test: {sorted(missing)}"


@pytest.fixture
def restore_review_scope():
    """Put back whichever reviewer's scope was registered before the test."""
    registered = policy.review_scope()
    yield
    policy.register_review_scope(registered)


@pytest.mark.django_db
def test_with_no_review_scope_registered_a_reviewer_reads_nothing(restore_review_scope):
    """The default scope opens nothing to a reviewer, lists nothing and notes nothing: never everything."""
    from lantern.accounts.models import User

    policy.register_review_scope(policy.NOTHING_IN_SCOPE)
    reviewer = _user(Role.REVIEWER, AgencyKind.PARTNERSHIP)
    record = _user(Role.PRACTITIONER, AgencyKind.POLICE, suffix="-record")
    assert not policy.read_under_review.test(reviewer, record)
    assert list(policy.review_scope().scoped(user=reviewer, queryset=User.objects.all())) == []
    assert policy.review_scope().note_read(user=reviewer, obj=record) is None


def test_a_registered_review_scope_is_asked_for_reviewers_only(restore_review_scope):
    """`read_under_review` asks the registered scope about a reviewer and a record, and nobody else."""
    asked = []

    def may_read(user, obj, /) -> bool:
        asked.append((user.role, obj))
        return True

    policy.register_review_scope(
        policy.ReviewScope(
            may_read=may_read,
            scoped=lambda *, user, queryset: queryset,
            note_read=lambda *, user, obj: None,
        )
    )
    assert policy.read_under_review.test(_Someone(Role.REVIEWER), "record")
    assert not policy.read_under_review.test(_Someone(Role.PRACTITIONER), "record")
    assert not policy.read_under_review.test(_Someone(Role.REVIEWER), None)
    assert asked == [(Role.REVIEWER, "record")]


class _Someone:
    """A stand-in user with a role, for predicates that look only at the role."""

    def __init__(self, role: str):
        self.role = role
