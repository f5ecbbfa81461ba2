"""Writes for complaints and conduct matters: recording them, moving them through their stages, learning actions,
telling the subject, and escalating stages that run out of time up the referral loop's ladder.

Every function is keyword-only, takes `actor=` (None for the worker), runs in one transaction and writes its audit
event in that transaction; notifications go out in the app at once and by email on commit, through casework's
notification helper. Bad input raises `Invalid` (field messages, nothing written); a record in the wrong state
(responding before acknowledging, closing twice) raises `Conflict`.

Timescales
----------
Every timescale runs in working days on the business-day calendar for England (`lantern.core.calendar`), keeping
the time of day, and is a setting: `settings.LANTERN_COMPLAINT_TIMESCALES` is a dict merged over these defaults.

==========================================  =======  ====================================================
key                                         default  meaning
==========================================  =======  ====================================================
``acknowledge_working_days``                3        stage 1: acknowledge the complaint, from receipt
``respond_working_days``                    20       stage 1: send the response, from receipt
``stage_two_request_working_days``          20       a dissatisfied complainant may ask for stage 2 within
                                                     this long of the stage 1 response
``stage_two_acknowledge_working_days``      3        stage 2: acknowledge, from the request
``stage_two_respond_working_days``          25       stage 2: the partnership's response, from the request
``conduct_assessment_working_days``         5        assess a conduct allegation, from recording
``conduct_external_decision_working_days``  20       an external body's decision, from the referral (the
                                                     clock tells managers to chase it)
``conduct_investigation_working_days``      60       finish the investigation, from its start
``conduct_outcome_working_days``            15       decide the outcome, from the finding
``escalate_every_working_days``             2        an overdue stage escalates to the team manager when
                                                     it falls due, then one rung up (service manager,
                                                     partnership lead) every this many working days
==========================================  =======  ====================================================
"""

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from lantern.accounts.models import Agency, AgencyKind, Role, User
from lantern.audit import events
from lantern.casework.models import AgencyTask, EscalationStatus
from lantern.casework.services import escalation_recipients, notify
from lantern.casework.timescales import TOP_LEVEL
from lantern.core import policy
from lantern.core.calendar import add_working_days
from lantern.core.exceptions import Conflict, Invalid
from lantern.core.references import next_number
from lantern.core.validation import clean_text, validate
from lantern.intake.models import Referral
from lantern.oversight.complaints import schemas
from lantern.oversight.complaints.models import (
    AssessmentDecision,
    Complaint,
    ComplaintOutcome,
    ComplaintStatus,
    ComplaintStep,
    ConductFinding,
    ConductMatter,
    ConductOutcome,
    ConductStatus,
    ConductStep,
    ExternalDecision,
    LearningAction,
    ProcedureStage,
    StageEscalation,
)

logger = logging.getLogger(__name__)

MAX_ACCOUNT = 10000
CASE_WORK_ROLES = (
    Role.FRONT_DOOR,
    Role.PRACTITIONER,
    Role.TEAM_MANAGER,
    Role.SERVICE_MANAGER,
    Role.ANALYST,
    Role.PARTNERSHIP_LEAD,
)

DEFAULT_TIMESCALES = {
    "acknowledge_working_days": 3,
    "respond_working_days": 20,
    "stage_two_request_working_days": 20,
    "stage_two_acknowledge_working_days": 3,
    "stage_two_respond_working_days": 25,
    "conduct_assessment_working_days": 5,
    "conduct_external_decision_working_days": 20,
    "conduct_investigation_working_days": 60,
    "conduct_outcome_working_days": 15,
    "escalate_every_working_days": 2,
}

# What each clock asks for, in the words of an escalation ("... has not <what> in time").
CLOCK_WORDS = {
    "s1_acknowledge": "acknowledged the complaint",
    "s1_respond": "responded to the complaint",
    "s2_acknowledge": "acknowledged the stage 2 complaint",
    "s2_respond": "responded to the stage 2 complaint",
    "assessment": "assessed the conduct matter",
    "external_decision": "received the external body's decision on the conduct matter",
    "investigation": "finished investigating the conduct matter",
    "outcome": "decided the outcome of the conduct matter",
}
CLOCK_LABELS = {
    "s1_acknowledge": "Stage 1 acknowledgement",
    "s1_respond": "Stage 1 response",
    "s2_acknowledge": "Stage 2 acknowledgement",
    "s2_respond": "Stage 2 response",
    "assessment": "Assessment",
    "external_decision": "External body's decision",
    "investigation": "Investigation",
    "outcome": "Outcome",
}


@dataclass(frozen=True)
class Timescales:
    """The configured complaint and conduct timescales, in working days."""

    acknowledge_working_days: int
    respond_working_days: int
    stage_two_request_working_days: int
    stage_two_acknowledge_working_days: int
    stage_two_respond_working_days: int
    conduct_assessment_working_days: int
    conduct_external_decision_working_days: int
    conduct_investigation_working_days: int
    conduct_outcome_working_days: int
    escalate_every_working_days: int

    def level_due_at(self, first_due: datetime, level: int) -> datetime:
        """When an overdue stage reaches escalation `level`: rung 1 when it falls due, then every N working days."""
        return (
            add_working_days(first_due, self.escalate_every_working_days * (level - 1))
            if level > 1
            else first_due
        )


def timescales() -> Timescales:
    """The timescales in force: `settings.LANTERN_COMPLAINT_TIMESCALES` merged over the defaults."""
    merged = {**DEFAULT_TIMESCALES, **getattr(settings, "LANTERN_COMPLAINT_TIMESCALES", {})}
    return Timescales(**{key: int(merged[key]) for key in DEFAULT_TIMESCALES})


# Small shared checks
def _checked(schema, errors: dict, **values):
    """`values` checked by the input's one schema (`schemas`): the model, or None with its problems added to
    `errors` under the API's field names."""
    given, problems = validate(schema, values)
    for name, messages in problems.items():
        errors.setdefault(name, []).extend(messages)
    return given


