"""Writes for the referral loop after the front door: cases, tasks, escalations and notifications.

Every function is keyword-only, takes `actor=` (None for the worker), runs in one transaction and writes its
audit event in that transaction; mail goes out on commit. Bad input raises `Invalid` (field messages, nothing
written); a record in the wrong state raises `Conflict`.
"""

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from django.conf import settings
from django.core.mail import send_mass_mail
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from lantern.accounts import training
from lantern.accounts.models import Agency, AgencyKind, Role, User
from lantern.audit import events
from lantern.casework import schemas, timescales
from lantern.casework.models import (
    AgencyTask,
    AllocationWarning,
    Case,
    CaseFlag,
    CaseKind,
    CaseNote,
    Clock,
    ClockKind,
    ConsentStatus,
    Escalation,
    EscalationKind,
    EscalationStatus,
    FlagChange,
    FlagChangeStatus,
    FlagKind,
    InformationShare,
    LawfulBasis,
    MissingEpisode,
    Notification,
    NRMDecision,
    NRMReferral,
    StrategyAction,
    StrategyAttendee,
    StrategyDiscussion,
    TaskOutcome,
    TaskStatus,
)
from lantern.casework.schemas import MAX_NARRATIVE
from lantern.core import policy
from lantern.core.exceptions import Conflict, Invalid
from lantern.core.references import case_reference
from lantern.core.validation import clean_text, validate
from lantern.intake.models import Referral, ReferralStatus

logger = logging.getLogger(__name__)


# Allocation
def allocation_check(
    *, actor, allocated_to: User, team, task: AgencyTask | None = None, case: Case | None = None
) -> AllocationWarning | None:
    """Record (and audit) a warning if `allocated_to` lacks current training that `team` requires; never refuses.

    Called inside the allocating service's transaction; the warning is returned so the page can say so.
    """
    missing = training.missing_training(user=allocated_to, team=team)
    if not missing:
        return None
    warning = AllocationWarning.objects.create(
        task=task,
        case=case,
        team=team,
        allocated_to=allocated_to,
        allocated_by=actor,
        missing_courses=[course.code for course in missing],
    )
    events.allocation_warning_recorded(actor=actor, warning=warning)
    return warning


def allocation_warning_text(warning: AllocationWarning) -> str:
    """The sentence shown to whoever allocated the work."""
    names = ", ".join(training.course_names(warning.missing_courses))
    return (
        f"{warning.allocated_to.display_name} does not have current training that {warning.team.name} requires "
        f"({names}). The allocation was made and this has been recorded."
    )


# Cases
@transaction.atomic
def case_open(
    *,
    actor,
    subject_name: str,
    lead_agency: Agency,
    kind: str = CaseKind.CHILD,
    date_of_birth=None,
    expected_date=None,
    referral: Referral | None = None,
    owner: User | None = None,
    now: datetime | None = None,
) -> Case:
    """Open a case for a child (born, or unborn with an expected date), place or peer group."""
    case = Case.objects.create(
        reference=case_reference(),
        kind=kind,
        subject_name=subject_name[:200] or "Unnamed child",
        date_of_birth=date_of_birth,
        expected_date=expected_date,
        lead_agency=lead_agency,
        owner=owner,
        opened_at=now or timezone.now(),
    )
    if referral is not None:
        case.referrals.add(referral)
    events.case_opened(actor=actor, case=case)
    if owner is not None:
        case.allocation_warning = allocation_check(
            actor=actor, allocated_to=owner, team=owner.team, case=case
        )
    return case


@transaction.atomic
def case_restrict(*, actor, case: Case, to: Iterable[User], reason: str) -> Case:
    """Restrict a case to the people named (who alone then see it, break glass aside), with the reason why."""
    errors: dict[str, list[str]] = {}
    reason = clean_text(reason, "reason", errors, required="Say why the case is restricted.", limit=2000)
    named = list(to)
    if not named:
        errors["to"] = ["Name at least one person who may see the case."]
    if errors:
        raise Invalid("The restriction has errors.", errors)
    case.restricted = True
    case.save(update_fields=["restricted"])
    case.restricted_to.set(named)
    events.case_updated(
        actor=actor, case=case, what="restricted", data={"to": sorted(u.pk for u in named), "reason": reason}
    )
    return case


def _normalised_name(name: str) -> str:
    return " ".join(name.lower().split())


@transaction.atomic
def cases_for_referral(
    *,
    actor,
    referral: Referral,
    lead_agency: Agency,
    now: datetime | None = None,
) -> list[Case]:
    """The child cases a referral belongs to: an open case with the same name and date of birth, or a new one."""
    cases = []
    children = [m for m in referral.person_mentions.all() if m.role == "child"] or [None]
    for child in children:
        name = (child.name or child.nickname) if child else ""
        dob = child.date_of_birth if child else None
        existing = None
        if name and dob:
            candidates = Case.objects.filter(kind=CaseKind.CHILD, status="open", date_of_birth=dob)
            existing = next(
                (c for c in candidates if _normalised_name(c.subject_name) == _normalised_name(name)), None
            )
        if existing is not None:
            existing.referrals.add(referral)
            cases.append(existing)
        else:
            cases.append(
                case_open(
                    actor=actor,
                    subject_name=name or f"Unnamed child ({referral.reference})",
                    date_of_birth=dob,
                    lead_agency=lead_agency,
                    referral=referral,
                    now=now,
                )
            )
    return cases


