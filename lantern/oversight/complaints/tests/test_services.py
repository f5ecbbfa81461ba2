"""Complaints and conduct matters through the services: the stages in order, wrong moves refused, timescales on
the business-day calendar escalating up the ladder with notifications and email, and the audit trail."""

from datetime import datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.test import override_settings
from django.utils import timezone

from lantern.audit.models import AuditEvent
from lantern.casework.models import EscalationStatus, Notification
from lantern.core.exceptions import Conflict, Invalid
from lantern.oversight.complaints import services as complaints
from lantern.oversight.complaints.models import (
    AssessmentDecision,
    ComplaintOutcome,
    ComplaintStatus,
    ConductFinding,
    ConductOutcome,
    ConductStatus,
    ExternalBody,
    ExternalDecision,
    ProcedureStage,
    StageEscalation,
)
from lantern.oversight.complaints.tests.fixtures import (
    LONDON,
    MONDAY,
    POLICE,
    PRACTITIONER,
    SERVICE_MANAGER,
    TEAM_MANAGER,
    record_complaint,
    record_matter,
)


def sweep_at(moment, capture):
    """Run the worker's sweep at `moment`, sending mail as a committed transaction would."""
    with time_machine.travel(moment, tick=False), capture(execute=True):
        return [(e.clock, e.level) for e in complaints.complaints_escalations_sweep()]


def audit_types(obj) -> list[str]:
    """The audit events written about a record, oldest first."""
    return list(
        AuditEvent.objects.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk))
        .order_by("seq")
        .values_list("event_type", flat=True)
    )


# Complaints
def test_complaint_runs_through_both_stages_with_clocks_from_the_calendar(people, routed_referral):
    """Received on a Monday, a complaint is due to be acknowledged in 3 working days and answered in 20; a
    dissatisfied complainant takes it to stage 2, whose clocks (3 and 25 working days) start from the request."""
    referral, _, tasks = routed_referral
    manager = people[POLICE, TEAM_MANAGER]
    complaint = record_complaint(
        people,
        received_at=MONDAY,
        now=MONDAY + timedelta(hours=1),
        referrals=[referral],
        tasks=[tasks[POLICE]],
    )
    assert complaint.reference.startswith("RIV-CMP-")
    assert complaint.ack_due_at == datetime(2026, 9, 10, 10, 0, tzinfo=LONDON)
    assert complaint.response_due_at == datetime(2026, 10, 5, 10, 0, tzinfo=LONDON)
    assert list(complaint.referrals.all()) == [referral] and list(complaint.tasks.all()) == [tasks[POLICE]]
    # The agency's managers hear of it.
    assert manager.notifications.filter(message__contains=complaint.reference).exists()

    day = MONDAY + timedelta(days=1)
    complaints.complaint_acknowledge(actor=manager, complaint=complaint, now=day)
    complaints.complaint_start_investigation(actor=manager, complaint=complaint, now=day)
    complaints.complaint_respond(
        actor=manager,
        complaint=complaint,
        outcome=ComplaintOutcome.NOT_UPHELD,
        response="The officer did call back twice.",
        now=day + timedelta(days=7),
    )
    complaint.refresh_from_db()
    assert (complaint.status, complaint.outcome, complaint.stage_one_outcome) == (
        ComplaintStatus.RESPONDED,
        ComplaintOutcome.NOT_UPHELD,
        ComplaintOutcome.NOT_UPHELD,
    )

    requested = datetime(2026, 9, 21, 9, 0, tzinfo=LONDON)
    complaints.complaint_escalate_to_stage_two(
        actor=manager, complaint=complaint, reason="Nobody called me.", requested_at=requested, now=requested
    )
    complaint.refresh_from_db()
    assert (complaint.stage, complaint.status) == (ProcedureStage.PARTNERSHIP, ComplaintStatus.RECEIVED)
    assert complaint.ack_due_at == datetime(2026, 9, 24, 9, 0, tzinfo=LONDON)
    assert complaint.response_due_at == datetime(2026, 10, 26, 9, 0, tzinfo=LONDON)
    assert people["lead"].notifications.filter(message__contains="stage 2").exists()
    # Stage 2 belongs to the partnership: the police managers no longer move it on.
    lead = people["lead"]
    complaints.complaint_acknowledge(actor=lead, complaint=complaint, now=requested + timedelta(hours=2))
    complaints.complaint_respond(
        actor=lead,
        complaint=complaint,
        outcome=ComplaintOutcome.PARTLY_UPHELD,
        response="Calls were made but not recorded.",
        now=requested + timedelta(days=3),
    )
    with pytest.raises(Invalid) as error:
        complaints.complaint_close(actor=lead, complaint=complaint, now=requested + timedelta(days=3))
    assert "note" in error.value.fields  # upheld in part: a learning action or a reason there is none
    complaints.learning_action_add(
        actor=lead,
        complaint=complaint,
        description="Record every call-back.",
        owner=manager,
        due_date=timezone.localdate() + timedelta(days=30),
        now=requested + timedelta(days=3, hours=1),
    )
    complaints.complaint_close(actor=lead, complaint=complaint, now=requested + timedelta(days=4))
    complaint.refresh_from_db()
    assert (complaint.status, complaint.outcome, complaint.stage_one_outcome) == (
        ComplaintStatus.CLOSED,
        ComplaintOutcome.PARTLY_UPHELD,
        ComplaintOutcome.NOT_UPHELD,
    )
    assert [s.title for s in complaint.steps.all()] == [
        "Complaint received",
        "Stage 1 complaint acknowledged",
        "Stage 1 investigation started",
        "Stage 1 response sent: not upheld",
        "Complainant dissatisfied: stage 2 review by the partnership requested",
        "Stage 2 complaint acknowledged",
        "Stage 2 response sent: partly upheld",
        f"Learning action agreed for {manager.display_name}",
        "Complaint closed at stage 2",
    ]
    assert audit_types(complaint) == [
        "complaint.recorded",
        "complaint.acknowledged",
        "complaint.investigating",
        "complaint.responded",
        "complaint.stage_two",
        "complaint.acknowledged",
        "complaint.responded",
        "complaint.learning_action_added",
        "complaint.closed",
    ]