def _raise_if(errors: dict, detail: str) -> None:
    if errors:
        raise Invalid(detail, errors)


def _moment(
    value,
    field: str,
    errors: dict,
    *,
    now: datetime,
    required: str = "",
    not_before=None,
    not_before_message: str = "",
) -> datetime | None:
    """Check a date and time: aware, not in the future, and not before `not_before` where given."""
    if value is None:
        if required:
            errors.setdefault(field, []).append(required)
        return None
    if not isinstance(value, datetime) or timezone.is_naive(value):
        errors.setdefault(field, []).append("Enter a real date and time.")
        return None
    if value > now:
        errors.setdefault(field, []).append("The date and time cannot be in the future.")
    elif not_before is not None and value < not_before:
        errors.setdefault(field, []).append(not_before_message)
    return value


def _active_case_worker(user) -> bool:
    return isinstance(user, User) and user.is_active and user.role in CASE_WORK_ROLES


def _url(name: str, *args) -> str:
    try:
        return reverse(f"oversight:{name}", args=args)
    except NoReverseMatch:
        return "/"


def _agency_managers(agency_id: int) -> list[User]:
    return list(
        User.objects.filter(
            is_active=True, agency_id=agency_id, role__in=(Role.TEAM_MANAGER, Role.SERVICE_MANAGER)
        ).order_by("pk")
    )


def _partnership_leads() -> list[User]:
    return list(User.objects.filter(is_active=True, role=Role.PARTNERSHIP_LEAD).order_by("pk"))


def partnership_agency() -> Agency | None:
    """The safeguarding partnership itself, which owns stage 2 of the complaints procedure."""
    return Agency.objects.filter(kind=AgencyKind.PARTNERSHIP).order_by("pk").first()


# Complaints
def _complaint_step(
    complaint: Complaint, *, title: str, actor, at: datetime, note: str = "", outcome: str = ""
):
    ComplaintStep.objects.create(
        complaint=complaint,
        stage=complaint.stage,
        status=complaint.status,
        title=title,
        note=note,
        outcome=outcome,
        by=actor,
        at=at,
    )


def _locked_complaint(complaint: Complaint) -> Complaint:
    return Complaint.objects.select_for_update().select_related("agency").get(pk=complaint.pk)


def _pk(record) -> int:
    """A record's id as a schema takes it (0, which no schema accepts, for anything else)."""
    return getattr(record, "pk", None) or 0


def _check_links(actor, referrals, tasks, errors: dict) -> tuple[list[Referral], list[AgencyTask]]:
    referrals, tasks = list(referrals or []), list(tasks or [])
    for referral in referrals:
        if not isinstance(referral, Referral) or not policy.allows(actor, "can_view_referral", referral):
            errors.setdefault("referrals", []).append("Link only referrals you can see.")
            break
    for task in tasks:
        if not isinstance(task, AgencyTask) or not policy.allows(actor, "can_view_task", task):
            errors.setdefault("tasks", []).append("Link only tasks you can see.")
            break
    return referrals, tasks


@transaction.atomic
def complaint_record(
    *,
    actor,
    complainant_type: str,
    complainant_name: str,
    account: str,
    agency: Agency,
    complainant_contact: str = "",
    received_at: datetime | None = None,
    referrals: Iterable[Referral] = (),
    tasks: Iterable[AgencyTask] = (),
    now: datetime | None = None,
) -> Complaint:
    """Record a complaint about how a concern was handled; its acknowledgement and response clocks start."""
    now = now or timezone.now()
    given, errors = validate(
        schemas.ComplaintIn,
        {
            "complainant_type": complainant_type,
            "complainant_name": complainant_name,
            "complainant_contact": complainant_contact,
            "account": account,
            "agency": agency.code if isinstance(agency, Agency) else "?",
        },
    )
    if not isinstance(agency, Agency) or not agency.is_active:
        errors["agency"] = ["Choose the agency the complaint is about."]
    received_at = _moment(received_at or now, "received_at", errors, now=now)
    referrals, tasks = _check_links(actor, referrals, tasks, errors)
    _raise_if(errors, "The complaint has errors.")
    scale = timescales()
    complaint = Complaint.objects.create(
        reference=f"{settings.REFERENCE_PREFIX}-CMP-{next_number('complaint'):06d}",
        complainant_type=given.complainant_type,
        complainant_name=given.complainant_name,
        complainant_contact=given.complainant_contact,
        account=given.account,
        agency=agency,
        received_at=received_at,
        recorded_by=actor,
        recorded_at=now,
        stage=ProcedureStage.AGENCY,
        status=ComplaintStatus.RECEIVED,
        stage_started_at=received_at,
        ack_due_at=add_working_days(received_at, scale.acknowledge_working_days),
        response_due_at=add_working_days(received_at, scale.respond_working_days),
    )
    complaint.referrals.set(referrals)
    complaint.tasks.set(tasks)
    _complaint_step(complaint, title="Complaint received", actor=actor, at=received_at)
    events.complaint_recorded(actor=actor, complaint=complaint)
    notify(
        users=[u for u in _agency_managers(agency.pk) if u.pk != getattr(actor, "pk", None)],
        url=_url("complaint_detail", complaint.pk),
        message=f"A complaint about {agency.name} was received: {complaint.reference}.",
    )
    return complaint


@transaction.atomic
def complaint_link(
    *,
    actor,
    complaint: Complaint,
    referrals: Iterable[Referral] = (),
    tasks: Iterable[AgencyTask] = (),
) -> Complaint:
    """Link more referrals and tasks to a complaint (links are never removed: the record of what was complained
    about stays)."""
    referrals, tasks = list(referrals or []), list(tasks or [])
    _, errors = validate(
        schemas.LinksIn,
        {"referral_ids": [_pk(r) for r in referrals], "task_ids": [_pk(t) for t in tasks]},
    )
    referrals, tasks = _check_links(actor, referrals, tasks, errors)
    _raise_if(errors, "The links have errors.")
    complaint = _locked_complaint(complaint)
    complaint.referrals.add(*referrals)
    complaint.tasks.add(*tasks)
    events.complaint_moved(
        actor=actor,
        complaint=complaint,
        what="linked",
        data={"referrals": sorted(r.pk for r in referrals), "tasks": sorted(t.pk for t in tasks)},
    )
    return complaint


