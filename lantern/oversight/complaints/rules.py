"""Permission rules: complaints and conduct matters. Registered with lantern.core.policy.

`lantern.oversight.complaints.selectors` applies the same rules as queries, so a list never shows what a page would
refuse.

* Any case worker may record a complaint on behalf of a complainant. A complaint is seen by whoever recorded it,
  its handler, the owners of its learning actions, the team and service managers of the agency it is about, and
  the partnership lead. Stage 1 is handled by the agency's team and service managers (or the named handler);
  stage 2, the partnership's review, by the partnership lead (or the handler the lead names).
* A conduct matter is about a named professional. It is recorded by a team or service manager of that person's
  agency, or by the partnership lead; it is seen and worked by the agency's team and service managers, its
  investigator and the partnership lead — never by its subject, whatever their role. The subject is told that the
  matter exists once the handler notifies them, and sees only what they were told and the outcome.
* A stage escalation is seen by the people it went to and the managers of the agency concerned and the
  partnership lead, and resolved by its recipients, the agency's managers at or above its rung, or the
  partnership lead; for a conduct matter, never by its subject.
* The aggregate outcomes are seen by case workers and reviewers; counts below 5 are suppressed for everyone outside
  the partnership.
"""

import rules

from lantern.accounts.models import AgencyKind, Role
from lantern.casework.rules import RESOLVING_ROLES
from lantern.core.policy import (
    has_role,
    in_agency_kind,
    is_case_worker,
    is_partnership_lead,
    is_reviewer,
    register,
)
from lantern.oversight.complaints.models import (
    Complaint,
    ConductMatter,
    LearningAction,
    ProcedureStage,
    StageEscalation,
)

AGENCY_MANAGER_ROLES = frozenset({Role.TEAM_MANAGER, Role.SERVICE_MANAGER})
is_agency_manager = has_role(*AGENCY_MANAGER_ROLES)


def _manages(user, agency_id) -> bool:
    return user.role in AGENCY_MANAGER_ROLES and user.agency_id is not None and user.agency_id == agency_id


# Complaints
@rules.predicate
def involved_in_complaint(user, complaint) -> bool:
    """The user recorded the complaint, handles it, owns one of its learning actions, or manages its agency."""
    if not isinstance(complaint, Complaint):
        return False
    if user.pk in (complaint.recorded_by_id, complaint.handler_id) or _manages(user, complaint.agency_id):
        return True
    return complaint.learning_actions.filter(owner_id=user.pk).exists()


@rules.predicate
def handles_complaint_stage(user, complaint) -> bool:
    """Stage 1: the agency's managers or the handler. Stage 2: only the handler the partnership lead named."""
    if not isinstance(complaint, Complaint):
        return False
    if complaint.handler_id is not None and complaint.handler_id == user.pk:
        return True
    return complaint.stage == ProcedureStage.AGENCY and _manages(user, complaint.agency_id)


@rules.predicate
def owns_learning_action(user, action) -> bool:
    """The user owns the learning action."""
    return isinstance(action, LearningAction) and action.owner_id == user.pk


@rules.predicate
def handles_learning_action_complaint(user, action) -> bool:
    """The user handles the complaint the learning action belongs to."""
    return isinstance(action, LearningAction) and (
        is_partnership_lead.test(user) or handles_complaint_stage.test(user, action.complaint)
    )


# Conduct matters
@rules.predicate
def is_conduct_subject(user, matter) -> bool:
    """The user is the professional the conduct matter is about."""
    return isinstance(matter, ConductMatter) and matter.subject_id == user.pk


@rules.predicate
def involved_in_conduct_matter(user, matter) -> bool:
    """The user manages the matter's agency, investigates it, or recorded it."""
    return isinstance(matter, ConductMatter) and (
        _manages(user, matter.agency_id) or user.pk in (matter.investigator_id, matter.recorded_by_id)
    )


@rules.predicate
def works_conduct_matter(user, matter) -> bool:
    """The user manages the matter's agency or investigates it."""
    return isinstance(matter, ConductMatter) and (
        _manages(user, matter.agency_id)
        or (matter.investigator_id is not None and matter.investigator_id == user.pk)
    )


@rules.predicate
def subject_was_notified(user, matter) -> bool:
    """The subject has been told that the matter exists."""
    return isinstance(matter, ConductMatter) and matter.subject_notified_at is not None


# Stage escalations
@rules.predicate
def not_subject_of_escalation(user, escalation) -> bool:
    """The escalation is not about a conduct matter whose subject is the user."""
    return isinstance(escalation, StageEscalation) and not (
        escalation.conduct_matter_id is not None and escalation.conduct_matter.subject_id == user.pk
    )


@rules.predicate
def received_stage_escalation(user, escalation) -> bool:
    """The escalation was sent to the user."""
    return isinstance(escalation, StageEscalation) and escalation.recipients.filter(pk=user.pk).exists()


@rules.predicate
def manages_stage_escalation_agency(user, escalation) -> bool:
    """The user is a team or service manager of the agency the escalation is about."""
    return isinstance(escalation, StageEscalation) and _manages(user, escalation.agency_id)


@rules.predicate
def manages_at_or_above_stage_rung(user, escalation) -> bool:
    """The user is one of the agency's managers at or above the escalation's rung."""
    return (
        isinstance(escalation, StageEscalation)
        and user.agency_id is not None
        and escalation.agency_id == user.agency_id
        and user.role in RESOLVING_ROLES.get(escalation.level, frozenset())
    )


in_partnership = in_agency_kind(AgencyKind.PARTNERSHIP)

can_view_complaints = register("can_view_complaints", is_case_worker)
can_record_complaint = register("can_record_complaint", is_case_worker)
can_view_complaint = register(
    "can_view_complaint", is_case_worker & (is_partnership_lead | involved_in_complaint)
)
can_handle_complaint = register(
    "can_handle_complaint", is_case_worker & (is_partnership_lead | handles_complaint_stage)
)
can_complete_learning_action = register(
    "can_complete_learning_action",
    is_case_worker & (owns_learning_action | handles_learning_action_complaint),
)
can_record_conduct_matter = register("can_record_conduct_matter", is_agency_manager | is_partnership_lead)
can_view_conduct_matter = register(
    "can_view_conduct_matter",
    is_case_worker & ~is_conduct_subject & (is_partnership_lead | involved_in_conduct_matter),
)
can_handle_conduct_matter = register(
    "can_handle_conduct_matter",
    is_case_worker & ~is_conduct_subject & (is_partnership_lead | works_conduct_matter),
)
can_view_own_conduct_notice = register(
    "can_view_own_conduct_notice", is_conduct_subject & subject_was_notified
)
can_view_stage_escalation = register(
    "can_view_stage_escalation",
    is_case_worker
    & not_subject_of_escalation
    & (received_stage_escalation | manages_stage_escalation_agency | is_partnership_lead),
)
can_resolve_stage_escalation = register(
    "can_resolve_stage_escalation",
    is_case_worker
    & not_subject_of_escalation
    & (received_stage_escalation | manages_at_or_above_stage_rung | is_partnership_lead),
)
can_view_complaint_outcomes = register("can_view_complaint_outcomes", is_case_worker | is_reviewer)
can_see_exact_complaint_counts = register(
    "can_see_exact_complaint_counts",
    is_partnership_lead | (is_case_worker & in_partnership),
)