def record_label(obj) -> str:
    """How a clock names the record it runs for, e.g. "casework.missingepisode:12"."""
    return f"{obj._meta.label_lower}:{obj.pk}"


def clock_start(
    *,
    kind: str,
    started_at: datetime,
    due_at: datetime,
    case=None,
    referral=None,
    note="",
    record=None,
) -> Clock:
    """Start a timescale clock, for a case or referral and, where several can run at once, one record."""
    return Clock.objects.create(
        kind=kind,
        started_at=started_at,
        due_at=due_at,
        case=case,
        referral=referral,
        note=note[:300],
        record=record_label(record) if record is not None else "",
    )


def clock_meet(*, kind: str, at: datetime, case=None, referral=None, record=None) -> int:
    """Mark the open clocks of a kind as met: those of one record where given, else of the case or referral."""
    qs = Clock.objects.filter(kind=kind, met_at__isnull=True)
    if record is not None:
        qs = qs.filter(record=record_label(record))
    if case is not None:
        qs = qs.filter(case=case)
    if referral is not None:
        qs = qs.filter(referral=referral)
    if record is None and case is None and referral is None:
        raise ValueError("Say which case, referral or record's clock is met.")
    return qs.update(met_at=at)


# Tasks
def intake_team(agency: Agency):
    """The team that receives an agency's new tasks: the one marked to, else the agency's first team."""
    teams = agency.teams.order_by("-receives_tasks", "pk")
    return teams.first()


@transaction.atomic
def task_create(
    *,
    actor,
    referral: Referral,
    agency: Agency,
    priority: str,
    case: Case | None = None,
    instructions: str = "",
    now: datetime | None = None,
) -> AgencyTask:
    """Give an agency a task on a referral, with acknowledgement and completion deadlines for its priority."""
    now = now or timezone.now()
    scale = timescales.task_timescale(priority)
    try:
        with transaction.atomic():
            task = AgencyTask.objects.create(
                referral=referral,
                case=case,
                agency=agency,
                team=intake_team(agency),
                priority=priority,
                instructions=instructions[:5000],
                created_at=now,
                ack_due_at=scale.acknowledge_by(now),
                due_at=scale.complete_by(now),
            )
    except IntegrityError as exc:
        raise Conflict(f"{agency.name} already has a task on {referral.reference}.") from exc
    events.task_created(actor=actor, task=task)
    if agency.kind == AgencyKind.CSC and case is not None:
        clock_start(
            kind=ClockKind.ASSESSMENT,
            started_at=referral.received_at,
            due_at=timescales.assessment_due(referral.received_at),
            case=case,
            referral=referral,
        )
    return task


def _locked_task(task: AgencyTask) -> AgencyTask:
    return AgencyTask.objects.select_for_update().select_related("referral", "agency").get(pk=task.pk)


@transaction.atomic
def task_assign(*, actor, task: AgencyTask, user: User) -> AgencyTask:
    """Assign a task to a named worker in the task's agency."""
    task = _locked_task(task)
    if user.agency_id != task.agency_id or not policy.allows(user, "can_act_on_task", task):
        raise Invalid.field("assigned_to", "Choose an active worker in the agency that owns this task.")
    if task.status == TaskStatus.COMPLETED:
        raise Conflict("This task is already completed.")
    task.assigned_to = user
    task.save(update_fields=["assigned_to"])
    events.task_assigned(actor=actor, task=task)
    task.allocation_warning = allocation_check(
        actor=actor, allocated_to=user, team=task.team or user.team, task=task
    )
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
    self_allocated = task.assigned_to_id is None and actor is not None
    if self_allocated:
        task.assigned_to = actor
    task.save(update_fields=["status", "acknowledged_at", "acknowledged_by", "assigned_to"])
    events.task_acknowledged(actor=actor, task=task)
    task.allocation_warning = (
        allocation_check(actor=actor, allocated_to=actor, team=task.team or actor.team, task=task)
        if self_allocated
        else None
    )
    return task


