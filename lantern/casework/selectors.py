"""Reads of tasks, escalations, cases and notifications, already limited to what the asking user may see.

These are the query form of `lantern.casework.rules`: a record a user may not see is absent from every list, and
fetching it by id gives the same 404 as a record that does not exist.
"""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Case as SqlCase
from django.db.models import Count, Exists, F, IntegerField, OuterRef, Prefetch, Q, QuerySet, Value, When
from django.http import Http404
from django.utils import timezone

from lantern.accounts.models import Agency, Role, User
from lantern.casework.models import (
    AgencyTask,
    BreakGlassUse,
    Case,
    CaseFlag,
    ConflictStatus,
    Escalation,
    EscalationStatus,
    FlagChange,
    FlagChangeStatus,
    FlagKind,
    MissingEpisode,
    NetworkMember,
    Notification,
    NRMReferral,
    SafeguardingConflict,
    StrategyAction,
    StrategyAttendee,
    StrategyDiscussion,
    TaskStatus,
)
from lantern.casework.rules import SEES_ALL_CASES_ROLES
from lantern.core import policy
from lantern.intake.models import Referral
from lantern.intake.selectors import referral_list_visible_to

# A status filter of "open" means every task not yet completed.
OPEN = "open"
TASK_STATUS_FILTERS = (OPEN, *TaskStatus.values)

# The sort keys the task lists accept, and the columns each one orders by.
TASK_SORTS = {
    "due": ("next_due_at", "pk"),
    "priority": ("priority_rank", "next_due_at", "pk"),
    "referral": ("referral__reference", "pk"),
    "agency": ("agency__name", "next_due_at", "pk"),
    "status": ("status_rank", "next_due_at", "pk"),
    "created": ("created_at", "pk"),
}


def _id(value) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise Http404("Not found.") from None
    if number < 1:
        raise Http404("Not found.")
    return number


def _people(*fields: str) -> list[str]:
    # Each person shown in the record is shown with their agency.
    return [f for field in fields for f in (field, f"{field}__agency")]


def _is_case_worker(user) -> bool:
    return policy.allows(user, "can_view_case_content")


def _is_reviewer(user) -> bool:
    return getattr(user, "role", None) == Role.REVIEWER


def _under_review(user, queryset: QuerySet) -> QuerySet:
    # An independent reviewer sees only what the reviews they are on put in scope today (see oversight).
    return policy.review_scope().scoped(user=user, queryset=queryset)


def _note_review_read(user, obj) -> None:
    if _is_reviewer(user):
        policy.review_scope().note_read(user=user, obj=obj)


# Tasks
def task_list_visible_to(*, user) -> QuerySet[AgencyTask]:
    """Every task `user` may see (their agency's; every agency's for the partnership lead), ready for a list."""
    tasks = AgencyTask.objects.select_related(
        "referral", "case", "agency", "team", "assigned_to__agency"
    ).annotate(
        next_due_at=SqlCase(
            When(status=TaskStatus.AWAITING_ACKNOWLEDGEMENT, then=F("ack_due_at")),
            When(status=TaskStatus.ACKNOWLEDGED, then=F("due_at")),
            default=F("completed_at"),
        ),
        priority_rank=SqlCase(
            When(priority="red", then=Value(0)),
            When(priority="amber", then=Value(1)),
            default=Value(2),
            output_field=IntegerField(),
        ),
        status_rank=SqlCase(
            When(status=TaskStatus.AWAITING_ACKNOWLEDGEMENT, then=Value(0)),
            When(status=TaskStatus.ACKNOWLEDGED, then=Value(1)),
            default=Value(2),
            output_field=IntegerField(),
        ),
    )
    if _is_reviewer(user):
        return _under_review(user, tasks)
    if not _is_case_worker(user):
        return tasks.none()
    if user.role == Role.PARTNERSHIP_LEAD:
        return tasks
    if user.agency_id is None:
        return tasks.none()
    return tasks.filter(agency_id=user.agency_id)


def task_list_mine(*, user) -> QuerySet[AgencyTask]:
    """The tasks assigned to `user`."""
    return task_list_visible_to(user=user).filter(assigned_to_id=user.pk)


