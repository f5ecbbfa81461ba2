"""The records on a case through their services: flags, notes, missing episodes, strategy discussions, NRM,
information sharing, assignment and notifications. Bad input writes nothing; every change is audited."""

from datetime import date, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from lantern.accounts.models import AgencyKind, Role
from lantern.audit.models import AuditEvent
from lantern.casework import selectors, services
from lantern.casework.models import (
    AgencyTask,
    CaseFlag,
    CaseNote,
    ClockKind,
    ConsentStatus,
    FlagChange,
    FlagChangeStatus,
    FlagKind,
    InformationShare,
    LawfulBasis,
    MissingEpisode,
    Notification,
    NRMDecision,
    StrategyDiscussion,
)
from lantern.casework.tests.fixtures import LONDON, route
from lantern.core.exceptions import Conflict, Invalid
from lantern.intake.models import DecisionKind


def audit_types(obj=None) -> list[str]:
    """The audit event types written, oldest first (about `obj` where given)."""
    events = AuditEvent.objects.order_by("seq")
    if obj is not None:
        events = events.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk))
    return list(events.values_list("event_type", flat=True))


# Flags
def test_flag_needs_approval_by_someone_else_and_history_persists(
    people, routed, django_capture_on_commit_callbacks
):
    """Adding and removing a flag each need a justification and another person's approval; nothing is deleted,
    and the count of cases ever flagged cannot go down."""
    _, case, _ = routed
    worker = people[AgencyKind.CSC, Role.PRACTITIONER]
    manager = people[AgencyKind.CSC, Role.TEAM_MANAGER]
    with pytest.raises(Invalid) as err:
        services.flag_change_request(actor=worker, case=case, kind=FlagKind.CSE, add=True, justification="  ")
    assert set(err.value.fields) == {"justification"}
    with pytest.raises(Invalid) as err:
        services.flag_change_request(actor=worker, case=case, kind="made_up", add=True, justification="Why.")
    assert "kind" in err.value.fields
    assert not FlagChange.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        change = services.flag_change_request(
            actor=worker,
            case=case,
            kind=FlagKind.CSE,
            add=True,
            justification="Disclosed being given alcohol by older men.",
        )
    assert not CaseFlag.objects.exists()  # nothing changes until approved
    assert manager.notifications.filter(url__contains=f"/flags/{change.pk}/").exists()
    assert any("Approval needed" in m.subject for m in mail.outbox)
    with pytest.raises(Conflict):  # one pending change per flag
        services.flag_change_request(
            actor=worker, case=case, kind=FlagKind.CSE, add=True, justification="Again."
        )
    with pytest.raises(Invalid) as err:
        services.flag_change_approve(actor=worker, change=change)
    assert "decision" in err.value.fields
    services.flag_change_approve(actor=manager, change=change)
    assert selectors.flag_counts()[FlagKind.CSE] == {"current": 1, "ever": 1}
    with pytest.raises(Conflict):
        services.flag_change_approve(actor=manager, change=change)

    # Removing needs the same: justification, then someone other than the requester.
    with pytest.raises(Conflict):
        services.flag_change_request(
            actor=worker, case=case, kind=FlagKind.CSE, add=True, justification="Again."
        )
    removal = services.flag_change_request(
        actor=manager,
        case=case,
        kind=FlagKind.CSE,
        add=False,
        justification="Assessment found no exploitation.",
    )
    assert CaseFlag.objects.get(case=case, kind=FlagKind.CSE).active  # still flagged while pending
    with pytest.raises(Invalid):
        services.flag_change_approve(actor=manager, change=removal)
    with pytest.raises(Invalid) as err:
        services.flag_change_reject(actor=people["lead"], change=removal, note="")
    assert "note" in err.value.fields
    services.flag_change_approve(actor=people["lead"], change=removal, note="Agreed at review.")
    flag = CaseFlag.objects.get(case=case, kind=FlagKind.CSE)
    assert not flag.active
    assert selectors.flag_counts()[FlagKind.CSE] == {"current": 0, "ever": 1}
    assert FlagChange.objects.filter(case=case).count() == 2  # the history is kept
    assert audit_types(case).count("flag.change_decided") == 2
    with pytest.raises(Conflict):  # cannot remove what is not there
        services.flag_change_request(actor=worker, case=case, kind=FlagKind.CSE, add=False, justification="x")


