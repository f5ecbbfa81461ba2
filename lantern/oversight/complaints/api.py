"""API: complaints and conduct matters.

A complaint, conduct matter or stage escalation the user may not see answers 404, exactly as one that does not
exist; the subject of a conduct matter gets 404 for the matter itself and reads only their notices at
`/conduct-matters/about-me`. A user who may see a record but not move it on is answered 403. Bad input is
answered 422 with a message per field and nothing is written; a move the record's stage does not allow
(responding before acknowledging, an outcome that does not follow from the finding) is answered 409. A reference
in a body to a record that does not exist or that the user may not choose there (an agency code, a referral, a
task, a person, a complaint) is answered 404 naming the field, as an id in the path is (decision 0022).
"""

from datetime import date, datetime, timedelta
from typing import Literal

from django.utils import timezone
from ninja import Field, Query, Router, Schema
from ninja.responses import Status

from lantern.accounts.models import Agency, User
from lantern.audit import events
from lantern.casework.api import AgencyOut, ClockOut, PersonRefOut
from lantern.casework.models import AgencyTask
from lantern.casework.selectors import task_list_visible_to
from lantern.casework.timescales import clock_reading
from lantern.core import policy
from lantern.core.api import ErrorOut, Id, IsoDate, not_found, offset_field
from lantern.core.policy import PolicyDenied
from lantern.oversight.complaints import selectors, services
from lantern.oversight.complaints.models import (
    AssessmentDecision,
    ComplainantType,
    ComplaintOutcome,
    ComplaintStatus,
    ConductFinding,
    ConductOutcome,
    ConductStatus,
    ExternalBody,
    ExternalDecision,
)
from lantern.oversight.complaints.schemas import (
    AssessIn,
    ComplaintIn,
    ConductFindingIn,
    ConductMatterIn,
    ConductOutcomeIn,
    ExternalAcknowledgedIn,
    ExternalDecisionIn,
    HandlerIn,
    LearningActionIn,
    LinksIn,
    NoteIn,
    NotifySubjectIn,
    RequiredNoteIn,
    RespondIn,
    StageEscalationResolveIn,
    StageTwoIn,
)

router = Router(tags=["complaints"])
PAGE_MAX = 100


def _require_action(user, rule: str, obj) -> None:
    if not policy.allows(user, rule, obj):
        raise PolicyDenied(rule)


# Schemas
class TimelineStepOut(Schema):
    """One move of a complaint or conduct matter, for its timeline."""

    at: datetime
    title: str
    note: str
    by: PersonRefOut | None


class StageEscalationOut(Schema):
    """An overdue stage escalated one rung: why, to whom, and how it was resolved."""

    id: int
    level: int
    clock: str
    status: str
    reason: str
    agency: AgencyOut
    complaint_id: int | None
    conduct_matter_id: int | None
    raised_at: datetime
    recipients: list[PersonRefOut]
    resolved_by: PersonRefOut | None
    resolved_at: datetime | None
    resolution: str


class LearningActionOut(Schema):
    """A learning action from a complaint."""

    id: int
    description: str
    agency: AgencyOut
    owner: PersonRefOut
    due_date: date
    completed_at: datetime | None
    completion_note: str


class ComplaintOut(Schema):
    """A complaint about how a concern was handled, where it stands and its clock."""

    id: int
    reference: str
    complainant_type: ComplainantType
    complainant_name: str
    complainant_contact: str
    agency: AgencyOut
    stage: int
    status: ComplaintStatus
    received_at: datetime
    ack_due_at: datetime
    response_due_at: datetime
    acknowledged_at: datetime | None
    responded_at: datetime | None
    closed_at: datetime | None
    outcome: ComplaintOutcome | None
    stage_one_outcome: ComplaintOutcome | None
    handler: PersonRefOut | None
    referral_ids: list[int]
    task_ids: list[int]
    overdue: bool
    clock: ClockOut


class ComplaintDetailOut(ComplaintOut):
    """A complaint with its account, response, steps, learning actions and escalations."""

    account: str
    response: str
    stage_two_reason: str
    steps: list[TimelineStepOut]
    learning_actions: list[LearningActionOut]
    escalations: list[StageEscalationOut]