@transaction.atomic
def task_complete(
    *,
    actor,
    task: AgencyTask,
    outcome: str,
    narrative: str,
    now: datetime | None = None,
) -> AgencyTask:
    """Complete a task with an outcome from the controlled list and a narrative; close the referral if it was the last."""
    given, errors = validate(schemas.CompleteIn, {"outcome": outcome, "narrative": narrative})
    if errors:
        raise Invalid("The task could not be completed.", errors)
    narrative = given.narrative
    task = _locked_task(task)
    if task.status == TaskStatus.COMPLETED:
        raise Conflict("This task is already completed.")
    now = now or timezone.now()
    if task.status == TaskStatus.AWAITING_ACKNOWLEDGEMENT:
        task.acknowledged_at, task.acknowledged_by = now, actor
    task.status = TaskStatus.COMPLETED
    task.outcome, task.narrative = outcome, narrative
    task.completed_at, task.completed_by = now, actor
    task.save(
        update_fields=[
            "status",
            "outcome",
            "narrative",
            "completed_at",
            "completed_by",
            "acknowledged_at",
            "acknowledged_by",
        ]
    )
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
    acted = sorted(
        {PUBLIC_OUTCOMES[t.agency.kind] for t in tasks if t.outcome != TaskOutcome.NO_ACTION_FOR_AGENCY}
    )
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
    created = Notification.objects.bulk_create(
        [Notification(user=u, message=message[:500], url=url, escalation=escalation) for u in users]
    )
    emailed = [n for n in created if n.user.email]
    if emailed:
        body = f"{message}\n\nOpen it in Lantern: {settings.LANTERN_BASE_URL}{url}\n"
        emails = sorted({n.user.email for n in emailed})
        # Only these notifications are marked emailed; the ids are known on PostgreSQL and SQLite.
        ids = [n.pk for n in emailed if n.pk is not None]

        def send():
            try:
                # One message per person, so that recipients do not see each other's addresses.
                send_mass_mail(
                    tuple(
                        (f"Lantern: {message[:120]}", body, settings.DEFAULT_FROM_EMAIL, [email])
                        for email in emails
                    )
                )
                Notification.objects.filter(pk__in=ids).update(emailed_at=timezone.now())
            except Exception:  # noqa: BLE001 - the in-app notification stands; mail failure is logged
                logger.exception("Notification email failed")

        transaction.on_commit(send)


def notify(*, users: Iterable[User], message: str, url: str) -> None:
    """Tell people in the app and by email (sent once the transaction commits); for other apps' services."""
    _notify(users=users, message=message, url=url)


def _escalation_url(escalation: Escalation) -> str:
    try:
        return reverse("casework:escalation_detail", args=[escalation.pk])
    except NoReverseMatch:
        return "/"


@transaction.atomic
def escalation_create(
    *,
    actor,
    level: int,
    kind: str,
    reason: str,
    agency: Agency,
    task: AgencyTask | None = None,
    referral: Referral | None = None,
    now: datetime | None = None,
) -> Escalation | None:
    """Raise one escalation and notify its recipients; None if that rung was already raised for the task."""
    team = task.team if task is not None else None
    try:
        with transaction.atomic():
            escalation = Escalation.objects.create(
                task=task,
                referral=referral or (task.referral if task else None),
                agency=agency,
                level=level,
                kind=kind,
                reason=reason[:5000],
                raised_by=actor,
                raised_at=now or timezone.now(),
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
        users=recipients,
        escalation=escalation,
        url=_escalation_url(escalation),
        message=f"Level {level} escalation on {ref}: {escalation.get_kind_display().lower()} ({agency.name}).",
    )
    return escalation


@transaction.atomic
def escalation_raise(
    *, actor, reason: str, task: AgencyTask | None = None, referral: Referral | None = None
) -> Escalation:
    """A professional raises a disagreement by hand; it goes to the team manager of the agency concerned."""
    given, errors = validate(schemas.DisagreementIn, {"reason": reason})
    if errors:
        raise Invalid("The disagreement has errors.", errors)
    reason = given.reason
    if task is None and referral is None:
        raise Invalid("Say which referral or task the disagreement is about.")
    if task is not None:
        agency = task.agency
    elif referral.decision_id is not None and referral.decision.decided_by.agency_id is not None:
        # A disagreement about a referral is about the front door's decision: it goes to that agency's managers.
        agency = referral.decision.decided_by.agency
    else:
        agency = referral.referrer_agency or actor.agency
    if agency is None:
        raise Invalid("There is no agency to send this disagreement to.")
    # A disagreement that is still open and raised again goes one rung up the ladder.
    open_levels = Escalation.objects.filter(
        kind=EscalationKind.DISAGREEMENT,
        status=EscalationStatus.OPEN,
        **({"task": task} if task is not None else {"referral": referral, "task__isnull": True}),
    ).values_list("level", flat=True)
    level = min(max(open_levels, default=0) + 1, timescales.TOP_LEVEL)
    return escalation_create(
        actor=actor,
        level=level,
        kind=EscalationKind.DISAGREEMENT,
        reason=reason,
        agency=agency,
        task=task,
        referral=referral,
    )