def test_rejected_flag_change_changes_nothing(people, routed):
    """A rejected request leaves the flags as they were, with the reason kept."""
    _, case, _ = routed
    change = services.flag_change_request(
        actor=people[AgencyKind.POLICE, Role.PRACTITIONER],
        case=case,
        kind=FlagKind.GROUP_BASED,
        add=True,
        justification="Several men involved.",
    )
    services.flag_change_reject(
        actor=people[AgencyKind.POLICE, Role.TEAM_MANAGER], change=change, note="Not enough information yet."
    )
    change.refresh_from_db()
    assert (
        change.status == FlagChangeStatus.REJECTED and change.decision_note == "Not enough information yet."
    )
    assert not CaseFlag.objects.exists()


# Notes
def test_note_is_added_and_audited(people, routed):
    """A note needs text; a significant one is marked."""
    _, case, _ = routed
    author = people[AgencyKind.POLICE, Role.PRACTITIONER]
    with pytest.raises(Invalid):
        services.case_note_add(actor=author, case=case, text="")
    with pytest.raises(Invalid):
        services.case_note_add(actor=author, case=case, text="x" * (services.MAX_NARRATIVE + 1))
    note = services.case_note_add(
        actor=author, case=case, text="Child disclosed a new phone.", significant=True
    )
    assert note.significant and "case.note_added" in audit_types(case)


# Missing episodes
def test_missing_episode_starts_and_meets_the_return_interview_clock(people, routed):
    """A return starts a 72-hour return-interview clock for that episode only; the interview meets it."""
    _, case, _ = routed
    worker = people[AgencyKind.POLICE, Role.PRACTITIONER]
    now = timezone.now()
    with pytest.raises(Invalid) as err:
        services.missing_episode_record(actor=worker, case=case, missing_from=now + timedelta(hours=1))
    assert "missing_from" in err.value.fields
    with pytest.raises(Invalid) as err:
        services.missing_episode_record(
            actor=worker,
            case=case,
            missing_from=now - timedelta(hours=2),
            returned_at=now - timedelta(hours=3),
        )
    assert "returned_at" in err.value.fields
    assert not MissingEpisode.objects.exists()

    first = services.missing_episode_record(
        actor=worker,
        case=case,
        missing_from=now - timedelta(days=2),
        returned_at=now - timedelta(days=1),
        where_found="Bus station",
    )
    second = services.missing_episode_record(actor=worker, case=case, missing_from=now - timedelta(hours=10))
    assert first.return_interview_due_at == first.returned_at + timedelta(hours=72)
    assert case.clocks.filter(kind=ClockKind.RETURN_INTERVIEW).count() == 1
    with pytest.raises(Conflict):
        services.missing_episode_record_interview(actor=worker, episode=second, held_at=now)
    services.missing_episode_record_return(actor=worker, episode=second, returned_at=now - timedelta(hours=1))
    with pytest.raises(Conflict):
        services.missing_episode_record_return(actor=worker, episode=second, returned_at=now)
    with pytest.raises(Invalid) as err:
        services.missing_episode_record_interview(
            actor=worker, episode=first, held_at=first.returned_at - timedelta(1)
        )
    assert "held_at" in err.value.fields
    services.missing_episode_record_interview(actor=worker, episode=first, held_at=now)
    clocks = {c.record: c for c in case.clocks.filter(kind=ClockKind.RETURN_INTERVIEW)}
    assert clocks[f"casework.missingepisode:{first.pk}"].met_at == now
    assert (
        clocks[f"casework.missingepisode:{second.pk}"].met_at is None
    )  # the other episode's clock still runs


