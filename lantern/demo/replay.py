"""Loading a planned history into the database through the real services, in order of time.

Every step is a call to the service a person would have caused — `referral_create(received_at=...)`,
`screening_record`, `referral_decide(now=...)` (which opens cases and creates tasks), `task_acknowledge`,
`task_complete`, `referral_decision_sign_off`, `escalations_sweep(now=...)`, `escalation_resolve`,
`strategy_discussion_record`, `flag_change_request` and `flag_change_decide`, `missing_episode_record`,
`case_note_add`, `information_share_record` — each with the moment it happened, so every record is audited
and consistent with the others. Steps wait in a queue ordered by time; the worker's escalation sweep runs a
minute after each moment a clock runs out, as `lantern worker` would have.

**Agencies differ in speed** (`PROFILES`): the police acknowledge within the hour and work around the clock;
children's social care and youth justice are prompt; schools take a few hours; health is slow, so about a
third of its tasks escalate; taxi licensing is very slow, so most of its tasks escalate and many reach level
3. Red tasks are acknowledged faster and green ones more slowly (`URGENCY`). A few tasks are left alone
until they reach level 3 (and in the last weeks one is never acknowledged). The front door decides most
referrals within a few office hours, and a few late.

Everything random comes from the referral's `fate_seed`, so the same plan loads the same way every time.
Two timestamps are set after the service call because the service has no `now` to pass (see `_backdate`):
when a screening was completed, and when a notification was created.
"""

import heapq
import itertools
import math
import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.test.utils import override_settings
from django.urls import NoReverseMatch, reverse

from lantern.accounts.models import Agency, AgencyKind, User
from lantern.casework import routing, timescales
from lantern.casework import services as casework
from lantern.casework.models import (
    AgencyTask,
    Case,
    CaseFlag,
    Escalation,
    EscalationKind,
    EscalationStatus,
    FlagChange,
    FlagChangeStatus,
    LawfulBasis,
    MissingEpisode,
    Notification,
    StrategyDiscussion,
)
from lantern.core.calendar import OFFICE_HOURS
from lantern.demo import narratives
from lantern.demo.history import SCENARIOS, HistoryPlan, PlannedReferral
from lantern.demo.population import Chooser
from lantern.frontdoor import services as decisions
from lantern.intake.models import DecisionKind, Referral, ReferralDecision, Screening, SignOff
from lantern.intake.schemas import ReferralIn
from lantern.intake.services import referral_create


@dataclass(frozen=True)
class Profile:
    """How quickly an agency acts: acknowledgement delay in hours of the task's calendar (median and spread,
    lognormal), completion as a multiple of the time allowed (median and spread), and whether it keeps office
    hours."""

    ack_hours: float
    ack_spread: float
    complete_factor: float
    complete_spread: float
    office_hours: bool = True


PROFILES = {
    AgencyKind.POLICE: Profile(0.5, 0.7, 0.55, 0.3, office_hours=False),
    AgencyKind.CSC: Profile(1.2, 0.7, 0.65, 0.3),
    AgencyKind.YOUTH_JUSTICE: Profile(1.5, 0.7, 0.65, 0.3),
    AgencyKind.VOLUNTARY: Profile(2.0, 0.7, 0.7, 0.3),
    AgencyKind.EDUCATION: Profile(2.5, 0.7, 0.7, 0.35),
    AgencyKind.HEALTH: Profile(4.0, 0.8, 0.85, 0.35),
    AgencyKind.LICENSING: Profile(12.0, 0.8, 1.3, 0.35),
    AgencyKind.PARTNERSHIP: Profile(2.0, 0.7, 0.7, 0.3),
}
# Agencies acknowledge red tasks faster, and green ones at leisure: the profile's delay is for amber.
URGENCY = {"red": 0.3, "amber": 1.0, "green": 2.5}
USERNAME_PREFIX = {
    AgencyKind.POLICE: "police",
    AgencyKind.CSC: "csc",
    AgencyKind.HEALTH: "health",
    AgencyKind.EDUCATION: "education",
    AgencyKind.LICENSING: "licensing",
    AgencyKind.YOUTH_JUSTICE: "yjs",
    AgencyKind.VOLUNTARY: "voluntary",
}
LATE_DECISION = 0.07  # share of referrals the front door decides after the one working day
# The chance that the front door can evidence an indicator is this share of how often the scenario shows it:
# accounts are partial, and screening records only what is known.
EVIDENCED = 0.6
IGNORED_TASK = 0.01  # share of tasks left unacknowledged until they reach level 3
RECENT = timedelta(days=30)  # escalations older than this are usually resolved; newer ones often not yet
OUTCOMES = {kind: Chooser(weights) for kind, weights in narratives.OUTCOMES_BY_KIND.items()}