class ComplaintPageOut(Schema):
    """One page of complaints and how many there are in all."""

    count: int
    limit: int
    offset: int
    items: list[ComplaintOut]


class ComplaintQuery(Schema):
    """Filters and paging for the complaint list."""

    status: Literal["open", "received", "acknowledged", "investigating", "responded", "closed"] | None = (
        Field(None, description="`open` is every complaint not closed.")
    )
    stage: int | None = Field(None, ge=1, le=2)
    overdue: bool | None = None
    limit: int = Field(50, ge=1, le=PAGE_MAX)
    offset: int = offset_field()


class ConductMatterOut(Schema):
    """A conduct matter, for those who work on it (never its subject)."""

    id: int
    reference: str
    subject: PersonRefOut
    agency: AgencyOut
    allegation: str
    complaint_id: int | None
    status: ConductStatus
    recorded_at: datetime
    assessment_due_at: datetime
    assessment_decision: AssessmentDecision | None
    assessment: str
    external_body: ExternalBody | None
    external_reference: str
    external_sent_at: datetime | None
    external_acknowledged_at: datetime | None
    external_decided_at: datetime | None
    external_decision: ExternalDecision | None
    investigator: PersonRefOut | None
    investigation_started_at: datetime | None
    investigation_due_at: datetime | None
    investigation_notes: str
    finding: ConductFinding | None
    finding_rationale: str
    outcome: ConductOutcome | None
    outcome_at: datetime | None
    outcome_summary: str
    subject_notified_at: datetime | None
    subject_summary: str
    overdue: bool
    clock: ClockOut


class ConductMatterDetailOut(ConductMatterOut):
    """A conduct matter with its steps and escalations."""

    steps: list[TimelineStepOut]
    escalations: list[StageEscalationOut]


class ConductPageOut(Schema):
    """One page of conduct matters and how many there are in all."""

    count: int
    limit: int
    offset: int
    items: list[ConductMatterOut]


class ConductQuery(Schema):
    """Filters and paging for the conduct list."""

    status: (
        Literal["open", "assessment", "referred", "investigating", "awaiting_outcome", "concluded"] | None
    ) = None
    overdue: bool | None = None
    limit: int = Field(50, ge=1, le=PAGE_MAX)
    offset: int = offset_field()


class ConductNoticeOut(Schema):
    """What the subject of a conduct matter may know: that it exists, what they were told, and the outcome."""

    id: int
    reference: str
    agency: str
    notified_at: datetime
    summary: str
    concluded: bool
    outcome: ConductOutcome | None
    outcome_at: datetime | None


class OutcomeRowOut(Schema):
    """One agency's counts by outcome; null where suppressed (fewer than 5, outside the partnership)."""

    agency: str
    counts: dict[str, int | None]
    total: int | None


class OutcomeTableOut(Schema):
    """Outcome counts by agency."""

    rows: list[OutcomeRowOut]
    totals: dict[str, int | None]
    grand_total: int | None


class OutcomesOut(Schema):
    """Complaint and conduct outcomes by agency for a period; `exact` is false when small counts are suppressed."""

    start: date
    end: date
    exact: bool
    suppress_below: int
    complaints: OutcomeTableOut
    conduct: OutcomeTableOut


class OutcomesQuery(Schema):
    """The period (inclusive); the last 12 months if left out."""

    start: IsoDate | None = None
    end: IsoDate | None = None


# Building the answers
def _agency(agency) -> dict:
    return {"code": agency.code, "name": agency.name, "kind": agency.kind}


def _person(user) -> dict | None:
    if user is None:
        return None
    return {"id": user.pk, "name": user.display_name, "agency": user.agency.name if user.agency_id else None}


def _clock_out(reading) -> dict:
    return {"state": reading.state, "text": reading.text, "due_at": reading.due_at, "met_at": reading.met_at}


def _step(step) -> dict:
    return {"at": step.at, "title": step.title, "note": step.note, "by": _person(step.by)}


def _escalation(e) -> dict:
    return {
        "id": e.pk,
        "level": e.level,
        "clock": e.clock,
        "status": e.status,
        "reason": e.reason,
        "agency": _agency(e.agency),
        "complaint_id": e.complaint_id,
        "conduct_matter_id": e.conduct_matter_id,
        "raised_at": e.raised_at,
        "recipients": [_person(u) for u in e.recipients.all()],
        "resolved_by": _person(e.resolved_by),
        "resolved_at": e.resolved_at,
        "resolution": e.resolution,
    }


