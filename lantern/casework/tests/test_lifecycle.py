"""The referral loop through its services: screening, decision, routing, tasks, closure, escalation up the ladder."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail

from lantern.accounts.models import AgencyKind, Role
from lantern.accounts.testing import AgencyFactory, UserFactory
from lantern.audit.models import AuditEvent
from lantern.casework import services
from lantern.casework.models import AgencyTask, Escalation, EscalationKind, TaskStatus
from lantern.core.exceptions import Conflict, Invalid
from lantern.frontdoor import services as decisions
from lantern.intake.models import DecisionKind, Referral, ReferralStatus, RiskLevel
from lantern.intel.models import PersonMention, VehicleMention

LONDON = ZoneInfo("Europe/London")


@pytest.fixture
def borough(db):
    """Agencies with a worker, a team manager and a service manager each, and a partnership lead."""
    people = {}
    for kind in (
        AgencyKind.CSC,
        AgencyKind.POLICE,
        AgencyKind.HEALTH,
        AgencyKind.EDUCATION,
        AgencyKind.LICENSING,
    ):
        agency = AgencyFactory(kind=kind)
        for role in (Role.PRACTITIONER, Role.TEAM_MANAGER, Role.SERVICE_MANAGER):
            people[(kind, role)] = UserFactory(username=f"{kind}.{role}", agency=agency, role=role)
    people["front_door"] = UserFactory(
        username="frontdoor", agency=AgencyFactory(kind=AgencyKind.CSC), role=Role.FRONT_DOOR
    )
    people["lead"] = UserFactory(
        username="lead", agency=AgencyFactory(kind=AgencyKind.PARTNERSHIP), role=Role.PARTNERSHIP_LEAD
    )
    return people


def make_referral(received_at, *, summary="Girl seen getting into cars outside the takeaway.", **extra):
    """A referral as intake would create it."""
    from lantern.casework.timescales import referral_decision_due

    referral = Referral.objects.create(
        reference=f"RIV-TEST-{Referral.objects.count() + 1}",
        source="public",
        summary=summary,
        received_at=received_at,
        decision_due_at=referral_decision_due(received_at),
        **extra,
    )
    PersonMention.objects.create(referral=referral, role="child", name="Child A", age=12)
    return referral


def test_whole_loop_to_closure(borough):
    """Screened high risk, referred to agencies, every task completed: the referral closes with a public outcome."""
    received = datetime(2026, 12, 1, 10, 0, tzinfo=LONDON)
    referral = make_referral(received)
    fd = borough["front_door"]
    screening = decisions.screening_record(
        actor=fd,
        referral=referral,
        child_age=12,
        indicators={"cars": {"present": True, "evidence": "Seen getting into cars with older men."}},
    )
    assert screening.risk_level == RiskLevel.HIGH  # under 13 with a high-risk indicator
    agencies = [
        borough[(AgencyKind.CSC, Role.PRACTITIONER)].agency,
        borough[(AgencyKind.POLICE, Role.PRACTITIONER)].agency,
    ]
    decision = decisions.referral_decide(
        actor=fd,
        referral=referral,
        kind=DecisionKind.REFER_AGENCIES,
        rationale="High risk.",
        priority="amber",
        agencies=agencies,
        now=received + timedelta(hours=2),
    )
    assert decision.within_timescale
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.OPEN
    tasks = list(referral.tasks.all())
    assert {t.agency.kind for t in tasks} == {AgencyKind.CSC, AgencyKind.POLICE}
    assert referral.cases.count() == 1
    for task in tasks:
        worker = borough[(task.agency.kind, Role.PRACTITIONER)]
        services.task_acknowledge(actor=worker, task=task)
        with pytest.raises(Conflict):
            services.task_acknowledge(actor=worker, task=task)
    referral.refresh_from_db()
    services.task_complete(actor=worker, task=tasks[0], outcome="crime_recorded", narrative="Crime recorded.")
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.OPEN  # not every task has an outcome yet
    services.task_complete(actor=worker, task=tasks[1], outcome="section_47", narrative="Enquiry opened.")
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.CLOSED
    assert "police" in referral.public_outcome and "Child A" not in referral.public_outcome
    assert AuditEvent.objects.filter(event_type="referral.closed", object_id=str(referral.pk)).exists()


def test_task_completion_needs_outcome_and_narrative(borough):
    """Completing a task without a listed outcome or a narrative is refused with field messages."""
    received = datetime(2026, 12, 1, 10, 0, tzinfo=LONDON)
    referral = make_referral(received)
    decisions.referral_decide(
        actor=borough["front_door"],
        referral=referral,
        kind="refer",
        rationale="Concern.",
        priority="green",
        agencies=[borough[(AgencyKind.POLICE, Role.PRACTITIONER)].agency],
        now=received,
    )
    task = referral.tasks.get()
    with pytest.raises(Invalid) as err:
        services.task_complete(actor=borough["lead"], task=task, outcome="made_up", narrative="")
    assert set(err.value.fields) == {"outcome", "narrative"}
    task.refresh_from_db()
    assert task.status == TaskStatus.AWAITING_ACKNOWLEDGEMENT


def test_licensing_is_always_included_when_a_licensed_vehicle_is_involved(borough):
    """A referral mentioning a licensed vehicle gets a licensing task even if the front door does not choose it."""
    received = datetime(2026, 12, 1, 10, 0, tzinfo=LONDON)
    referral = make_referral(received)
    VehicleMention.objects.create(referral=referral, registration="AB12 CDE", licence_number="PH1234")
    decisions.referral_decide(
        actor=borough["front_door"],
        referral=referral,
        kind="refer",
        rationale="Concern.",
        priority="green",
        agencies=[borough[(AgencyKind.POLICE, Role.PRACTITIONER)].agency],
        now=received,
    )
    assert AgencyKind.LICENSING in {t.agency.kind for t in referral.tasks.all()}


def test_no_further_action_needs_another_managers_sign_off(borough):
    """NFA waits for sign-off; the decision-maker cannot sign their own; approval closes the referral."""
    received = datetime(2026, 12, 1, 10, 0, tzinfo=LONDON)
    referral = make_referral(received)
    fd = borough["front_door"]
    with pytest.raises(Invalid) as err:
        decisions.referral_decide(actor=fd, referral=referral, kind="nfa", rationale="  ", now=received)
    assert "rationale" in err.value.fields
    decision = decisions.referral_decide(
        actor=fd, referral=referral, kind="nfa", rationale="Duplicate.", now=received
    )
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.AWAITING_SIGN_OFF
    with pytest.raises(Invalid):
        decisions.referral_decision_sign_off(actor=fd, decision=decision, approve=True)
    manager = borough[(AgencyKind.CSC, Role.TEAM_MANAGER)]
    with pytest.raises(Invalid):
        decisions.referral_decision_sign_off(actor=manager, decision=decision, approve=False, note="")
    decisions.referral_decision_sign_off(actor=manager, decision=decision, approve=True)
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.NO_FURTHER_ACTION
    assert referral.public_outcome


def test_ignored_task_escalates_up_all_three_levels(borough, django_capture_on_commit_callbacks):
    """An unacknowledged red task escalates to team manager, then service manager, then partnership lead, once each."""
    received = datetime(2026, 12, 4, 16, 0, tzinfo=LONDON)  # a Friday afternoon
    referral = make_referral(received)
    police = borough[(AgencyKind.POLICE, Role.PRACTITIONER)].agency
    decisions.referral_decide(
        actor=borough["front_door"],
        referral=referral,
        kind="refer",
        rationale="Urgent.",
        priority="red",
        agencies=[police],
        now=received,
    )
    task = referral.tasks.get()
    assert task.ack_due_at == received + timedelta(hours=2)
    with time_machine.travel(received + timedelta(hours=1), tick=False):
        assert services.escalations_sweep() == []
    with time_machine.travel(received + timedelta(hours=2, minutes=1), tick=False):
        first = services.escalations_sweep()
        assert [e.level for e in first] == [1]
        assert list(first[0].recipients.all()) == [borough[(AgencyKind.POLICE, Role.TEAM_MANAGER)]]
        assert services.escalations_sweep() == []  # idempotent
    with (
        time_machine.travel(received + timedelta(hours=6, minutes=1), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        later = services.escalations_sweep()
    assert [e.level for e in later] == [2, 3]
    assert list(later[0].recipients.all()) == [borough[(AgencyKind.POLICE, Role.SERVICE_MANAGER)]]
    assert list(later[1].recipients.all()) == [borough["lead"]]
    task.refresh_from_db()
    assert task.escalation_level == 3
    assert Escalation.objects.filter(task=task, kind=EscalationKind.NOT_ACKNOWLEDGED).count() == 3
    assert borough["lead"].notifications.count() == 1
    assert any("Level 3" in m.subject for m in mail.outbox)
    # Acknowledging late does not clear the escalations: each needs a written resolution.
    services.task_acknowledge(actor=borough[(AgencyKind.POLICE, Role.PRACTITIONER)], task=task)
    assert Escalation.objects.filter(task=task, status="open").count() == 3
    escalation = later[1]
    with pytest.raises(Invalid):
        services.escalation_resolve(actor=borough["lead"], escalation=escalation, resolution="")
    services.escalation_resolve(
        actor=borough["lead"], escalation=escalation, resolution="Spoke to the inspector."
    )
    assert AgencyTask.objects.get(pk=task.pk).escalation_level == 3


def test_undecided_referral_escalates(borough):
    """A referral with no decision a working day after receipt escalates to the front door's managers."""
    received = datetime(2026, 12, 4, 16, 0, tzinfo=LONDON)  # Friday: due Monday 16:00
    make_referral(received)
    with time_machine.travel(datetime(2026, 12, 7, 15, 0, tzinfo=LONDON), tick=False):
        assert services.escalations_sweep() == []
    with time_machine.travel(datetime(2026, 12, 7, 16, 1, tzinfo=LONDON), tick=False):
        raised = services.escalations_sweep()
    assert [(e.kind, e.level) for e in raised] == [(EscalationKind.DECISION_OVERDUE, 1)]