# What the showcase referrals of the last weeks do (see `lantern.demo.history.SHOWCASE`).
SHOWCASE_INDICATORS = {
    "strategy": ("missing", "older_partner", "cars", "substances"),
    "ignored_task": ("cars", "venues", "gifts"),
    "track_example": ("cars", "older_partner"),
    "nfa_rejected": ("wellbeing",),
    "nfa_approved": ("wellbeing",),
    "nfa_pending": ("wellbeing",),
    "advice": ("wellbeing",),
}
SHOWCASE_DECISIONS = {
    "strategy": (DecisionKind.STRATEGY_DISCUSSION, "red"),
    "ignored_task": (DecisionKind.REFER_AGENCIES, "amber"),
    "track_example": (DecisionKind.REFER_AGENCIES, "amber"),
    "nfa_rejected": (DecisionKind.NO_FURTHER_ACTION, ""),
    "nfa_approved": (DecisionKind.NO_FURTHER_ACTION, ""),
    "nfa_pending": (DecisionKind.NO_FURTHER_ACTION, ""),
    "advice": (DecisionKind.ADVICE, ""),
}
# How each agency treats its task on a showcase referral: "ignore" (never acknowledged), "acknowledge" (not
# yet completed) or "complete"; agencies not named act as usual.
SHOWCASE_TASKS = {
    "ignored_task": {AgencyKind.LICENSING: "ignore"},
    "track_example": {
        AgencyKind.POLICE: "complete",
        AgencyKind.CSC: "acknowledge",
        AgencyKind.HEALTH: "ignore",
        AgencyKind.EDUCATION: "acknowledge",
    },
    "strategy": {
        AgencyKind.POLICE: "acknowledge",
        AgencyKind.CSC: "acknowledge",
        AgencyKind.HEALTH: "acknowledge",
    },
}
UNDECIDED_SHOWCASES = {"overdue_decision", "awaiting_screening"}


@dataclass
class HistoryResult:
    """What `history_load` created, for the report and the ground truth."""

    planned: list[PlannedReferral] = field(default_factory=list)
    references: dict[str, str] = field(default_factory=dict)
    secrets: dict[str, str] = field(default_factory=dict)
    showcase: dict[str, list[str]] = field(default_factory=dict)
    decisions: Counter = field(default_factory=Counter)
    escalations: Counter = field(default_factory=Counter)
    sweeps: int = 0

    @property
    def tracking_example(self) -> tuple[str, str] | None:
        """A public report's reference and tracking secret to try at /track."""
        for key in self.showcase.get("track_example", []):
            if key in self.secrets:
                return self.references[key], self.secrets[key]
        for key, secret in self.secrets.items():
            return self.references[key], secret
        return None


def _lognormal(rng: random.Random, median: float, spread: float) -> float:
    return median * math.exp(rng.gauss(0, spread))


def _backdate(queryset, field_name: str, when) -> None:
    """Set a timestamp that the service stamped with the real time to the moment in the history.

    Only `screening_record` (Screening.completed_at) and notifications (Notification.created_at) need it: they
    take no `now`. The record's own audit event was written by the service in the same transaction.
    """
    queryset.update(**{field_name: when})


def _decision_levels(referral: Referral) -> list[datetime]:
    """When an undecided referral reaches escalation levels 1, 2 and 3."""
    return [timescales.decision_level_due_at(referral.decision_due_at, level) for level in (1, 2, 3)]


