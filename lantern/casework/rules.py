"""Who may see and act on tasks, cases, flags and escalations. `lantern.casework.selectors` applies the same rules
as queries, so a list never shows what a page would refuse.

* A task belongs to its agency: that agency's case workers see it and work it; its team and service managers
  assign it. The partnership lead sees every task (to hold agencies to account) but does not work them.
* A case is seen by the case workers of its lead agency and of every agency with a task on it, by front-door
  workers, analysts and the partnership lead. A restricted case is seen only by the people named on it.
  System administrators never see case content.
* Whoever may see a case may add to its record (notes, missing episodes, strategy discussions, NRM, the sharing
  log) and ask for a flag to be added or removed; a team or service manager, or the partnership lead, other than
  the person who asked, approves the change.
* An escalation is seen by the people it was sent to, whoever raised it, the managers of the agency concerned and
  the partnership lead; it is resolved by its recipients, the agency's managers at or above its rung, or the
  partnership lead.
* Any case worker who can see a task or its referral may raise a professional disagreement about it.
* A child's family network and its safeguarding conflicts are part of the case: whoever may see the case sees
  them, and whoever may add to its record adds members and records involvements. Case workers in the agencies
  that hold children's cases open one directly (a pre-birth assessment, say).
* A safeguarding conflict is decided by a team or service manager of the case's lead agency who may see the case;
  a decision to involve the member with safeguards is signed off by a service manager of that agency, or the
  partnership lead, other than the person who decided it.
* Break glass: a case worker (a professional in any partner agency, never a reviewer, administrator, records
  manager, data protection officer or member of the public) who has no relationship to a restricted case may
  open it by stating a reason. Until the use expires they read the case and its family network (never add to
  them). A partnership lead or data protection officer, other than the person who used it, signs each use off.
* An independent reviewer reads (never writes) the tasks, cases and escalations in the scope of a review they are
  on while it is open (`lantern.oversight.reviews.selectors`).
"""

import rules
from django.utils import timezone

from lantern.accounts.models import Role
from lantern.casework.models import (
    AgencyTask,
    BreakGlassUse,
    Case,
    Escalation,
    EscalationLevel,
    FlagChange,
    SafeguardingConflict,
)
from lantern.core import policy
from lantern.core.policy import has_role, is_case_worker, is_partnership_lead, read_under_review, register

# Roles that see every unrestricted case without being involved in it.
SEES_ALL_CASES_ROLES = frozenset({Role.FRONT_DOOR, Role.ANALYST, Role.PARTNERSHIP_LEAD})
# Which managers of the agency concerned may resolve an escalation at each rung ("at or above the rung").
RESOLVING_ROLES = {
    EscalationLevel.TEAM_MANAGER: frozenset({Role.TEAM_MANAGER, Role.SERVICE_MANAGER}),
    EscalationLevel.SERVICE_MANAGER: frozenset({Role.SERVICE_MANAGER}),
    EscalationLevel.PARTNERSHIP_LEAD: frozenset(),
}

is_agency_manager = has_role(Role.TEAM_MANAGER, Role.SERVICE_MANAGER)


@rules.predicate
def in_task_agency(user, task) -> bool:
    """The task belongs to the user's agency."""
    return isinstance(task, AgencyTask) and user.agency_id is not None and task.agency_id == user.agency_id


@rules.predicate
def may_see_case(user, case) -> bool:
    """Restriction first (only the named people); then by role, lead agency or a task of the user's agency."""
    if not isinstance(case, Case):
        return False
    if case.restricted:
        return case.restricted_to.filter(pk=user.pk).exists()
    if user.role in SEES_ALL_CASES_ROLES or case.owner_id == user.pk:
        return True
    if user.agency_id is None:
        return False
    return case.lead_agency_id == user.agency_id or case.tasks.filter(agency_id=user.agency_id).exists()


@rules.predicate
def may_see_flag_change_case(user, change) -> bool:
    """The user may see the case the flag change is about."""
    return isinstance(change, FlagChange) and may_see_case.test(user, change.case)


@rules.predicate
def did_not_request_flag_change(user, change) -> bool:
    """A flag change is never approved by the person who asked for it."""
    return isinstance(change, FlagChange) and change.requested_by_id != user.pk


@rules.predicate
def received_escalation(user, escalation) -> bool:
    """The escalation was sent to the user."""
    return isinstance(escalation, Escalation) and escalation.recipients.filter(pk=user.pk).exists()


@rules.predicate
def raised_escalation(user, escalation) -> bool:
    """The user raised the escalation (a disagreement)."""
    return (
        isinstance(escalation, Escalation)
        and escalation.raised_by_id is not None
        and (escalation.raised_by_id == user.pk)
    )


@rules.predicate
def manages_escalation_agency(user, escalation) -> bool:
    """The user is a team or service manager of the agency the escalation is about."""
    return (
        isinstance(escalation, Escalation)
        and user.role in (Role.TEAM_MANAGER, Role.SERVICE_MANAGER)
        and user.agency_id is not None
        and escalation.agency_id == user.agency_id
    )


@rules.predicate
def manages_at_or_above_rung(user, escalation) -> bool:
    """The user is one of the agency's managers at or above the escalation's rung."""
    return (
        isinstance(escalation, Escalation)
        and user.agency_id is not None
        and escalation.agency_id == user.agency_id
        and user.role in RESOLVING_ROLES.get(escalation.level, frozenset())
    )


