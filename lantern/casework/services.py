"""Writes for the referral loop after the front door: cases, tasks, escalations and notifications.

Every function is keyword-only, takes `actor=` (None for the worker), runs in one transaction and writes its
audit event in that transaction; mail goes out on commit.
"""

import logging
from collections.abc import Iterable
from datetime import datetime

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from lantern.accounts.models import Agency, AgencyKind, Role, User
from lantern.audit import events
from lantern.casework import timescales
from lantern.casework.models import (
    AgencyTask,
    Case,
    CaseKind,
    Clock,
    ClockKind,
    Escalation,
    EscalationKind,
    EscalationStatus,
    Notification,
    TaskOutcome,
    TaskStatus,
)
from lantern.core.exceptions import Conflict, Invalid
from lantern.core.references import case_reference
from lantern.intake.models import Referral, ReferralStatus

logger = logging.getLogger(__name__)

MAX_NARRATIVE = 10000


# Cases
@transaction.atomic
def case_open(
    *, actor, subject_name: str, lead_agency: Agency, kind: str = CaseKind.CHILD, date_of_birth=None,
    referral: Referral | None = None, owner: User | None = None,
) -> Case:
    """Open a case for a child, place or peer group."""
    case = Case.objects.create(
        reference=case_reference(), kind=kind, subject_name=subject_name[:200] or "Unnamed child",
        date_of_birth=date_of_birth, lead_agency=lead_agency, owner=owner,
    )
    if referral is not None:
        case.referrals.add(referral)
    events.case_opened(actor=actor, case=case)
    return case


def _normalised_name(name: str) -> str:
    return " ".join(name.lower().split())


@transaction.atomic
def cases_for_referral(*, actor, referral: Referral, lead_agency: Agency) -> list[Case]:
    """The child cases a referral belongs to: an open case with the same name and date of birth, or a new one."""
    cases = []
    children = [m for m in referral.person_mentions.all() if m.role == "child"] or [None]
    for child in children:
        name = (child.name or child.nickname) if child else ""
        dob = child.date_of_birth if child else None
        existing = None
        if name and dob:
            candidates = Case.objects.filter(kind=CaseKind.CHILD, status="open", date_of_birth=dob)
            existing = next((c for c in candidates if _normalised_name(c.subject_name) == _normalised_name(name)), None)
        if existing is not None:
            existing.referrals.add(referral)
            cases.append(existing)
        else:
            cases.append(case_open(
                actor=actor, subject_name=name or f"Unnamed child ({referral.reference})",
                date_of_birth=dob, lead_agency=lead_agency, referral=referral,
            ))
    return cases


def clock_start(*, kind: str, started_at: datetime, due_at: datetime, case=None, referral=None, note="") -> Clock:
    """Start a timescale clock."""
    return Clock.objects.create(
        kind=kind, started_at=started_at, due_at=due_at, case=case, referral=referral, note=note[:300]
    )


def clock_meet(*, kind: str, at: datetime, case=None, referral=None) -> int:
    """Mark the open clocks of a kind as met."""
    qs = Clock.objects.filter(kind=kind, met_at__isnull=True)
    qs = qs.filter(case=case) if case is not None else qs.filter(referral=referral)
    return qs.update(met_at=at)


# Tasks
def intake_team(agency: Agency):
    """The team that receives an agency's new tasks: the one marked to, else the agency's first team."""
    teams = agency.teams.all()
    return next((t for t in teams if getattr(t, "receives_tasks", False)), None) or teams.order_by("pk").first()


@transaction.atomic
def task_create(
    *, actor, referral: Referral, agency: Agency, priority: str, case: Case | None = None,
    instructions: str = "", now: datetime | None = None,
) -> AgencyTask:
    """Give an agency a task on a referral, with acknowledgement and completion deadlines for its priority."""
    now = now or timezone.now()
    scale = timescales.task_timescale(priority)
    try:
        with transaction.atomic():
            task = AgencyTask.objects.create(
                referral=referral, case=case, agency=agency, team=intake_team(agency), priority=priority,
                instructions=instructions[:5000], created_at=now, ack_due_at=scale.acknowledge_by(now),
                due_at=scale.complete_by(now),
            )
    except IntegrityError as exc:
        raise Conflict(f"{agency.name} already has a task on {referral.reference}.") from exc
    events.task_created(actor=actor, task=task)
    if agency.kind == AgencyKind.CSC and case is not None:
        clock_start(kind=ClockKind.ASSESSMENT, started_at=referral.received_at,
                    due_at=timescales.assessment_due(referral.received_at), case=case, referral=referral)
    return task


