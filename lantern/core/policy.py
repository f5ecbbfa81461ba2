"""The one permission policy: every access decision in Lantern is a named rule registered here.

Rules are `rules` predicates over the user and, where there is one, the record. Apps register their own named rules
from their `rules.py` with `register()`; views, the API, templates (`{% test_rule "can_x" user obj as ok %}`)
and htmx partials all ask `allows()` or `require()`. Nothing else checks roles.

An independent reviewer's reviews widen what they may read. Which records a review puts in scope is the oversight
app's to decide, so it registers a `ReviewScope` here at start-up with `register_review_scope()`; the rules and
selectors of the apps below it ask `review_scope()`. With none registered, a reviewer reads nothing.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import rules
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404

from lantern.core.vocabulary import AgencyKind, Role

REGISTRY: dict[str, rules.Predicate] = {}


class PolicyDenied(PermissionDenied):
    """Raised when a user may not do an action that does not reveal a record (answered 403)."""


def register(name: str, predicate: Callable | rules.Predicate) -> rules.Predicate:
    """Register a named rule; also available as the Django permission `lantern.<name>`."""
    if not name.startswith("can_"):
        raise ValueError(f"Rule names start with 'can_': {name}")
    pred = predicate if isinstance(predicate, rules.Predicate) else rules.predicate(predicate)
    REGISTRY[name] = pred
    rules.set_rule(name, pred)
    rules.set_perm(f"lantern.{name}", pred)
    return pred


def allows(user, name: str, obj=None) -> bool:
    """Whether `user` may do `name` (to `obj`, where given)."""
    if name not in REGISTRY:
        raise KeyError(f"No such rule: {name}")
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return bool(REGISTRY[name].test(user, obj))


def require(user, name: str, obj=None) -> None:
    """Refuse unless allowed. For a record, refusal is a 404 exactly like a record that does not exist."""
    if allows(user, name, obj):
        return
    if obj is not None:
        raise Http404("Not found.")
    raise PolicyDenied(name)


# The reviewer's scope
class MayRead(Protocol):
    """Whether the reviewer `user` may read the record `obj` under one of the reviews they are on."""

    def __call__(self, user: Any, obj: Any, /) -> bool: ...


class Scoped(Protocol):
    """`queryset` narrowed to the records the reviews `user` is on put in scope today."""

    def __call__(self, *, user: Any, queryset: QuerySet) -> QuerySet: ...


class NoteRead(Protocol):
    """Audit the reviewer `user` reading `obj`, with the reviews that let them."""

    def __call__(self, *, user: Any, obj: Any) -> None: ...


@dataclass(frozen=True)
class ReviewScope:
    """What an independent reviewer may read under their reviews: the three questions the apps below ask."""

    may_read: MayRead
    scoped: Scoped
    note_read: NoteRead


# Until oversight registers its scope a reviewer sees nothing, never everything.
NOTHING_IN_SCOPE = ReviewScope(
    may_read=lambda user, obj, /: False,
    scoped=lambda *, user, queryset: queryset.none(),
    note_read=lambda *, user, obj: None,
)
_review_scope: ReviewScope = NOTHING_IN_SCOPE


def register_review_scope(scope: ReviewScope) -> None:
    """Make `scope` the one the rules and selectors ask about reviewers (the oversight app does, at start-up)."""
    global _review_scope
    _review_scope = scope


def review_scope() -> ReviewScope:
    """The registered reviewer's scope, or `NOTHING_IN_SCOPE` if none is."""
    return _review_scope


@rules.predicate
def read_under_review(user, obj) -> bool:
    """An independent reviewer reads a record in the scope of a review they are on, while it grants access."""
    if getattr(user, "role", None) != Role.REVIEWER or obj is None:
        return False
    return review_scope().may_read(user, obj)


# Predicates over the user. Combine them with & | ~ to make rules; keep every combination in a named rule.
def has_role(*roles: str) -> rules.Predicate:
    """A predicate true when the user holds one of `roles`."""
    allowed = frozenset(roles)
    return rules.predicate(
        lambda user: getattr(user, "role", None) in allowed, name=f"has_role{sorted(allowed)}"
    )


def in_agency_kind(*kinds: str) -> rules.Predicate:
    """A predicate true when the user's agency is one of `kinds`."""
    allowed = frozenset(kinds)

    def check(user) -> bool:
        return user.agency_id is not None and user.agency.kind in allowed

    return rules.predicate(check, name=f"in_agency_kind{sorted(allowed)}")


is_system_admin = has_role(Role.SYSTEM_ADMIN)
is_reviewer = has_role(Role.REVIEWER)
is_partnership_lead = has_role(Role.PARTNERSHIP_LEAD)
is_information_governance = has_role(Role.RECORDS_MANAGER, Role.DATA_PROTECTION_OFFICER)
is_manager = has_role(Role.TEAM_MANAGER, Role.SERVICE_MANAGER, Role.PARTNERSHIP_LEAD)
is_case_worker = has_role(
    Role.FRONT_DOOR,
    Role.PRACTITIONER,
    Role.TEAM_MANAGER,
    Role.SERVICE_MANAGER,
    Role.ANALYST,
    Role.PARTNERSHIP_LEAD,
)


@rules.predicate
def manages_target_user(user, target) -> bool:
    """An administrator manages users of their own agency; the partnership's administrators manage everyone."""
    if target is None:
        return True
    if user.agency_id is None:
        return False
    return user.agency.kind == AgencyKind.PARTNERSHIP or target.agency_id == user.agency_id


@rules.predicate
def is_self(user, target) -> bool:
    """The record is the user themself."""
    return target is not None and target.pk == user.pk


register("can_use_lantern", rules.always_allow)
register("can_view_my_work", is_case_worker | is_reviewer)
register("can_view_case_content", is_case_worker)
register("can_manage_users", is_system_admin)
register("can_manage_user", is_system_admin & manages_target_user & ~is_self)
register("can_view_audit_log", is_partnership_lead | is_system_admin)
register("can_manage_own_mfa", rules.always_allow)
register("can_manage_own_tokens", rules.always_allow)