@transaction.atomic
def complaint_assign_handler(*, actor, complaint: Complaint, handler: User) -> Complaint:
    """Name who handles the complaint: a case worker of the agency (stage 1) or of the partnership (stage 2)."""
    complaint = _locked_complaint(complaint)
    if complaint.status == ComplaintStatus.CLOSED:
        raise Conflict("This complaint is closed.")
    owner = (
        complaint.agency_id
        if complaint.stage == ProcedureStage.AGENCY
        else getattr(partnership_agency(), "pk", None)
    )
    if not _active_case_worker(handler) or handler.agency_id != owner:
        where = (
            "the agency the complaint is about"
            if complaint.stage == ProcedureStage.AGENCY
            else "the partnership"
        )
        raise Invalid.field("handler", f"Choose an active case worker in {where}.")
    complaint.handler = handler
    complaint.save(update_fields=["handler"])
    events.complaint_moved(
        actor=actor, complaint=complaint, what="handler_assigned", data={"handler": handler.pk}
    )
    if handler.pk != getattr(actor, "pk", None):
        notify(
            users=[handler],
            url=_url("complaint_detail", complaint.pk),
            message=f"You are handling complaint {complaint.reference}.",
        )
    return complaint


def _require_status(complaint: Complaint, allowed: Iterable[str], message: str) -> None:
    if complaint.status not in allowed:
        raise Conflict(message)


@transaction.atomic
def complaint_acknowledge(
    *, actor, complaint: Complaint, note: str = "", now: datetime | None = None
) -> Complaint:
    """Acknowledge a complaint to the complainant; it meets the acknowledgement clock (late, if after it)."""
    now = now or timezone.now()
    errors: dict[str, list[str]] = {}
    given = _checked(schemas.NoteIn, errors, note=note)
    _raise_if(errors, "The acknowledgement has errors.")
    note = given.note
    complaint = _locked_complaint(complaint)
    _require_status(complaint, [ComplaintStatus.RECEIVED], "This complaint has already been acknowledged.")
    complaint.status, complaint.acknowledged_at = ComplaintStatus.ACKNOWLEDGED, now
    complaint.save(update_fields=["status", "acknowledged_at"])
    _complaint_step(
        complaint, title=f"Stage {complaint.stage} complaint acknowledged", actor=actor, at=now, note=note
    )
    events.complaint_moved(
        actor=actor, complaint=complaint, what="acknowledged", data={"late": now > complaint.ack_due_at}
    )
    return complaint


@transaction.atomic
def complaint_start_investigation(
    *,
    actor,
    complaint: Complaint,
    note: str = "",
    now: datetime | None = None,
) -> Complaint:
    """Start investigating an acknowledged complaint (the response clock keeps running)."""
    now = now or timezone.now()
    errors: dict[str, list[str]] = {}
    given = _checked(schemas.NoteIn, errors, note=note)
    _raise_if(errors, "The investigation has errors.")
    note = given.note
    complaint = _locked_complaint(complaint)
    if complaint.status == ComplaintStatus.RECEIVED:
        raise Conflict("Acknowledge the complaint before investigating it.")
    _require_status(
        complaint, [ComplaintStatus.ACKNOWLEDGED], "This complaint is already past investigation."
    )
    complaint.status, complaint.investigation_started_at = ComplaintStatus.INVESTIGATING, now
    complaint.save(update_fields=["status", "investigation_started_at"])
    _complaint_step(
        complaint, title=f"Stage {complaint.stage} investigation started", actor=actor, at=now, note=note
    )
    events.complaint_moved(actor=actor, complaint=complaint, what="investigating")
    return complaint


@transaction.atomic
def complaint_respond(
    *,
    actor,
    complaint: Complaint,
    outcome: str,
    response: str,
    now: datetime | None = None,
) -> Complaint:
    """Send the response with its outcome (upheld, partly upheld, not upheld); it meets the response clock."""
    now = now or timezone.now()
    given, errors = validate(schemas.RespondIn, {"outcome": outcome, "response": response})
    _raise_if(errors, "The response has errors.")
    outcome, response = given.outcome, given.response
    complaint = _locked_complaint(complaint)
    if complaint.status == ComplaintStatus.RECEIVED:
        raise Conflict("Acknowledge the complaint before responding to it.")
    _require_status(
        complaint,
        [ComplaintStatus.ACKNOWLEDGED, ComplaintStatus.INVESTIGATING],
        "This complaint has already had its response at this stage.",
    )
    complaint.status, complaint.responded_at = ComplaintStatus.RESPONDED, now
    complaint.outcome, complaint.outcome_at, complaint.response = outcome, now, response
    fields = ["status", "responded_at", "outcome", "outcome_at", "response"]
    if complaint.stage == ProcedureStage.AGENCY:
        complaint.stage_one_outcome = outcome
        fields.append("stage_one_outcome")
    complaint.save(update_fields=fields)
    _complaint_step(
        complaint,
        title=f"Stage {complaint.stage} response sent: {complaint.get_outcome_display().lower()}",
        actor=actor,
        at=now,
        note=response,
        outcome=outcome,
    )
    events.complaint_moved(
        actor=actor,
        complaint=complaint,
        what="responded",
        data={"outcome": outcome, "late": now > complaint.response_due_at},
    )
    return complaint


