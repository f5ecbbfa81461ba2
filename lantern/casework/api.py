"""The tasks, escalations and cases API: lists with filters and paging, acknowledgement, completion, disagreement,
resolution, and a case with its record and chronology.

A task, escalation or case the user may not see answers 404, exactly as one that does not exist. A user who may
see a task but not act on it (the partnership lead) is answered 403. Bad input is answered 422 with a message per
field and nothing is written; a record in the wrong state (completing a task twice) is answered 409.
"""

from dataclasses import asdict
from datetime import date, datetime
from typing import Literal

from django.http import Http404
from django.utils import timezone
from ninja import Field, Query, Router, Schema
from ninja.responses import Status
from pydantic import StrictBool

from lantern.accounts.models import Agency
from lantern.audit import events
from lantern.casework import breakglass, family, selectors, services
from lantern.casework.chronology import chronology_for_case
from lantern.casework.models import (
    CaseKind,
    ConflictDecision,
    EscalationStatus,
    InvolvementKind,
    NetworkRelationship,
)
from lantern.casework.schemas import CompleteIn, DisagreementIn, EscalationResolveIn, StrictIn
from lantern.casework.timescales import clock_reading, task_clock
from lantern.core import policy
from lantern.core.api import ApiError, ErrorOut, Id, IsoDate, not_found, offset_field
from lantern.core.policy import PolicyDenied
from lantern.intake.selectors import referral_list_visible_to

tasks_router = Router(tags=["tasks"])
escalations_router = Router(tags=["escalations"])
cases_router = Router(tags=["cases"])
conflicts_router = Router(tags=["cases"])

PAGE_MAX = 100


def _require_action(user, rule: str, obj) -> None:
    """The user can see `obj` (its selector said so) but may not do this to it: 403, not 404."""
    if not policy.allows(user, rule, obj):
        raise PolicyDenied(rule)


# Schemas
class AgencyOut(Schema):
    """An agency."""

    code: str
    name: str
    kind: str


class PersonRefOut(Schema):
    """A person named in a record."""

    id: int
    name: str
    agency: str | None


class ClockOut(Schema):
    """Where a clock stands: `due`, `overdue`, `met`, `met_late` or `none`, in words too."""

    state: str
    text: str
    due_at: datetime | None
    met_at: datetime | None = None


class TaskOut(Schema):
    """An agency's task on a referral."""

    id: int
    referral_id: int
    referral_reference: str
    case_id: int | None
    case_reference: str | None
    agency: AgencyOut
    team: str | None
    assigned_to: PersonRefOut | None
    priority: str
    status: str
    created_at: datetime
    ack_due_at: datetime
    due_at: datetime
    acknowledged_at: datetime | None
    completed_at: datetime | None
    outcome: str | None
    escalation_level: int
    overdue: bool
    clock: ClockOut


class EscalationOut(Schema):
    """An escalation: who raised it, why, to whom, and how it was resolved."""

    id: int
    level: int
    kind: str
    status: str
    reason: str
    agency: AgencyOut
    task_id: int | None
    referral_id: int | None
    referral_reference: str | None
    raised_by: PersonRefOut | None
    raised_at: datetime
    recipients: list[PersonRefOut]
    resolved_by: PersonRefOut | None
    resolved_at: datetime | None
    resolution: str


class TaskDetailOut(TaskOut):
    """A task with its instructions, narrative and escalations."""

    instructions: str
    narrative: str
    acknowledged_by: PersonRefOut | None
    completed_by: PersonRefOut | None
    escalations: list[EscalationOut]


class TaskPageOut(Schema):
    """One page of tasks and how many there are in all."""

    count: int
    limit: int
    offset: int
    items: list[TaskOut]


class EscalationPageOut(Schema):
    """One page of escalations and how many there are in all."""

    count: int
    limit: int
    offset: int
    items: list[EscalationOut]


class TaskQuery(Schema):
    """Filters and paging for the task list."""

    agency: str | None = Field(None, max_length=40, description="An agency code, e.g. riverton-police.")
    status: Literal["open", "awaiting_ack", "acknowledged", "completed"] | None = Field(
        None, description="`open` is every task not yet completed."
    )
    overdue: bool | None = Field(None, description="true: only tasks whose current clock has run out.")
    limit: int = Field(50, ge=1, le=PAGE_MAX)
    offset: int = offset_field()


class EscalationQuery(Schema):
    """Filters and paging for the escalation list."""

    level: int | None = Field(
        None, ge=1, le=3, description="1 team manager, 2 service manager, 3 partnership lead."
    )
    status: EscalationStatus | None = None
    limit: int = Field(50, ge=1, le=PAGE_MAX)
    offset: int = offset_field()


class FlagOut(Schema):
    """A flag on a case; a removed flag stays in the record, inactive."""

    kind: str
    active: bool
    first_added_at: datetime
    changed_at: datetime