def test_wrong_moves_are_refused_and_change_nothing(people):
    """Responding before acknowledging, acknowledging twice, closing before the response, a second stage 2, and a
    stage 2 asked for too late are all refused."""
    manager = people[POLICE, TEAM_MANAGER]
    complaint = record_complaint(people, received_at=MONDAY, now=MONDAY)
    with pytest.raises(Conflict):
        complaints.complaint_respond(actor=manager, complaint=complaint, outcome="upheld", response="Sorry.")
    with pytest.raises(Conflict):
        complaints.complaint_start_investigation(actor=manager, complaint=complaint)
    with pytest.raises(Conflict):
        complaints.complaint_close(actor=manager, complaint=complaint)
    with pytest.raises(Conflict):
        complaints.complaint_escalate_to_stage_two(actor=manager, complaint=complaint, reason="Unhappy.")
    complaints.complaint_acknowledge(actor=manager, complaint=complaint, now=MONDAY + timedelta(hours=2))
    with pytest.raises(Conflict):
        complaints.complaint_acknowledge(actor=manager, complaint=complaint)
    with pytest.raises(Invalid) as error:
        complaints.complaint_respond(actor=manager, complaint=complaint, outcome="sort_of", response="")
    assert set(error.value.fields) == {"outcome", "response"}
    responded = MONDAY + timedelta(days=1)
    complaints.complaint_respond(
        actor=manager,
        complaint=complaint,
        outcome=ComplaintOutcome.NOT_UPHELD,
        response="No fault found.",
        now=responded,
    )
    # 20 working days after Tuesday 8 September is Tuesday 6 October; the day after is too late.
    late = datetime(2026, 10, 7, 11, 0, tzinfo=LONDON)
    with pytest.raises(Invalid) as error:
        complaints.complaint_escalate_to_stage_two(
            actor=manager, complaint=complaint, reason="Unhappy.", requested_at=late, now=late
        )
    assert "requested_at" in error.value.fields
    complaint.refresh_from_db()
    assert (complaint.stage, complaint.status) == (ProcedureStage.AGENCY, ComplaintStatus.RESPONDED)
    on_time = datetime(2026, 10, 6, 9, 0, tzinfo=LONDON)
    complaints.complaint_escalate_to_stage_two(
        actor=manager, complaint=complaint, reason="Unhappy.", requested_at=on_time, now=late
    )
    with pytest.raises(Conflict):
        complaints.complaint_escalate_to_stage_two(
            actor=manager, complaint=complaint, reason="Still unhappy."
        )