@transaction.atomic
def complaint_close(*, actor, complaint: Complaint, note: str = "", now: datetime | None = None) -> Complaint:
    """Close a complaint after its response. An upheld or partly upheld complaint needs a learning action or a
    note of why there is none."""
    now = now or timezone.now()
    errors: dict[str, list[str]] = {}
    given = _checked(schemas.NoteIn, errors, note=note)
    note = given.note if given else ""
    complaint = _locked_complaint(complaint)
    if complaint.status == ComplaintStatus.CLOSED:
        raise Conflict("This complaint is already closed.")
    _require_status(complaint, [ComplaintStatus.RESPONDED], "Send the response before closing the complaint.")
    upheld = complaint.outcome in (ComplaintOutcome.UPHELD, ComplaintOutcome.PARTLY_UPHELD)
    if upheld and not note and not complaint.learning_actions.exists():
        errors["note"] = ["An upheld complaint needs a learning action, or a note of why there is none."]
    _raise_if(errors, "The complaint cannot be closed yet.")
    complaint.status, complaint.closed_at = ComplaintStatus.CLOSED, now
    complaint.save(update_fields=["status", "closed_at"])
    _complaint_step(
        complaint, title=f"Complaint closed at stage {complaint.stage}", actor=actor, at=now, note=note
    )
    events.complaint_moved(actor=actor, complaint=complaint, what="closed")
    return complaint


@transaction.atomic
def complaint_escalate_to_stage_two(
    *,
    actor,
    complaint: Complaint,
    reason: str,
    requested_at: datetime | None = None,
    now: datetime | None = None,
) -> Complaint:
    """The complainant is dissatisfied with the stage 1 response: the partnership reviews it at stage 2, with its
    own acknowledgement and response clocks from the request."""
    now = now or timezone.now()
    errors: dict[str, list[str]] = {}
    given = _checked(schemas.StageTwoIn, errors, reason=reason)
    reason = given.reason if given else ""
    requested_at = _moment(requested_at or now, "requested_at", errors, now=now)
    complaint = _locked_complaint(complaint)
    if complaint.stage != ProcedureStage.AGENCY:
        raise Conflict("This complaint is already at stage 2, the last stage of the procedure.")
    _require_status(
        complaint,
        [ComplaintStatus.RESPONDED, ComplaintStatus.CLOSED],
        "A complaint goes to stage 2 only after its stage 1 response.",
    )
    scale = timescales()
    if requested_at is not None and "requested_at" not in errors:
        if requested_at < complaint.responded_at:
            errors["requested_at"] = ["The request cannot be before the stage 1 response."]
        elif requested_at > add_working_days(complaint.responded_at, scale.stage_two_request_working_days):
            errors["requested_at"] = [
                f"Stage 2 must be asked for within {scale.stage_two_request_working_days} working days of the "
                "stage 1 response."
            ]
    _raise_if(errors, "The complaint cannot go to stage 2.")
    complaint.stage, complaint.status = ProcedureStage.PARTNERSHIP, ComplaintStatus.RECEIVED
    complaint.stage_two_reason, complaint.stage_two_requested_at = reason, requested_at
    complaint.stage_started_at, complaint.handler = requested_at, None
    complaint.ack_due_at = add_working_days(requested_at, scale.stage_two_acknowledge_working_days)
    complaint.response_due_at = add_working_days(requested_at, scale.stage_two_respond_working_days)
    complaint.acknowledged_at = complaint.investigation_started_at = complaint.responded_at = None
    complaint.closed_at = None
    complaint.save(
        update_fields=[
            "stage",
            "status",
            "stage_two_reason",
            "stage_two_requested_at",
            "stage_started_at",
            "handler",
            "ack_due_at",
            "response_due_at",
            "acknowledged_at",
            "investigation_started_at",
            "responded_at",
            "closed_at",
        ]
    )
    _complaint_step(
        complaint,
        title="Complainant dissatisfied: stage 2 review by the partnership requested",
        actor=actor,
        at=requested_at,
        note=reason,
    )
    events.complaint_moved(actor=actor, complaint=complaint, what="stage_two")
    notify(
        users=[u for u in _partnership_leads() if u.pk != getattr(actor, "pk", None)],
        url=_url("complaint_detail", complaint.pk),
        message=f"Complaint {complaint.reference} has gone to stage 2 for the partnership's review.",
    )
    return complaint


# Learning actions
@transaction.atomic
def learning_action_add(
    *,
    actor,
    complaint: Complaint,
    description: str,
    owner: User,
    due_date: date,
    now: datetime | None = None,
) -> LearningAction:
    """Agree a learning action on a complaint, with an owner (whose agency owns it) and a due date."""
    now = now or timezone.now()
    errors: dict[str, list[str]] = {}
    given = _checked(
        schemas.LearningActionIn,
        errors,
        description=description,
        owner_id=_pk(owner),
        due_date=due_date if isinstance(due_date, date) and not isinstance(due_date, datetime) else None,
    )
    description = given.description if given else ""
    if "owner_id" not in errors and (not _active_case_worker(owner) or owner.agency_id is None):
        errors["owner_id"] = ["Choose an active case worker to own the action."]
    if "due_date" not in errors and due_date < timezone.localdate(now):
        errors["due_date"] = ["The due date cannot be in the past."]
    _raise_if(errors, "The learning action has errors.")
    complaint = _locked_complaint(complaint)
    action = LearningAction.objects.create(
        complaint=complaint,
        description=description,
        agency_id=owner.agency_id,
        owner=owner,
        due_date=due_date,
        created_by=actor,
        created_at=now,
    )
    _complaint_step(
        complaint,
        title=f"Learning action agreed for {owner.display_name}",
        actor=actor,
        at=now,
        note=description,
    )
    events.learning_action_added(actor=actor, action=action)
    if owner.pk != getattr(actor, "pk", None):
        notify(
            users=[owner],
            url=_url("complaint_detail", complaint.pk),
            message=f"You own a learning action from complaint {complaint.reference}, due {due_date:%d %b %Y}.",
        )
    return action