class FlagChangeOut(Schema):
    """A request to add or remove a flag, and its decision."""

    id: int
    kind: str
    add: bool
    justification: str
    requested_by: PersonRefOut
    requested_at: datetime
    status: str
    decided_by: PersonRefOut | None
    decided_at: datetime | None
    decision_note: str


class CaseReferralOut(Schema):
    """A referral on a case."""

    id: int
    reference: str
    status: str
    received_at: datetime


class CaseClockOut(ClockOut):
    """A timescale running on a case."""

    kind: str
    label: str
    started_at: datetime


class AttendeeOut(Schema):
    """Someone who attended a strategy discussion."""

    name: str
    role: str
    agency: str


class ActionOut(Schema):
    """An action agreed at a strategy discussion."""

    description: str
    agency: str
    owner: PersonRefOut | None
    due_date: date


class DiscussionOut(Schema):
    """A strategy discussion, scheduled or held."""

    id: int
    due_at: datetime
    held_at: datetime | None
    chair: PersonRefOut | None
    decisions: str
    section_47: bool
    attendees: list[AttendeeOut]
    actions: list[ActionOut]


class EpisodeOut(Schema):
    """A missing episode and its return interview."""

    id: int
    missing_from: datetime
    returned_at: datetime | None
    where_found: str
    return_interview_due_at: datetime | None
    return_interview_at: datetime | None
    reported_by_agency: str


class NoteOut(Schema):
    """A note on a case."""

    id: int
    text: str
    significant: bool
    author: PersonRefOut
    created_at: datetime


class NRMOut(Schema):
    """An NRM referral and its reasonable-grounds decision."""

    id: int
    referred_at: datetime
    reasonable_grounds_due_at: datetime
    reasonable_grounds_decision: str
    reasonable_grounds_decided_at: datetime | None


class ShareOut(Schema):
    """A disclosure to another agency, or a decision not to share."""

    id: int
    shared: bool
    from_agency: str
    to_agency: str | None
    recipient: str
    lawful_basis: str
    purpose: str
    scope: str
    consent: str
    reasons: str
    decided_by: PersonRefOut
    decided_at: datetime


class ChronologyEntryOut(Schema):
    """One event in the chronology, generated from the record."""

    at: datetime
    kind: str
    title: str
    text: str
    actor: str
    agency: str
    significant: bool


class CaseOut(Schema):
    """A case with its whole record and its chronology."""

    id: int
    reference: str
    kind: str
    subject_name: str
    date_of_birth: date | None
    expected_date: date | None = None
    status: str
    lead_agency: AgencyOut
    restricted: bool
    opened_at: datetime
    referrals: list[CaseReferralOut]
    tasks: list[TaskOut]
    flags: list[FlagOut]
    flag_changes: list[FlagChangeOut]
    clocks: list[CaseClockOut]
    strategy_discussions: list[DiscussionOut]
    missing_episodes: list[EpisodeOut]
    notes: list[NoteOut]
    nrm_referrals: list[NRMOut]
    information_sharing: list[ShareOut]
    escalations: list[EscalationOut]
    chronology: list[ChronologyEntryOut]


# Building the answers
def _agency(agency) -> dict:
    return {"code": agency.code, "name": agency.name, "kind": agency.kind}


def _person(user) -> dict | None:
    if user is None:
        return None
    # `agency` is loaded with the person wherever the selectors fetch people for an answer.
    return {"id": user.pk, "name": user.display_name, "agency": user.agency.name if user.agency_id else None}


def _clock(reading) -> dict:
    return {"state": reading.state, "text": reading.text, "due_at": reading.due_at, "met_at": reading.met_at}


def _task(task, now: datetime) -> dict:
    reading = task_clock(task, now=now)
    return {
        "id": task.pk,
        "referral_id": task.referral_id,
        "referral_reference": task.referral.reference,
        "case_id": task.case_id,
        "case_reference": task.case.reference if task.case_id else None,
        "agency": _agency(task.agency),
        "team": task.team.name if task.team_id else None,
        "assigned_to": _person(task.assigned_to),
        "priority": task.priority,
        "status": task.status,
        "created_at": task.created_at,
        "ack_due_at": task.ack_due_at,
        "due_at": task.due_at,
        "acknowledged_at": task.acknowledged_at,
        "completed_at": task.completed_at,
        "outcome": task.outcome or None,
        "escalation_level": task.escalation_level,
        "overdue": reading.is_overdue,
        "clock": _clock(reading),
    }


def _escalation(escalation) -> dict:
    return {
        "id": escalation.pk,
        "level": escalation.level,
        "kind": escalation.kind,
        "status": escalation.status,
        "reason": escalation.reason,
        "agency": _agency(escalation.agency),
        "task_id": escalation.task_id,
        "referral_id": escalation.referral_id,
        "referral_reference": escalation.referral.reference if escalation.referral_id else None,
        "raised_by": _person(escalation.raised_by),
        "raised_at": escalation.raised_at,
        "recipients": [_person(u) for u in escalation.recipients.all()],
        "resolved_by": _person(escalation.resolved_by),
        "resolved_at": escalation.resolved_at,
        "resolution": escalation.resolution,
    }