def task_list_team(*, user) -> QuerySet[AgencyTask]:
    """The tasks of `user`'s team; a service manager's whole agency; every agency's for the partnership lead."""
    tasks = task_list_visible_to(user=user)
    if user.role in (Role.PARTNERSHIP_LEAD, Role.SERVICE_MANAGER) or user.team_id is None:
        return tasks
    return tasks.filter(team_id=user.team_id)


def overdue_q(now: datetime) -> Q:
    """Tasks whose current clock has run out: not acknowledged, or not completed, in time."""
    return Q(status=TaskStatus.AWAITING_ACKNOWLEDGEMENT, ack_due_at__lte=now) | Q(
        status=TaskStatus.ACKNOWLEDGED, due_at__lte=now
    )


def task_filter(
    tasks: QuerySet[AgencyTask],
    *,
    agency: Agency | None = None,
    status: str = "",
    overdue: bool | None = None,
    now: datetime | None = None,
) -> QuerySet[AgencyTask]:
    """Narrow a task list by agency, status ("open" for every task not completed) and whether it is overdue."""
    now = now or timezone.now()
    if agency is not None:
        tasks = tasks.filter(agency=agency)
    if status == OPEN:
        tasks = tasks.exclude(status=TaskStatus.COMPLETED)
    elif status:
        tasks = tasks.filter(status=status)
    if overdue is True:
        tasks = tasks.filter(overdue_q(now))
    elif overdue is False:
        tasks = tasks.exclude(overdue_q(now))
    return tasks


def task_sort(
    tasks: QuerySet[AgencyTask], *, sort: str = "due", descending: bool = False
) -> QuerySet[AgencyTask]:
    """Order a task list by one of `TASK_SORTS` (an unknown key sorts by the next deadline)."""
    columns = TASK_SORTS.get(sort, TASK_SORTS["due"])
    return tasks.order_by(*(f"-{c}" if descending else c for c in columns))


def task_get_for_user(*, user, task_id) -> AgencyTask:
    """One task with what its page shows, or 404 if it does not exist or `user` may not see it."""
    task = (
        task_list_visible_to(user=user)
        .select_related("acknowledged_by__agency", "completed_by__agency", "referral__referrer_agency")
        .filter(pk=_id(task_id))
        .first()
    )
    if task is None or not policy.allows(user, "can_view_task", task):
        raise Http404("Not found.")
    _note_review_read(user, task)
    return task


def task_escalations(task: AgencyTask) -> list[Escalation]:
    """The escalations about a task, newest first."""
    return list(
        task.escalations.select_related(
            "agency", "referral", *_people("raised_by", "resolved_by")
        ).prefetch_related("recipients__agency")
    )


def task_get_for_disagreement(*, user, task_id) -> AgencyTask:
    """A task `user` may raise a disagreement about: one they can see, or one on a referral they are involved in.

    404 otherwise, so that a task's existence does not leak.
    """
    task = AgencyTask.objects.select_related("referral", "agency", "team").filter(pk=_id(task_id)).first()
    if task is None or not policy.allows(user, "can_raise_disagreement", task):
        raise Http404("Not found.")
    return task


def agencies_for_filter(*, user) -> QuerySet[Agency]:
    """The agencies a user may filter task lists by: every agency for the partnership lead, else their own."""
    agencies = Agency.objects.filter(is_active=True)
    if user.role == Role.PARTNERSHIP_LEAD:
        return agencies
    return agencies.filter(pk=user.agency_id) if user.agency_id else agencies.none()


def assignable_users(task: AgencyTask) -> QuerySet[User]:
    """Who a task may be assigned to: active case workers of the task's agency."""
    return (
        User.objects.filter(
            is_active=True,
            agency_id=task.agency_id,
            role__in=(
                Role.PRACTITIONER,
                Role.TEAM_MANAGER,
                Role.SERVICE_MANAGER,
                Role.FRONT_DOOR,
                Role.ANALYST,
            ),
        )
        .select_related("team")
        .order_by("last_name", "first_name", "username")
    )