def _locked_task(task: AgencyTask) -> AgencyTask:
    return AgencyTask.objects.select_for_update().select_related("referral", "agency").get(pk=task.pk)


@transaction.atomic
def task_assign(*, actor, task: AgencyTask, user: User) -> AgencyTask:
    """Assign a task to a named worker in the task's agency."""
    task = _locked_task(task)
    if user.agency_id != task.agency_id or not user.is_active:
        raise Invalid.field("assigned_to", "Choose an active worker in the agency that owns this task.")
    if task.status == TaskStatus.COMPLETED:
        raise Conflict("This task is already completed.")
    task.assigned_to = user
    task.save(update_fields=["assigned_to"])
    events.task_assigned(actor=actor, task=task)
    return task


@transaction.atomic
def task_acknowledge(*, actor, task: AgencyTask, now: datetime | None = None) -> AgencyTask:
    """Acknowledge a task: the agency has it and someone is on it (the acknowledger, unless already assigned)."""
    task = _locked_task(task)
    if task.status != TaskStatus.AWAITING_ACKNOWLEDGEMENT:
        raise Conflict("This task has already been acknowledged.")
    task.status = TaskStatus.ACKNOWLEDGED
    task.acknowledged_at = now or timezone.now()
    task.acknowledged_by = actor
    if task.assigned_to_id is None:
        task.assigned_to = actor
    task.save(update_fields=["status", "acknowledged_at", "acknowledged_by", "assigned_to"])
    events.task_acknowledged(actor=actor, task=task)
    return task


@transaction.atomic
def task_complete(
    *, actor, task: AgencyTask, outcome: str, narrative: str, now: datetime | None = None,
) -> AgencyTask:
    """Complete a task with an outcome from the controlled list and a narrative; close the referral if it was the last."""
    errors: dict[str, list[str]] = {}
    if outcome not in TaskOutcome.values:
        errors["outcome"] = ["Choose an outcome from the list."]
    narrative = (narrative or "").strip()
    if not narrative:
        errors["narrative"] = ["Describe what your agency did and why."]
    elif len(narrative) > MAX_NARRATIVE:
        errors["narrative"] = [f"The narrative must be {MAX_NARRATIVE:,} characters or fewer."]
    if errors:
        raise Invalid("The task could not be completed.", errors)
    task = _locked_task(task)
    if task.status == TaskStatus.COMPLETED:
        raise Conflict("This task is already completed.")
    now = now or timezone.now()
    if task.status == TaskStatus.AWAITING_ACKNOWLEDGEMENT:
        task.acknowledged_at, task.acknowledged_by = now, actor
    task.status = TaskStatus.COMPLETED
    task.outcome, task.narrative = outcome, narrative
    task.completed_at, task.completed_by = now, actor
    task.save(update_fields=[
        "status", "outcome", "narrative", "completed_at", "completed_by", "acknowledged_at", "acknowledged_by",
    ])
    events.task_completed(actor=actor, task=task)
    referral_close_if_complete(referral=task.referral, now=now)
    return task


PUBLIC_OUTCOMES = {
    AgencyKind.POLICE: "the police",
    AgencyKind.CSC: "children's social care",
    AgencyKind.HEALTH: "health services",
    AgencyKind.EDUCATION: "the child's school or education service",
    AgencyKind.LICENSING: "taxi licensing",
    AgencyKind.YOUTH_JUSTICE: "the youth justice service",
    AgencyKind.VOLUNTARY: "a support service",
    AgencyKind.PARTNERSHIP: "the safeguarding partnership",
}


def public_outcome_for(tasks: Iterable[AgencyTask]) -> str:
    """A plain-English outcome for the reporter, naming kinds of agency and never people or details."""
    acted = sorted({PUBLIC_OUTCOMES[t.agency.kind] for t in tasks if t.outcome != TaskOutcome.NO_ACTION_FOR_AGENCY})
    if not acted:
        return "The agencies that looked at your report decided that no further action was needed from them."
    names = acted[0] if len(acted) == 1 else ", ".join(acted[:-1]) + " and " + acted[-1]
    return f"Your report was acted on by {names}. The work that followed is now complete."


def referral_close_if_complete(*, referral: Referral, now: datetime | None = None) -> bool:
    """Close a referral once every one of its tasks has an outcome (a referral closes only then)."""
    referral = Referral.objects.select_for_update().get(pk=referral.pk)
    if referral.status != ReferralStatus.OPEN:
        return False
    tasks = list(referral.tasks.select_related("agency"))
    if not tasks or any(t.status != TaskStatus.COMPLETED for t in tasks):
        return False
    referral.status = ReferralStatus.CLOSED
    referral.closed_at = now or timezone.now()
    referral.public_outcome = public_outcome_for(tasks)
    referral.save(update_fields=["status", "closed_at", "public_outcome"])
    events.referral_closed(actor=None, referral=referral)
    return True