# Strategy discussions
def test_strategy_discussion_meets_its_clock_and_a_section_47_starts_the_conference_clock(people):
    """Recording the scheduled discussion meets its clock; a section 47 starts the 15 working day conference clock."""
    received = datetime(2026, 12, 1, 10, 0, tzinfo=LONDON)
    referral, case, _ = route(people, kind=DecisionKind.STRATEGY_DISCUSSION, received_at=received)
    discussion = StrategyDiscussion.objects.get(case=case)
    chair = people[AgencyKind.CSC, Role.TEAM_MANAGER]
    police = people.agency(AgencyKind.POLICE)
    held = received + timedelta(days=1)
    with time_machine.travel(held + timedelta(hours=1), tick=False):
        with pytest.raises(Invalid) as err:
            services.strategy_discussion_record(
                actor=chair,
                case=case,
                discussion=discussion,
                held_at=held,
                chair=chair,
                decisions="",
                attendees=[],
                actions=[
                    services.ActionInput(description="Visit", agency=police, due_date=date(2026, 11, 1))
                ],
            )
        assert {"decisions", "attendees", "actions"} <= set(err.value.fields)
        assert StrategyDiscussion.objects.get(pk=discussion.pk).held_at is None
        services.strategy_discussion_record(
            actor=chair,
            case=case,
            discussion=discussion,
            held_at=held,
            chair=chair,
            section_47=True,
            decisions="Section 47 enquiry; joint visit.",
            attendees=[
                services.AttendeeInput(agency=police, name="DC Rivers", role="Detective"),
                services.AttendeeInput(agency=chair.agency, name=chair.display_name),
            ],
            actions=[
                services.ActionInput(
                    description="Joint visit",
                    agency=police,
                    owner=people[AgencyKind.POLICE, Role.PRACTITIONER],
                    due_date=date(2026, 12, 4),
                )
            ],
        )
        with pytest.raises(Conflict):
            services.strategy_discussion_record(
                actor=chair,
                case=case,
                discussion=discussion,
                held_at=held,
                chair=chair,
                decisions="Again.",
                attendees=[services.AttendeeInput(agency=police, name="DC Rivers")],
            )
    strategy_clock = case.clocks.get(kind=ClockKind.STRATEGY_DISCUSSION)
    assert strategy_clock.met_at == held
    conference = case.clocks.get(kind=ClockKind.INITIAL_CONFERENCE)
    assert conference.due_at == datetime(2026, 12, 23, 10, 0, tzinfo=LONDON)  # 15 working days from 2 Dec
    discussion.refresh_from_db()
    assert discussion.attendees.count() == 2 and discussion.actions.get().owner is not None


def test_action_owner_must_work_for_the_owning_agency(people, routed):
    """An action's named owner must belong to the agency responsible for it."""
    _, case, _ = routed
    chair = people[AgencyKind.CSC, Role.TEAM_MANAGER]
    with pytest.raises(Invalid) as err:
        services.strategy_discussion_record(
            actor=chair,
            case=case,
            held_at=timezone.now(),
            chair=chair,
            decisions="Decided.",
            attendees=[services.AttendeeInput(agency=chair.agency, name="Chair")],
            actions=[
                services.ActionInput(
                    description="Visit",
                    agency=people.agency(AgencyKind.HEALTH),
                    owner=people[AgencyKind.POLICE, Role.PRACTITIONER],
                    due_date=timezone.localdate(),
                )
            ],
        )
    assert "actions" in err.value.fields


# National Referral Mechanism
def test_nrm_reasonable_grounds_clock_is_five_working_days_and_met_by_the_decision(people, routed):
    """A Friday NRM referral before a bank holiday Monday is due the next Monday but one; the decision meets it."""
    _, case, _ = routed
    worker = people[AgencyKind.POLICE, Role.PRACTITIONER]
    referred = datetime(2026, 8, 28, 11, 0, tzinfo=LONDON)  # Friday; Monday 31 August is a bank holiday
    nrm = services.nrm_referral_record(actor=worker, case=case, referred_at=referred)
    assert nrm.reasonable_grounds_due_at == datetime(2026, 9, 7, 11, 0, tzinfo=LONDON)
    with pytest.raises(Invalid) as err:
        services.nrm_decision_record(
            actor=worker, nrm=nrm, decision="maybe", decided_at=referred - timedelta(1)
        )
    assert set(err.value.fields) == {"decision", "decided_at"}
    decided = datetime(2026, 9, 8, 9, 0, tzinfo=LONDON)
    services.nrm_decision_record(actor=worker, nrm=nrm, decision=NRMDecision.POSITIVE, decided_at=decided)
    clock = case.clocks.get(kind=ClockKind.NRM_REASONABLE_GROUNDS)
    assert clock.met_at == decided and clock.met_at > clock.due_at  # met, but late
    with pytest.raises(Conflict):
        services.nrm_decision_record(actor=worker, nrm=nrm, decision=NRMDecision.NEGATIVE, decided_at=decided)
    assert AuditEvent.objects.get(event_type="case.nrm_decision_recorded").data["late"] is True