# Escalations
def escalation_list_visible_to(*, user) -> QuerySet[Escalation]:
    """Escalations sent to `user` or raised by them, their agency's (for its managers), or all (partnership lead)."""
    escalations = Escalation.objects.select_related("agency", "task", "task__agency", "referral", "raised_by")
    if _is_reviewer(user):
        return _under_review(user, escalations)
    if not _is_case_worker(user):
        return escalations.none()
    if user.role == Role.PARTNERSHIP_LEAD:
        return escalations
    received = Exists(
        Escalation.recipients.through.objects.filter(escalation_id=OuterRef("pk"), user_id=user.pk)
    )
    visible = received | Q(raised_by_id=user.pk)
    if user.role in (Role.TEAM_MANAGER, Role.SERVICE_MANAGER) and user.agency_id is not None:
        visible |= Q(agency_id=user.agency_id)
    return escalations.filter(visible)


def escalation_filter(
    escalations: QuerySet[Escalation],
    *,
    level: int | None = None,
    status: str = "",
    to_me: User | None = None,
) -> QuerySet[Escalation]:
    """Narrow escalations by rung, status, and to those sent to one person."""
    if level is not None:
        escalations = escalations.filter(level=level)
    if status:
        escalations = escalations.filter(status=status)
    if to_me is not None:
        escalations = escalations.filter(
            Exists(
                Escalation.recipients.through.objects.filter(escalation_id=OuterRef("pk"), user_id=to_me.pk)
            )
        )
    return escalations


def escalation_get_for_user(*, user, escalation_id) -> Escalation:
    """One escalation with its recipients, or 404 if it does not exist or `user` may not see it."""
    escalation = (
        escalation_list_visible_to(user=user)
        .select_related("task__referral", "task__case", *_people("raised_by", "resolved_by"))
        .prefetch_related("recipients__agency")
        .filter(pk=_id(escalation_id))
        .first()
    )
    if escalation is None:
        raise Http404("Not found.")
    _note_review_read(user, escalation)
    return escalation


# Cases
def case_list_visible_to(*, user) -> QuerySet[Case]:
    """Every case `user` may see: restricted ones only when named on them, or while they hold a break-glass use."""
    cases = Case.objects.select_related("lead_agency")
    if _is_reviewer(user):
        return _under_review(user, cases)
    if not _is_case_worker(user):
        return cases.none()
    named = Exists(Case.restricted_to.through.objects.filter(case_id=OuterRef("pk"), user_id=user.pk))
    named |= Exists(
        BreakGlassUse.objects.filter(case_id=OuterRef("pk"), user_id=user.pk, expires_at__gt=timezone.now())
    )
    if user.role in SEES_ALL_CASES_ROLES:
        visible = Q()
    else:
        visible = Q(owner_id=user.pk)
        if user.agency_id is not None:
            visible |= Q(lead_agency_id=user.agency_id)
            visible |= Exists(AgencyTask.objects.filter(case_id=OuterRef("pk"), agency_id=user.agency_id))
    return cases.filter((Q(restricted=False) & visible) | (Q(restricted=True) & named))


