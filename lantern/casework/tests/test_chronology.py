"""The chronology is generated from the record: every kind of event appears with its date, who and which agency,
lateness where there is a clock, and the significant ones marked."""

from datetime import date, datetime, timedelta

from lantern.accounts.models import AgencyKind, Role
from lantern.casework import selectors, services
from lantern.casework.chronology import chronology_for_case
from lantern.casework.models import EscalationKind, FlagKind, LawfulBasis, NRMDecision, StrategyDiscussion
from lantern.casework.tests.fixtures import LONDON, route
from lantern.intake.models import DecisionKind

RECEIVED = datetime(2026, 12, 1, 10, 0, tzinfo=LONDON)  # a Tuesday


def titles(entries) -> list[str]:
    """Entry titles, newest first."""
    return [e.title for e in entries]


def test_every_kind_of_event_is_in_the_chronology(people, django_assert_max_num_queries):
    """Referral, decision, tasks (with lateness), escalations, strategy, missing, flags, notes, NRM and sharing."""
    referral, case, tasks = route(
        people, kind=DecisionKind.STRATEGY_DISCUSSION, received_at=RECEIVED, priority="red"
    )
    officer = people[AgencyKind.POLICE, Role.PRACTITIONER]
    social = people[AgencyKind.CSC, Role.PRACTITIONER]
    manager = people[AgencyKind.CSC, Role.TEAM_MANAGER]
    police = tasks[AgencyKind.POLICE]
    services.task_acknowledge(actor=officer, task=police, now=RECEIVED + timedelta(hours=5))  # 3 hours late
    services.task_complete(
        actor=officer,
        task=police,
        outcome="arrest",
        narrative="Suspect arrested.",
        now=RECEIVED + timedelta(hours=6),
    )
    services.escalation_create(
        actor=None,
        level=2,
        kind=EscalationKind.NOT_ACKNOWLEDGED,
        reason="Not acknowledged.",
        agency=tasks[AgencyKind.CSC].agency,
        task=tasks[AgencyKind.CSC],
        now=RECEIVED + timedelta(hours=7),
    )
    services.strategy_discussion_record(
        actor=manager,
        case=case,
        discussion=StrategyDiscussion.objects.get(case=case),
        held_at=RECEIVED + timedelta(days=1),
        chair=manager,
        decisions="Joint visit.",
        section_47=True,
        attendees=[services.AttendeeInput(agency=officer.agency, name="DC Rivers")],
        actions=[
            services.ActionInput(description="Visit", agency=officer.agency, due_date=date(2026, 12, 4))
        ],
        now=RECEIVED + timedelta(days=1, hours=1),
    )
    services.missing_episode_record(
        actor=officer,
        case=case,
        missing_from=RECEIVED + timedelta(days=2),
        returned_at=RECEIVED + timedelta(days=3),
        now=RECEIVED + timedelta(days=3),
    )
    change = services.flag_change_request(
        actor=social,
        case=case,
        kind=FlagKind.CSE,
        add=True,
        justification="Disclosure.",
        now=RECEIVED + timedelta(days=4),
    )
    services.flag_change_approve(actor=manager, change=change, now=RECEIVED + timedelta(days=4, hours=1))
    services.case_note_add(actor=social, case=case, text="Routine visit.", now=RECEIVED + timedelta(days=5))
    nrm = services.nrm_referral_record(
        actor=officer, case=case, referred_at=RECEIVED + timedelta(days=6), now=RECEIVED + timedelta(days=6)
    )
    services.nrm_decision_record(
        actor=officer,
        nrm=nrm,
        decision=NRMDecision.POSITIVE,
        decided_at=RECEIVED + timedelta(days=7),
        now=RECEIVED + timedelta(days=7),
    )
    services.information_share_record(
        actor=officer,
        case=case,
        shared=True,
        to_agency=people.agency(AgencyKind.HEALTH),
        lawful_basis=LawfulBasis.DPA_SCH1_PARA18,
        purpose="Health assessment.",
        scope="Summary.",
        decided_at=RECEIVED + timedelta(days=8),
        now=RECEIVED + timedelta(days=8),
    )

    loaded = selectors.case_get_for_user(user=social, case_id=case.pk)
    with django_assert_max_num_queries(0):
        entries = chronology_for_case(loaded)
    by_title = {e.title: e for e in entries}
    assert [e.at for e in entries] == sorted((e.at for e in entries), reverse=True)
    assert titles(entries)[-1] == f"Referral {referral.reference} received"
    assert by_title["Riverton Police acknowledged its task"].text == "3 hours late."
    assert by_title["Riverton Police completed its task: Arrest made"].text == "Suspect arrested. On time."
    escalation = by_title[
        "Level 2 escalation about Riverton Children's social care: not acknowledged in time"
    ]
    assert escalation.significant and escalation.text.startswith("Raised automatically")
    strategy = by_title["Strategy discussion held"]
    assert strategy.significant and "section 47" in strategy.text and "Riverton Police" in strategy.text
    assert (
        by_title["Went missing"].significant and by_title["Returned from missing"].agency == "Riverton Police"
    )
    assert by_title["Child sexual exploitation flag added"].significant
    assert by_title["Child sexual exploitation flag added"].actor == manager.display_name
    assert not by_title["Note"].significant
    assert by_title["Referred to the National Referral Mechanism"].significant
    assert by_title["Positive reasonable-grounds decision"].text == "On time."
    shared = by_title["Information shared with Riverton Health"]
    assert "DPA 2018 Schedule 1 paragraph 18" in shared.text and shared.agency == "Riverton Police"
    significant = chronology_for_case(loaded, significant_only=True)
    assert all(e.significant for e in significant) and "Note" not in titles(significant)
    assert sorted(e.kind for e in significant) == [
        "decision",
        "escalation",
        "flag",
        "missing",
        "nrm",
        "nrm",
        "strategy",
    ]


def test_level_one_escalations_and_ordinary_notes_are_not_significant(people):
    """A first-rung escalation is in the chronology but not marked significant."""
    _, case, tasks = route(people, received_at=RECEIVED)
    services.escalation_raise(
        actor=people[AgencyKind.CSC, Role.PRACTITIONER], task=tasks[AgencyKind.POLICE], reason="No visit yet."
    )
    entries = chronology_for_case(selectors.case_get_for_user(user=people["lead"], case_id=case.pk))
    raised = next(e for e in entries if e.kind == "escalation")
    assert not raised.significant and raised.actor == people[AgencyKind.CSC, Role.PRACTITIONER].display_name
    assert raised.text == "No visit yet."
