"""Reads of complaints, conduct matters and their escalations, already limited to what the asking user may see.

These are the query form of `lantern.oversight.complaints.rules`: a record a user may not see is absent from every
list, and fetching it by id gives the same 404 as a record that does not exist. The subject of a conduct matter
never gets the matter itself from here, only a `ConductNotice` — what they were told, and the outcome.
"""

from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from lantern.accounts.models import Agency, Role, User
from lantern.casework.models import AgencyTask
from lantern.core import policy
from lantern.oversight.complaints.models import (
    Complaint,
    ComplaintOutcome,
    ComplaintStatus,
    ConductMatter,
    ConductOutcome,
    ConductStatus,
    LearningAction,
    ProcedureStage,
    StageEscalation,
)
from lantern.oversight.complaints.services import (
    CASE_WORK_ROLES,
    overdue_complaints_q,
    overdue_conduct_q,
    partnership_agency,
)

MANAGER_ROLES = (Role.TEAM_MANAGER, Role.SERVICE_MANAGER)
SUPPRESS_BELOW = 5


def _id(value) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise Http404("Not found.") from None
    if number < 1:
        raise Http404("Not found.")
    return number


def _people(*fields: str) -> list[str]:
    return [f for field in fields for f in (field, f"{field}__agency")]


def _manages_agency(user) -> bool:
    return user.role in MANAGER_ROLES and user.agency_id is not None


# Complaints
def complaint_list_visible_to(*, user) -> QuerySet[Complaint]:
    """Every complaint `user` may see: the partnership lead's all; others' those they recorded, handle, own a
    learning action on, or (for managers) about their agency."""
    complaints = Complaint.objects.select_related("agency", "handler")
    if not policy.allows(user, "can_view_complaints"):
        return complaints.none()
    if user.role == Role.PARTNERSHIP_LEAD:
        return complaints
    visible = (
        Q(recorded_by_id=user.pk)
        | Q(handler_id=user.pk)
        | Exists(LearningAction.objects.filter(complaint_id=OuterRef("pk"), owner_id=user.pk))
    )
    if _manages_agency(user):
        visible |= Q(agency_id=user.agency_id)
    return complaints.filter(visible)


COMPLAINT_FILTERS = ("open", *ComplaintStatus.values)


def complaint_filter(
    complaints: QuerySet[Complaint],
    *,
    status: str = "",
    stage: int | None = None,
    agency: Agency | None = None,
    overdue: bool | None = None,
    now: datetime | None = None,
) -> QuerySet[Complaint]:
    """Narrow a complaint list by status ("open" is every one not closed), stage, agency and whether overdue."""
    now = now or timezone.now()
    if status == "open":
        complaints = complaints.exclude(status=ComplaintStatus.CLOSED)
    elif status:
        complaints = complaints.filter(status=status)
    if stage is not None:
        complaints = complaints.filter(stage=stage)
    if agency is not None:
        complaints = complaints.filter(agency=agency)
    if overdue is True:
        complaints = complaints.filter(overdue_complaints_q(now))
    elif overdue is False:
        complaints = complaints.exclude(overdue_complaints_q(now))
    return complaints


def complaint_get_for_user(*, user, complaint_id, with_record: bool = True) -> Complaint:
    """One complaint, or 404 if it does not exist or `user` may not see it. With `with_record`, its steps,
    learning actions, escalations, linked referrals and tasks are loaded as `step_list`, `action_list`,
    `escalation_list`, `referral_list` and `task_list`, in a fixed number of queries."""
    complaint = (
        complaint_list_visible_to(user=user)
        .select_related(*_people("recorded_by", "handler"))
        .filter(pk=_id(complaint_id))
        .first()
    )
    if complaint is None or not policy.allows(user, "can_view_complaint", complaint):
        raise Http404("Not found.")
    if not with_record:
        return complaint
    complaint.step_list = list(complaint.steps.select_related(*_people("by")))
    complaint.action_list = list(
        complaint.learning_actions.select_related("agency", *_people("owner", "completed_by"))
    )
    complaint.escalation_list = list(
        complaint.escalations.select_related("agency", *_people("resolved_by")).prefetch_related(
            "recipients__agency"
        )
    )
    complaint.referral_list = list(complaint.referrals.order_by("received_at"))
    complaint.task_list = list(complaint.tasks.select_related("agency", "referral").order_by("pk"))
    # Never the conduct matters about the reader themself: they learn of those only from their notice.
    complaint.conduct_list = list(complaint.conduct_matters.exclude(subject_id=user.pk))
    return complaint