# Escalation
def escalation_recipients(*, agency: Agency, team, level: int) -> list[User]:
    """Who an escalation at `level` goes to; if a rung has nobody, the next rung up, so none is lost."""
    for rung in range(level, timescales.TOP_LEVEL + 1):
        users = User.objects.filter(is_active=True)
        if rung == 1:
            users = users.filter(role=Role.TEAM_MANAGER, agency=agency)
            if team is not None and users.filter(team=team).exists():
                users = users.filter(team=team)
        elif rung == 2:
            users = users.filter(role=Role.SERVICE_MANAGER, agency=agency)
        else:
            users = users.filter(role=Role.PARTNERSHIP_LEAD)
        found = list(users.order_by("pk"))
        if found:
            return found
    return []


def _notify(*, users: Iterable[User], message: str, url: str, escalation: Escalation | None = None) -> None:
    users = list(users)
    Notification.objects.bulk_create(
        [Notification(user=u, message=message[:500], url=url, escalation=escalation) for u in users]
    )
    emails = [u.email for u in users if u.email]
    if emails:
        body = f"{message}\n\nOpen it in Lantern: {settings.LANTERN_BASE_URL}{url}\n"

        def send():
            try:
                send_mail(f"Lantern: {message[:120]}", body, settings.DEFAULT_FROM_EMAIL, emails)
                Notification.objects.filter(escalation=escalation, user__email__in=emails).update(
                    emailed_at=timezone.now()
                )
            except Exception:  # noqa: BLE001 - the in-app notification stands; mail failure is logged
                logger.exception("Escalation email failed")

        transaction.on_commit(send)


def _escalation_url(escalation: Escalation) -> str:
    try:
        return reverse("casework:escalation_detail", args=[escalation.pk])
    except NoReverseMatch:
        return "/"


@transaction.atomic
def escalation_create(
    *, actor, level: int, kind: str, reason: str, agency: Agency, task: AgencyTask | None = None,
    referral: Referral | None = None, now: datetime | None = None,
) -> Escalation | None:
    """Raise one escalation and notify its recipients; None if that rung was already raised for the task."""
    team = task.team if task is not None else None
    try:
        with transaction.atomic():
            escalation = Escalation.objects.create(
                task=task, referral=referral or (task.referral if task else None), agency=agency, level=level,
                kind=kind, reason=reason[:5000], raised_by=actor, raised_at=now or timezone.now(),
            )
    except IntegrityError:
        return None
    recipients = escalation_recipients(agency=agency, team=team, level=level)
    escalation.recipients.set(recipients)
    if task is not None and level > task.escalation_level:
        AgencyTask.objects.filter(pk=task.pk).update(escalation_level=level)
    events.escalation_raised(actor=actor, escalation=escalation)
    ref = escalation.referral.reference if escalation.referral_id else ""
    _notify(
        users=recipients, escalation=escalation, url=_escalation_url(escalation),
        message=f"Level {level} escalation on {ref}: {escalation.get_kind_display().lower()} ({agency.name}).",
    )
    return escalation


def escalation_raise(*, actor, reason: str, task: AgencyTask | None = None, referral: Referral | None = None) -> Escalation:
    """A professional raises a disagreement by hand; it goes to the team manager of the agency concerned."""
    reason = (reason or "").strip()
    if not reason:
        raise Invalid.field("reason", "Explain what you disagree with and what you want to happen.")
    if len(reason) > 5000:
        raise Invalid.field("reason", "The reason must be 5,000 characters or fewer.")
    if task is None and referral is None:
        raise Invalid("Say which referral or task the disagreement is about.")
    agency = task.agency if task is not None else (referral.referrer_agency or actor.agency)
    # A disagreement that is still open and raised again goes one rung up the ladder.
    open_levels = Escalation.objects.filter(
        kind=EscalationKind.DISAGREEMENT, status=EscalationStatus.OPEN,
        **({"task": task} if task is not None else {"referral": referral, "task__isnull": True}),
    ).values_list("level", flat=True)
    level = min(max(open_levels, default=0) + 1, timescales.TOP_LEVEL)
    return escalation_create(
        actor=actor, level=level, kind=EscalationKind.DISAGREEMENT, reason=reason, agency=agency, task=task,
        referral=referral,
    )