def case_get_for_user(*, user, case_id, with_record: bool = True) -> Case:
    """One case, or 404 if it does not exist or `user` may not see it. With `with_record`, its whole record is
    loaded in a fixed number of queries, as the lists `referral_list`, `task_list`, `discussion_list`,
    `episode_list`, `note_list`, `flag_list`, `flag_change_list`, `nrm_list`, `share_list`, `clock_list` and
    `escalation_list`.
    """
    case = case_list_visible_to(user=user).select_related("owner").filter(pk=_id(case_id)).first()
    if case is None or not policy.allows(user, "can_view_case", case):
        raise Http404("Not found.")
    _note_review_read(user, case)
    if not with_record:
        return case
    case.referral_list = list(
        case.referrals.select_related("referrer_agency", "referrer")
        .prefetch_related(Prefetch("decisions", queryset=_decisions()))
        .order_by("received_at")
    )
    case.task_list = list(
        case.tasks.select_related(
            "referral", "agency", "team", *_people("assigned_to", "acknowledged_by", "completed_by")
        ).order_by("created_at", "pk")
    )
    case.discussion_list = list(
        case.strategy_discussions.select_related(
            "referral", *_people("chair", "recorded_by")
        ).prefetch_related(
            Prefetch("attendees", queryset=StrategyAttendee.objects.select_related("agency").order_by("pk")),
            Prefetch(
                "actions",
                queryset=StrategyAction.objects.select_related("agency", *_people("owner")).order_by(
                    "due_date", "pk"
                ),
            ),
        )
    )
    case.episode_list = list(
        case.missing_episodes.select_related("reported_by_agency", *_people("recorded_by"))
    )
    case.note_list = list(case.notes.select_related(*_people("author")))
    case.flag_list = list(case.flags.order_by("kind"))
    case.flag_change_list = list(case.flag_changes.select_related(*_people("requested_by", "decided_by")))
    case.nrm_list = list(case.nrm_referrals.select_related(*_people("referred_by")).order_by("-referred_at"))
    case.share_list = list(case.shares.select_related("from_agency", "to_agency", *_people("decided_by")))
    case.clock_list = list(case.clocks.order_by("due_at", "pk"))
    case.network_list = network_members_of(case)
    case.conflict_list = conflicts_of(case)
    case.involvement_list = list(
        case.involvements.select_related("member__mention", *_people("recorded_by")).order_by(
            "recorded_at", "pk"
        )
    )
    referral_ids = [r.pk for r in case.referral_list]
    case.escalation_list = list(
        Escalation.objects.filter(Q(task__case=case) | Q(task__isnull=True, referral_id__in=referral_ids))
        .select_related("agency", "task__agency", "referral", *_people("raised_by", "resolved_by"))
        .prefetch_related("recipients__agency")
        .order_by("-raised_at")
    )
    return case


def _decisions():
    from lantern.intake.models import ReferralDecision

    return ReferralDecision.objects.select_related(*_people("decided_by", "signed_off_by")).order_by(
        "decided_at"
    )


def missing_episode_get(*, case: Case, episode_id) -> MissingEpisode:
    """One missing episode on a case the user can already see, or 404."""
    episode = case.missing_episodes.select_related("case").filter(pk=_id(episode_id)).first()
    if episode is None:
        raise Http404("Not found.")
    return episode


def nrm_referral_get(*, case: Case, nrm_id) -> NRMReferral:
    """One NRM referral on a case the user can already see, or 404."""
    nrm = case.nrm_referrals.select_related("case").filter(pk=_id(nrm_id)).first()
    if nrm is None:
        raise Http404("Not found.")
    return nrm


def scheduled_discussions(case: Case) -> list[StrategyDiscussion]:
    """The strategy discussions scheduled for a case and not yet recorded, soonest due first."""
    return list(case.strategy_discussions.filter(held_at__isnull=True).order_by("due_at"))


def flag_change_get_for_user(*, user, case: Case, change_id) -> FlagChange:
    """One flag change on a case the user can already see, or 404."""
    change = (
        FlagChange.objects.select_related("case", *_people("requested_by", "decided_by"))
        .filter(case=case, pk=_id(change_id))
        .first()
    )
    if change is None:
        raise Http404("Not found.")
    return change


def flag_counts() -> dict[str, dict[str, int]]:
    """For each flag: how many cases carry it now, and how many have ever carried it (which never goes down)."""
    rows = CaseFlag.objects.values("kind").annotate(
        ever=Count("pk"), current=Count("pk", filter=Q(active=True))
    )
    counts = {kind: {"current": 0, "ever": 0} for kind in FlagKind.values}
    for row in rows:
        counts[row["kind"]] = {"current": row["current"], "ever": row["ever"]}
    return counts


def pending_flag_changes(*, user) -> QuerySet[FlagChange]:
    """Flag changes awaiting a decision on cases the user can see and asked for by someone else."""
    return (
        FlagChange.objects.filter(status=FlagChangeStatus.PENDING, case__in=case_list_visible_to(user=user))
        .exclude(requested_by_id=user.pk)
        .select_related("case", "requested_by")
    )


def referrals_for_sharing(case: Case) -> QuerySet[Referral]:
    """The referrals a sharing record on a case may be about."""
    return case.referrals.all().order_by("-received_at")


# Notifications
def notification_list_for_user(*, user, unread_only: bool = False) -> QuerySet[Notification]:
    """The user's own notifications, newest first."""
    notifications = Notification.objects.filter(user_id=user.pk)
    if unread_only:
        notifications = notifications.filter(read_at__isnull=True)
    return notifications