def test_bad_complaint_input_is_refused_field_by_field(people):
    """Every missing or wrong field is named, and nothing is written."""
    with pytest.raises(Invalid) as error:
        complaints.complaint_record(
            actor=people[POLICE, PRACTITIONER],
            complainant_type="journalist",
            complainant_name=" ",
            account="",
            agency=None,
            received_at=timezone.now() + timedelta(days=1),
        )
    assert set(error.value.fields) == {
        "complainant_type",
        "complainant_name",
        "account",
        "agency",
        "received_at",
    }
    from lantern.oversight.complaints.models import Complaint

    assert not Complaint.objects.exists()


def test_a_complaint_cannot_link_records_its_recorder_cannot_see(people, routed_referral):
    """Linking a task of another agency is refused, so a complaint cannot be used to learn a record exists."""
    _, _, tasks = routed_referral
    with pytest.raises(Invalid) as error:
        record_complaint(people, agency_kind="health", tasks=[tasks[POLICE]])
    assert "tasks" in error.value.fields


def test_overdue_complaint_climbs_the_ladder_once_per_rung(people, django_capture_on_commit_callbacks):
    """Not acknowledged by Thursday's deadline, a complaint escalates to the team manager, two working days later
    to the service manager and two more to the partnership lead, each told in the app and by email; acknowledging
    it late stops the climb but clears nothing; only a written resolution does."""
    complaint = record_complaint(people, received_at=MONDAY, now=MONDAY)
    capture = django_capture_on_commit_callbacks
    mail.outbox.clear()
    assert sweep_at(datetime(2026, 9, 10, 9, 59, tzinfo=LONDON), capture) == []
    assert sweep_at(datetime(2026, 9, 10, 10, 1, tzinfo=LONDON), capture) == [("s1_acknowledge", 1)]
    assert sweep_at(datetime(2026, 9, 11, 16, 0, tzinfo=LONDON), capture) == []
    # Saturday and Sunday do not count: the second rung is on Monday.
    assert sweep_at(datetime(2026, 9, 13, 12, 0, tzinfo=LONDON), capture) == []
    assert sweep_at(datetime(2026, 9, 14, 10, 1, tzinfo=LONDON), capture) == [("s1_acknowledge", 2)]
    assert sweep_at(datetime(2026, 9, 16, 10, 1, tzinfo=LONDON), capture) == [("s1_acknowledge", 3)]
    assert sweep_at(datetime(2026, 9, 18, 10, 1, tzinfo=LONDON), capture) == []
    escalations = {e.level: e for e in StageEscalation.objects.filter(complaint=complaint)}
    assert {level: {u.username for u in e.recipients.all()} for level, e in escalations.items()} == {
        1: {people[POLICE, TEAM_MANAGER].username},
        2: {people[POLICE, SERVICE_MANAGER].username},
        3: {people["lead"].username},
    }
    assert escalations[1].raised_by is None and "has not acknowledged the complaint" in escalations[1].reason
    assert people["lead"].notifications.filter(url=f"/complaints/escalations/{escalations[3].pk}/").exists()
    assert {m.to[0] for m in mail.outbox} >= {
        people[POLICE, TEAM_MANAGER].email,
        people[POLICE, SERVICE_MANAGER].email,
        people["lead"].email,
    }
    complaints.complaint_acknowledge(
        actor=people[POLICE, TEAM_MANAGER],
        complaint=complaint,
        now=datetime(2026, 9, 18, 11, 0, tzinfo=LONDON),
    )
    assert StageEscalation.objects.filter(complaint=complaint, status=EscalationStatus.OPEN).count() == 3
    with pytest.raises(Invalid):
        complaints.stage_escalation_resolve(actor=people["lead"], escalation=escalations[3], resolution=" ")
    complaints.stage_escalation_resolve(
        actor=people["lead"],
        escalation=escalations[3],
        resolution="Acknowledged late; the team manager was on leave.",
    )
    resolved = StageEscalation.objects.get(pk=escalations[3].pk)
    assert (resolved.status, resolved.resolved_by) == (EscalationStatus.RESOLVED, people["lead"])
    with pytest.raises(Conflict):
        complaints.stage_escalation_resolve(actor=people["lead"], escalation=resolved, resolution="Again.")
    assert audit_types(resolved) == ["stage_escalation.raised", "stage_escalation.resolved"]
    # The response clock (20 working days from receipt) runs on: due Monday 5 October.
    assert sweep_at(datetime(2026, 10, 5, 10, 1, tzinfo=LONDON), capture) == [("s1_respond", 1)]