def _complaint(c, now: datetime) -> dict:
    running = services.complaint_clock(c)
    reading = (
        clock_reading(running[1], now=now)
        if running
        else clock_reading(c.response_due_at, now=now, met_at=c.responded_at)
    )
    return {
        "id": c.pk,
        "reference": c.reference,
        "complainant_type": c.complainant_type,
        "complainant_name": c.complainant_name,
        "complainant_contact": c.complainant_contact,
        "agency": _agency(c.agency),
        "stage": c.stage,
        "status": c.status,
        "received_at": c.received_at,
        "ack_due_at": c.ack_due_at,
        "response_due_at": c.response_due_at,
        "acknowledged_at": c.acknowledged_at,
        "responded_at": c.responded_at,
        "closed_at": c.closed_at,
        "outcome": c.outcome or None,
        "stage_one_outcome": c.stage_one_outcome or None,
        "handler": _person(c.handler),
        "referral_ids": sorted(r.pk for r in c.referrals.all()),
        "task_ids": sorted(t.pk for t in c.tasks.all()),
        "overdue": reading.is_overdue,
        "clock": _clock_out(reading),
    }


def _complaint_detail(c, now: datetime) -> dict:
    return {
        **_complaint(c, now),
        "account": c.account,
        "response": c.response,
        "stage_two_reason": c.stage_two_reason,
        "steps": [_step(s) for s in c.step_list],
        "learning_actions": [
            {
                "id": a.pk,
                "description": a.description,
                "agency": _agency(a.agency),
                "owner": _person(a.owner),
                "due_date": a.due_date,
                "completed_at": a.completed_at,
                "completion_note": a.completion_note,
            }
            for a in c.action_list
        ],
        "escalations": [_escalation(e) for e in c.escalation_list],
    }


def _matter(m, now: datetime) -> dict:
    running = services.conduct_clock(m)
    reading = clock_reading(running[1] if running else None, now=now)
    return {
        "id": m.pk,
        "reference": m.reference,
        "subject": _person(m.subject),
        "agency": _agency(m.agency),
        "allegation": m.allegation,
        "complaint_id": m.complaint_id,
        "status": m.status,
        "recorded_at": m.recorded_at,
        "assessment_due_at": m.assessment_due_at,
        "assessment_decision": m.assessment_decision or None,
        "assessment": m.assessment,
        "external_body": m.external_body or None,
        "external_reference": m.external_reference,
        "external_sent_at": m.external_sent_at,
        "external_acknowledged_at": m.external_acknowledged_at,
        "external_decided_at": m.external_decided_at,
        "external_decision": m.external_decision or None,
        "investigator": _person(m.investigator),
        "investigation_started_at": m.investigation_started_at,
        "investigation_due_at": m.investigation_due_at,
        "investigation_notes": m.investigation_notes,
        "finding": m.finding or None,
        "finding_rationale": m.finding_rationale,
        "outcome": m.outcome or None,
        "outcome_at": m.outcome_at,
        "outcome_summary": m.outcome_summary,
        "subject_notified_at": m.subject_notified_at,
        "subject_summary": m.subject_summary,
        "overdue": reading.is_overdue,
        "clock": _clock_out(reading),
    }


def _matter_detail(m, now: datetime) -> dict:
    return {
        **_matter(m, now),
        "steps": [_step(s) for s in m.step_list],
        "escalations": [_escalation(e) for e in m.escalation_list],
    }


def _agency_by_code(code: str) -> Agency:
    agency = Agency.objects.filter(code=code, is_active=True).first()
    if agency is None:
        raise not_found("agency", "No agency has this code.")
    return agency


def _visible_referrals(user, ids: list[int]) -> list:
    if not ids:
        return []
    found = {r.pk: r for r in selectors.referrals_linkable(user=user).filter(pk__in=ids)}
    missing = [i for i in ids if i not in found]
    if missing:
        raise not_found("referral_ids", f"No referral you can see has the id {missing[0]}.")
    return [found[i] for i in dict.fromkeys(ids)]