def test_disagreement_is_raised_by_hand_and_climbs_while_open(borough):
    """A professional disagreement needs a reason; raising it again while open goes a rung up."""
    received = datetime(2026, 12, 1, 10, 0, tzinfo=LONDON)
    referral = make_referral(received)
    decisions.referral_decide(
        actor=borough["front_door"],
        referral=referral,
        kind="refer",
        rationale="Concern.",
        priority="green",
        agencies=[borough[(AgencyKind.POLICE, Role.PRACTITIONER)].agency],
        now=received,
    )
    task = referral.tasks.get()
    teacher = borough[(AgencyKind.EDUCATION, Role.PRACTITIONER)]
    with pytest.raises(Invalid):
        services.escalation_raise(actor=teacher, task=task, reason="")
    first = services.escalation_raise(
        actor=teacher, task=task, reason="Police closed this without speaking to the child."
    )
    second = services.escalation_raise(actor=teacher, task=task, reason="Still no answer.")
    assert (first.level, second.level) == (1, 2)
    assert first.raised_by == teacher


def test_new_tasks_go_to_the_team_marked_to_receive_them(borough):
    """An agency's tasks go to its receiving team, not simply its first team."""
    from lantern.accounts.testing import TeamFactory

    police = borough[(AgencyKind.POLICE, Role.PRACTITIONER)].agency
    TeamFactory(agency=police, name="Front desk")
    receiving = TeamFactory(agency=police, name="Child Exploitation Unit", receives_tasks=True)
    referral = make_referral(datetime(2026, 12, 1, 10, 0, tzinfo=LONDON))
    decisions.referral_decide(
        actor=borough["front_door"],
        referral=referral,
        kind="refer",
        rationale="Concern.",
        priority="green",
        agencies=[police],
        now=referral.received_at,
    )
    assert referral.tasks.get().team == receiving