def _task_detail(task, now: datetime) -> dict:
    escalations = selectors.task_escalations(task)
    return {
        **_task(task, now),
        "instructions": task.instructions,
        "narrative": task.narrative,
        "acknowledged_by": _person(task.acknowledged_by),
        "completed_by": _person(task.completed_by),
        "escalations": [_escalation(e) for e in escalations],
    }


def _agency_by_code(code: str | None, field: str = "agency") -> Agency | None:
    """The agency with this code; 404 naming `field` if none has it (decision 0022)."""
    if not code:
        return None
    agency = Agency.objects.filter(code=code).first()
    if agency is None:
        raise not_found(field, "No agency has this code.")
    return agency


# Tasks
@tasks_router.get(
    "",
    response={200: TaskPageOut, 401: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    summary="List tasks",
    operation_id="task_list",
)
def list_tasks(request, filters: Query[TaskQuery]):
    """The tasks the user may see, soonest deadline first, filtered by agency code, status and `overdue`. An agency
    code that no agency has is answered 404 naming `agency`, not an empty list that would read as "nothing due"."""
    user, now = request.auth, timezone.now()
    tasks = selectors.task_filter(
        selectors.task_list_visible_to(user=user),
        agency=_agency_by_code(filters.agency),
        status=filters.status or "",
        overdue=filters.overdue,
        now=now,
    )
    tasks = selectors.task_sort(tasks, sort="due")
    count = tasks.count()
    items = list(tasks[filters.offset : filters.offset + filters.limit])
    events.record_listed(
        actor=user,
        object_type="casework.agencytask",
        ids=[t.pk for t in items],
        query=filters.model_dump(mode="json"),
    )
    return {
        "count": count,
        "limit": filters.limit,
        "offset": filters.offset,
        "items": [_task(t, now) for t in items],
    }


def _visible_task(request, task_id: Id):
    return selectors.task_get_for_user(user=request.auth, task_id=task_id)


@tasks_router.get(
    "/{int:task_id}",
    response={200: TaskDetailOut, 401: ErrorOut, 404: ErrorOut},
    summary="One task, with its escalations",
    operation_id="task_get",
)
def get_task(request, task_id: Id):
    """A task the user may see; 404 both when it does not exist and when they may not see it."""
    task = _visible_task(request, task_id)
    events.record_viewed(actor=request.auth, obj=task)
    return _task_detail(task, timezone.now())


@tasks_router.post(
    "/{int:task_id}/acknowledge",
    response={200: TaskOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
    summary="Acknowledge a task",
    operation_id="task_acknowledge",
)
def acknowledge_task(request, task_id: Id):
    """Say the agency has the task and someone is on it (the acknowledger, unless it is already assigned)."""
    task = _visible_task(request, task_id)
    _require_action(request.auth, "can_act_on_task", task)
    services.task_acknowledge(actor=request.auth, task=task)
    return _task(_visible_task(request, task_id), timezone.now())


@tasks_router.post(
    "/{int:task_id}/complete",
    response={200: TaskOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
    summary="Complete a task with an outcome",
    operation_id="task_complete",
)
def complete_task(request, task_id: Id, payload: CompleteIn):
    """Record what the agency did; the referral closes when every task on it has an outcome."""
    task = _visible_task(request, task_id)
    _require_action(request.auth, "can_act_on_task", task)
    services.task_complete(
        actor=request.auth, task=task, outcome=payload.outcome, narrative=payload.narrative
    )
    return _task(_visible_task(request, task_id), timezone.now())


@tasks_router.post(
    "/{int:task_id}/disagreement",
    response={201: EscalationOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    summary="Raise a professional disagreement about a task",
    operation_id="task_disagreement",
)
def raise_disagreement(request, task_id: Id, payload: DisagreementIn):
    """Escalate a disagreement to the task agency's team manager; raised again while open, it goes a rung up."""
    user = request.auth
    task = selectors.task_get_for_disagreement(user=user, task_id=task_id)
    escalation = services.escalation_raise(actor=user, task=task, reason=payload.reason)
    return Status(201, _escalation(selectors.escalation_get_for_user(user=user, escalation_id=escalation.pk)))


# Escalations
@escalations_router.get(
    "",
    response={200: EscalationPageOut, 401: ErrorOut, 422: ErrorOut},
    summary="List escalations",
    operation_id="escalation_list",
)
def list_escalations(request, filters: Query[EscalationQuery]):
    """The escalations the user may see, newest first, filtered by rung and status."""
    user = request.auth
    escalations = (
        selectors.escalation_filter(
            selectors.escalation_list_visible_to(user=user), level=filters.level, status=filters.status or ""
        )
        .select_related("raised_by__agency", "resolved_by__agency")
        .prefetch_related("recipients__agency")
    )
    count = escalations.count()
    items = list(escalations[filters.offset : filters.offset + filters.limit])
    events.record_listed(
        actor=user,
        object_type="casework.escalation",
        ids=[e.pk for e in items],
        query=filters.model_dump(mode="json"),
    )
    return {
        "count": count,
        "limit": filters.limit,
        "offset": filters.offset,
        "items": [_escalation(e) for e in items],
    }


@escalations_router.post(
    "/{int:escalation_id}/resolve",
    response={200: EscalationOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
    summary="Resolve an escalation",
    operation_id="escalation_resolve",
)
def resolve_escalation(request, escalation_id: Id, payload: EscalationResolveIn):
    """Record how an escalation was resolved; nothing is cleared without a written resolution."""
    user = request.auth
    escalation = selectors.escalation_get_for_user(user=user, escalation_id=escalation_id)
    _require_action(user, "can_resolve_escalation", escalation)
    services.escalation_resolve(actor=user, escalation=escalation, resolution=payload.resolution)
    return _escalation(selectors.escalation_get_for_user(user=user, escalation_id=escalation_id))


# Cases
@cases_router.get(
    "/{int:case_id}",
    response={200: CaseOut, 401: ErrorOut, 404: ErrorOut},
    summary="One case, with its record and chronology",
    operation_id="case_get",
)
def get_case(request, case_id: Id):
    """A case the user may see, with its referrals, tasks, flags, clocks, records and generated chronology."""
    user = request.auth
    case = selectors.case_get_for_user(user=user, case_id=case_id)
    breakglass.audit_case_read(user=user, case=case)
    return _case_answer(case, timezone.now())


def _case_answer(case, now: datetime) -> dict:
    return {
        "id": case.pk,
        "reference": case.reference,
        "kind": case.kind,
        "subject_name": case.subject_name,
        "date_of_birth": case.date_of_birth,
        "expected_date": case.expected_date,
        "status": case.status,
        "lead_agency": _agency(case.lead_agency),
        "restricted": case.restricted,
        "opened_at": case.opened_at,
        "referrals": [
            {"id": r.pk, "reference": r.reference, "status": r.status, "received_at": r.received_at}
            for r in case.referral_list
        ],
        "tasks": [_task(t, now) for t in _with_case(case.task_list, case)],
        "flags": [
            {
                "kind": f.kind,
                "active": f.active,
                "first_added_at": f.first_added_at,
                "changed_at": f.changed_at,
            }
            for f in case.flag_list
        ],
        "flag_changes": [
            {
                "id": c.pk,
                "kind": c.kind,
                "add": c.add,
                "justification": c.justification,
                "requested_by": _person(c.requested_by),
                "requested_at": c.requested_at,
                "status": c.status,
                "decided_by": _person(c.decided_by),
                "decided_at": c.decided_at,
                "decision_note": c.decision_note,
            }
            for c in case.flag_change_list
        ],
        "clocks": [
            {
                **_clock(clock_reading(c.due_at, now=now, met_at=c.met_at)),
                "kind": c.kind,
                "label": c.get_kind_display(),
                "started_at": c.started_at,
            }
            for c in case.clock_list
        ],
        "strategy_discussions": [
            {
                "id": d.pk,
                "due_at": d.due_at,
                "held_at": d.held_at,
                "chair": _person(d.chair),
                "decisions": d.decisions,
                "section_47": d.section_47,
                "attendees": [
                    {"name": a.name, "role": a.role, "agency": a.agency.name} for a in d.attendees.all()
                ],
                "actions": [
                    {
                        "description": a.description,
                        "agency": a.agency.name,
                        "owner": _person(a.owner),
                        "due_date": a.due_date,
                    }
                    for a in d.actions.all()
                ],
            }
            for d in case.discussion_list
        ],
        "missing_episodes": [
            {
                "id": e.pk,
                "missing_from": e.missing_from,
                "returned_at": e.returned_at,
                "where_found": e.where_found,
                "return_interview_due_at": e.return_interview_due_at,
                "return_interview_at": e.return_interview_at,
                "reported_by_agency": e.reported_by_agency.name,
            }
            for e in case.episode_list
        ],
        "notes": [
            {
                "id": n.pk,
                "text": n.text,
                "significant": n.significant,
                "author": _person(n.author),
                "created_at": n.created_at,
            }
            for n in case.note_list
        ],
        "nrm_referrals": [
            {
                "id": n.pk,
                "referred_at": n.referred_at,
                "reasonable_grounds_due_at": n.reasonable_grounds_due_at,
                "reasonable_grounds_decision": n.reasonable_grounds_decision,
                "reasonable_grounds_decided_at": n.reasonable_grounds_decided_at,
            }
            for n in case.nrm_list
        ],
        "information_sharing": [
            {
                "id": s.pk,
                "shared": s.shared,
                "from_agency": s.from_agency.name,
                "to_agency": s.to_agency.name if s.to_agency_id else None,
                "recipient": s.recipient,
                "lawful_basis": s.lawful_basis,
                "purpose": s.purpose,
                "scope": s.scope,
                "consent": s.consent,
                "reasons": s.reasons,
                "decided_by": _person(s.decided_by),
                "decided_at": s.decided_at,
            }
            for s in case.share_list
        ],
        "escalations": [_escalation(e) for e in case.escalation_list],
        "chronology": [asdict(e) for e in chronology_for_case(case)],
    }


def _with_case(tasks, case):
    # The case's tasks belong to this case: reuse it rather than fetch it again for each task.
    for task in tasks:
        task.case = case
    return tasks


# Opening a child's case directly, and the child's family network
class CaseIn(StrictIn):
    """A child's case opened directly (a pre-birth assessment, say): the lead agency by its code."""

    subject_name: str = Field(min_length=1, max_length=200)
    date_of_birth: IsoDate | None = None
    expected_date: IsoDate | None = Field(default=None, description="When an unborn child is due.")
    lead_agency: str = Field(min_length=1, max_length=50, description="The lead agency's code.")


class NetworkMemberIn(StrictIn):
    """A person in the child's life. A parent who was herself (or himself) a victim is marked `victim_parent`, with
    the parent's own case or referrals where known."""

    name: str = Field(min_length=1, max_length=200)
    relationship: NetworkRelationship
    date_of_birth: IsoDate | None = None
    age: int | None = Field(default=None, ge=0, le=120)
    address: str = Field(default="", max_length=300)
    phone: str = Field(default="", max_length=40)
    parental_responsibility: StrictBool | None = None
    victim_parent: StrictBool = False
    victim_parent_case_id: Id | None = None
    victim_parent_referral_ids: list[Id] = Field(default_factory=list, max_length=50)


class SafeguardingConflictOut(Schema):
    """A network member who matches a person of concern. `reason` names the report only for a user who may see it;
    anyone else is told that a record exists and whom to ask (`ask`)."""

    id: int
    case_id: int
    case_reference: str
    member_id: int
    level: str
    status: str
    reason: str
    record_visible: bool
    evidence: list[str]
    ask: str | None
    raised_at: datetime
    decision: str | None
    decision_reason: str | None
    legal_basis: str | None
    victim_parent_told: bool | None
    decided_by: PersonRefOut | None
    decided_at: datetime | None
    signed_off_by: PersonRefOut | None
    signed_off_at: datetime | None


class NetworkMemberOut(Schema):
    """A member of a child's family network, the entity they resolved to, and the conflicts they raised."""

    id: int
    case_id: int
    entity_id: int | None
    name: str
    relationship: str
    date_of_birth: date | None
    age: int | None
    address: str
    phone: str
    phone_entity_id: int | None
    parental_responsibility: bool | None
    victim_parent: bool
    victim_parent_case_id: int | None
    victim_parent_referral_ids: list[int]
    added_at: datetime
    conflicts: list[SafeguardingConflictOut]


class SafeguardingConflictPageOut(Schema):
    """A list of safeguarding conflicts, open first."""

    count: int
    items: list[SafeguardingConflictOut]


class ConflictDecisionIn(StrictIn):
    """A manager's decision on a conflict; `involve_with_safeguards` waits for a service manager's sign-off."""

    decision: ConflictDecision
    reason: str = Field(min_length=1, max_length=5000)
    legal_basis: str = Field(default="", max_length=2000)
    victim_parent_told: StrictBool | None = None
    victim_parent_view: str = Field(default="", max_length=5000)


class InvolvementIn(StrictIn):
    """Involving a network member in the child's life or proceedings."""

    member_id: Id
    kind: InvolvementKind
    details: str = Field(default="", max_length=5000)


class InvolvementOut(Schema):
    """A recorded involvement."""

    id: int
    case_id: int
    member_id: int
    kind: str
    details: str
    recorded_by: PersonRefOut | None
    recorded_at: datetime


class InvolvementRefusedOut(ErrorOut):
    """An involvement refused: the safeguarding conflicts about the member that stand."""

    conflicts: list[SafeguardingConflictOut]


def _conflict(view) -> dict:
    c = view.conflict
    return {
        "id": c.pk,
        "case_id": c.case_id,
        "case_reference": c.case.reference,
        "member_id": c.member_id,
        "level": c.level,
        "status": c.status,
        "reason": view.reason,
        "record_visible": view.record_visible,
        "evidence": view.evidence,
        "ask": view.ask or None,
        "raised_at": c.raised_at,
        "decision": c.decision or None,
        "decision_reason": c.decision_reason or None,
        "legal_basis": c.legal_basis or None,
        "victim_parent_told": c.victim_parent_told,
        "decided_by": _person(c.decided_by),
        "decided_at": c.decided_at,
        "signed_off_by": _person(c.signed_off_by),
        "signed_off_at": c.signed_off_at,
    }


def _conflicts(user, conflicts) -> list[dict]:
    return [_conflict(v) for v in selectors.conflict_views(user=user, conflicts=list(conflicts))]


def _member(user, member, conflicts) -> dict:
    mention, phone = member.mention, member.phone_mention
    return {
        "id": member.pk,
        "case_id": member.case_id,
        "entity_id": mention.entity_id,
        "name": mention.name,
        "relationship": member.relationship,
        "date_of_birth": mention.date_of_birth,
        "age": mention.age,
        "address": mention.address,
        "phone": phone.number if phone else "",
        "phone_entity_id": phone.entity_id if phone else None,
        "parental_responsibility": member.parental_responsibility,
        "victim_parent": member.victim_parent,
        "victim_parent_case_id": member.victim_parent_case_id,
        "victim_parent_referral_ids": sorted(r.pk for r in member.victim_parent_referrals.all()),
        "added_at": member.added_at,
        "conflicts": _conflicts(user, [c for c in conflicts if c.member_id == member.pk]),
    }


def _invalid(field: str, message: str) -> ApiError:
    return ApiError(422, "invalid", "The request has errors; see fields.", {field: [message]})


@cases_router.post(
    "",
    response={201: CaseOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    summary="Open a child's case",
    operation_id="case_open",
)
def open_case(request, payload: CaseIn):
    """Open a child's case directly, before any referral (a pre-birth assessment, say); the opener owns it."""
    user = request.auth
    policy.require(user, "can_open_case")
    agency = _agency_by_code(payload.lead_agency, "lead_agency")
    if payload.date_of_birth and payload.date_of_birth > timezone.localdate():
        raise _invalid("date_of_birth", "The date of birth must be in the past.")
    case = services.case_open(
        actor=user,
        subject_name=payload.subject_name,
        lead_agency=agency,
        kind=CaseKind.CHILD,
        date_of_birth=payload.date_of_birth,
        expected_date=payload.expected_date,
        owner=user,
    )
    case = selectors.case_get_for_user(user=user, case_id=case.pk)
    return Status(201, _case_answer(case, timezone.now()))


def _case_for(request, case_id: Id, rule: str):
    case = selectors.case_get_for_user(user=request.auth, case_id=case_id, with_record=False)
    _require_action(request.auth, rule, case)
    return case


@cases_router.get(
    "/{int:case_id}/network",
    response={200: list[NetworkMemberOut], 401: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    summary="A child's family network",
    operation_id="case_network_list",
)
def list_network(request, case_id: Id):
    """The people in the child's life, each with the entity they resolved to and the conflicts they raised."""
    user = request.auth
    case = _case_for(request, case_id, "can_view_family_network")
    members = selectors.network_members_of(case)
    conflicts = selectors.conflicts_of(case)
    events.record_listed(actor=user, object_type="casework.networkmember", ids=[m.pk for m in members])
    return [_member(user, m, conflicts) for m in members]


def _victim_parent_links(user, payload: NetworkMemberIn) -> tuple:
    parent_case = None
    if payload.victim_parent_case_id is not None:
        parent_case = (
            selectors.case_list_visible_to(user=user).filter(pk=payload.victim_parent_case_id).first()
        )
        if parent_case is None:
            raise not_found("victim_parent_case_id", "No case you can see has this id.")
    wanted = set(payload.victim_parent_referral_ids)
    referrals = list(referral_list_visible_to(user=user).filter(pk__in=wanted)) if wanted else []
    if len(referrals) != len(wanted):
        raise not_found("victim_parent_referral_ids", "No referral you can see has one of these ids.")
    return parent_case, referrals


@cases_router.post(
    "/{int:case_id}/network",
    response={
        201: NetworkMemberOut,
        401: ErrorOut,
        403: ErrorOut,
        404: ErrorOut,
        409: ErrorOut,
        422: ErrorOut,
    },
    summary="Add a person to a child's family network",
    operation_id="case_network_add",
)
def add_network_member(request, case_id: Id, payload: NetworkMemberIn):
    """Add a member; they are matched at once, and the answer carries their entity and any safeguarding conflict
    (a person of concern in another report)."""
    user = request.auth
    case = _case_for(request, case_id, "can_add_network_member")
    parent_case, referrals = _victim_parent_links(user, payload)
    member = family.network_member_add(
        actor=user,
        case=case,
        name=payload.name,
        relationship=payload.relationship.value,
        date_of_birth=payload.date_of_birth,
        age=payload.age,
        address=payload.address,
        phone=payload.phone,
        parental_responsibility=payload.parental_responsibility,
        victim_parent=payload.victim_parent,
        victim_parent_case=parent_case,
        victim_parent_referrals=referrals,
    )
    member = selectors.network_member_get(case=case, member_id=member.pk)
    return Status(201, _member(user, member, selectors.conflicts_of(case)))


@cases_router.get(
    "/{int:case_id}/conflicts",
    response={200: list[SafeguardingConflictOut], 401: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    summary="A child's safeguarding conflicts",
    operation_id="case_conflict_list",
)
def list_case_conflicts(request, case_id: Id):
    """The case's safeguarding conflicts, open first."""
    user = request.auth
    case = _case_for(request, case_id, "can_view_family_network")
    conflicts = selectors.conflicts_of(case)
    events.record_listed(
        actor=user, object_type="casework.safeguardingconflict", ids=[c.pk for c in conflicts]
    )
    return _conflicts(user, conflicts)


@cases_router.post(
    "/{int:case_id}/conflicts/{int:conflict_id}/decision",
    response={
        200: SafeguardingConflictOut,
        401: ErrorOut,
        403: ErrorOut,
        404: ErrorOut,
        409: ErrorOut,
        422: ErrorOut,
    },
    summary="Decide a safeguarding conflict",
    operation_id="case_conflict_decide",
)
def decide_conflict(request, case_id: Id, conflict_id: Id, payload: ConflictDecisionIn):
    """A team or service manager of the lead agency decides; `involve_with_safeguards` then waits for sign-off."""
    user = request.auth
    case = _case_for(request, case_id, "can_view_family_network")
    conflict = selectors.conflict_get(case=case, conflict_id=conflict_id)
    _require_action(user, "can_decide_safeguarding_conflict", conflict)
    family.conflict_decide(
        actor=user,
        conflict=conflict,
        decision=payload.decision.value,
        reason=payload.reason,
        legal_basis=payload.legal_basis,
        victim_parent_told=payload.victim_parent_told,
        victim_parent_view=payload.victim_parent_view,
    )
    return _conflicts(user, [selectors.conflict_get(case=case, conflict_id=conflict_id)])[0]


@cases_router.post(
    "/{int:case_id}/conflicts/{int:conflict_id}/sign-off",
    response={
        200: SafeguardingConflictOut,
        401: ErrorOut,
        403: ErrorOut,
        404: ErrorOut,
        409: ErrorOut,
        422: ErrorOut,
    },
    summary="Sign off a decision to involve with safeguards",
    operation_id="case_conflict_sign_off",
)
def sign_off_conflict(request, case_id: Id, conflict_id: Id):
    """A service manager of the lead agency (or the partnership lead), not the decider, signs the decision off."""
    user = request.auth
    case = _case_for(request, case_id, "can_view_family_network")
    conflict = selectors.conflict_get(case=case, conflict_id=conflict_id)
    _require_action(user, "can_sign_off_safeguarding_conflict", conflict)
    family.conflict_sign_off(actor=user, conflict=conflict)
    return _conflicts(user, [selectors.conflict_get(case=case, conflict_id=conflict_id)])[0]


@cases_router.post(
    "/{int:case_id}/involvements",
    response={
        201: InvolvementOut,
        401: ErrorOut,
        403: ErrorOut,
        404: ErrorOut,
        409: InvolvementRefusedOut,
        422: ErrorOut,
    },
    summary="Involve a network member",
    operation_id="case_involvement_record",
)
def record_involvement(request, case_id: Id, payload: InvolvementIn):
    """Record contact, an assessment, an invitation, a notice or sharing with a member: 409, with the conflicts,
    while a safeguarding conflict about them is undecided or was decided against involving them."""
    user = request.auth
    case = _case_for(request, case_id, "can_record_involvement")
    member = selectors.network_member_get(case=case, member_id=payload.member_id)
    try:
        involvement = family.involvement_record(
            actor=user, case=case, member=member, kind=payload.kind.value, details=payload.details
        )
    except family.InvolvementBlocked as refused:
        return Status(
            409,
            {
                "error": refused.code,
                "detail": refused.detail,
                "fields": {},
                "conflicts": _conflicts(user, refused.conflicts),
            },
        )
    return Status(
        201,
        {
            "id": involvement.pk,
            "case_id": case.pk,
            "member_id": member.pk,
            "kind": involvement.kind,
            "details": involvement.details,
            "recorded_by": _person(user),
            "recorded_at": involvement.recorded_at,
        },
    )


@conflicts_router.get(
    "",
    response={200: SafeguardingConflictPageOut, 401: ErrorOut},
    summary="Safeguarding conflicts the user may see",
    operation_id="safeguarding_conflict_list",
)
def list_conflicts(request):
    """Every safeguarding conflict on the cases the user may see, open first."""
    user = request.auth
    conflicts = list(selectors.conflict_list_visible_to(user=user)[:PAGE_MAX])
    events.record_listed(
        actor=user, object_type="casework.safeguardingconflict", ids=[c.pk for c in conflicts]
    )
    return {"count": len(conflicts), "items": _conflicts(user, conflicts)}


# Break glass (issue 16)
break_glass_router = Router(tags=["break glass"])


class BreakGlassIn(StrictIn):
    """Why someone with no relationship to a restricted case must open it now."""

    reason: str = Field(
        default="",
        max_length=breakglass.MAX_REASON,
        description=f"At least {breakglass.MIN_REASON} characters: the emergency, and why the people named on the "
        "record cannot help in time.",
    )


class BreakGlassSignOffIn(StrictIn):
    """A reviewer's sign-off of a break-glass use, with an optional note."""

    note: str = Field(default="", max_length=breakglass.MAX_NOTE)


class BreakGlassUseOut(Schema):
    """One use of break glass: who opened which restricted case, when, why, until when, and its review."""

    id: int
    case_id: int
    case_reference: str
    lead_agency: AgencyOut
    user: PersonRefOut
    reason: str
    opened_at: datetime
    expires_at: datetime
    signed_off_by: PersonRefOut | None
    signed_off_at: datetime | None
    review_note: str


class BreakGlassUsePageOut(Schema):
    """The break-glass uses awaiting sign-off."""

    count: int
    items: list[BreakGlassUseOut]


def _break_glass_use(use) -> dict:
    return {
        "id": use.pk,
        "case_id": use.case_id,
        "case_reference": use.case.reference,
        "lead_agency": _agency(use.case.lead_agency),
        "user": _person(use.user),
        "reason": use.reason,
        "opened_at": use.opened_at,
        "expires_at": use.expires_at,
        "signed_off_by": _person(use.signed_off_by),
        "signed_off_at": use.signed_off_at,
        "review_note": use.review_note,
    }


@cases_router.post(
    "/{int:case_id}/break-glass",
    response={
        201: BreakGlassUseOut,
        401: ErrorOut,
        403: ErrorOut,
        404: ErrorOut,
        409: ErrorOut,
        422: ErrorOut,
    },
    summary="Open a restricted case by stating a reason (break glass)",
    operation_id="case_break_glass",
)
def break_glass(request, case_id: Id, payload: BreakGlassIn):
    """A case worker with no relationship to a restricted case reads it for a few hours, stating why; the owner and
    the partnership leads are told, and the use waits for review. 403 for those who may not break glass at all
    (reviewers, administrators, records managers, data protection officers); 404 for a case that does not exist
    or is not restricted and not theirs to see; 409 for one they can already read."""
    user = request.auth
    policy.require(user, "can_break_glass")
    try:
        case = selectors.case_behind_glass(user=user, case_id=case_id)
    except Http404:
        # Answers 404 itself unless the user can read the case already.
        selectors.case_get_for_user(user=user, case_id=case_id, with_record=False)
        raise ApiError(
            409, "conflict", "You can already read this record, so there is no need to break the glass."
        ) from None
    use = breakglass.break_glass_open(actor=user, case=case, reason=payload.reason)
    return Status(201, _break_glass_use(selectors.break_glass_use_get(use_id=use.pk)))


@break_glass_router.get(
    "",
    response={200: BreakGlassUsePageOut, 401: ErrorOut, 403: ErrorOut},
    summary="Break-glass uses awaiting sign-off",
    operation_id="break_glass_review_list",
)
def list_break_glass_uses(request):
    """For a partnership lead or data protection officer: every use awaiting sign-off, oldest first, except their
    own."""
    user = request.auth
    policy.require(user, "can_review_break_glass")
    uses = list(selectors.break_glass_uses_for_review(user)[:PAGE_MAX])
    events.record_listed(actor=user, object_type="casework.breakglassuse", ids=[u.pk for u in uses])
    return {"count": len(uses), "items": [_break_glass_use(u) for u in uses]}


@break_glass_router.post(
    "/{int:use_id}/sign-off",
    response={
        200: BreakGlassUseOut,
        401: ErrorOut,
        403: ErrorOut,
        404: ErrorOut,
        409: ErrorOut,
        422: ErrorOut,
    },
    summary="Sign off a break-glass use",
    operation_id="break_glass_sign_off",
)
def sign_off_break_glass(request, use_id: Id, payload: BreakGlassSignOffIn):
    """A partnership lead or data protection officer, never the user who broke the glass, signs a use off."""
    user = request.auth
    use = selectors.break_glass_use_get_for_review(user=user, use_id=use_id)
    _require_action(user, "can_sign_off_break_glass", use)
    breakglass.break_glass_sign_off(actor=user, use=use, note=payload.note)
    return _break_glass_use(selectors.break_glass_use_get(use_id=use.pk))