def _visible_tasks(user, ids: list[int]) -> list[AgencyTask]:
    if not ids:
        return []
    found = {t.pk: t for t in task_list_visible_to(user=user).filter(pk__in=ids)}
    missing = [i for i in ids if i not in found]
    if missing:
        raise not_found("task_ids", f"No task you can see has the id {missing[0]}.")
    return [found[i] for i in dict.fromkeys(ids)]


def _person_from(queryset, pk: int | None, field: str, message: str) -> User | None:
    """The person with this id among those who may be chosen for `field`; 404 naming the field if none is."""
    if pk is None:
        return None
    person = queryset.filter(pk=pk).first()
    if person is None:
        raise not_found(field, message)
    return person


def _complaint_list_qs(user, filters: ComplaintQuery, now: datetime):
    return (
        selectors.complaint_filter(
            selectors.complaint_list_visible_to(user=user),
            status=filters.status or "",
            stage=filters.stage,
            overdue=filters.overdue,
            now=now,
        )
        .select_related("handler__agency")
        .prefetch_related("referrals", "tasks")
    )


def _handled_complaint(request, complaint_id: Id):
    complaint = selectors.complaint_get_for_user(
        user=request.auth, complaint_id=complaint_id, with_record=False
    )
    _require_action(request.auth, "can_handle_complaint", complaint)
    return complaint


def _complaint_answer(request, complaint_id: Id) -> dict:
    complaint = selectors.complaint_get_for_user(user=request.auth, complaint_id=complaint_id)
    return _complaint_detail(complaint, timezone.now())


COMPLAINT_WRITE = {
    200: ComplaintDetailOut,
    401: ErrorOut,
    403: ErrorOut,
    404: ErrorOut,
    409: ErrorOut,
    422: ErrorOut,
}
CONDUCT_WRITE = {
    200: ConductMatterDetailOut,
    401: ErrorOut,
    403: ErrorOut,
    404: ErrorOut,
    409: ErrorOut,
    422: ErrorOut,
}


# Complaints
@router.get(
    "/complaints",
    response={200: ComplaintPageOut, 401: ErrorOut, 422: ErrorOut},
    summary="List complaints",
    operation_id="complaint_list",
)
def list_complaints(request, filters: Query[ComplaintQuery]):
    """The complaints the user may see, newest first, filtered by status, stage and `overdue`."""
    user, now = request.auth, timezone.now()
    complaints = _complaint_list_qs(user, filters, now)
    count = complaints.count()
    items = list(complaints[filters.offset : filters.offset + filters.limit])
    events.record_listed(
        actor=user,
        object_type="oversight.complaint",
        ids=[c.pk for c in items],
        query=filters.model_dump(mode="json"),
    )
    return {
        "count": count,
        "limit": filters.limit,
        "offset": filters.offset,
        "items": [_complaint(c, now) for c in items],
    }