def _flag_notifications(change: FlagChange):
    """The notifications asking managers to approve a flag change (they link to it)."""
    try:
        url = reverse("casework:flag_change", args=[change.case_id, change.pk])
    except NoReverseMatch:
        return Notification.objects.none()
    return Notification.objects.filter(url=url, escalation__isnull=True)


class Staff:
    """The demo users who act in the history, by agency kind and role."""

    def __init__(self) -> None:
        users = {u.username: u for u in User.objects.select_related("agency", "team")}
        missing = []

        def get(username: str) -> User:
            if username not in users:
                missing.append(username)
            return users.get(username)

        self.practitioner = {kind: get(f"{p}.practitioner") for kind, p in USERNAME_PREFIX.items()}
        self.manager = {kind: get(f"{p}.manager") for kind, p in USERNAME_PREFIX.items()}
        self.front_door = [get("frontdoor.worker"), get("police.frontdoor")]
        self.front_door_manager = get("frontdoor.manager")
        self.lead = get("partnership.lead")
        if missing:
            raise ValueError("The demo history needs the demo users; missing: " + ", ".join(missing))
        self.agencies = {a.kind: a for a in Agency.objects.filter(code__startswith="riverton-")}


class Replay:
    """A queue of steps ordered by time, and the steps themselves."""

    def __init__(self, plan: HistoryPlan) -> None:
        self.plan = plan
        self.until = plan.until
        self.staff = Staff()
        self.result = HistoryResult()
        self._queue: list = []
        self._order = itertools.count()
        self._sweeps: set[datetime] = set()
        self.clock: datetime = plan.until

    # The queue
    def at(self, when: datetime, step: Callable, *args) -> None:
        """Run `step(when, *args)` at `when`, if that is before the end of the history."""
        if when <= self.until:
            heapq.heappush(self._queue, (when, 0, next(self._order), step, args))

    def sweep_at(self, when: datetime) -> None:
        """Run the escalation sweep a minute after `when` (or a minute from now, if that has passed)."""
        moment = max(when, self.clock).replace(second=0, microsecond=0) + timedelta(minutes=1)
        if moment <= self.until and moment not in self._sweeps:
            self._sweeps.add(moment)
            heapq.heappush(self._queue, (moment, 1, next(self._order), self._sweep, ()))

    def sweeps_before(self, moments, action_at: datetime | None) -> None:
        """Sweep at each moment a clock runs out before the action that would have stopped it."""
        for moment in moments:
            if action_at is None or moment < action_at:
                self.sweep_at(moment)

    def run(self) -> HistoryResult:
        """Queue every referral's receipt, run the steps in order of time, and sweep once more at the end."""
        for planned in self.plan.referrals():
            self.result.planned.append(planned)
            self.at(planned.received_at, self._receive, planned)
        while self._queue:
            when, _, _, step, args = heapq.heappop(self._queue)
            self.clock = when
            step(when, *args)
        self.clock = self.until
        self._sweep(self.until)
        # Escalation notifications were created when the sweep raised them, in the history's time.
        _backdate(
            Notification.objects.filter(escalation__isnull=False),
            "created_at",
            Subquery(Escalation.objects.filter(pk=OuterRef("escalation_id")).values("raised_at")[:1]),
        )
        self._read_old_notifications()
        return self.result

    # Steps
    def _sweep(self, when: datetime) -> None:
        raised = casework.escalations_sweep(now=when)
        self.result.sweeps += 1
        for escalation in raised:
            self.result.escalations[escalation.level] += 1

    def _receive(self, when: datetime, planned: PlannedReferral) -> None:
        actor = self.staff.practitioner.get(planned.agency) if planned.source == "professional" else None
        # The history is checked by the referral's schema, as anything received is.
        given = ReferralIn(
            source=planned.source,
            summary=planned.summary,
            reporter=planned.reporter,
            anonymous=planned.anonymous,
            incident_at=planned.incident_at,
            **planned.parts(),
        )
        referral, secret = referral_create(
            actor=actor, referral=given, channel=planned.channel, received_at=when
        )
        self.result.references[planned.key] = referral.reference
        if secret:
            self.result.secrets[planned.key] = secret
        if planned.showcase:
            self.result.showcase.setdefault(planned.showcase, []).append(planned.key)
        rng = random.Random(planned.fate_seed)
        due_levels = _decision_levels(referral)
        if planned.showcase in UNDECIDED_SHOWCASES:
            self.sweeps_before(due_levels, None)
            return
        if planned.showcase or rng.random() >= LATE_DECISION:
            hours = min(_lognormal(rng, 2.5, 0.7), 7.5)
        else:
            hours = 8 + rng.uniform(0.5, 12)
        decide_at = OFFICE_HOURS.add_working_hours(when, hours)
        self.sweeps_before(due_levels, decide_at)
        self.at(decide_at, self._screen_and_decide, referral.pk, planned, rng)

    def _child_age(self, planned: PlannedReferral) -> int | None:
        if not planned.children:
            return None
        child = planned.children[0]
        if child.get("age") is not None:
            return child["age"]
        born = child.get("date_of_birth")
        if born is None:
            return None
        day = planned.received_at.date()
        return day.year - born.year - ((day.month, day.day) < (born.month, born.day))

    def _screen_and_decide(self, when: datetime, referral_id: int, planned: PlannedReferral, rng) -> None:
        referral = Referral.objects.get(pk=referral_id)
        worker = self.staff.front_door[0 if rng.random() < 0.7 else 1]
        scenario = SCENARIOS[planned.scenario]
        present = SHOWCASE_INDICATORS.get(planned.showcase) or tuple(
            code for code, chance in scenario.indicators.items() if rng.random() < chance * EVIDENCED
        )
        screened_at = when - timedelta(minutes=rng.randint(5, 40))
        evidence = {
            code: {"present": True, "evidence": narratives.INDICATOR_EVIDENCE[code]} for code in present
        }
        judgement = narratives.JUDGEMENTS["high" if len(present) >= 3 else "medium" if present else "low"]
        screening = decisions.screening_record(
            actor=worker,
            referral=referral,
            child_age=self._child_age(planned),
            indicators=evidence,
            professional_judgement=rng.choice(judgement),
        )
        screened_at = max(screened_at, referral.received_at)
        _backdate(Screening.objects.filter(pk=screening.pk), "completed_at", screened_at)
        kind, priority = SHOWCASE_DECISIONS.get(planned.showcase) or self._choose(rng, screening.risk_level)
        self._decide(
            when,
            referral,
            planned,
            rng,
            worker=worker,
            kind=kind,
            priority=priority,
            risk=screening.risk_level,
        )

    @staticmethod
    def _choose(rng: random.Random, risk: str) -> tuple[str, str]:
        roll = rng.random()
        if risk == "high":
            kind = DecisionKind.STRATEGY_DISCUSSION if roll < 0.55 else DecisionKind.REFER_AGENCIES
            return kind, "red" if rng.random() < 0.55 else "amber"
        if risk == "medium":
            if roll < 0.08:
                return DecisionKind.NO_FURTHER_ACTION, ""
            if roll < 0.28:
                return DecisionKind.ADVICE, ""
            if roll < 0.35:
                return DecisionKind.STRATEGY_DISCUSSION, "amber"
            return DecisionKind.REFER_AGENCIES, "amber" if rng.random() < 0.75 else "green"
        if roll < 0.4:
            return DecisionKind.NO_FURTHER_ACTION, ""
        if roll < 0.85:
            return DecisionKind.ADVICE, ""
        return DecisionKind.REFER_AGENCIES, "green"

    def _decide(self, when, referral, planned, rng, *, worker, kind, priority, risk) -> None:
        agencies = []
        if kind in (DecisionKind.REFER_AGENCIES, DecisionKind.STRATEGY_DISCUSSION):
            agencies = routing.recommended_agencies(referral, risk)
            for extra, chance in ((AgencyKind.YOUTH_JUSTICE, 0.08), (AgencyKind.VOLUNTARY, 0.12)):
                if rng.random() < chance and self.staff.agencies[extra] not in agencies:
                    agencies.append(self.staff.agencies[extra])
        decision = decisions.referral_decide(
            actor=worker,
            referral=referral,
            kind=kind,
            rationale=rng.choice(narratives.RATIONALES[kind]),
            priority=priority,
            agencies=agencies,
            advice_given=rng.choice(narratives.ADVICE_GIVEN) if kind == DecisionKind.ADVICE else "",
            now=when,
        )
        self.result.decisions[kind] += 1
        if when > referral.decision_due_at:
            self._resolve_later(when, rng, EscalationKind.DECISION_OVERDUE, referral=referral)
        if kind == DecisionKind.NO_FURTHER_ACTION:
            if planned.showcase != "nfa_pending":
                sign_off_at = OFFICE_HOURS.add_working_hours(when, rng.uniform(0.5, 6))
                approve = planned.showcase == "nfa_approved" or (
                    planned.showcase != "nfa_rejected" and rng.random() < 0.85
                )
                self.at(sign_off_at, self._sign_off, decision.pk, planned, rng, approve)
            return
        if kind == DecisionKind.ADVICE:
            return
        behaviour = SHOWCASE_TASKS.get(planned.showcase, {})
        for task in referral.tasks.select_related("agency").order_by("pk"):
            self._plan_task(when, task, rng, behaviour.get(task.agency.kind, ""))
        self._plan_case_work(when, referral, planned, rng, kind)

    def _sign_off(self, when, decision_id: int, planned: PlannedReferral, rng, approve: bool) -> None:
        decision = ReferralDecision.objects.select_related("referral").get(pk=decision_id)
        decisions.referral_decision_sign_off(
            actor=self.staff.front_door_manager,
            decision=decision,
            approve=approve,
            now=when,
            note=rng.choice(narratives.SIGN_OFF_APPROVALS if approve else narratives.SIGN_OFF_REJECTIONS),
        )
        self.result.decisions[f"nfa_{SignOff.APPROVED if approve else SignOff.REJECTED}"] += 1
        if not approve:
            # Screened again with what the manager asked for, and referred on.
            redecide_at = OFFICE_HOURS.add_working_hours(when, rng.uniform(0.5, 3))
            referral = decision.referral
            self.sweeps_before(_decision_levels(referral), redecide_at)
            self.at(redecide_at, self._redecide, referral.pk, planned, rng)

    def _redecide(self, when, referral_id: int, planned: PlannedReferral, rng) -> None:
        referral = Referral.objects.get(pk=referral_id)
        worker = self.staff.front_door[0]
        # From here the referral is an ordinary one: its showcase step (the rejection) is done.
        self._decide(
            when,
            referral,
            replace(planned, showcase=""),
            rng,
            worker=worker,
            kind=DecisionKind.REFER_AGENCIES,
            priority="green",
            risk=referral.risk_level,
        )

    # Tasks
    def _plan_task(self, when, task: AgencyTask, rng, behaviour: str) -> None:
        profile = PROFILES[task.agency.kind]
        scale = timescales.task_timescale(task.priority)
        ack_levels = [scale.acknowledgement_level_due_at(task.ack_due_at, level) for level in (1, 2, 3)]
        if behaviour == "ignore":
            self.sweeps_before(ack_levels, None)
            return
        if not behaviour and rng.random() < IGNORED_TASK:
            # Left alone until the partnership lead chases it.
            ack_at = OFFICE_HOURS.add_working_hours(ack_levels[-1], rng.uniform(4, 30))
        else:
            # Someone on duty acknowledges out of hours too; the work itself waits for office hours.
            delay = _lognormal(rng, profile.ack_hours * URGENCY[task.priority], profile.ack_spread)
            ack_at = scale.calendar.add_working_hours(task.created_at, delay)
        self.sweeps_before(ack_levels, ack_at)
        self.at(ack_at, self._acknowledge, task.pk, rng)
        completion_levels = [scale.completion_level_due_at(task.due_at, level) for level in (1, 2, 3)]
        if behaviour == "acknowledge":
            self.sweeps_before(completion_levels, None)
            return
        share = _lognormal(rng, profile.complete_factor, profile.complete_spread)
        complete_at = task.created_at + (task.due_at - task.created_at) * share
        if behaviour == "complete":
            complete_at = min(complete_at, task.due_at, self.until - timedelta(minutes=30))
        if profile.office_hours and not OFFICE_HOURS.is_working_time(complete_at):
            complete_at = OFFICE_HOURS.add_working_hours(complete_at, rng.uniform(0.1, 2))
        complete_at = max(complete_at, ack_at + timedelta(minutes=rng.randint(20, 90)))
        self.sweeps_before(completion_levels, complete_at)
        self.at(complete_at, self._complete, task.pk, rng)

    def _acknowledge(self, when, task_id: int, rng) -> None:
        task = AgencyTask.objects.select_related("agency").get(pk=task_id)
        kind = task.agency.kind
        actor = self.staff.manager[kind] if rng.random() < 0.15 else self.staff.practitioner[kind]
        task = casework.task_acknowledge(actor=actor, task=task, now=when)
        if task.escalation_level:
            self._resolve_later(when, rng, EscalationKind.NOT_ACKNOWLEDGED, task=task)

    def _complete(self, when, task_id: int, rng) -> None:
        task = AgencyTask.objects.select_related("agency", "assigned_to").get(pk=task_id)
        kind = task.agency.kind
        outcome = OUTCOMES[kind](rng)
        actor = task.assigned_to or self.staff.practitioner[kind]
        task = casework.task_complete(
            actor=actor, task=task, outcome=outcome, narrative=narratives.NARRATIVES[outcome], now=when
        )
        if task.escalation_level:
            self._resolve_later(when, rng, EscalationKind.NOT_COMPLETED, task=task)
        if outcome == "no_action" and rng.random() < 0.3:
            # Another agency disagrees with "no action" and raises it by hand.
            raise_at = OFFICE_HOURS.add_working_hours(when, rng.uniform(2, 16))
            self.at(raise_at, self._disagree, task.pk, rng)

    def _disagree(self, when, task_id: int, rng) -> None:
        task = AgencyTask.objects.select_related("agency", "referral", "team").get(pk=task_id)
        other = AgencyKind.CSC if task.agency.kind != AgencyKind.CSC else AgencyKind.POLICE
        escalation = casework.escalation_create(
            actor=self.staff.practitioner[other],
            level=1,
            kind=EscalationKind.DISAGREEMENT,
            reason=rng.choice(narratives.DISAGREEMENTS),
            agency=task.agency,
            task=task,
            now=when,
        )
        if escalation is not None:
            self.result.escalations["disagreement"] += 1
            if rng.random() < 0.85:
                resolve_at = OFFICE_HOURS.add_working_hours(when, rng.uniform(4, 30))
                self.at(
                    resolve_at, self._resolve, escalation.pk, rng.choice(narratives.DISAGREEMENT_RESOLUTIONS)
                )

    def _resolve_later(self, when, rng, kind: str, *, task=None, referral=None) -> None:
        """Resolve the open escalations of a kind on a task or referral, some hours after it was acted on."""
        filters = {"task": task} if task is not None else {"referral": referral, "task__isnull": True}
        open_ids = list(
            Escalation.objects.filter(status=EscalationStatus.OPEN, kind=kind, **filters).values_list(
                "pk", flat=True
            )
        )
        chance = 0.97 if self.until - when > RECENT else 0.5
        for escalation_id in open_ids:
            if rng.random() < chance:
                resolve_at = OFFICE_HOURS.add_working_hours(when, rng.uniform(0.5, 8))
                resolution = rng.choice(narratives.ESCALATION_RESOLUTIONS)
                self.at(resolve_at, self._resolve, escalation_id, resolution)

    def _resolve(self, when, escalation_id: int, resolution: str) -> None:
        escalation = Escalation.objects.get(pk=escalation_id)
        if escalation.status != EscalationStatus.OPEN:
            return
        resolver = escalation.recipients.order_by("pk").first() or self.staff.lead
        casework.escalation_resolve(actor=resolver, escalation=escalation, resolution=resolution, now=when)

    # Cases
    def _plan_case_work(self, when, referral: Referral, planned: PlannedReferral, rng, kind: str) -> None:
        case = referral.cases.order_by("pk").first()
        if case is None:
            return
        if kind == DecisionKind.STRATEGY_DISCUSSION:
            late = rng.random() < 0.1
            # Due within 3 working days (24 office hours); a tenth are held late.
            hours = rng.uniform(25, 40) if late else rng.uniform(3, 20)
            held_at = OFFICE_HOURS.add_working_hours(when, hours)
            self.at(held_at, self._strategy, case.pk, referral.pk, planned, rng)
        if planned.scenario in ("missing", "childrens_home") and rng.random() < 0.8:
            recorded_at = OFFICE_HOURS.add_working_hours(when, rng.uniform(0.5, 4))
            self.at(recorded_at, self._missing, case.pk, planned, rng)
        for _ in range(rng.choice((0, 0, 1, 1, 2))):
            self.at(OFFICE_HOURS.add_working_hours(when, rng.uniform(4, 120)), self._note, case.pk, rng)

    def _strategy(self, when, case_id: int, referral_id: int, planned: PlannedReferral, rng) -> None:
        case = Case.objects.select_related("lead_agency").get(pk=case_id)
        discussion = StrategyDiscussion.objects.filter(
            case=case, referral_id=referral_id, held_at__isnull=True
        ).first()
        tasked = AgencyTask.objects.filter(referral_id=referral_id).values_list("agency__kind", flat=True)
        kinds = [
            k
            for k in dict.fromkeys([AgencyKind.CSC, AgencyKind.POLICE, *tasked])
            if k in self.staff.practitioner
        ]
        people = {k: self.staff.practitioner[k] for k in kinds}
        attendees = [
            casework.AttendeeInput(
                agency=self.staff.agencies[k],
                name=people[k].get_full_name(),
                role=people[k].job_title,
                user=people[k],
            )
            for k in kinds
        ]
        chair = self.staff.manager[AgencyKind.CSC]
        actions = [
            casework.ActionInput(
                description=narratives.STRATEGY_ACTIONS[k],
                agency=self.staff.agencies[k],
                owner=people[k],
                due_date=when.date() + timedelta(days=rng.randint(3, 15)),
            )
            for k in kinds[:3]
        ]
        decided = rng.choice(narratives.STRATEGY_DECISIONS)
        casework.strategy_discussion_record(
            actor=chair,
            case=case,
            held_at=when,
            chair=chair,
            decisions=decided,
            attendees=attendees,
            actions=actions,
            section_47="not needed" not in decided,
            discussion=discussion,
            now=when,
        )
        casework.information_share_record(
            actor=self.staff.practitioner[AgencyKind.POLICE],
            shared=True,
            case=case,
            to_agency=self.staff.agencies[AgencyKind.CSC],
            lawful_basis=LawfulBasis.DPA_SCH1_PARA18,
            purpose="To protect the child from sexual exploitation.",
            scope="Police intelligence on the adults and vehicle named, and previous missing reports.",
            now=when,
        )
        if rng.random() < 0.1:
            casework.information_share_record(
                actor=self.staff.practitioner[AgencyKind.HEALTH],
                shared=False,
                case=case,
                to_agency=self.staff.agencies[AgencyKind.EDUCATION],
                purpose="Support in school.",
                scope="Details of the child's sexual health treatment.",
                reasons="Clinical details are not needed for support in school; the school was told a health "
                "plan is in place.",
                now=when,
            )
        self.at(when + timedelta(hours=1), self._flag, case.pk, "cse", planned, rng)

    def _flag(self, when, case_id: int, flag: str, planned: PlannedReferral, rng) -> None:
        case = Case.objects.select_related("lead_agency").get(pk=case_id)
        if (
            CaseFlag.objects.filter(case=case, kind=flag, active=True).exists()
            or FlagChange.objects.filter(case=case, kind=flag, status=FlagChangeStatus.PENDING).exists()
        ):
            return
        lead = case.lead_agency.kind if case.lead_agency.kind in self.staff.practitioner else AgencyKind.CSC
        change = casework.flag_change_request(
            actor=self.staff.practitioner[lead],
            case=case,
            kind=flag,
            add=True,
            justification=narratives.FLAG_JUSTIFICATIONS[flag],
            now=when,
        )
        _backdate(_flag_notifications(change), "created_at", when)
        if planned.showcase == "strategy":
            return  # left awaiting a manager's approval
        approve = rng.random() < 0.9
        decide_at = OFFICE_HOURS.add_working_hours(when, rng.uniform(1, 16))
        self.at(decide_at, self._flag_decide, change.pk, approve, lead)
        if approve and rng.random() < 0.15:
            removal_at = OFFICE_HOURS.add_working_hours(when, rng.uniform(8 * 80, 8 * 180))
            self.at(removal_at, self._flag_remove, case.pk, flag, lead, rng)

    def _flag_decide(self, when, change_id: int, approve: bool, lead) -> None:
        change = FlagChange.objects.get(pk=change_id)
        casework.flag_change_decide(
            actor=self.staff.manager[lead],
            change=change,
            approve=approve,
            now=when,
            note="" if approve else narratives.FLAG_REJECTIONS[0],
        )

    def _flag_remove(self, when, case_id: int, flag: str, lead, rng) -> None:
        case = Case.objects.get(pk=case_id)
        if (
            not CaseFlag.objects.filter(case=case, kind=flag, active=True).exists()
            or FlagChange.objects.filter(case=case, kind=flag, status=FlagChangeStatus.PENDING).exists()
        ):
            return
        change = casework.flag_change_request(
            actor=self.staff.practitioner[lead],
            case=case,
            kind=flag,
            add=False,
            justification=narratives.FLAG_REMOVALS,
            now=when,
        )
        _backdate(_flag_notifications(change), "created_at", when)
        decide_at = OFFICE_HOURS.add_working_hours(when, rng.uniform(2, 24))
        self.at(decide_at, self._flag_decide, change.pk, True, lead)

    def _missing(self, when, case_id: int, planned: PlannedReferral, rng) -> None:
        case = Case.objects.get(pk=case_id)
        missing_from = planned.incident_at or planned.received_at - timedelta(hours=rng.uniform(10, 40))
        returned_at = min(missing_from + timedelta(hours=rng.uniform(5, 40)), when - timedelta(minutes=10))
        if returned_at <= missing_from:
            returned_at = None
        episode = casework.missing_episode_record(
            actor=self.staff.practitioner[AgencyKind.POLICE],
            case=case,
            missing_from=missing_from,
            returned_at=returned_at,
            where_found=rng.choice(narratives.MISSING_FOUND) if returned_at else "",
            notes=narratives.RETURN_INTERVIEW_NOTES,
            now=when,
        )
        if returned_at is not None:
            interview_at = returned_at + timedelta(
                hours=rng.uniform(20, 60) if rng.random() < 0.8 else rng.uniform(73, 120)
            )
            self.at(max(interview_at, when + timedelta(minutes=5)), self._return_interview, episode.pk)
        if rng.random() < 0.4:
            self.at(when + timedelta(hours=2), self._flag, case.pk, "missing", planned, rng)

    def _return_interview(self, when, episode_id: int) -> None:
        episode = MissingEpisode.objects.get(pk=episode_id)
        casework.missing_episode_record_interview(
            actor=self.staff.practitioner[AgencyKind.CSC], episode=episode, held_at=when, now=when
        )

    def _note(self, when, case_id: int, rng) -> None:
        text, significant = rng.choice(narratives.CASE_NOTES)
        casework.case_note_add(
            actor=self.staff.practitioner[AgencyKind.CSC],
            text=text,
            case=Case.objects.get(pk=case_id),
            significant=significant,
            now=when,
        )

    def _read_old_notifications(self) -> None:
        """Managers have read the notifications of past weeks; the recent ones wait for them."""
        cutoff = self.until - timedelta(days=14)
        unread = Notification.objects.filter(read_at__isnull=True, created_at__lt=cutoff)
        for user in User.objects.filter(pk__in=unread.values("user_id")).order_by("pk"):
            old = list(Notification.objects.filter(user=user, read_at__isnull=True, created_at__lt=cutoff))
            casework.notifications_mark_read(actor=user, notifications=old, now=self.until)


def history_load(*, plan: HistoryPlan) -> HistoryResult:
    """Replay `plan` through the services in one transaction; historic notifications are not emailed again."""
    # Mail for escalations that happened months ago would only flood the console: the notifications are kept.
    with (
        override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"),
        transaction.atomic(),
    ):
        return Replay(plan).run()