def notification_get_for_user(*, user, notification_id) -> Notification:
    """One of the user's own notifications, or 404."""
    notification = notification_list_for_user(user=user).filter(pk=_id(notification_id)).first()
    if notification is None:
        raise Http404("Not found.")
    return notification


def unread_notification_count(*, user) -> int:
    """How many of the user's notifications are unread."""
    return notification_list_for_user(user=user, unread_only=True).count()


# "My work"
@dataclass(frozen=True)
class MyWork:
    """What the home page shows a case worker: their open tasks, unread notifications, open escalations to them."""

    tasks: list[AgencyTask]
    task_count: int
    notifications: list[Notification]
    notification_count: int
    escalations: list[Escalation]
    escalation_count: int


MY_WORK_ROWS = 5


def my_work(*, user) -> MyWork:
    """The "My work" panels' contents: the first few of each, and how many there are in all."""
    tasks = task_sort(task_filter(task_list_mine(user=user), status=OPEN), sort="due")
    notifications = notification_list_for_user(user=user, unread_only=True)
    escalations = escalation_filter(
        escalation_list_visible_to(user=user), status=EscalationStatus.OPEN, to_me=user
    ).order_by("-level", "-raised_at")
    return MyWork(
        tasks=list(tasks[:MY_WORK_ROWS]),
        task_count=tasks.count(),
        notifications=list(notifications[:MY_WORK_ROWS]),
        notification_count=notifications.count(),
        escalations=list(escalations[:MY_WORK_ROWS]),
        escalation_count=escalations.count(),
    )


# A child's family network and its safeguarding conflicts
def network_members_of(case: Case) -> list[NetworkMember]:
    """The members of a case's family network, in the order they were added, with their mentions."""
    return list(
        case.network_members.select_related(
            "mention", "phone_mention", "victim_parent_case"
        ).prefetch_related("victim_parent_referrals")
    )


def network_member_get(*, case: Case, member_id) -> NetworkMember:
    """A member of this case's network, or 404."""
    member = network_members_of_qs(case).filter(pk=_id(member_id)).first()
    if member is None:
        raise Http404("Not found.")
    return member


def network_members_of_qs(case: Case) -> QuerySet[NetworkMember]:
    """The case's members as a query."""
    return case.network_members.select_related("mention", "phone_mention", "case")


def _open_first(conflicts: QuerySet[SafeguardingConflict]) -> QuerySet[SafeguardingConflict]:
    rank = SqlCase(
        When(status=ConflictStatus.OPEN, then=Value(0)),
        When(status=ConflictStatus.AWAITING_SIGN_OFF, then=Value(1)),
        default=Value(2),
        output_field=IntegerField(),
    )
    return conflicts.annotate(status_rank=rank).order_by("status_rank", "-raised_at", "-pk")


def _conflicts() -> QuerySet[SafeguardingConflict]:
    return SafeguardingConflict.objects.select_related(
        "case",
        "member__mention",
        "report_agency",
        "referral",
        "item",
        *_people("decided_by", "signed_off_by"),
    )


def conflicts_of(case: Case) -> list[SafeguardingConflict]:
    """A case's safeguarding conflicts, open first."""
    return list(_open_first(_conflicts().filter(case=case)))


def conflict_list_visible_to(*, user) -> QuerySet[SafeguardingConflict]:
    """The safeguarding conflicts on the cases `user` may see, open first."""
    return _open_first(_conflicts().filter(case__in=case_list_visible_to(user=user).values("pk")))


def conflict_get(*, case: Case, conflict_id) -> SafeguardingConflict:
    """A conflict on this case, or 404."""
    conflict = _conflicts().filter(case=case, pk=_id(conflict_id)).first()
    if conflict is None:
        raise Http404("Not found.")
    return conflict


@dataclass(frozen=True)
class ConflictView:
    """A safeguarding conflict as one user may be told of it: the report named only if they may see it."""

    conflict: SafeguardingConflict
    record_visible: bool
    reason: str
    evidence: list[str]
    ask: str