@transaction.atomic
def escalation_resolve(
    *, actor, escalation: Escalation, resolution: str, now: datetime | None = None
) -> Escalation:
    """Resolve an escalation with a written resolution; nothing is cleared silently."""
    given, errors = validate(schemas.EscalationResolveIn, {"resolution": resolution})
    if errors:
        raise Invalid("The resolution has errors.", errors)
    resolution = given.resolution
    escalation = Escalation.objects.select_for_update().get(pk=escalation.pk)
    if escalation.status == EscalationStatus.RESOLVED:
        raise Conflict("This escalation has already been resolved.")
    escalation.status = EscalationStatus.RESOLVED
    escalation.resolution = resolution
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
    for owner_id, level in Escalation.objects.filter(**{f"{field}__in": ids}, kind=kind).values_list(
        field, "level"
    ):
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
        EscalationKind.NOT_ACKNOWLEDGED,
        "task",
    )
    incomplete = _without_top_rung(
        AgencyTask.objects.filter(status=TaskStatus.ACKNOWLEDGED, due_at__lte=now),
        EscalationKind.NOT_COMPLETED,
        "task",
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
                scale.acknowledgement_level_due_at
                if kind == EscalationKind.NOT_ACKNOWLEDGED
                else scale.completion_level_due_at
            )
            what = "acknowledged" if kind == EscalationKind.NOT_ACKNOWLEDGED else "completed"
            for level in _levels_due(due, level_due_at, now):
                if level in done.get(task.pk, set()):
                    continue
                raised += filter(
                    None,
                    [
                        escalation_create(
                            actor=None,
                            level=level,
                            kind=kind,
                            agency=task.agency,
                            task=task,
                            now=now,
                            reason=(
                                f"{task.agency.name} has not {what} its {task.get_priority_display().lower()} task on "
                                f"{task.referral.reference}, due {timezone.localtime(due):%d %b %Y %H:%M}."
                            ),
                        )
                    ],
                )
    front_door = Agency.objects.filter(kind=AgencyKind.CSC).order_by("pk").first()
    undecided = _without_top_rung(
        Referral.objects.filter(status=ReferralStatus.RECEIVED, decision_due_at__lte=now),
        EscalationKind.DECISION_OVERDUE,
        "referral",
    )
    referrals = list(undecided[:5000]) if front_door else []
    done = _raised_levels(EscalationKind.DECISION_OVERDUE, "referral", [r.pk for r in referrals])
    for referral in referrals:
        for level in _levels_due(referral.decision_due_at, timescales.decision_level_due_at, now):
            if level in done.get(referral.pk, set()):
                continue
            raised += filter(
                None,
                [
                    escalation_create(
                        actor=None,
                        level=level,
                        kind=EscalationKind.DECISION_OVERDUE,
                        agency=front_door,
                        referral=referral,
                        now=now,
                        reason=(
                            f"No screening decision on {referral.reference}, due "
                            f"{timezone.localtime(referral.decision_due_at):%d %b %Y %H:%M}."
                        ),
                    )
                ],
            )
    return raised


# The rest of a case's record


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
        errors.setdefault(field, []).append("The date and time must be in the past.")
    elif not_before is not None and value < not_before:
        errors.setdefault(field, []).append(not_before_message)
    return value


def _raise_if(errors: dict, detail: str) -> None:
    if errors:
        raise Invalid(detail, errors)


def _locked_case(case: Case) -> Case:
    # Locking the case serialises changes to its flags and records (SQLite serialises every write anyway).
    return Case.objects.select_for_update().select_related("lead_agency").get(pk=case.pk)


# Flags: added and removed only with a justification and another person's approval; history kept
def flag_approvers(case: Case) -> list[User]:
    """Who is told that a flag change awaits approval: the lead agency's team and service managers."""
    return list(
        User.objects.filter(
            is_active=True,
            agency_id=case.lead_agency_id,
            role__in=(Role.TEAM_MANAGER, Role.SERVICE_MANAGER),
        ).order_by("pk")
    )


def _flag_change_url(change: FlagChange) -> str:
    try:
        return reverse("casework:flag_change", args=[change.case_id, change.pk])
    except NoReverseMatch:
        return "/"


@transaction.atomic
def flag_change_request(
    *,
    actor,
    case: Case,
    kind: str,
    add: bool,
    justification: str,
    now: datetime | None = None,
) -> FlagChange:
    """Ask for a flag to be added to or removed from a case; it takes effect only when someone else approves it."""
    errors: dict[str, list[str]] = {}
    if kind not in FlagKind.values:
        errors["kind"] = ["Choose a flag."]
    if not isinstance(add, bool):
        errors["add"] = ["Choose whether to add or remove the flag."]
    justification = clean_text(
        justification, "justification", errors, required="Explain why the flag should be added or removed."
    )
    _raise_if(errors, "The flag change has errors.")
    case = _locked_case(case)
    if FlagChange.objects.filter(case=case, kind=kind, status=FlagChangeStatus.PENDING).exists():
        raise Conflict("A change to this flag is already awaiting approval.")
    active = CaseFlag.objects.filter(case=case, kind=kind, active=True).exists()
    if add and active:
        raise Conflict("The case already has this flag.")
    if not add and not active:
        raise Conflict("The case does not have this flag, so it cannot be removed.")
    change = FlagChange.objects.create(
        case=case,
        kind=kind,
        add=add,
        justification=justification,
        requested_by=actor,
        requested_at=now or timezone.now(),
    )
    events.flag_change_requested(actor=actor, change=change)
    verb = "add" if add else "remove"
    _notify(
        users=[u for u in flag_approvers(case) if u.pk != getattr(actor, "pk", None)],
        url=_flag_change_url(change),
        message=f"Approval needed to {verb} the {change.get_kind_display()} flag on {case.reference}.",
    )
    return change