def learning_action_get(*, complaint: Complaint, action_id) -> LearningAction:
    """One learning action on a complaint the user can already see, or 404."""
    action = complaint.learning_actions.select_related("complaint", "owner").filter(pk=_id(action_id)).first()
    if action is None:
        raise Http404("Not found.")
    return action


def handler_choices(complaint: Complaint) -> QuerySet[User]:
    """Who may handle a complaint at its stage: case workers of its agency (stage 1) or the partnership (stage 2)."""
    agency_id = complaint.agency_id
    if complaint.stage == ProcedureStage.PARTNERSHIP:
        agency_id = getattr(partnership_agency(), "pk", None)
    return (
        User.objects.filter(is_active=True, agency_id=agency_id, role__in=CASE_WORK_ROLES)
        .select_related("agency")
        .order_by("last_name", "first_name", "username")
    )


def case_worker_choices() -> QuerySet[User]:
    """Active case workers, for owners of learning actions, investigators and subjects."""
    return (
        User.objects.filter(is_active=True, role__in=CASE_WORK_ROLES)
        .select_related("agency")
        .order_by("agency__name", "last_name", "first_name", "username")
    )


def conduct_subject_choices(*, user) -> QuerySet[User]:
    """Whom `user` may record a conduct matter about: anyone in their agency (anyone at all for the partnership
    lead), never themselves."""
    people = case_worker_choices().exclude(pk=user.pk)
    return people if user.role == Role.PARTNERSHIP_LEAD else people.filter(agency_id=user.agency_id)


def referrals_linkable(*, user):
    """The referrals `user` may link to a complaint: those they can see."""
    from lantern.intake.selectors import referral_list_visible_to

    return referral_list_visible_to(user=user)


def tasks_linkable(*, user, complaint: Complaint) -> list[AgencyTask]:
    """Tasks on the complaint's referrals that `user` can see and that are not linked yet."""
    tasks = (
        AgencyTask.objects.filter(referral__in=complaint.referrals.all())
        .exclude(pk__in=complaint.tasks.values("pk"))
        .select_related("agency", "referral")
        .order_by("referral_id", "pk")
    )
    return [t for t in tasks if policy.allows(user, "can_view_task", t)]


# Conduct matters
def conduct_matter_list_visible_to(*, user) -> QuerySet[ConductMatter]:
    """Every conduct matter `user` may work on or see — never one about themselves (see `conduct_notices_for`)."""
    matters = ConductMatter.objects.select_related("agency", "subject__agency", "investigator")
    if not policy.allows(user, "can_view_complaints"):
        return matters.none()
    matters = matters.exclude(subject_id=user.pk)
    if user.role == Role.PARTNERSHIP_LEAD:
        return matters
    visible = Q(investigator_id=user.pk) | Q(recorded_by_id=user.pk)
    if _manages_agency(user):
        visible |= Q(agency_id=user.agency_id)
    return matters.filter(visible)


def conduct_filter(
    matters: QuerySet[ConductMatter],
    *,
    status: str = "",
    overdue: bool | None = None,
    now: datetime | None = None,
) -> QuerySet[ConductMatter]:
    """Narrow a conduct list by status ("open" is every one not concluded) and whether overdue."""
    now = now or timezone.now()
    if status == "open":
        matters = matters.exclude(status=ConductStatus.CONCLUDED)
    elif status:
        matters = matters.filter(status=status)
    if overdue is True:
        matters = matters.filter(overdue_conduct_q(now))
    elif overdue is False:
        matters = matters.exclude(overdue_conduct_q(now))
    return matters


