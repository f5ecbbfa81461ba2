"""Shared set-up for the accountability and data-quality tests: the case-work partnership, and records written
straight to the tables with exact times so that every figure can be worked out by hand."""

import random
from datetime import datetime, timedelta
from itertools import count

from lantern.accounts.models import AgencyKind, Role, Team
from lantern.casework.models import AgencyTask, Escalation, EscalationStatus, TaskStatus
from lantern.casework.tests.fixtures import LONDON, People
from lantern.casework.timescales import referral_decision_due
from lantern.intake.models import DecisionKind, Referral, ReferralDecision, ReferralStatus

POLICE, CSC, HEALTH = AgencyKind.POLICE, AgencyKind.CSC, AgencyKind.HEALTH
PRACTITIONER, TEAM_MANAGER, SERVICE_MANAGER = Role.PRACTITIONER, Role.TEAM_MANAGER, Role.SERVICE_MANAGER
# "Now" for every test: Wednesday 15 April 2026, noon in London, after the March the figures are about.
NOW = datetime(2026, 4, 15, 12, 0, tzinfo=LONDON)
_numbers = count(1)


def at(day: int, hour: float = 9, month: int = 3) -> datetime:
    """A moment in 2026 on London's clocks (March by default)."""
    minutes = round(hour * 60)
    return datetime(2026, month, day, minutes // 60, minutes % 60, tzinfo=LONDON)


def referral(received_at: datetime, **extra) -> Referral:
    """A referral received at a moment, with its one-working-day decision clock."""
    return Referral.objects.create(
        reference=f"RIV-A-{next(_numbers):05d}",
        source=extra.pop("source", "professional"),
        summary="Concern about a child seen with older men.",
        received_at=received_at,
        decision_due_at=referral_decision_due(received_at),
        **extra,
    )


def decide(ref: Referral, by, at_: datetime, kind: str = DecisionKind.REFER_AGENCIES) -> ReferralDecision:
    """Record the front door's decision on a referral at a moment (as `referral_decide` would leave it)."""
    decision = ReferralDecision.objects.create(
        referral=ref,
        kind=kind,
        rationale="Decided.",
        decided_by=by,
        decided_at=at_,
        within_timescale=at_ <= ref.decision_due_at,
    )
    ref.decision, ref.decided_at = decision, at_
    ref.status = (
        ReferralStatus.AWAITING_SIGN_OFF if kind == DecisionKind.NO_FURTHER_ACTION else ReferralStatus.OPEN
    )
    ref.save(update_fields=["decision", "decided_at", "status"])
    return decision


def task(
    people: People,
    kind: str,
    created: datetime,
    *,
    ack_hours: float | None = None,
    done_hours: float | None = None,
    ack_due_hours: float = 6,
    due_hours: float = 72,
    outcome: str = "",
    ref: Referral | None = None,
    team: Team | None = None,
) -> AgencyTask:
    """A task for the agency of `kind` created at a moment, acknowledged and completed so many hours later."""
    agency = people.agency(kind)
    ack = created + timedelta(hours=ack_hours) if ack_hours is not None else None
    done = created + timedelta(hours=done_hours) if done_hours is not None else None
    status = (
        TaskStatus.COMPLETED
        if done
        else TaskStatus.ACKNOWLEDGED
        if ack
        else TaskStatus.AWAITING_ACKNOWLEDGEMENT
    )
    return AgencyTask.objects.create(
        referral=ref or referral(created - timedelta(hours=1)),
        agency=agency,
        team=team or people[kind, PRACTITIONER].team,
        priority="amber",
        status=status,
        created_at=created,
        ack_due_at=created + timedelta(hours=ack_due_hours),
        due_at=created + timedelta(hours=due_hours),
        acknowledged_at=ack,
        completed_at=done,
        outcome=outcome if done else "",
    )


def escalate(
    task_: AgencyTask,
    level: int,
    raised: datetime,
    *,
    kind: str = "not_acknowledged",
    resolved_by=None,
    resolved_hours: float | None = None,
    raised_by=None,
) -> Escalation:
    """An escalation about a task, resolved so many hours later by someone, or left open."""
    resolved = resolved_by is not None
    return Escalation.objects.create(
        task=task_,
        referral=task_.referral,
        agency=task_.agency,
        level=level,
        kind=kind,
        reason="Late.",
        raised_by=raised_by,
        raised_at=raised,
        status=EscalationStatus.RESOLVED if resolved else EscalationStatus.OPEN,
        resolved_by=resolved_by,
        resolution="Sorted." if resolved else "",
        resolved_at=raised + timedelta(hours=resolved_hours) if resolved else None,
    )


def march_world(people: People) -> dict:
    """The hand-worked March 2026 of the tests (see test_accountability.py for every answer).

    Police acknowledge in 1, 2, 3, 4 and 10 hours; health in 5, 20, 30 and 50 hours (acknowledgement due in 6).
    The front door decides four referrals around the weekend of 7–8 March, two within one working day.
    """
    police = [
        task(people, POLICE, at(2 + i, 10), ack_hours=h, done_hours=h + 24)
        for i, h in enumerate((1, 2, 3, 4, 10))
    ]
    health = [
        task(
            people,
            HEALTH,
            at(9 + i, 10),
            ack_hours=h,
            done_hours=h + 100 if i < 2 else None,
            outcome="no_action" if i == 0 else "health_assessment",
        )
        for i, h in enumerate((5, 20, 30, 50))
    ]
    health_waiting = task(people, HEALTH, at(31, 10))  # never acknowledged: overdue now
    front_door = people["front_door"]
    friday_4pm = referral(at(6, 16))  # due Monday 9 March 16:00
    decide(friday_4pm, front_door, at(9, 15))  # within
    late_friday = referral(at(6, 16))
    decide(late_friday, front_door, at(9, 17), kind=DecisionKind.NO_FURTHER_ACTION)  # late
    saturday = referral(at(7, 10))  # due at the end of Monday
    decide(saturday, front_door, at(9, 20))  # within
    thursday = referral(at(5, 12))  # due Friday 12:00
    decide(thursday, front_door, at(6, 13))  # late
    escalate(health[2], 1, at(11, 17), resolved_by=people[HEALTH, TEAM_MANAGER], resolved_hours=3)
    escalate(health[3], 1, at(12, 17), resolved_by=people[HEALTH, SERVICE_MANAGER], resolved_hours=5)
    escalate(health[3], 2, at(12, 23))
    escalate(
        police[4],
        1,
        at(6, 12),
        kind="disagreement",
        raised_by=people[HEALTH, PRACTITIONER],
        resolved_by=people["lead"],
        resolved_hours=1,
    )
    told = referral(at(3, 9), referrer=people[POLICE, PRACTITIONER])
    Referral.objects.filter(pk=told.pk).update(
        status=ReferralStatus.CLOSED, closed_at=at(20, 9), public_outcome="Acted on."
    )
    untold = referral(at(3, 9), source="public", anonymous=True)
    Referral.objects.filter(pk=untold.pk).update(
        status=ReferralStatus.CLOSED, closed_at=at(21, 9), public_outcome="Acted on."
    )
    return {
        "police": police,
        "health": health,
        "health_waiting": health_waiting,
        "decisions": [friday_4pm, late_friday, saturday, thursday],
        "told": told,
        "untold": untold,
    }


def random_world(people: People, *, seed: int, referrals: int, first: datetime, last: datetime) -> None:
    """Referrals spread at random over [first, last], with decisions, tasks, escalations and closures at random
    times after them (some still open), for comparing the fact table with the raw tables over random periods.

    Two police teams, deciders in two agencies, and times falling either side of midnight and the clock changes.
    """
    from lantern.accounts.testing import TeamFactory

    rng = random.Random(seed)
    night = TeamFactory(agency=people.agency(POLICE), name="Night team")
    deciders = [people["front_door"], people[POLICE, TEAM_MANAGER]]
    resolvers = [
        people[POLICE, TEAM_MANAGER],
        people[HEALTH, SERVICE_MANAGER],
        people["lead"],
        people[HEALTH, PRACTITIONER],
    ]
    span = (last - first).total_seconds()

    def later(moment: datetime, hours: float) -> datetime | None:
        found = moment + timedelta(hours=rng.expovariate(1 / hours))
        return found if found <= last else None

    for _ in range(referrals):
        received = first + timedelta(seconds=rng.uniform(0, span))
        extra = {"referrer": people[POLICE, PRACTITIONER]} if rng.random() < 0.5 else {"source": "public"}
        ref = referral(received, **extra)
        decided = later(received, 20) if rng.random() < 0.8 else None
        if decided is None:
            continue
        kind = DecisionKind.NO_FURTHER_ACTION if rng.random() < 0.2 else DecisionKind.REFER_AGENCIES
        decide(ref, rng.choice(deciders), decided, kind=kind)
        for agency_kind in rng.sample([POLICE, HEALTH, CSC], rng.randint(0, 2)):
            ack = later(decided, 8) if rng.random() < 0.9 else None
            done = later(ack, 150) if ack and rng.random() < 0.8 else None
            team = night if agency_kind == POLICE and rng.random() < 0.4 else None
            job = task(
                people,
                agency_kind,
                decided,
                ack_hours=(ack - decided) / timedelta(hours=1) if ack else None,
                done_hours=(done - decided) / timedelta(hours=1) if done else None,
                ref=ref,
                team=team,
                outcome=rng.choice(["no_action", "assessment_started"]),
            )
            for level in range(1, 1 + rng.choice([0, 0, 0, 1, 2, 3])):
                raised = later(decided, 30)
                if raised is None:
                    break
                resolved = later(raised, 10) if rng.random() < 0.7 else None
                escalate(
                    job,
                    level,
                    raised,
                    kind=rng.choice(["not_acknowledged", "not_completed", "disagreement"]),
                    resolved_by=rng.choice(resolvers) if resolved else None,
                    resolved_hours=(resolved - raised) / timedelta(hours=1) if resolved else None,
                )
        closed = later(decided, 400) if rng.random() < 0.6 else None
        if closed is not None:
            Referral.objects.filter(pk=ref.pk).update(
                status=ReferralStatus.CLOSED,
                closed_at=closed,
                public_outcome="Acted on." if rng.random() < 0.7 else "",
            )