@transaction.atomic
def flag_change_decide(
    *,
    actor,
    change: FlagChange,
    approve: bool,
    note: str = "",
    now: datetime | None = None,
) -> FlagChange:
    """Approve (the flag changes) or reject (with a reason) a pending flag change; never by the person who asked."""
    now = now or timezone.now()
    change = FlagChange.objects.select_for_update().select_related("case").get(pk=change.pk)
    if change.status != FlagChangeStatus.PENDING:
        raise Conflict("This flag change has already been decided.")
    if change.requested_by_id == getattr(actor, "pk", None):
        raise Invalid.field(
            "decision", "A flag change must be approved by someone other than the person who asked for it."
        )
    errors: dict[str, list[str]] = {}
    note = clean_text(
        note, "note", errors, required="" if approve else "Explain why the flag change is rejected."
    )
    _raise_if(errors, "The decision has errors.")
    case = _locked_case(change.case)
    change.status = FlagChangeStatus.APPROVED if approve else FlagChangeStatus.REJECTED
    change.decided_by, change.decided_at, change.decision_note = actor, now, note
    change.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    if approve:
        flag = CaseFlag.objects.select_for_update().filter(case=case, kind=change.kind).first()
        if flag is None:
            if not change.add:
                raise Conflict("The case does not have this flag, so it cannot be removed.")
            # The row is never deleted: a removed flag stays as inactive, so "ever flagged" only grows.
            CaseFlag.objects.create(
                case=case, kind=change.kind, active=True, first_added_at=now, changed_at=now
            )
        else:
            if flag.active == change.add:
                raise Conflict("The flag is already in the state this change asks for.")
            flag.active, flag.changed_at = change.add, now
            flag.save(update_fields=["active", "changed_at"])
    events.flag_change_decided(actor=actor, change=change)
    return change


def flag_change_approve(
    *, actor, change: FlagChange, note: str = "", now: datetime | None = None
) -> FlagChange:
    """Approve a pending flag change."""
    return flag_change_decide(actor=actor, change=change, approve=True, note=note, now=now)


def flag_change_reject(*, actor, change: FlagChange, note: str, now: datetime | None = None) -> FlagChange:
    """Reject a pending flag change, with a reason."""
    return flag_change_decide(actor=actor, change=change, approve=False, note=note, now=now)


# Notes
@transaction.atomic
def case_note_add(
    *, actor, case: Case, text: str, significant: bool = False, now: datetime | None = None
) -> CaseNote:
    """Add a note to a case; a significant note is marked in the chronology."""
    errors: dict[str, list[str]] = {}
    text = clean_text(text, "text", errors, required="Enter the note.", limit=MAX_NARRATIVE)
    _raise_if(errors, "The note has errors.")
    note = CaseNote.objects.create(
        case=case, author=actor, text=text, significant=bool(significant), created_at=now or timezone.now()
    )
    events.case_updated(
        actor=actor, case=case, what="note_added", data={"note_id": note.pk, "significant": note.significant}
    )
    return note


# Missing episodes and return interviews
@transaction.atomic
def missing_episode_record(
    *,
    actor,
    case: Case,
    missing_from: datetime,
    returned_at: datetime | None = None,
    where_found: str = "",
    notes: str = "",
    now: datetime | None = None,
) -> MissingEpisode:
    """Record a missing episode; once the child has returned, the return-interview clock (72 hours) starts."""
    now = now or timezone.now()
    errors: dict[str, list[str]] = {}
    if getattr(actor, "agency_id", None) is None:
        errors["__all__"] = ["Only a member of an agency can record a missing episode."]
    missing_from = _moment(
        missing_from, "missing_from", errors, now=now, required="Enter when the child went missing."
    )
    returned_at = _moment(
        returned_at,
        "returned_at",
        errors,
        now=now,
        not_before=missing_from,
        not_before_message="The child cannot return before they went missing.",
    )
    where_found = clean_text(where_found, "where_found", errors, limit=300)
    if where_found and returned_at is None:
        errors.setdefault("returned_at", []).append(
            "Enter when the child returned, or leave where they were found empty."
        )
    notes = clean_text(notes, "notes", errors)
    _raise_if(errors, "The missing episode has errors.")
    episode = MissingEpisode.objects.create(
        case=case,
        reported_by_agency_id=actor.agency_id,
        missing_from=missing_from,
        returned_at=returned_at,
        where_found=where_found,
        notes=notes,
        recorded_by=actor,
        recorded_at=now,
        return_interview_due_at=timescales.return_interview_due(returned_at) if returned_at else None,
    )
    if returned_at is not None:
        _start_return_interview_clock(episode)
    events.case_updated(
        actor=actor,
        case=case,
        what="missing_episode_recorded",
        data={"episode_id": episode.pk, "returned": returned_at is not None},
    )
    return episode