@override_settings(
    LANTERN_COMPLAINT_TIMESCALES={"acknowledge_working_days": 1, "escalate_every_working_days": 1}
)
def test_timescales_are_settings(people):
    """The timescales come from settings.LANTERN_COMPLAINT_TIMESCALES, merged over the defaults."""
    complaint = record_complaint(people, received_at=MONDAY, now=MONDAY)
    assert complaint.ack_due_at == datetime(2026, 9, 8, 10, 0, tzinfo=LONDON)
    assert complaint.response_due_at == datetime(2026, 10, 5, 10, 0, tzinfo=LONDON)
    assert complaints.timescales().level_due_at(complaint.ack_due_at, 3) == datetime(
        2026, 9, 10, 10, 0, tzinfo=LONDON
    )


# Conduct matters
def test_conduct_matter_referred_out_investigated_and_concluded(people):
    """Assessed, referred to the police conduct watchdog (sent, acknowledged, decided), returned to investigate,
    a finding, then an outcome that must follow from it; the subject, once told, hears the outcome."""
    manager, subject = people[POLICE, SERVICE_MANAGER], people[POLICE, PRACTITIONER]
    investigator = people[POLICE, TEAM_MANAGER]
    recorded = MONDAY
    matter = record_matter(people, now=recorded)
    assert matter.assessment_due_at == datetime(2026, 9, 14, 10, 0, tzinfo=LONDON)
    sent = recorded + timedelta(days=1)
    complaints.conduct_matter_assess(
        actor=manager,
        matter=matter,
        decision=AssessmentDecision.REFER_EXTERNAL,
        assessment="Meets the threshold.",
        external_body=ExternalBody.POLICE_WATCHDOG,
        sent_at=sent,
        now=sent,
    )
    matter.refresh_from_db()
    assert matter.status == ConductStatus.REFERRED
    assert matter.external_due_at == datetime(2026, 10, 6, 10, 0, tzinfo=LONDON)
    with pytest.raises(Invalid) as error:
        complaints.conduct_matter_external_acknowledged(
            actor=manager, matter=matter, acknowledged_at=recorded, now=sent + timedelta(days=1)
        )
    assert "acknowledged_at" in error.value.fields
    complaints.conduct_matter_external_acknowledged(
        actor=manager,
        matter=matter,
        acknowledged_at=sent + timedelta(days=2),
        external_reference="IOPC/2026/0099",
        now=sent + timedelta(days=2),
    )
    with pytest.raises(Invalid) as error:
        complaints.conduct_matter_external_decided(
            actor=manager,
            matter=matter,
            decision=ExternalDecision.LOCAL_INVESTIGATION,
            decided_at=sent + timedelta(days=9),
            investigator=subject,
            now=sent + timedelta(days=9),
        )
    assert error.value.fields["investigator_id"] == ["The subject of a conduct matter cannot investigate it."]
    complaints.conduct_matter_external_decided(
        actor=manager,
        matter=matter,
        decision=ExternalDecision.LOCAL_INVESTIGATION,
        decided_at=sent + timedelta(days=9),
        investigator=investigator,
        now=sent + timedelta(days=9),
    )
    complaints.conduct_matter_notify_subject(
        actor=manager, matter=matter, summary="An allegation about a call.", now=sent + timedelta(days=10)
    )
    assert subject.notifications.filter(message__contains=matter.reference).count() == 1
    with pytest.raises(Conflict):
        complaints.conduct_matter_record_outcome(
            actor=investigator, matter=matter, outcome=ConductOutcome.WRITTEN_WARNING, summary="Warning."
        )
    complaints.conduct_matter_record_finding(
        actor=investigator,
        matter=matter,
        finding=ConductFinding.MISCONDUCT,
        rationale="The call log shows no enquiries.",
        investigation_notes="Interviewed the parent and the officer.",
    )
    with pytest.raises(Invalid) as error:
        complaints.conduct_matter_record_outcome(
            actor=manager, matter=matter, outcome=ConductOutcome.DISMISSAL, summary="Dismissed."
        )
    assert "must be one of" in error.value.fields["outcome"][0]
    complaints.conduct_matter_record_outcome(
        actor=manager,
        matter=matter,
        outcome=ConductOutcome.WRITTEN_WARNING,
        summary="A written warning was given.",
    )
    matter.refresh_from_db()
    assert (matter.status, matter.outcome) == (ConductStatus.CONCLUDED, ConductOutcome.WRITTEN_WARNING)
    assert subject.notifications.filter(message__contains="written warning").count() == 1
    assert audit_types(matter) == [
        "conduct.recorded",
        "conduct.assessed",
        "conduct.external_acknowledged",
        "conduct.external_decided",
        "conduct.subject_notified",
        "conduct.finding",
        "conduct.concluded",
    ]
    with pytest.raises(Conflict):
        complaints.conduct_matter_record_outcome(
            actor=manager, matter=matter, outcome=ConductOutcome.DISMISSAL, summary="Changed our minds."
        )