@transaction.atomic
def learning_action_complete(
    *,
    actor,
    action: LearningAction,
    note: str,
    now: datetime | None = None,
) -> LearningAction:
    """Record that a learning action is done, and what was done."""
    now = now or timezone.now()
    errors: dict[str, list[str]] = {}
    given = _checked(schemas.RequiredNoteIn, errors, note=note)
    _raise_if(errors, "The learning action has errors.")
    note = given.note
    action = LearningAction.objects.select_for_update().select_related("complaint", "owner").get(pk=action.pk)
    if action.completed_at is not None:
        raise Conflict("This learning action is already completed.")
    action.completed_at, action.completed_by, action.completion_note = now, actor, note
    action.save(update_fields=["completed_at", "completed_by", "completion_note"])
    _complaint_step(
        action.complaint,
        title=f"Learning action completed by {actor.display_name}",
        actor=actor,
        at=now,
        note=note,
    )
    events.learning_action_completed(actor=actor, action=action)
    return action


# Conduct matters
def _conduct_step(matter: ConductMatter, *, title: str, actor, at: datetime, note: str = "") -> None:
    ConductStep.objects.create(matter=matter, status=matter.status, title=title, note=note, by=actor, at=at)


def _locked_matter(matter: ConductMatter) -> ConductMatter:
    return ConductMatter.objects.select_for_update().select_related("agency", "subject").get(pk=matter.pk)


def _check_investigator(investigator, matter_subject_id, errors: dict) -> None:
    """Who may investigate: an active case worker, not the subject (whether one is needed is the schema's rule)."""
    if investigator is None or "investigator_id" in errors:
        return
    if not _active_case_worker(investigator):
        errors["investigator_id"] = ["Choose an active case worker to investigate."]
    elif investigator.pk == matter_subject_id:
        errors["investigator_id"] = ["The subject of a conduct matter cannot investigate it."]


def _conclude(matter: ConductMatter, *, outcome: str, summary: str, at: datetime) -> None:
    matter.status, matter.outcome, matter.outcome_at, matter.outcome_summary = (
        ConductStatus.CONCLUDED,
        outcome,
        at,
        summary,
    )


def _tell_subject_of_outcome(matter: ConductMatter) -> None:
    if matter.subject_notified_at is not None and matter.subject.is_active:
        notify(
            users=[matter.subject],
            url=_url("conduct_notice", matter.pk),
            message=f"The conduct matter {matter.reference} about you has concluded: "
            f"{matter.get_outcome_display().lower()}.",
        )


@transaction.atomic
def conduct_matter_record(
    *,
    actor,
    subject: User,
    allegation: str,
    agency: Agency | None = None,
    complaint: Complaint | None = None,
    now: datetime | None = None,
) -> ConductMatter:
    """Record an allegation about a named professional; the assessment clock starts."""
    now = now or timezone.now()
    errors: dict[str, list[str]] = {}
    if not isinstance(subject, User) or subject.agency_id is None:
        errors["subject"] = ["Choose the professional the allegation is about."]
    elif subject.pk == getattr(actor, "pk", None):
        errors["subject"] = ["You cannot record a conduct matter about yourself; ask your manager."]
    # The subject is checked below, with words of its own; the schema checks the allegation.
    given = _checked(schemas.ConductMatterIn, errors, subject_id=_pk(subject) or 1, allegation=allegation)
    allegation = given.allegation if given else ""
    if agency is None and isinstance(subject, User):
        agency = subject.agency
    if not isinstance(agency, Agency):
        errors.setdefault("agency", []).append("Choose the agency responsible.")
    elif actor is not None and actor.role != Role.PARTNERSHIP_LEAD and agency.pk != actor.agency_id:
        errors.setdefault("agency", []).append("You can record conduct matters only for your own agency.")
    if complaint is not None and not policy.allows(actor, "can_view_complaint", complaint):
        errors["complaint"] = ["Link only a complaint you can see."]
    _raise_if(errors, "The conduct matter has errors.")
    matter = ConductMatter.objects.create(
        reference=f"{settings.REFERENCE_PREFIX}-CDM-{next_number('conduct'):06d}",
        subject=subject,
        agency=agency,
        allegation=allegation,
        complaint=complaint,
        recorded_by=actor,
        recorded_at=now,
        status=ConductStatus.ASSESSMENT,
        assessment_due_at=add_working_days(now, timescales().conduct_assessment_working_days),
    )
    _conduct_step(matter, title="Conduct matter recorded", actor=actor, at=now)
    events.conduct_matter_recorded(actor=actor, matter=matter)
    return matter


@transaction.atomic
def conduct_matter_assess(
    *,
    actor,
    matter: ConductMatter,
    decision: str,
    assessment: str,
    external_body: str = "",
    external_reference: str = "",
    sent_at: datetime | None = None,
    investigator: User | None = None,
    now: datetime | None = None,
) -> ConductMatter:
    """Record the assessment: refer to an external body (with the date sent), investigate within the agency
    (with an investigator), or no case to answer (which concludes the matter)."""
    now = now or timezone.now()
    matter = _locked_matter(matter)
    if matter.status != ConductStatus.ASSESSMENT:
        raise Conflict("This conduct matter has already been assessed.")
    given, errors = validate(
        schemas.AssessIn,
        {
            "decision": decision,
            "assessment": assessment,
            "external_body": external_body or None,
            "external_reference": external_reference,
            "investigator_id": _pk(investigator) if investigator is not None else None,
        },
    )
    if given is not None:
        assessment, external_reference = given.assessment, given.external_reference
    if decision == AssessmentDecision.REFER_EXTERNAL:
        sent_at = _moment(
            sent_at or now,
            "sent_at",
            errors,
            now=now,
            not_before=matter.recorded_at,
            not_before_message="The referral cannot be sent before the matter was recorded.",
        )
    _check_investigator(investigator, matter.subject_id, errors)
    _raise_if(errors, "The assessment has errors.")
    scale = timescales()
    matter.assessed_at, matter.assessed_by = now, actor
    matter.assessment, matter.assessment_decision = assessment, decision
    if decision == AssessmentDecision.REFER_EXTERNAL:
        matter.status = ConductStatus.REFERRED
        matter.external_body, matter.external_reference, matter.external_sent_at = (
            external_body,
            external_reference,
            sent_at,
        )
        matter.external_due_at = add_working_days(sent_at, scale.conduct_external_decision_working_days)
    elif decision == AssessmentDecision.INVESTIGATE:
        matter.status, matter.investigator, matter.investigation_started_at = (
            ConductStatus.INVESTIGATING,
            investigator,
            now,
        )
        matter.investigation_due_at = add_working_days(now, scale.conduct_investigation_working_days)
    else:
        _conclude(matter, outcome=ConductOutcome.NO_CASE_TO_ANSWER, summary=assessment, at=now)
    matter.save()
    title = {
        AssessmentDecision.REFER_EXTERNAL: f"Assessed: referred to {matter.get_external_body_display()}",
        AssessmentDecision.INVESTIGATE: "Assessed: to be investigated within the agency",
        AssessmentDecision.NO_CASE_TO_ANSWER: "Assessed: no case to answer",
    }[decision]
    _conduct_step(matter, title=title, actor=actor, at=now, note=assessment)
    events.conduct_matter_moved(
        actor=actor,
        matter=matter,
        what="assessed",
        data={
            "decision": decision,
            "late": now > matter.assessment_due_at,
            "external_body": matter.external_body,
        },
    )
    if matter.status == ConductStatus.CONCLUDED:
        _tell_subject_of_outcome(matter)
    return matter