def _whom_to_ask(conflict: SafeguardingConflict) -> str:
    agency = conflict.report_agency
    if agency is None:
        return "the front door (MASH) team manager"
    managers = [
        u.display_name
        for u in User.objects.filter(is_active=True, agency=agency, role=Role.TEAM_MANAGER).order_by("pk")[:3]
    ]
    return f"{agency.name}" + (f" (team manager: {', '.join(managers)})" if managers else "")


def conflict_views(*, user, conflicts: list[SafeguardingConflict]) -> list[ConflictView]:
    """What `user` may be told about each conflict: with the report's reference and the match evidence when they
    may see the report; otherwise only that a record they cannot see exists, and whom to ask about it."""
    referral_ids = {c.referral_id for c in conflicts if c.referral_id}
    visible = (
        set(referral_list_visible_to(user=user).filter(pk__in=referral_ids).values_list("pk", flat=True))
        if referral_ids
        else set()
    )
    item_rule = policy.REGISTRY.get("can_view_intel_item")
    views = []
    for conflict in conflicts:
        member = conflict.member.mention.name or "A member of the network"
        relationship = conflict.member.get_relationship_display().lower()
        if conflict.referral_id:
            seen = conflict.referral_id in visible
        else:
            seen = item_rule is not None and bool(item_rule.test(user, conflict.item))
        if seen:
            reason = (
                f"{member} ({relationship}) matches the person recorded as a person of concern in "
                f"{conflict.report_reference}."
            )
            views.append(ConflictView(conflict, True, reason, list(conflict.evidence), ""))
        else:
            ask = _whom_to_ask(conflict)
            reason = (
                f"{member} ({relationship}) matches a person of concern in a record you cannot see. "
                f"Ask {ask} about it."
            )
            views.append(ConflictView(conflict, False, reason, [], ask))
    return views


# Break glass
def case_behind_glass(*, user, case_id) -> Case:
    """A restricted case `user` may not read but may break the glass on (its reference and lead agency are shown
    on the "this record is restricted" page); 404 for any other case, as for one that does not exist."""
    case = Case.objects.select_related("lead_agency").filter(pk=_id(case_id)).first()
    if case is None or not policy.allows(user, "can_break_glass_into", case):
        raise Http404("Not found.")
    return case


def break_glass_use_current(*, user, case: Case) -> BreakGlassUse | None:
    """The user's unexpired break-glass use of `case`, where their access to it comes only from that."""
    if not case.restricted or case.restricted_to.filter(pk=user.pk).exists():
        return None
    return (
        BreakGlassUse.objects.filter(case=case, user_id=user.pk, expires_at__gt=timezone.now())
        .order_by("-expires_at")
        .first()
    )


def _break_glass_uses() -> QuerySet[BreakGlassUse]:
    return BreakGlassUse.objects.select_related(
        "case__lead_agency", "case__owner", *_people("user", "signed_off_by")
    )


def break_glass_uses_of(case: Case) -> list[BreakGlassUse]:
    """Every use of break glass on a case, newest first, for the people named on it."""
    return list(_break_glass_uses().filter(case=case).order_by("-opened_at", "-pk"))


def break_glass_uses_for_review(user) -> QuerySet[BreakGlassUse]:
    """The break-glass uses awaiting sign-off that `user` (a partnership lead or data protection officer) may sign
    off, oldest first: never their own. Empty for anyone else."""
    if not policy.allows(user, "can_review_break_glass"):
        return BreakGlassUse.objects.none()
    return (
        _break_glass_uses()
        .filter(signed_off_at__isnull=True)
        .exclude(user_id=user.pk)
        .order_by("opened_at", "pk")
    )


def break_glass_use_get(*, use_id) -> BreakGlassUse:
    """One break-glass use with the people and case it names, for an answer already allowed; 404 if none."""
    use = _break_glass_uses().filter(pk=_id(use_id)).first()
    if use is None:
        raise Http404("Not found.")
    return use


def break_glass_use_get_for_review(*, user, use_id) -> BreakGlassUse:
    """One break-glass use, for a user who reviews them (signed off or not); 404 if there is none."""
    if not policy.allows(user, "can_review_break_glass"):
        raise policy.PolicyDenied("can_review_break_glass")
    return break_glass_use_get(use_id=use_id)