@transaction.atomic
def escalation_resolve(*, actor, escalation: Escalation, resolution: str, now: datetime | None = None) -> Escalation:
    """Resolve an escalation with a written resolution; nothing is cleared silently."""
    resolution = (resolution or "").strip()
    if not resolution:
        raise Invalid.field("resolution", "Say how the escalation was resolved.")
    escalation = Escalation.objects.select_for_update().get(pk=escalation.pk)
    if escalation.status == EscalationStatus.RESOLVED:
        raise Conflict("This escalation has already been resolved.")
    escalation.status = EscalationStatus.RESOLVED
    escalation.resolution = resolution[:5000]
    escalation.resolved_by = actor
    escalation.resolved_at = now or timezone.now()
    escalation.save(update_fields=["status", "resolution", "resolved_by", "resolved_at"])
    events.escalation_resolved(actor=actor, escalation=escalation)
    return escalation


def _levels_due(first_due: datetime, level_due_at, now: datetime) -> list[int]:
    return [level for level in range(1, timescales.TOP_LEVEL + 1) if level_due_at(first_due, level) <= now]


def _without_top_rung(queryset, kind: str, field: str):
    top = Escalation.objects.filter(**{field: OuterRef("pk")}, kind=kind, level=timescales.TOP_LEVEL)
    return queryset.filter(~Exists(top))


def _raised_levels(kind: str, field: str, ids: list[int]) -> dict[int, set[int]]:
    levels: dict[int, set[int]] = {}
    for owner_id, level in Escalation.objects.filter(**{f"{field}__in": ids}, kind=kind).values_list(field, "level"):
        levels.setdefault(owner_id, set()).add(level)
    return levels


def escalations_sweep(*, now: datetime | None = None) -> list[Escalation]:
    """Escalate every task not acknowledged or not completed in time, and every referral not decided in time.

    Idempotent: each rung is raised once per task (or referral) and kind, so the worker may run it as often as it
    likes; the scheduler runs it in one worker at a time, and a unique constraint backs that up for tasks.
    """
    now = now or timezone.now()
    raised: list[Escalation] = []
    unacknowledged = _without_top_rung(
        AgencyTask.objects.filter(status=TaskStatus.AWAITING_ACKNOWLEDGEMENT, ack_due_at__lte=now),
        EscalationKind.NOT_ACKNOWLEDGED, "task",
    )
    incomplete = _without_top_rung(
        AgencyTask.objects.filter(status=TaskStatus.ACKNOWLEDGED, due_at__lte=now), EscalationKind.NOT_COMPLETED, "task"
    )
    for kind, queryset, first_due in (
        (EscalationKind.NOT_ACKNOWLEDGED, unacknowledged, "ack_due_at"),
        (EscalationKind.NOT_COMPLETED, incomplete, "due_at"),
    ):
        tasks = list(queryset.select_related("agency", "team", "referral")[:5000])
        done = _raised_levels(kind, "task", [t.pk for t in tasks])
        for task in tasks:
            scale = timescales.task_timescale(task.priority)
            due = getattr(task, first_due)
            level_due_at = (
                scale.acknowledgement_level_due_at if kind == EscalationKind.NOT_ACKNOWLEDGED
                else scale.completion_level_due_at
            )
            what = "acknowledged" if kind == EscalationKind.NOT_ACKNOWLEDGED else "completed"
            for level in _levels_due(due, level_due_at, now):
                if level in done.get(task.pk, set()):
                    continue
                raised += filter(None, [escalation_create(
                    actor=None, level=level, kind=kind, agency=task.agency, task=task, now=now, reason=(
                        f"{task.agency.name} has not {what} its {task.get_priority_display().lower()} task on "
                        f"{task.referral.reference}, due {timezone.localtime(due):%d %b %Y %H:%M}."
                    ),
                )])
    front_door = Agency.objects.filter(kind=AgencyKind.CSC).order_by("pk").first()
    undecided = _without_top_rung(
        Referral.objects.filter(status=ReferralStatus.RECEIVED, decision_due_at__lte=now),
        EscalationKind.DECISION_OVERDUE, "referral",
    )
    referrals = list(undecided[:5000]) if front_door else []
    done = _raised_levels(EscalationKind.DECISION_OVERDUE, "referral", [r.pk for r in referrals])
    for referral in referrals:
        for level in _levels_due(referral.decision_due_at, timescales.decision_level_due_at, now):
            if level in done.get(referral.pk, set()):
                continue
            raised += filter(None, [escalation_create(
                actor=None, level=level, kind=EscalationKind.DECISION_OVERDUE, agency=front_door,
                referral=referral, now=now, reason=(
                    f"No screening decision on {referral.reference}, due "
                    f"{timezone.localtime(referral.decision_due_at):%d %b %Y %H:%M}."
                ),
            )])
    return raised