@transaction.atomic
def conduct_matter_external_acknowledged(
    *,
    actor,
    matter: ConductMatter,
    acknowledged_at: datetime,
    external_reference: str = "",
    now: datetime | None = None,
) -> ConductMatter:
    """Record when the external body acknowledged the referral (and its reference, if it gave one)."""
    now = now or timezone.now()
    errors: dict[str, list[str]] = {}
    matter = _locked_matter(matter)
    if matter.status != ConductStatus.REFERRED:
        raise Conflict("This conduct matter is not waiting for an external body.")
    if matter.external_acknowledged_at is not None:
        raise Conflict("The external body's acknowledgement has already been recorded.")
    acknowledged_at = _moment(
        acknowledged_at,
        "acknowledged_at",
        errors,
        now=now,
        required="Enter when the body acknowledged the referral.",
        not_before=matter.external_sent_at,
        not_before_message="The acknowledgement cannot be before the referral was sent.",
    )
    external_reference = clean_text(external_reference, "external_reference", errors, limit=100)
    _raise_if(errors, "The acknowledgement has errors.")
    matter.external_acknowledged_at = acknowledged_at
    if external_reference:
        matter.external_reference = external_reference
    matter.save(update_fields=["external_acknowledged_at", "external_reference"])
    _conduct_step(
        matter,
        title=f"{matter.get_external_body_display()} acknowledged the referral",
        actor=actor,
        at=acknowledged_at,
    )
    events.conduct_matter_moved(actor=actor, matter=matter, what="external_acknowledged")
    return matter


@transaction.atomic
def conduct_matter_external_decided(
    *,
    actor,
    matter: ConductMatter,
    decision: str,
    decided_at: datetime,
    investigator: User | None = None,
    note: str = "",
    now: datetime | None = None,
) -> ConductMatter:
    """Record the external body's decision: an investigation (by the agency, needing an investigator, or by the
    body) starts its clock; no further action concludes the matter with no case to answer."""
    now = now or timezone.now()
    matter = _locked_matter(matter)
    if matter.status != ConductStatus.REFERRED:
        raise Conflict("This conduct matter is not waiting for an external body.")
    given, errors = validate(
        schemas.ExternalDecisionIn,
        {
            "decision": decision,
            "decided_at": decided_at or now,
            "investigator_id": _pk(investigator) if investigator is not None else None,
            "note": note,
        },
    )
    note = given.note if given is not None else note
    decided_at = _moment(
        decided_at,
        "decided_at",
        errors,
        now=now,
        required="Enter when the body decided.",
        not_before=matter.external_sent_at,
        not_before_message="The decision cannot be before the referral was sent.",
    )
    _check_investigator(investigator, matter.subject_id, errors)
    _raise_if(errors, "The external body's decision has errors.")
    matter.external_decided_at, matter.external_decision = decided_at, decision
    if matter.external_acknowledged_at is None:
        matter.external_acknowledged_at = decided_at  # a decision is an acknowledgement too
    if decision == ExternalDecision.NO_FURTHER_ACTION:
        _conclude(
            matter,
            outcome=ConductOutcome.NO_CASE_TO_ANSWER,
            at=decided_at,
            summary=note or "The external body decided that no further action was needed.",
        )
    else:
        matter.status, matter.investigator, matter.investigation_started_at = (
            ConductStatus.INVESTIGATING,
            investigator,
            decided_at,
        )
        matter.investigation_due_at = add_working_days(
            decided_at, timescales().conduct_investigation_working_days
        )
    matter.save()
    _conduct_step(
        matter,
        title=f"{matter.get_external_body_display()} decided: "
        f"{matter.get_external_decision_display().lower()}",
        actor=actor,
        at=decided_at,
        note=note,
    )
    events.conduct_matter_moved(
        actor=actor,
        matter=matter,
        what="external_decided",
        data={
            "decision": decision,
            "late": decided_at > matter.external_due_at,
        },
    )
    if matter.status == ConductStatus.CONCLUDED:
        _tell_subject_of_outcome(matter)
    return matter


@transaction.atomic
def conduct_matter_record_finding(
    *,
    actor,
    matter: ConductMatter,
    finding: str,
    rationale: str,
    investigation_notes: str = "",
    now: datetime | None = None,
) -> ConductMatter:
    """Record the investigation's finding and its rationale; the outcome clock starts."""
    now = now or timezone.now()
    errors: dict[str, list[str]] = {}
    matter = _locked_matter(matter)
    if matter.status != ConductStatus.INVESTIGATING:
        raise Conflict("A finding is recorded only at the end of an investigation.")
    given = _checked(
        schemas.ConductFindingIn,
        errors,
        finding=finding,
        rationale=rationale,
        investigation_notes=investigation_notes,
    )
    _raise_if(errors, "The finding has errors.")
    rationale, investigation_notes = given.rationale, given.investigation_notes
    matter.status, matter.finding, matter.finding_at, matter.finding_rationale = (
        ConductStatus.AWAITING_OUTCOME,
        finding,
        now,
        rationale,
    )
    if investigation_notes:
        matter.investigation_notes = investigation_notes
    matter.outcome_due_at = add_working_days(now, timescales().conduct_outcome_working_days)
    matter.save()
    _conduct_step(
        matter, title=f"Finding: {matter.get_finding_display().lower()}", actor=actor, at=now, note=rationale
    )
    events.conduct_matter_moved(
        actor=actor,
        matter=matter,
        what="finding",
        data={
            "finding": finding,
            "late": now > matter.investigation_due_at if matter.investigation_due_at else False,
        },
    )
    return matter