def test_no_case_to_answer_at_assessment_concludes_the_matter(people):
    """An assessment of no case to answer concludes the matter with that outcome at once."""
    matter = record_matter(people)
    complaints.conduct_matter_assess(
        actor=people[POLICE, SERVICE_MANAGER],
        matter=matter,
        decision=AssessmentDecision.NO_CASE_TO_ANSWER,
        assessment="The call log shows the call was made.",
    )
    matter.refresh_from_db()
    assert (matter.status, matter.outcome) == (ConductStatus.CONCLUDED, ConductOutcome.NO_CASE_TO_ANSWER)
    with pytest.raises(Conflict):
        complaints.conduct_matter_assess(
            actor=people[POLICE, SERVICE_MANAGER],
            matter=matter,
            decision=AssessmentDecision.INVESTIGATE,
            assessment="Again.",
            investigator=people[POLICE, TEAM_MANAGER],
        )


def test_conduct_matters_are_recorded_only_within_the_rules(people):
    """Nobody records a matter about themselves, and a manager only for their own agency."""
    manager = people[POLICE, SERVICE_MANAGER]
    with pytest.raises(Invalid) as error:
        record_matter(people, subject=manager, actor=manager)
    assert "subject" in error.value.fields
    with pytest.raises(Invalid) as error:
        record_matter(people, subject=people["health", PRACTITIONER], actor=manager)
    assert "agency" in error.value.fields
    assert (
        record_matter(people, subject=people["health", PRACTITIONER], actor=people["lead"]).agency.kind
        == "health"
    )