def _start_return_interview_clock(episode: MissingEpisode) -> None:
    clock_start(
        kind=ClockKind.RETURN_INTERVIEW,
        started_at=episode.returned_at,
        due_at=episode.return_interview_due_at,
        case=episode.case,
        record=episode,
        note="Return interview after a missing episode",
    )


def _locked_episode(episode: MissingEpisode) -> MissingEpisode:
    return MissingEpisode.objects.select_for_update().select_related("case").get(pk=episode.pk)


@transaction.atomic
def missing_episode_record_return(
    *,
    actor,
    episode: MissingEpisode,
    returned_at: datetime,
    where_found: str = "",
    now: datetime | None = None,
) -> MissingEpisode:
    """Record that a missing child has returned, and start the return-interview clock."""
    now = now or timezone.now()
    episode = _locked_episode(episode)
    if episode.returned_at is not None:
        raise Conflict("The child's return has already been recorded.")
    errors: dict[str, list[str]] = {}
    returned_at = _moment(
        returned_at,
        "returned_at",
        errors,
        now=now,
        required="Enter when the child returned.",
        not_before=episode.missing_from,
        not_before_message="The child cannot return before they went missing.",
    )
    where_found = clean_text(where_found, "where_found", errors, limit=300)
    _raise_if(errors, "The return has errors.")
    episode.returned_at, episode.where_found = returned_at, where_found
    episode.return_interview_due_at = timescales.return_interview_due(returned_at)
    episode.save(update_fields=["returned_at", "where_found", "return_interview_due_at"])
    _start_return_interview_clock(episode)
    events.case_updated(
        actor=actor, case=episode.case, what="missing_episode_returned", data={"episode_id": episode.pk}
    )
    return episode


@transaction.atomic
def missing_episode_record_interview(
    *,
    actor,
    episode: MissingEpisode,
    held_at: datetime,
    now: datetime | None = None,
) -> MissingEpisode:
    """Record the return interview; it meets the return-interview clock (late if after 72 hours)."""
    now = now or timezone.now()
    episode = _locked_episode(episode)
    if episode.returned_at is None:
        raise Conflict("Record the child's return before the return interview.")
    if episode.return_interview_at is not None:
        raise Conflict("The return interview has already been recorded.")
    errors: dict[str, list[str]] = {}
    held_at = _moment(
        held_at,
        "held_at",
        errors,
        now=now,
        required="Enter when the return interview took place.",
        not_before=episode.returned_at,
        not_before_message="The return interview cannot be before the child returned.",
    )
    _raise_if(errors, "The return interview has errors.")
    episode.return_interview_at = held_at
    episode.save(update_fields=["return_interview_at"])
    clock_meet(kind=ClockKind.RETURN_INTERVIEW, at=held_at, case=episode.case, record=episode)
    events.case_updated(
        actor=actor,
        case=episode.case,
        what="return_interview_recorded",
        data={"episode_id": episode.pk, "late": held_at > episode.return_interview_due_at},
    )
    return episode


# Strategy discussions
@dataclass(frozen=True)
class AttendeeInput:
    """Someone who attended a strategy discussion, by agency."""

    agency: Agency
    name: str
    role: str = ""
    user: User | None = None


@dataclass(frozen=True)
class ActionInput:
    """An action agreed at a strategy discussion, with an owning agency (and person) and a due date."""

    description: str
    agency: Agency
    due_date: date
    owner: User | None = None


def _attendee_errors(attendees: list[AttendeeInput]) -> list[str]:
    """The problems with a strategy discussion's attendees, each numbered as entered."""
    if not attendees:
        return ["Add at least one attendee."]
    messages = []
    for number, attendee in enumerate(attendees, start=1):
        if not isinstance(attendee.agency, Agency):
            messages.append(f"Attendee {number}: choose their agency.")
        if not (attendee.name or "").strip():
            messages.append(f"Attendee {number}: enter their name.")
        elif len(attendee.name) > 200 or len(attendee.role or "") > 200:
            messages.append(f"Attendee {number}: the name and role must be 200 characters or fewer.")
    return messages


def _action_errors(actions: list[ActionInput], *, held_at: datetime | None) -> list[str]:
    """The problems with the actions agreed at a strategy discussion, each numbered as entered."""
    messages = []
    for number, action in enumerate(actions, start=1):
        description = (action.description or "").strip()
        if not description:
            messages.append(f"Action {number}: describe the action.")
        elif len(description) > 2000:
            messages.append(f"Action {number}: the description must be 2,000 characters or fewer.")
        if not isinstance(action.agency, Agency):
            messages.append(f"Action {number}: choose the agency that owns it.")
        elif action.owner is not None and action.owner.agency_id != action.agency.pk:
            messages.append(f"Action {number}: the owner must work for the agency that owns it.")
        if not isinstance(action.due_date, date):
            messages.append(f"Action {number}: enter a due date.")
        elif held_at is not None and action.due_date < timezone.localtime(held_at).date():
            messages.append(f"Action {number}: the due date cannot be before the discussion.")
    return messages