# Information sharing
def test_sharing_needs_a_lawful_basis_and_not_sharing_needs_reasons(people, routed):
    """A disclosure records its lawful basis; a decision not to share records its reasons; consent is not a gate."""
    referral, case, _ = routed
    officer = people[AgencyKind.POLICE, Role.PRACTITIONER]
    health = people.agency(AgencyKind.HEALTH)
    with pytest.raises(Invalid) as err:
        services.information_share_record(actor=officer, case=case, shared=True, purpose="", scope="")
    assert {"to_agency", "lawful_basis", "purpose", "scope"} <= set(err.value.fields)
    with pytest.raises(Invalid) as err:
        services.information_share_record(
            actor=officer,
            case=case,
            shared=True,
            to_agency=health,
            lawful_basis=LawfulBasis.CONSENT,
            consent=ConsentStatus.REFUSED,
            purpose="Health assessment.",
            scope="Summary of concerns.",
        )
    assert "lawful_basis" in err.value.fields  # consent cannot be the basis when it was refused
    with pytest.raises(Invalid) as err:
        services.information_share_record(
            actor=officer,
            case=case,
            shared=True,
            to_agency=officer.agency,
            lawful_basis=LawfulBasis.DPA_SCH1_PARA18,
            purpose="x",
            scope="y",
        )
    assert "to_agency" in err.value.fields
    assert not InformationShare.objects.exists()

    shared = services.information_share_record(
        actor=officer,
        case=case,
        referral=referral,
        shared=True,
        to_agency=health,
        lawful_basis=LawfulBasis.DPA_SCH1_PARA18,
        consent=ConsentStatus.REFUSED,
        purpose="Sexual health assessment.",
        scope="Summary of concerns and the child's name and date of birth.",
    )
    assert shared.consent == ConsentStatus.REFUSED  # shared without consent: lawful, recorded
    with pytest.raises(Invalid) as err:
        services.information_share_record(
            actor=officer,
            case=case,
            shared=False,
            recipient="Riverton Academy",
            purpose="School support.",
            scope="Details of the disclosure.",
        )
    assert set(err.value.fields) == {"reasons"}
    withheld = services.information_share_record(
        actor=officer,
        case=case,
        shared=False,
        recipient="Riverton Academy",
        purpose="School support.",
        scope="Details of the disclosure.",
        reasons="Would prejudice the investigation.",
    )
    assert not withheld.shared and withheld.lawful_basis == ""
    assert audit_types().count("information_share.recorded") == 2


# Assignment
def test_task_is_assigned_only_to_a_case_worker_of_its_agency(people, routed):
    """A task can be assigned to a worker of its own agency, not to another agency's or to an administrator."""
    _, _, tasks = routed
    task = tasks[AgencyKind.POLICE]
    manager = people[AgencyKind.POLICE, Role.TEAM_MANAGER]
    for wrong in (people[AgencyKind.CSC, Role.PRACTITIONER], people["admin"]):
        with pytest.raises(Invalid):
            services.task_assign(actor=manager, task=task, user=wrong)
    services.task_assign(actor=manager, task=task, user=people[AgencyKind.POLICE, Role.PRACTITIONER])
    task.refresh_from_db()
    assert task.assigned_to == people[AgencyKind.POLICE, Role.PRACTITIONER]


# Notifications
def test_notifications_are_marked_read_only_for_their_owner(people, routed):
    """Marking read touches only the user's own notifications, and is audited."""
    lead, other = people["lead"], people[AgencyKind.POLICE, Role.TEAM_MANAGER]
    mine = Notification.objects.create(user=lead, message="One")
    Notification.objects.create(user=lead, message="Two")
    theirs = Notification.objects.create(user=other, message="Theirs")
    assert services.notifications_mark_read(actor=lead, notifications=[mine, theirs]) == 1
    assert Notification.objects.get(pk=theirs.pk).read_at is None
    assert services.notifications_mark_read(actor=lead) == 1
    assert selectors.unread_notification_count(user=lead) == 0
    assert services.notifications_mark_read(actor=lead) == 0
    assert audit_types().count("notification.read") == 2


def test_notes_and_task_narratives_are_encrypted_at_rest_and_kept_out_of_the_audit_log(people):
    """A case note and a task's outcome narrative are stored as ciphertext, read back as text, and appear in no
    audit event; the chronology still shows the note."""

    from lantern.core import crypto

    def stored(model, pk, column):
        return crypto.stored_value(model, column, pk)

    _, case, tasks = route(people)
    officer = people[AgencyKind.POLICE, Role.PRACTITIONER]
    note = services.case_note_add(actor=officer, case=case, text="Mira said the teal van waits by the lido.")
    task = tasks[AgencyKind.POLICE]
    services.task_acknowledge(actor=officer, task=task)
    services.task_complete(
        actor=officer, task=task, outcome="arrest", narrative="Driver of the teal van arrested."
    )
    assert "teal van" not in stored(CaseNote, note.pk, "text")
    assert "teal van" not in stored(AgencyTask, task.pk, "narrative")
    assert CaseNote.objects.get(pk=note.pk).text == "Mira said the teal van waits by the lido."
    assert AgencyTask.objects.get(pk=task.pk).narrative == "Driver of the teal van arrested."
    for event in AuditEvent.objects.all():
        assert "teal van" not in str(event.data) + event.reason