def test_overdue_conduct_escalation_never_goes_to_its_subject(people, django_capture_on_commit_callbacks):
    """A matter about a team manager escalates past them: the first rung goes to the other team managers or, if
    there are none, up to the service manager — the subject is never told of an escalation about themselves."""
    subject = people[POLICE, TEAM_MANAGER]
    matter = record_matter(people, subject=subject, now=MONDAY)
    capture = django_capture_on_commit_callbacks
    assert sweep_at(datetime(2026, 9, 14, 10, 1, tzinfo=LONDON), capture) == [("assessment", 1)]
    escalation = StageEscalation.objects.get(conduct_matter=matter)
    assert [u.username for u in escalation.recipients.all()] == [people[POLICE, SERVICE_MANAGER].username]
    assert not Notification.objects.filter(user=subject).exists()
    assert subject.email not in {m.to[0] for m in mail.outbox}


def test_outcomes_count_by_agency_within_the_period(people):
    """Only outcomes decided within the period count, a complaint once with its latest outcome, and conduct
    outcomes beside them; the lead sees exact counts and totals."""
    from datetime import date

    from lantern.oversight.complaints.selectors import complaints_outcomes

    manager = people[POLICE, TEAM_MANAGER]
    for when in (MONDAY, MONDAY + timedelta(days=60)):
        complaint = record_complaint(people, received_at=when, now=when)
        complaints.complaint_acknowledge(actor=manager, complaint=complaint, now=when + timedelta(hours=1))
        complaints.complaint_respond(
            actor=manager,
            complaint=complaint,
            outcome=ComplaintOutcome.UPHELD,
            response="Sorry.",
            now=when + timedelta(days=2),
        )
    matter = record_matter(people, now=MONDAY)
    complaints.conduct_matter_assess(
        actor=people[POLICE, SERVICE_MANAGER],
        matter=matter,
        now=MONDAY,
        decision=AssessmentDecision.NO_CASE_TO_ANSWER,
        assessment="Nothing in it.",
    )
    result = complaints_outcomes(user=people["lead"], start=date(2026, 9, 1), end=date(2026, 9, 30))
    assert result.exact is True
    assert [(r.agency, r.counts, r.total) for r in result.complaints.rows] == [
        ("Riverton Police", [1, 0, 0], 1)
    ]
    assert [(r.agency, r.counts[0]) for r in result.conduct.rows] == [("Riverton Police", 1)]
    assert complaints_outcomes(
        user=people["lead"], start=date(2026, 10, 1), end=date(2026, 10, 31)
    ).conduct.empty


def test_the_sweep_is_a_periodic_job():
    """The worker finds the sweep through the oversight app's jobs module."""
    from lantern.core.scheduler import JOBS
    from lantern.oversight import jobs  # noqa: F401

    assert JOBS["oversight.complaints_escalations_sweep"].every == timedelta(minutes=5)


def _stored(model, pk, column):
    from lantern.core import crypto

    return crypto.stored_value(model, column, pk)


def test_accounts_and_allegations_are_encrypted_at_rest_and_kept_out_of_the_audit_log(people):
    """A complaint's account and a conduct matter's allegation are stored as ciphertext, read back as text, and
    appear in no audit event."""
    from lantern.oversight.complaints.models import Complaint, ConductMatter

    complaint, matter = record_complaint(people), record_matter(people)
    assert "called me back" not in _stored(Complaint, complaint.pk, "account")
    assert "paperwork" not in _stored(ConductMatter, matter.pk, "allegation")
    assert (
        Complaint.objects.get(pk=complaint.pk).account == "Nobody called me back after I reported the cars."
    )
    assert "paperwork" in ConductMatter.objects.get(pk=matter.pk).allegation
    for event in AuditEvent.objects.all():
        written = str(event.data) + event.reason
        assert "called me back" not in written and "paperwork" not in written