@router.post(
    "/complaints",
    response={201: ComplaintDetailOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    summary="Record a complaint",
    operation_id="complaint_create",
)
def create_complaint(request, payload: ComplaintIn):
    """Record a complaint about how a concern was handled; its clocks start from when it was received."""
    user = request.auth
    policy.require(user, "can_record_complaint")
    complaint = services.complaint_record(
        actor=user,
        complainant_type=payload.complainant_type,
        complainant_name=payload.complainant_name,
        complainant_contact=payload.complainant_contact,
        account=payload.account,
        agency=_agency_by_code(payload.agency),
        received_at=payload.received_at,
        referrals=_visible_referrals(user, payload.referral_ids),
        tasks=_visible_tasks(user, payload.task_ids),
    )
    return Status(201, _complaint_answer(request, complaint.pk))


def _outcomes_period(period: OutcomesQuery) -> tuple[date, date]:
    """The period covered: up to today at most (the answer states it), from a year before its end if no start is
    given; 404 naming `start` for a period that holds no day (decision 0022). Nothing is swapped."""
    today = timezone.localdate()
    end = min(period.end or today, today)
    year = timedelta(days=365)
    start = period.start or (end - year if end > date.min + year else date.min)
    if start > end:
        after = "after it ends" if start <= today else "after today"
        raise not_found("start", f"The period starts {after}, so it holds no day to give figures for.")
    return start, end


@router.get(
    "/complaints/outcomes",
    response={200: OutcomesOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    summary="Complaint and conduct outcomes by agency",
    operation_id="complaint_outcomes",
)
def outcomes(request, period: Query[OutcomesQuery]):
    """Outcomes decided in the period, by agency; outside the partnership counts of 1 to 4 are null and totals are
    left out (null)."""
    start, end = _outcomes_period(period)
    result = selectors.complaints_outcomes(user=request.auth, start=start, end=end)

    def table(t) -> dict:
        keys = [value for value, _ in t.columns]
        return {
            "rows": [
                {"agency": r.agency, "counts": dict(zip(keys, r.counts, strict=True)), "total": r.total}
                for r in t.rows
            ],
            "totals": dict(zip(keys, t.column_totals, strict=True)),
            "grand_total": t.grand_total,
        }

    return {
        "start": result.start,
        "end": result.end,
        "exact": result.exact,
        "suppress_below": result.suppress_below,
        "complaints": table(result.complaints),
        "conduct": table(result.conduct),
    }


@router.get(
    "/complaints/{int:complaint_id}",
    response={200: ComplaintDetailOut, 401: ErrorOut, 404: ErrorOut},
    summary="One complaint, with its steps, learning actions and escalations",
    operation_id="complaint_get",
)
def get_complaint(request, complaint_id: Id):
    """A complaint the user may see; 404 both when it does not exist and when they may not see it."""
    complaint = selectors.complaint_get_for_user(user=request.auth, complaint_id=complaint_id)
    events.record_viewed(actor=request.auth, obj=complaint)
    return _complaint_detail(complaint, timezone.now())


@router.post(
    "/complaints/{int:complaint_id}/acknowledge",
    response=COMPLAINT_WRITE,
    summary="Acknowledge a complaint",
    operation_id="complaint_acknowledge",
)
def acknowledge_complaint(request, complaint_id: Id, payload: NoteIn):
    """Acknowledge the complaint to the complainant (meets the acknowledgement clock)."""
    complaint = _handled_complaint(request, complaint_id)
    services.complaint_acknowledge(actor=request.auth, complaint=complaint, note=payload.note)
    return _complaint_answer(request, complaint_id)


@router.post(
    "/complaints/{int:complaint_id}/investigate",
    response=COMPLAINT_WRITE,
    summary="Start investigating a complaint",
    operation_id="complaint_investigate",
)
def investigate_complaint(request, complaint_id: Id, payload: NoteIn):
    """Start investigating an acknowledged complaint."""
    complaint = _handled_complaint(request, complaint_id)
    services.complaint_start_investigation(actor=request.auth, complaint=complaint, note=payload.note)
    return _complaint_answer(request, complaint_id)


@router.post(
    "/complaints/{int:complaint_id}/respond",
    response=COMPLAINT_WRITE,
    summary="Record the response and outcome",
    operation_id="complaint_respond",
)
def respond_complaint(request, complaint_id: Id, payload: RespondIn):
    """Record the response sent and whether the complaint is upheld, partly upheld or not upheld."""
    complaint = _handled_complaint(request, complaint_id)
    services.complaint_respond(
        actor=request.auth, complaint=complaint, outcome=payload.outcome, response=payload.response
    )
    return _complaint_answer(request, complaint_id)


@router.post(
    "/complaints/{int:complaint_id}/close",
    response=COMPLAINT_WRITE,
    summary="Close a complaint",
    operation_id="complaint_close",
)
def close_complaint(request, complaint_id: Id, payload: NoteIn):
    """Close a complaint after its response (an upheld one needs a learning action or a note)."""
    complaint = _handled_complaint(request, complaint_id)
    services.complaint_close(actor=request.auth, complaint=complaint, note=payload.note)
    return _complaint_answer(request, complaint_id)


@router.post(
    "/complaints/{int:complaint_id}/stage-two",
    response=COMPLAINT_WRITE,
    summary="Take a complaint to stage 2",
    operation_id="complaint_stage_two",
)
def stage_two(request, complaint_id: Id, payload: StageTwoIn):
    """The complainant is dissatisfied with the stage 1 response: the partnership reviews it."""
    complaint = _handled_complaint(request, complaint_id)
    services.complaint_escalate_to_stage_two(
        actor=request.auth, complaint=complaint, reason=payload.reason, requested_at=payload.requested_at
    )
    return _complaint_answer(request, complaint_id)


@router.post(
    "/complaints/{int:complaint_id}/handler",
    response=COMPLAINT_WRITE,
    summary="Name who handles a complaint",
    operation_id="complaint_handler",
)
def assign_handler(request, complaint_id: Id, payload: HandlerIn):
    """Name the handler: a case worker of the agency (stage 1) or of the partnership (stage 2)."""
    complaint = _handled_complaint(request, complaint_id)
    handler = _person_from(
        selectors.handler_choices(complaint),
        payload.handler_id,
        "handler_id",
        "Choose an active case worker who may handle this complaint.",
    )
    services.complaint_assign_handler(actor=request.auth, complaint=complaint, handler=handler)
    return _complaint_answer(request, complaint_id)


@router.post(
    "/complaints/{int:complaint_id}/links",
    response=COMPLAINT_WRITE,
    summary="Link referrals and tasks to a complaint",
    operation_id="complaint_link",
)
def link_complaint(request, complaint_id: Id, payload: LinksIn):
    """Link more referrals and tasks the user can see to the complaint."""
    user = request.auth
    complaint = _handled_complaint(request, complaint_id)
    services.complaint_link(
        actor=user,
        complaint=complaint,
        referrals=_visible_referrals(user, payload.referral_ids),
        tasks=_visible_tasks(user, payload.task_ids),
    )
    return _complaint_answer(request, complaint_id)


@router.post(
    "/complaints/{int:complaint_id}/learning-actions",
    response={201: ComplaintDetailOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    summary="Add a learning action",
    operation_id="learning_action_create",
)
def add_learning_action(request, complaint_id: Id, payload: LearningActionIn):
    """Agree a learning action with an owner and a due date."""
    complaint = _handled_complaint(request, complaint_id)
    owner = _person_from(
        selectors.case_worker_choices(),
        payload.owner_id,
        "owner_id",
        "Choose an active case worker to own the action.",
    )
    services.learning_action_add(
        actor=request.auth,
        complaint=complaint,
        description=payload.description,
        owner=owner,
        due_date=payload.due_date,
    )
    return Status(201, _complaint_answer(request, complaint_id))


@router.post(
    "/complaints/{int:complaint_id}/learning-actions/{int:action_id}/complete",
    response=COMPLAINT_WRITE,
    summary="Complete a learning action",
    operation_id="learning_action_complete",
)
def complete_learning_action(request, complaint_id: Id, action_id: Id, payload: RequiredNoteIn):
    """Record that a learning action is done, and what was done."""
    user = request.auth
    complaint = selectors.complaint_get_for_user(user=user, complaint_id=complaint_id, with_record=False)
    action = selectors.learning_action_get(complaint=complaint, action_id=action_id)
    _require_action(user, "can_complete_learning_action", action)
    services.learning_action_complete(actor=user, action=action, note=payload.note)
    return _complaint_answer(request, complaint_id)


# Conduct matters
@router.get(
    "/conduct-matters",
    response={200: ConductPageOut, 401: ErrorOut, 422: ErrorOut},
    summary="List conduct matters",
    operation_id="conduct_list",
)
def list_conduct_matters(request, filters: Query[ConductQuery]):
    """The conduct matters the user works on or may see — never those about themselves."""
    user, now = request.auth, timezone.now()
    matters = selectors.conduct_filter(
        selectors.conduct_matter_list_visible_to(user=user),
        status=filters.status or "",
        overdue=filters.overdue,
        now=now,
    )
    count = matters.count()
    items = list(matters[filters.offset : filters.offset + filters.limit])
    events.record_listed(
        actor=user,
        object_type="oversight.conductmatter",
        ids=[m.pk for m in items],
        query=filters.model_dump(mode="json"),
    )
    return {
        "count": count,
        "limit": filters.limit,
        "offset": filters.offset,
        "items": [_matter(m, now) for m in items],
    }


@router.post(
    "/conduct-matters",
    response={201: ConductMatterDetailOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    summary="Record a conduct matter",
    operation_id="conduct_create",
)
def create_conduct_matter(request, payload: ConductMatterIn):
    """Record an allegation about a named professional of the user's agency (any agency, for the partnership lead)."""
    user = request.auth
    policy.require(user, "can_record_conduct_matter")
    subject = _person_from(
        selectors.conduct_subject_choices(user=user),
        payload.subject_id,
        "subject_id",
        "Choose a professional you may record a conduct matter about.",
    )
    complaint = None
    if payload.complaint_id is not None:
        complaint = selectors.complaint_list_visible_to(user=user).filter(pk=payload.complaint_id).first()
        if complaint is None:
            raise not_found("complaint_id", "No complaint you can see has this id.")
    matter = services.conduct_matter_record(
        actor=user, subject=subject, allegation=payload.allegation, complaint=complaint
    )
    return Status(
        201,
        _matter_detail(selectors.conduct_matter_get_for_user(user=user, matter_id=matter.pk), timezone.now()),
    )


@router.get(
    "/conduct-matters/about-me",
    response={200: list[ConductNoticeOut], 401: ErrorOut},
    summary="Conduct matters about me",
    operation_id="conduct_notices",
)
def my_notices(request):
    """The conduct matters about the user that they have been told of: what they were told, and the outcome."""
    notices = selectors.conduct_notices_for(user=request.auth)
    if notices:
        events.record_listed(
            actor=request.auth,
            object_type="oversight.conductmatter",
            ids=[n.id for n in notices],
            query={"list": "notices_about_me"},
        )
    return [
        {
            "id": n.id,
            "reference": n.reference,
            "agency": n.agency,
            "notified_at": n.notified_at,
            "summary": n.summary,
            "concluded": n.concluded,
            "outcome": n.outcome or None,
            "outcome_at": n.outcome_at,
        }
        for n in notices
    ]


@router.get(
    "/conduct-matters/{int:matter_id}",
    response={200: ConductMatterDetailOut, 401: ErrorOut, 404: ErrorOut},
    summary="One conduct matter",
    operation_id="conduct_get",
)
def get_conduct_matter(request, matter_id: Id):
    """A conduct matter the user works on; 404 when it does not exist, when they may not see it, and to its subject."""
    matter = selectors.conduct_matter_get_for_user(user=request.auth, matter_id=matter_id)
    events.record_viewed(actor=request.auth, obj=matter)
    return _matter_detail(matter, timezone.now())


def _handled_matter(request, matter_id: Id):
    matter = selectors.conduct_matter_get_for_user(user=request.auth, matter_id=matter_id, with_record=False)
    _require_action(request.auth, "can_handle_conduct_matter", matter)
    return matter


def _matter_answer(request, matter_id: Id) -> dict:
    return _matter_detail(
        selectors.conduct_matter_get_for_user(user=request.auth, matter_id=matter_id), timezone.now()
    )


def _investigator(matter, pk: int | None) -> User | None:
    return _person_from(
        selectors.case_worker_choices().exclude(pk=matter.subject_id),
        pk,
        "investigator_id",
        "Choose an active case worker, not the subject, to investigate.",
    )


@router.post(
    "/conduct-matters/{int:matter_id}/assess",
    response=CONDUCT_WRITE,
    summary="Record the assessment",
    operation_id="conduct_assess",
)
def assess(request, matter_id: Id, payload: AssessIn):
    """Refer to an external body (with the date sent), investigate (with an investigator), or no case to answer."""
    matter = _handled_matter(request, matter_id)
    services.conduct_matter_assess(
        actor=request.auth,
        matter=matter,
        decision=payload.decision,
        assessment=payload.assessment,
        external_body=payload.external_body or "",
        external_reference=payload.external_reference,
        sent_at=payload.sent_at,
        investigator=_investigator(matter, payload.investigator_id),
    )
    return _matter_answer(request, matter_id)


@router.post(
    "/conduct-matters/{int:matter_id}/external-acknowledgement",
    response=CONDUCT_WRITE,
    summary="Record the external body's acknowledgement",
    operation_id="conduct_external_acknowledged",
)
def external_acknowledged(request, matter_id: Id, payload: ExternalAcknowledgedIn):
    """When the external body acknowledged the referral."""
    matter = _handled_matter(request, matter_id)
    services.conduct_matter_external_acknowledged(
        actor=request.auth,
        matter=matter,
        acknowledged_at=payload.acknowledged_at,
        external_reference=payload.external_reference,
    )
    return _matter_answer(request, matter_id)


@router.post(
    "/conduct-matters/{int:matter_id}/external-decision",
    response=CONDUCT_WRITE,
    summary="Record the external body's decision",
    operation_id="conduct_external_decided",
)
def external_decided(request, matter_id: Id, payload: ExternalDecisionIn):
    """What the external body decided: investigation (by the agency or the body) or no further action."""
    matter = _handled_matter(request, matter_id)
    services.conduct_matter_external_decided(
        actor=request.auth,
        matter=matter,
        decision=payload.decision,
        decided_at=payload.decided_at,
        investigator=_investigator(matter, payload.investigator_id),
        note=payload.note,
    )
    return _matter_answer(request, matter_id)


@router.post(
    "/conduct-matters/{int:matter_id}/finding",
    response=CONDUCT_WRITE,
    summary="Record the finding",
    operation_id="conduct_finding",
)
def finding(request, matter_id: Id, payload: ConductFindingIn):
    """The investigation's finding and its reasons."""
    matter = _handled_matter(request, matter_id)
    services.conduct_matter_record_finding(
        actor=request.auth,
        matter=matter,
        finding=payload.finding,
        rationale=payload.rationale,
        investigation_notes=payload.investigation_notes,
    )
    return _matter_answer(request, matter_id)


@router.post(
    "/conduct-matters/{int:matter_id}/outcome",
    response=CONDUCT_WRITE,
    summary="Record the outcome",
    operation_id="conduct_outcome",
)
def outcome(request, matter_id: Id, payload: ConductOutcomeIn):
    """The outcome that concludes the matter; it must follow from the finding."""
    matter = _handled_matter(request, matter_id)
    services.conduct_matter_record_outcome(
        actor=request.auth, matter=matter, outcome=payload.outcome, summary=payload.summary
    )
    return _matter_answer(request, matter_id)


@router.post(
    "/conduct-matters/{int:matter_id}/notify-subject",
    response=CONDUCT_WRITE,
    summary="Tell the professional about the matter",
    operation_id="conduct_notify_subject",
)
def notify_subject(request, matter_id: Id, payload: NotifySubjectIn):
    """Tell the subject the matter exists, in these words; they see nothing more until the outcome."""
    matter = _handled_matter(request, matter_id)
    services.conduct_matter_notify_subject(actor=request.auth, matter=matter, summary=payload.summary)
    return _matter_answer(request, matter_id)


# Stage escalations
@router.get(
    "/stage-escalations/{int:escalation_id}",
    response={200: StageEscalationOut, 401: ErrorOut, 404: ErrorOut},
    summary="One stage escalation",
    operation_id="stage_escalation_get",
)
def get_stage_escalation(request, escalation_id: Id):
    """An escalated complaint or conduct stage the user may see."""
    escalation = selectors.stage_escalation_get_for_user(user=request.auth, escalation_id=escalation_id)
    events.record_viewed(actor=request.auth, obj=escalation)
    return _escalation(escalation)


@router.post(
    "/stage-escalations/{int:escalation_id}/resolve",
    response={
        200: StageEscalationOut,
        401: ErrorOut,
        403: ErrorOut,
        404: ErrorOut,
        409: ErrorOut,
        422: ErrorOut,
    },
    summary="Resolve a stage escalation",
    operation_id="stage_escalation_resolve",
)
def resolve_stage_escalation(request, escalation_id: Id, payload: StageEscalationResolveIn):
    """Record how the escalation was resolved; nothing is cleared without a written resolution."""
    user = request.auth
    escalation = selectors.stage_escalation_get_for_user(user=user, escalation_id=escalation_id)
    _require_action(user, "can_resolve_stage_escalation", escalation)
    services.stage_escalation_resolve(actor=user, escalation=escalation, resolution=payload.resolution)
    return _escalation(selectors.stage_escalation_get_for_user(user=user, escalation_id=escalation_id))