@transaction.atomic
def strategy_discussion_record(
    *,
    actor,
    case: Case,
    held_at: datetime,
    chair: User,
    decisions: str,
    attendees: list[AttendeeInput],
    actions: list[ActionInput] = (),
    section_47: bool = False,
    significant_harm_suspected: bool = True,
    discussion: StrategyDiscussion | None = None,
    now: datetime | None = None,
) -> StrategyDiscussion:
    """Record a strategy discussion: when, the chair, attendees by agency, decisions and actions.

    It meets the strategy-discussion clock of the discussion that was scheduled (if it was); a section 47
    enquiry agreed at it starts the initial child protection conference clock (15 working days).
    """
    now = now or timezone.now()
    errors: dict[str, list[str]] = {}
    held_at = _moment(
        held_at, "held_at", errors, now=now, required="Enter when the strategy discussion was held."
    )
    if chair is None or not isinstance(chair, User) or not chair.is_active:
        errors["chair"] = ["Choose who chaired the discussion."]
    decisions = clean_text(
        decisions, "decisions", errors, required="Record what was decided.", limit=MAX_NARRATIVE
    )
    attendees, actions = list(attendees or []), list(actions or [])
    if attendee_errors := _attendee_errors(attendees):
        errors["attendees"] = attendee_errors
    if action_errors := _action_errors(actions, held_at=held_at):
        errors["actions"] = action_errors
    if discussion is not None:
        discussion = StrategyDiscussion.objects.select_for_update().get(pk=discussion.pk)
        if discussion.case_id != case.pk:
            errors.setdefault("discussion", []).append("Choose a discussion scheduled for this case.")
        elif discussion.held_at is not None:
            raise Conflict("This strategy discussion has already been recorded.")
    _raise_if(errors, "The strategy discussion has errors.")
    if discussion is None:
        # Not scheduled by the front door: no clock was running for it, so it is due when it was held.
        discussion = StrategyDiscussion(case=case, due_at=held_at)
    discussion.held_at, discussion.chair, discussion.decisions = held_at, chair, decisions
    discussion.section_47, discussion.significant_harm_suspected = (
        bool(section_47),
        bool(significant_harm_suspected),
    )
    discussion.recorded_by = actor
    discussion.save()
    StrategyAttendee.objects.bulk_create(
        [
            StrategyAttendee(
                discussion=discussion,
                agency=a.agency,
                user=a.user,
                name=a.name.strip(),
                role=(a.role or "").strip(),
            )
            for a in attendees
        ]
    )
    StrategyAction.objects.bulk_create(
        [
            StrategyAction(
                discussion=discussion,
                description=a.description.strip(),
                agency=a.agency,
                owner=a.owner,
                due_date=a.due_date,
            )
            for a in actions
        ]
    )
    if discussion.referral_id is not None:
        clock_meet(kind=ClockKind.STRATEGY_DISCUSSION, at=held_at, case=case, referral=discussion.referral)
    if discussion.section_47:
        clock_start(
            kind=ClockKind.INITIAL_CONFERENCE,
            started_at=held_at,
            due_at=timescales.initial_conference_due(held_at),
            case=case,
            record=discussion,
            note="Section 47 enquiry agreed at the strategy discussion",
        )
    events.case_updated(
        actor=actor,
        case=case,
        what="strategy_discussion_recorded",
        data={
            "discussion_id": discussion.pk,
            "section_47": discussion.section_47,
            "attendees": len(attendees),
            "actions": len(actions),
            "late": held_at > discussion.due_at,
        },
    )
    return discussion


# National Referral Mechanism
@transaction.atomic
def nrm_referral_record(
    *, actor, case: Case, referred_at: datetime, now: datetime | None = None
) -> NRMReferral:
    """Record an NRM referral and start its reasonable-grounds clock (5 working days)."""
    now = now or timezone.now()
    errors: dict[str, list[str]] = {}
    referred_at = _moment(
        referred_at, "referred_at", errors, now=now, required="Enter when the NRM referral was made."
    )
    _raise_if(errors, "The NRM referral has errors.")
    nrm = NRMReferral.objects.create(
        case=case,
        referred_at=referred_at,
        referred_by=actor,
        reasonable_grounds_due_at=timescales.nrm_reasonable_grounds_due(referred_at),
    )
    clock_start(
        kind=ClockKind.NRM_REASONABLE_GROUNDS,
        started_at=referred_at,
        due_at=nrm.reasonable_grounds_due_at,
        case=case,
        record=nrm,
    )
    events.case_updated(actor=actor, case=case, what="nrm_referred", data={"nrm_id": nrm.pk})
    return nrm