def _involved_in_referral(user, referral) -> bool:
    if referral is None:
        return False
    if referral.restricted:
        return referral.restricted_to.filter(pk=user.pk).exists()
    if user.pk in (referral.referrer_id, referral.created_by_id):
        return True
    return user.agency_id is not None and referral.tasks.filter(agency_id=user.agency_id).exists()


@rules.predicate
def may_see_task_or_referral(user, obj) -> bool:
    """The user can see the task, or the referral it is on (or the referral itself, when that is the object)."""
    if isinstance(obj, AgencyTask):
        if can_view_task.test(user, obj):
            return True
        referral = obj.referral
    else:
        referral = obj
    if referral is None or not hasattr(referral, "tasks"):
        return False
    # Referral visibility belongs to intake; ask its rule where it is registered.
    if "can_view_referral" in policy.REGISTRY and policy.REGISTRY["can_view_referral"].test(user, referral):
        return True
    return _involved_in_referral(user, referral)


@rules.predicate
def holds_break_glass(user, case) -> bool:
    """The user broke the glass on this restricted case and the access has not yet expired."""
    return (
        isinstance(case, Case)
        and case.restricted
        and BreakGlassUse.objects.filter(case=case, user_id=user.pk, expires_at__gt=timezone.now()).exists()
    )


@rules.predicate
def behind_glass(user, case) -> bool:
    """A restricted case the user has no relationship to and no current break-glass use of."""
    return (
        isinstance(case, Case)
        and case.restricted
        and not may_see_case.test(user, case)
        and not holds_break_glass.test(user, case)
    )


@rules.predicate
def did_not_use_break_glass(user, use) -> bool:
    """A break-glass use is signed off by someone other than the person who used it."""
    return isinstance(use, BreakGlassUse) and use.user_id != user.pk


can_view_task = register(
    "can_view_task", (is_case_worker & in_task_agency) | is_partnership_lead | read_under_review
)
can_act_on_task = register("can_act_on_task", is_case_worker & in_task_agency)
can_assign_task = register("can_assign_task", is_agency_manager & in_task_agency)
can_view_case = register(
    "can_view_case", (is_case_worker & (may_see_case | holds_break_glass)) | read_under_review
)
can_add_case_record = register("can_add_case_record", is_case_worker & may_see_case)
can_request_flag_change = register("can_request_flag_change", is_case_worker & may_see_case)
can_approve_flag_change = register(
    "can_approve_flag_change",
    (is_agency_manager | is_partnership_lead) & may_see_flag_change_case & did_not_request_flag_change,
)
can_view_escalation = register(
    "can_view_escalation",
    (
        is_case_worker
        & (received_escalation | raised_escalation | manages_escalation_agency | is_partnership_lead)
    )
    | read_under_review,
)
can_resolve_escalation = register(
    "can_resolve_escalation",
    is_case_worker & (received_escalation | manages_at_or_above_rung | is_partnership_lead),
)
can_raise_disagreement = register("can_raise_disagreement", is_case_worker & may_see_task_or_referral)


@rules.predicate
def in_case_lead_agency(user, case) -> bool:
    """The user belongs to the case's lead agency."""
    return isinstance(case, Case) and user.agency_id is not None and case.lead_agency_id == user.agency_id


@rules.predicate
def may_see_conflict_case(user, conflict) -> bool:
    """The user may see the case the safeguarding conflict is on."""
    return isinstance(conflict, SafeguardingConflict) and may_see_case.test(user, conflict.case)


@rules.predicate
def in_conflict_lead_agency(user, conflict) -> bool:
    """The user belongs to the lead agency of the conflict's case."""
    return isinstance(conflict, SafeguardingConflict) and in_case_lead_agency.test(user, conflict.case)


@rules.predicate
def did_not_decide_conflict(user, conflict) -> bool:
    """A decision to involve is signed off by someone other than the person who made it."""
    return isinstance(conflict, SafeguardingConflict) and conflict.decided_by_id != user.pk


is_service_manager = has_role(Role.SERVICE_MANAGER)

can_open_case = register(
    "can_open_case", has_role(Role.FRONT_DOOR, Role.PRACTITIONER, Role.TEAM_MANAGER, Role.SERVICE_MANAGER)
)
can_view_family_network = register(
    "can_view_family_network", (is_case_worker & (may_see_case | holds_break_glass)) | read_under_review
)
can_add_network_member = register("can_add_network_member", is_case_worker & may_see_case)
can_record_involvement = register("can_record_involvement", is_case_worker & may_see_case)
can_decide_safeguarding_conflict = register(
    "can_decide_safeguarding_conflict", is_agency_manager & in_conflict_lead_agency & may_see_conflict_case
)
can_sign_off_safeguarding_conflict = register(
    "can_sign_off_safeguarding_conflict",
    ((is_service_manager & in_conflict_lead_agency) | is_partnership_lead)
    & may_see_conflict_case
    & did_not_decide_conflict,
)

# Break glass: who may use it at all, on which case, and who reviews the uses.
can_break_glass = register("can_break_glass", is_case_worker)
can_break_glass_into = register("can_break_glass_into", is_case_worker & behind_glass)
is_break_glass_reviewer = has_role(Role.PARTNERSHIP_LEAD, Role.DATA_PROTECTION_OFFICER)
can_review_break_glass = register("can_review_break_glass", is_break_glass_reviewer)
can_sign_off_break_glass = register(
    "can_sign_off_break_glass", is_break_glass_reviewer & did_not_use_break_glass
)