def conduct_matter_get_for_user(*, user, matter_id, with_record: bool = True) -> ConductMatter:
    """One conduct matter with its steps and escalations, or 404 if it does not exist or `user` may not see it —
    its subject included."""
    matter = (
        conduct_matter_list_visible_to(user=user)
        .select_related("complaint", *_people("recorded_by", "assessed_by", "investigator"))
        .filter(pk=_id(matter_id))
        .first()
    )
    if matter is None or not policy.allows(user, "can_view_conduct_matter", matter):
        raise Http404("Not found.")
    if with_record:
        matter.step_list = list(matter.steps.select_related(*_people("by")))
        matter.escalation_list = list(
            matter.escalations.select_related("agency", *_people("resolved_by")).prefetch_related(
                "recipients__agency"
            )
        )
    return matter


@dataclass(frozen=True)
class ConductNotice:
    """What the subject of a conduct matter may know: that it exists, what they were told, and its outcome."""

    id: int
    reference: str
    agency: str
    notified_at: datetime
    summary: str
    concluded: bool
    outcome: str
    outcome_label: str
    outcome_at: datetime | None

    @property
    def status_text(self) -> str:
        """ "Open" or "Concluded"."""
        return "Concluded" if self.concluded else "Open"


def _notice(matter: ConductMatter) -> ConductNotice:
    concluded = matter.status == ConductStatus.CONCLUDED
    return ConductNotice(
        id=matter.pk,
        reference=matter.reference,
        agency=matter.agency.name,
        notified_at=matter.subject_notified_at,
        summary=matter.subject_summary,
        concluded=concluded,
        outcome=matter.outcome if concluded else "",
        outcome_label=matter.get_outcome_display() if concluded else "",
        outcome_at=matter.outcome_at if concluded else None,
    )


def _notices_qs(user):
    if user is None or not getattr(user, "is_authenticated", False):
        return ConductMatter.objects.none()
    return ConductMatter.objects.filter(subject_id=user.pk, subject_notified_at__isnull=False).select_related(
        "agency"
    )


def conduct_notices_for(*, user) -> list[ConductNotice]:
    """The conduct matters about `user` that they have been told of, as notices (newest first)."""
    return [_notice(m) for m in _notices_qs(user).order_by("-subject_notified_at", "-pk")]


def conduct_notice_get_for_user(*, user, matter_id) -> ConductNotice:
    """The notice of one conduct matter about `user`, or 404 (also before they have been told of it)."""
    matter = _notices_qs(user).filter(pk=_id(matter_id)).first()
    if matter is None or not policy.allows(user, "can_view_own_conduct_notice", matter):
        raise Http404("Not found.")
    return _notice(matter)


# Stage escalations
def stage_escalation_list_visible_to(*, user) -> QuerySet[StageEscalation]:
    """Stage escalations sent to `user`, about their agency (for its managers), or all (partnership lead) — never
    about a conduct matter whose subject is `user`."""
    escalations = StageEscalation.objects.select_related("agency", "complaint", "conduct_matter")
    if not policy.allows(user, "can_view_complaints"):
        return escalations.none()
    escalations = escalations.exclude(conduct_matter__subject_id=user.pk)
    if user.role == Role.PARTNERSHIP_LEAD:
        return escalations
    visible = Exists(
        StageEscalation.recipients.through.objects.filter(stageescalation_id=OuterRef("pk"), user_id=user.pk)
    )
    if _manages_agency(user):
        visible |= Q(agency_id=user.agency_id)
    return escalations.filter(visible)