@transaction.atomic
def nrm_decision_record(
    *,
    actor,
    nrm: NRMReferral,
    decision: str,
    decided_at: datetime,
    now: datetime | None = None,
) -> NRMReferral:
    """Record the reasonable-grounds decision; it meets the NRM clock."""
    now = now or timezone.now()
    nrm = NRMReferral.objects.select_for_update().select_related("case").get(pk=nrm.pk)
    if nrm.reasonable_grounds_decision != NRMDecision.PENDING:
        raise Conflict("The reasonable-grounds decision has already been recorded.")
    errors: dict[str, list[str]] = {}
    if decision not in (NRMDecision.POSITIVE, NRMDecision.NEGATIVE):
        errors["decision"] = ["Choose positive or negative."]
    decided_at = _moment(
        decided_at,
        "decided_at",
        errors,
        now=now,
        required="Enter when the decision was made.",
        not_before=nrm.referred_at,
        not_before_message="The decision cannot be before the NRM referral.",
    )
    _raise_if(errors, "The decision has errors.")
    nrm.reasonable_grounds_decision, nrm.reasonable_grounds_decided_at = decision, decided_at
    nrm.save(update_fields=["reasonable_grounds_decision", "reasonable_grounds_decided_at"])
    clock_meet(kind=ClockKind.NRM_REASONABLE_GROUNDS, at=decided_at, case=nrm.case, record=nrm)
    events.case_updated(
        actor=actor,
        case=nrm.case,
        what="nrm_decision_recorded",
        data={
            "nrm_id": nrm.pk,
            "decision": decision,
            "late": decided_at > nrm.reasonable_grounds_due_at,
        },
    )
    return nrm


# Information sharing
@transaction.atomic
def information_share_record(
    *,
    actor,
    shared: bool,
    purpose: str,
    scope: str,
    case: Case | None = None,
    referral: Referral | None = None,
    to_agency: Agency | None = None,
    recipient: str = "",
    lawful_basis: str = "",
    consent: str = ConsentStatus.NOT_SOUGHT,
    reasons: str = "",
    decided_at: datetime | None = None,
    now: datetime | None = None,
) -> InformationShare:
    """Record a disclosure to another agency, or a decision not to share, with lawful basis, purpose and scope.

    Consent is recorded but is not a gate: in safeguarding, sharing without consent is lawful where needed. A
    decision not to share needs its reasons.
    """
    now = now or timezone.now()
    errors: dict[str, list[str]] = {}
    if getattr(actor, "agency_id", None) is None:
        errors["__all__"] = ["Only a member of an agency can record information sharing."]
    if case is None and referral is None:
        errors.setdefault("__all__", []).append("Say which case or referral the information is about.")
    if not isinstance(shared, bool):
        errors["shared"] = ["Choose whether the information was shared."]
    recipient = clean_text(recipient, "recipient", errors, limit=200)
    if to_agency is None and not recipient:
        errors["to_agency"] = ["Choose the agency, or name the recipient outside the partnership."]
    elif to_agency is not None and to_agency.pk == getattr(actor, "agency_id", None):
        errors["to_agency"] = ["Choose another agency: sharing within your own agency is not recorded here."]
    if lawful_basis and lawful_basis not in LawfulBasis.values:
        errors["lawful_basis"] = ["Choose a lawful basis from the list."]
    elif shared is True and not lawful_basis:
        errors["lawful_basis"] = ["Choose the lawful basis for sharing."]
    if consent not in ConsentStatus.values:
        errors["consent"] = ["Choose what happened about consent."]
    elif lawful_basis == LawfulBasis.CONSENT and consent != ConsentStatus.GIVEN:
        errors["lawful_basis"] = [
            "Consent is the lawful basis only when consent was given; choose another basis."
        ]
    purpose = clean_text(
        purpose,
        "purpose",
        errors,
        required="Say why the information was (or would have been) shared.",
        limit=2000,
    )
    scope = clean_text(
        scope, "scope", errors, required="Say what information was (or would have been) shared.", limit=2000
    )
    reasons = clean_text(
        reasons,
        "reasons",
        errors,
        required="Explain why the information was not shared." if shared is False else "",
    )
    decided_at = _moment(decided_at or now, "decided_at", errors, now=now)
    _raise_if(errors, "The information-sharing record has errors.")
    share = InformationShare.objects.create(
        case=case,
        referral=referral,
        from_agency_id=actor.agency_id,
        to_agency=to_agency,
        recipient=recipient,
        shared=shared,
        lawful_basis=lawful_basis,
        purpose=purpose,
        scope=scope,
        consent=consent,
        reasons=reasons,
        decided_by=actor,
        decided_at=decided_at,
    )
    events.information_share_recorded(actor=actor, share=share)
    return share


# Notifications
@transaction.atomic
def notifications_mark_read(
    *, actor, notifications: Iterable[Notification] | None = None, now: datetime | None = None
) -> int:
    """Mark the user's own notifications read (all unread ones when none are given); returns how many."""
    unread = Notification.objects.filter(user=actor, read_at__isnull=True)
    if notifications is not None:
        unread = unread.filter(pk__in=[n.pk for n in notifications])
    ids = list(unread.values_list("pk", flat=True))
    if ids:
        Notification.objects.filter(pk__in=ids).update(read_at=now or timezone.now())
        events.notifications_read(actor=actor, ids=ids)
    return len(ids)


def notification_mark_read(*, actor, notification: Notification, now: datetime | None = None) -> int:
    """Mark one of the user's own notifications read."""
    return notifications_mark_read(actor=actor, notifications=[notification], now=now)