# Which outcomes follow from which finding: no case to answer leads to no sanction.
OUTCOMES_FOR_FINDING = {
    ConductFinding.NO_CASE_TO_ANSWER: {ConductOutcome.NO_CASE_TO_ANSWER, ConductOutcome.REFLECTIVE_PRACTICE},
    ConductFinding.PRACTICE_REQUIRING_IMPROVEMENT: {
        ConductOutcome.REFLECTIVE_PRACTICE,
        ConductOutcome.MANAGEMENT_ACTION,
    },
    ConductFinding.MISCONDUCT: {
        ConductOutcome.MANAGEMENT_ACTION,
        ConductOutcome.WRITTEN_WARNING,
        ConductOutcome.MISCONDUCT_MEETING,
    },
    ConductFinding.GROSS_MISCONDUCT: {
        ConductOutcome.WRITTEN_WARNING,
        ConductOutcome.MISCONDUCT_HEARING,
        ConductOutcome.DISMISSAL,
    },
}


def _require_outcome_follows(matter: ConductMatter, outcome: str) -> None:
    """A conflict (409) with the finding already recorded if the outcome does not follow from it."""
    allowed = OUTCOMES_FOR_FINDING[matter.finding]
    if outcome not in allowed:
        words = ", ".join(sorted(ConductOutcome(o).label.lower() for o in allowed))
        message = (
            f"After a finding of {matter.get_finding_display().lower()}, the outcome must be one of: {words}."
        )
        raise Conflict(message, {"outcome": [message]})


@transaction.atomic
def conduct_matter_record_outcome(
    *,
    actor,
    matter: ConductMatter,
    outcome: str,
    summary: str,
    now: datetime | None = None,
) -> ConductMatter:
    """Conclude a conduct matter with an outcome that follows from its finding; a notified subject is told."""
    now = now or timezone.now()
    errors: dict[str, list[str]] = {}
    matter = _locked_matter(matter)
    if matter.status == ConductStatus.CONCLUDED:
        raise Conflict("This conduct matter has already concluded.")
    if matter.status != ConductStatus.AWAITING_OUTCOME:
        raise Conflict("Record the finding before the outcome.")
    given = _checked(schemas.ConductOutcomeIn, errors, outcome=outcome, summary=summary)
    _raise_if(errors, "The outcome has errors.")
    summary = given.summary
    _require_outcome_follows(matter, outcome)
    _conclude(matter, outcome=outcome, summary=summary, at=now)
    matter.save()
    _conduct_step(
        matter, title=f"Outcome: {matter.get_outcome_display().lower()}", actor=actor, at=now, note=summary
    )
    events.conduct_matter_moved(
        actor=actor,
        matter=matter,
        what="concluded",
        data={
            "outcome": outcome,
            "late": now > matter.outcome_due_at,
        },
    )
    _tell_subject_of_outcome(matter)
    return matter


@transaction.atomic
def conduct_matter_notify_subject(
    *,
    actor,
    matter: ConductMatter,
    summary: str,
    now: datetime | None = None,
) -> ConductMatter:
    """Tell the subject that the matter exists, in the words given; from then on they see those words and, in
    time, the outcome — never the assessment, the investigation or who investigated."""
    now = now or timezone.now()
    errors: dict[str, list[str]] = {}
    given = _checked(schemas.NotifySubjectIn, errors, summary=summary)
    _raise_if(errors, "The notice has errors.")
    summary = given.summary
    matter = _locked_matter(matter)
    if matter.subject_notified_at is not None:
        raise Conflict("The professional has already been told about this matter.")
    matter.subject_notified_at, matter.subject_summary = now, summary
    matter.save(update_fields=["subject_notified_at", "subject_summary"])
    _conduct_step(
        matter, title="The professional was told about the matter", actor=actor, at=now, note=summary
    )
    events.conduct_matter_moved(actor=actor, matter=matter, what="subject_notified")
    if matter.subject.is_active:
        notify(
            users=[matter.subject],
            url=_url("conduct_notice", matter.pk),
            message=f"A conduct matter about you has been recorded: {matter.reference}.",
        )
    return matter


# Escalation of overdue stages
def _recipients(*, agency: Agency, team, level: int, excluded: int | None) -> list[User]:
    """The rung's people, never the subject of a conduct matter; a rung left empty passes it up."""
    for rung in range(level, TOP_LEVEL + 1):
        found = [u for u in escalation_recipients(agency=agency, team=team, level=rung) if u.pk != excluded]
        if found:
            return found
    return []


@transaction.atomic
def stage_escalation_create(
    *,
    actor,
    level: int,
    clock: str,
    reason: str,
    agency: Agency,
    complaint: Complaint | None = None,
    matter: ConductMatter | None = None,
    team=None,
    now: datetime | None = None,
) -> StageEscalation | None:
    """Raise one rung for one stage's clock and notify its recipients; None if that rung was already raised."""
    try:
        with transaction.atomic():
            escalation = StageEscalation.objects.create(
                complaint=complaint,
                conduct_matter=matter,
                agency=agency,
                clock=clock,
                level=level,
                reason=reason[:5000],
                raised_by=actor,
                raised_at=now or timezone.now(),
            )
    except IntegrityError:
        return None
    recipients = _recipients(
        agency=agency, team=team, level=level, excluded=matter.subject_id if matter is not None else None
    )
    escalation.recipients.set(recipients)
    events.stage_escalation_raised(actor=actor, escalation=escalation)
    record = (
        f"complaint {complaint.reference}" if complaint is not None else f"conduct matter {matter.reference}"
    )
    notify(
        users=recipients,
        url=_url("stage_escalation_detail", escalation.pk),
        message=f"Level {level} escalation on {record}: {CLOCK_LABELS.get(clock, clock).lower()} overdue "
        f"({agency.name}).",
    )
    return escalation