def stage_escalation_get_for_user(*, user, escalation_id) -> StageEscalation:
    """One stage escalation with its recipients, or 404 if it does not exist or `user` may not see it."""
    escalation = (
        stage_escalation_list_visible_to(user=user)
        .select_related(*_people("raised_by", "resolved_by"))
        .prefetch_related("recipients__agency")
        .filter(pk=_id(escalation_id))
        .first()
    )
    if escalation is None or not policy.allows(user, "can_view_stage_escalation", escalation):
        raise Http404("Not found.")
    return escalation


# Outcomes by agency and period
@dataclass(frozen=True)
class OutcomeRow:
    """One agency's counts, one per outcome (None where suppressed), and its total (None where not shown)."""

    agency: str
    counts: list[int | None]
    total: int | None


@dataclass(frozen=True)
class OutcomeTable:
    """Counts of outcomes by agency: a row per agency, a column per outcome."""

    caption: str
    columns: list[tuple[str, str]]
    rows: list[OutcomeRow]
    column_totals: list[int | None]
    grand_total: int | None

    @property
    def empty(self) -> bool:
        """No outcomes in the period."""
        return not self.rows


@dataclass(frozen=True)
class ComplaintsOutcomes:
    """Complaint and conduct outcomes by agency for a period; `exact` is False when small counts are suppressed."""

    start: date
    end: date
    exact: bool
    complaints: OutcomeTable
    conduct: OutcomeTable
    suppress_below: int = SUPPRESS_BELOW


def _suppress(count: int, exact: bool) -> int | None:
    # Zero is shown: it says nothing about anyone. Counts of 1 to 4 could identify people, so they are hidden.
    return count if exact or count == 0 or count >= SUPPRESS_BELOW else None


def _table(caption: str, rows_data, choices, exact: bool) -> OutcomeTable:
    columns = list(choices)
    by_agency: dict[str, dict[str, int]] = {}
    for row in rows_data:
        by_agency.setdefault(row["agency__name"], {})[row["outcome"]] = row["n"]
    rows = []
    for agency in sorted(by_agency):
        counts = [by_agency[agency].get(value, 0) for value, _ in columns]
        # Outside the partnership no totals are shown: a total beside a suppressed count would give it away.
        rows.append(
            OutcomeRow(
                agency=agency,
                counts=[_suppress(c, exact) for c in counts],
                total=sum(counts) if exact else None,
            )
        )
    column_totals = [
        sum(by_agency[a].get(value, 0) for a in by_agency) if exact else None for value, _ in columns
    ]
    grand_total = sum(sum(v.values()) for v in by_agency.values()) if exact else None
    return OutcomeTable(
        caption=caption, columns=columns, rows=rows, column_totals=column_totals, grand_total=grand_total
    )


def complaints_outcomes(*, user, start: date, end: date) -> ComplaintsOutcomes:
    """Complaint outcomes (by the latest response) and conduct outcomes decided between `start` and `end`
    inclusive, counted by agency. Counts of 1 to 4 are suppressed, and totals left out, for anyone outside the
    partnership; the partnership lead sees exact counts. Refused (403) for users without the rule."""
    policy.require(user, "can_view_complaint_outcomes")
    if start > end:
        start, end = end, start
    exact = policy.allows(user, "can_see_exact_complaint_counts")
    in_period = {"outcome_at__date__gte": start, "outcome_at__date__lte": end}
    complaint_rows = (
        Complaint.objects.filter(**in_period)
        .exclude(outcome="")
        .values("agency__name", "outcome")
        .annotate(n=Count("pk"))
        .order_by()
    )
    conduct_rows = (
        ConductMatter.objects.filter(status=ConductStatus.CONCLUDED, **in_period)
        .values("agency__name", "outcome")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return ComplaintsOutcomes(
        start=start,
        end=end,
        exact=exact,
        complaints=_table("Complaint outcomes by agency", complaint_rows, ComplaintOutcome.choices, exact),
        conduct=_table("Conduct matter outcomes by agency", conduct_rows, ConductOutcome.choices, exact),
    )