@transaction.atomic
def stage_escalation_resolve(
    *,
    actor,
    escalation: StageEscalation,
    resolution: str,
    now: datetime | None = None,
) -> StageEscalation:
    """Resolve a stage escalation with a written resolution; nothing is cleared silently."""
    errors: dict[str, list[str]] = {}
    given = _checked(schemas.StageEscalationResolveIn, errors, resolution=resolution)
    _raise_if(errors, "The resolution has errors.")
    resolution = given.resolution
    escalation = StageEscalation.objects.select_for_update().get(pk=escalation.pk)
    if escalation.status == EscalationStatus.RESOLVED:
        raise Conflict("This escalation has already been resolved.")
    escalation.status, escalation.resolution = EscalationStatus.RESOLVED, resolution
    escalation.resolved_by, escalation.resolved_at = actor, now or timezone.now()
    escalation.save(update_fields=["status", "resolution", "resolved_by", "resolved_at"])
    events.stage_escalation_resolved(actor=actor, escalation=escalation)
    return escalation


def complaint_clock(complaint: Complaint) -> tuple[str, datetime] | None:
    """The clock running on a complaint now, as (name, due), or None when nothing is waiting on the agency."""
    if complaint.status == ComplaintStatus.RECEIVED:
        return f"s{complaint.stage}_acknowledge", complaint.ack_due_at
    if complaint.status in (ComplaintStatus.ACKNOWLEDGED, ComplaintStatus.INVESTIGATING):
        return f"s{complaint.stage}_respond", complaint.response_due_at
    return None


CONDUCT_CLOCKS = {
    ConductStatus.ASSESSMENT: ("assessment", "assessment_due_at"),
    ConductStatus.REFERRED: ("external_decision", "external_due_at"),
    ConductStatus.INVESTIGATING: ("investigation", "investigation_due_at"),
    ConductStatus.AWAITING_OUTCOME: ("outcome", "outcome_due_at"),
}


def conduct_clock(matter: ConductMatter) -> tuple[str, datetime] | None:
    """The clock running on a conduct matter now, as (name, due), or None once it has concluded."""
    if matter.status not in CONDUCT_CLOCKS:
        return None
    name, field = CONDUCT_CLOCKS[matter.status]
    due = getattr(matter, field)
    return (name, due) if due is not None else None


def overdue_complaints_q(now: datetime) -> Q:
    """Complaints whose current clock has run out."""
    return Q(status=ComplaintStatus.RECEIVED, ack_due_at__lte=now) | Q(
        status__in=(ComplaintStatus.ACKNOWLEDGED, ComplaintStatus.INVESTIGATING), response_due_at__lte=now
    )


def overdue_conduct_q(now: datetime) -> Q:
    """Conduct matters whose current clock has run out."""
    q = Q(pk__in=[])
    for status, (_, field) in CONDUCT_CLOCKS.items():
        q |= Q(status=status, **{f"{field}__lte": now})
    return q


def _raised(field: str, ids: list[int]) -> set[tuple[int, str, int]]:
    return set(StageEscalation.objects.filter(**{f"{field}__in": ids}).values_list(field, "clock", "level"))


def complaints_escalations_sweep(*, now: datetime | None = None) -> list[StageEscalation]:
    """Escalate every complaint and conduct matter whose stage is overdue, one rung per period overdue.

    Idempotent: each rung of each stage's clock is raised once (a unique constraint backs this up), so the worker
    may run it as often as it likes.
    """
    now = now or timezone.now()
    scale = timescales()
    raised: list[StageEscalation] = []
    partnership = partnership_agency()
    complaints = list(
        Complaint.objects.filter(overdue_complaints_q(now))
        .select_related("agency", "handler")
        .order_by("pk")[:5000]
    )
    done = _raised("complaint_id", [c.pk for c in complaints])
    for complaint in complaints:
        clock, due = complaint_clock(complaint)
        at_partnership = complaint.stage == ProcedureStage.PARTNERSHIP and partnership is not None
        agency = partnership if at_partnership else complaint.agency
        team = complaint.handler.team if complaint.handler_id and not at_partnership else None
        for level in range(1, TOP_LEVEL + 1):
            if scale.level_due_at(due, level) > now or (complaint.pk, clock, level) in done:
                continue
            raised += filter(
                None,
                [
                    stage_escalation_create(
                        actor=None,
                        level=level,
                        clock=clock,
                        agency=agency,
                        complaint=complaint,
                        team=team,
                        now=now,
                        reason=(
                            f"{agency.name} has not {CLOCK_WORDS[clock]} {complaint.reference}, due "
                            f"{timezone.localtime(due):%d %b %Y %H:%M}."
                        ),
                    )
                ],
            )
    matters = list(
        ConductMatter.objects.filter(overdue_conduct_q(now)).select_related("agency").order_by("pk")[:5000]
    )
    done = _raised("conduct_matter_id", [m.pk for m in matters])
    for matter in matters:
        clock, due = conduct_clock(matter)
        for level in range(1, TOP_LEVEL + 1):
            if scale.level_due_at(due, level) > now or (matter.pk, clock, level) in done:
                continue
            raised += filter(
                None,
                [
                    stage_escalation_create(
                        actor=None,
                        level=level,
                        clock=clock,
                        agency=matter.agency,
                        matter=matter,
                        now=now,
                        reason=(
                            f"{matter.agency.name} has not {CLOCK_WORDS[clock]} {matter.reference}, due "
                            f"{timezone.localtime(due):%d %b %Y %H:%M}."
                        ),
                    )
                ],
            )
    return raised
