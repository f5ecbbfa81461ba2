"""The case-work pages: task lists with clocks, filters and sorting; a task's actions without JavaScript and with
htmx; escalations; notifications; the case page and the forms that add to it. Every page asks the policy, every
read of a task or case is audited, bad input is shown back with its errors and nothing is written."""

import html
import re
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from lantern.accounts.models import AgencyKind, Role
from lantern.audit.models import AuditEvent
from lantern.casework import services
from lantern.casework.models import (
    CaseFlag,
    CaseNote,
    ClockKind,
    Escalation,
    EscalationKind,
    FlagChange,
    FlagKind,
    InformationShare,
    MissingEpisode,
    Notification,
    NRMReferral,
    StrategyDiscussion,
    TaskStatus,
)
from lantern.casework.tests.fixtures import route
from lantern.intake.models import DecisionKind


def text(response) -> str:
    """The page as text."""
    return response.content.decode()


def error_summary(response) -> list[str]:
    """The messages in the GOV.UK error summary."""
    body = text(response)
    if "govuk-error-summary" not in body:
        return []
    summary = body.split("govuk-error-summary__list", 1)[1].split("</ul>", 1)[0]
    return [html.unescape(m) for m in re.findall(r'<a href="#[^"]+">([^<]+)</a>', summary)]


def date_parts(moment, name: str) -> dict:
    """A date-and-time field's boxes as a form posts them."""
    local = timezone.localtime(moment)
    return {
        f"{name}_0": local.day,
        f"{name}_1": local.month,
        f"{name}_2": local.year,
        f"{name}_3": f"{local:%H:%M}",
    }


@pytest.fixture
def officer(people):
    """A police practitioner."""
    return people[AgencyKind.POLICE, Role.PRACTITIONER]


# Task lists
def test_my_tasks_and_team_tasks_show_clocks_and_filter(people, routed, officer, client_for):
    """My tasks lists what is assigned to me; my team's tasks lists the team's, each with a live clock."""
    _, _, tasks = routed
    task = tasks[AgencyKind.POLICE]
    client = client_for(officer)
    assert "You have no" not in text(client.get("/tasks/team/"))
    mine = client.get("/tasks/mine/")
    assert mine.status_code == 200 and 'data-testid="task-count">0 tasks' in text(mine)
    services.task_acknowledge(actor=officer, task=task)
    body = text(client.get("/tasks/mine/"))
    assert f'href="/tasks/{task.pk}/"' in body and "left" in body and "<time datetime=" in body
    team = text(client.get("/tasks/team/"))
    assert f'href="/tasks/{task.pk}/"' in team and f'href="/tasks/{tasks[AgencyKind.CSC].pk}/"' not in team
    with time_machine.travel(timezone.now() + timedelta(days=20), tick=True):
        overdue = text(client_for(officer).get("/tasks/team/?overdue=yes"))
    assert "Overdue by" in overdue and 'data-testid="task-count">1 task' in overdue
    assert 'data-testid="task-count">0 tasks' in text(client.get("/tasks/team/?overdue=yes"))
    assert 'data-testid="task-count">0 tasks' in text(client.get("/tasks/team/?status=completed"))
    # A nonsense filter is ignored rather than failing.
    assert client.get("/tasks/team/?status=lost&overdue=maybe&sort=nonsense&page=x").status_code == 200
    assert AuditEvent.objects.filter(event_type="record.listed", object_type="casework.agencytask").exists()


def test_lead_filters_every_agency_and_sorts(people, routed, client_for):
    """The partnership lead sees every agency's tasks, filters by agency and sorts by column."""
    client = client_for(people["lead"])
    body = text(client.get("/tasks/team/"))
    assert 'data-testid="task-count">2 tasks' in body and 'name="agency"' in body
    assert 'data-testid="task-count">1 task' in text(client.get("/tasks/team/?agency=riverton-csc"))
    ordered = text(client.get("/tasks/team/?sort=agency&dir=desc"))
    assert 'aria-sort="descending"' in ordered
    table = ordered.split('data-testid="task-table"', 1)[1]
    assert table.index("Riverton Police") < table.index("Riverton Children")


def test_task_lists_take_a_fixed_number_of_queries(people, client_for, django_assert_max_num_queries):
    """The team task list takes as many queries for ten tasks as for two."""
    client = client_for(people["lead"])
    route(people, child="Child 0")
    with django_assert_max_num_queries(40) as small:
        assert client.get("/tasks/team/").status_code == 200
    for n in range(1, 5):
        route(people, child=f"Child {n}")
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert 'data-testid="task-count">10 tasks' in text(client.get("/tasks/team/"))


def test_case_and_escalation_lists_take_a_fixed_number_of_queries(
    people, client_for, django_assert_max_num_queries
):
    """The case and escalation lists do not query per row."""
    client = client_for(people["lead"])
    _, _, tasks = route(people, child="Child 0")
    services.escalation_raise(actor=people["lead"], task=tasks[AgencyKind.POLICE], reason="Why?")
    with django_assert_max_num_queries(40) as cases:
        client.get("/cases/")
    with django_assert_max_num_queries(40) as escalations:
        client.get("/escalations/")
    for n in range(1, 4):
        _, _, tasks = route(people, child=f"Child {n}")
        services.escalation_raise(actor=people["lead"], task=tasks[AgencyKind.POLICE], reason="Why?")
    with django_assert_max_num_queries(len(cases.captured_queries)):
        assert text(client.get("/cases/")).count('href="/cases/') >= 4
    with django_assert_max_num_queries(len(escalations.captured_queries)):
        assert 'data-testid="escalation-count">4 escalations' in text(client.get("/escalations/"))


def test_system_administrator_cannot_open_case_work(people, client_for):
    """Pages of case work refuse a system administrator (403) and show them no case-work navigation."""
    client = client_for(people["admin"])
    for url in ("/tasks/mine/", "/tasks/team/", "/escalations/", "/cases/"):
        assert client.get(url).status_code == 403, url
    assert "My tasks" not in text(client.get("/"))


# One task
def test_another_agency_gets_404_for_a_task_by_url(people, routed, client_for):
    """A task of another agency is a 404 on every page and action, exactly as one that does not exist."""
    _, _, tasks = routed
    task_id = tasks[AgencyKind.POLICE].pk
    nurse = client_for(people[AgencyKind.HEALTH, Role.PRACTITIONER])
    for response in (
        nurse.get(f"/tasks/{task_id}/"),
        nurse.get(f"/tasks/{task_id}/status/"),
        nurse.post(f"/tasks/{task_id}/acknowledge/"),
        nurse.get(f"/tasks/{task_id}/complete/"),
        nurse.get(f"/tasks/{task_id}/assign/"),
        nurse.get(f"/tasks/{task_id}/disagreement/"),
        nurse.get("/tasks/999999/"),
    ):
        assert response.status_code == 404
    assert f'href="/tasks/{task_id}/"' not in text(nurse.get("/tasks/team/"))


def test_acknowledge_without_javascript_and_with_htmx(people, client_for):
    """The acknowledge button posts and returns to the task; with htmx it answers the refreshed status panel."""
    _, _, tasks = route(people)
    police_task, csc_task = tasks[AgencyKind.POLICE], tasks[AgencyKind.CSC]
    officer = client_for(people[AgencyKind.POLICE, Role.PRACTITIONER])
    page = text(officer.get(f"/tasks/{police_task.pk}/"))
    assert 'data-testid="acknowledge"' in page and 'data-clock-state="due"' in page
    assert AuditEvent.objects.filter(event_type="record.viewed", object_type="casework.agencytask").exists()
    response = officer.post(f"/tasks/{police_task.pk}/acknowledge/")
    assert response.status_code == 302 and response["Location"] == f"/tasks/{police_task.pk}/"
    assert officer.post(f"/tasks/{police_task.pk}/acknowledge/").status_code == 302  # told it is already done
    social = client_for(people[AgencyKind.CSC, Role.PRACTITIONER])
    partial = social.post(f"/tasks/{csc_task.pk}/acknowledge/", HTTP_HX_REQUEST="true")
    assert partial.status_code == 200 and "<html" not in text(partial) and 'id="task-status"' in text(partial)
    assert "Acknowledged" in text(partial)
    csc_task.refresh_from_db()
    assert csc_task.status == TaskStatus.ACKNOWLEDGED
    lead = client_for(people["lead"])
    assert lead.get(f"/tasks/{police_task.pk}/").status_code == 200  # the lead sees every task...
    assert lead.post(f"/tasks/{police_task.pk}/complete/").status_code == 403  # ...but does not work them


def test_complete_form_keeps_values_on_error_and_completes(people, routed, officer, client_for):
    """A missing outcome or narrative is shown in the error summary with what was typed kept; then it completes."""
    _, _, tasks = routed
    task = tasks[AgencyKind.POLICE]
    client = client_for(officer)
    response = client.post(
        f"/tasks/{task.pk}/complete/", {"outcome": "", "narrative": "Visited the address."}
    )
    assert error_summary(response) == ["Choose an outcome."]
    assert "Visited the address." in text(response) and text(response).count("govuk-form-group--error") == 1
    assert "<title>Error:" in text(response)
    response = client.post(f"/tasks/{task.pk}/complete/", {"outcome": "made_up", "narrative": ""})
    assert error_summary(response) == [
        "Choose an outcome from the list.",
        "Describe what your agency did and why.",
    ]
    task.refresh_from_db()
    assert task.status == TaskStatus.AWAITING_ACKNOWLEDGEMENT
    done = client.post(
        f"/tasks/{task.pk}/complete/", {"outcome": "crime_recorded", "narrative": "Crime recorded."}
    )
    assert done.status_code == 302
    task.refresh_from_db()
    assert task.status == TaskStatus.COMPLETED and task.outcome == "crime_recorded"
    assert client.get(f"/tasks/{task.pk}/complete/").status_code == 302  # nothing left to complete


def test_assign_by_manager_only(people, routed, client_for):
    """A team manager assigns a task to someone in the agency; a practitioner cannot assign."""
    _, _, tasks = routed
    task = tasks[AgencyKind.POLICE]
    officer = people[AgencyKind.POLICE, Role.PRACTITIONER]
    assert client_for(officer).get(f"/tasks/{task.pk}/assign/").status_code == 403
    manager = client_for(people[AgencyKind.POLICE, Role.TEAM_MANAGER])
    outsider = people[AgencyKind.CSC, Role.PRACTITIONER]
    assert error_summary(manager.post(f"/tasks/{task.pk}/assign/", {"assigned_to": outsider.pk})) == [
        "Choose a person from the list."
    ]
    assert manager.post(f"/tasks/{task.pk}/assign/", {"assigned_to": officer.pk}).status_code == 302
    task.refresh_from_db()
    assert task.assigned_to == officer


def test_disagreement_page_raises_an_escalation(people, routed, client_for):
    """Social care raises a disagreement about the police task from a page; an empty reason is refused."""
    _, _, tasks = routed
    task = tasks[AgencyKind.POLICE]
    social = client_for(people[AgencyKind.CSC, Role.PRACTITIONER])
    assert error_summary(social.post(f"/tasks/{task.pk}/disagreement/", {"reason": ""})) == [
        "Explain what you disagree with and what you want to happen."
    ]
    assert not Escalation.objects.exists()
    response = social.post(f"/tasks/{task.pk}/disagreement/", {"reason": "The child has not been seen."})
    escalation = Escalation.objects.get()
    assert response["Location"] == f"/escalations/{escalation.pk}/"
    assert (
        escalation.kind == EscalationKind.DISAGREEMENT
        and escalation.raised_by == people[AgencyKind.CSC, Role.PRACTITIONER]
    )


# Escalations and notifications
def test_escalation_is_resolved_from_its_page(people, routed, client_for):
    """The manager it was sent to resolves it with a written resolution; others may look but not resolve."""
    _, _, tasks = routed
    escalation = services.escalation_create(
        actor=None,
        level=1,
        kind=EscalationKind.NOT_ACKNOWLEDGED,
        reason="Not acknowledged in time.",
        agency=tasks[AgencyKind.POLICE].agency,
        task=tasks[AgencyKind.POLICE],
    )
    url = f"/escalations/{escalation.pk}/"
    assert client_for(people[AgencyKind.HEALTH, Role.TEAM_MANAGER]).get(url).status_code == 404
    service_manager = client_for(people[AgencyKind.POLICE, Role.SERVICE_MANAGER])
    assert "Resolve escalation" in text(service_manager.get(url))  # at or above the rung
    officer = client_for(people[AgencyKind.POLICE, Role.PRACTITIONER])
    assert officer.get(url).status_code == 404  # practitioners see only what they raised or were sent
    manager = client_for(people[AgencyKind.POLICE, Role.TEAM_MANAGER])
    assert error_summary(manager.post(url, {"resolution": ""})) == ["Say how the escalation was resolved."]
    assert manager.post(url, {"resolution": "Officer allocated."}).status_code == 302
    escalation.refresh_from_db()
    assert escalation.status == "resolved" and escalation.resolution == "Officer allocated."
    assert manager.post(url, {"resolution": "Again."}).status_code == 409
    assert 'data-testid="escalation-count">1 escalation' in text(
        manager.get("/escalations/?level=1&status=resolved")
    )
    assert 'data-testid="escalation-count">0 escalations' in text(manager.get("/escalations/?level=2"))


def test_notifications_are_listed_and_marked_read(people, client_for):
    """My notifications list shows only mine; marking read (one or all) works without JavaScript."""
    lead = people["lead"]
    first = Notification.objects.create(
        user=lead, message="Level 3 escalation on RIV-1", url="/escalations/1/"
    )
    Notification.objects.create(user=lead, message="Level 3 escalation on RIV-2")
    Notification.objects.create(user=people["admin"], message="Not yours")
    client = client_for(lead)
    body = text(client.get("/notifications/"))
    assert "RIV-1" in body and "Not yours" not in body and "moj-notification-badge" in body
    response = client.post(f"/notifications/{first.pk}/read/", {"open": "1"})
    assert response["Location"] == "/escalations/1/"
    assert (
        client.post(f"/notifications/{Notification.objects.get(user=people['admin']).pk}/read/").status_code
        == 404
    )
    client.post("/notifications/read/")
    assert not Notification.objects.filter(user=lead, read_at__isnull=True).exists()


# The case page
def test_case_page_shows_the_record_and_chronology(people, client_for):
    """The case page shows referrals, tasks, clocks, flags, strategy, missing, notes, NRM, sharing and the
    chronology (MOJ timeline, significant events marked); it is a 404 to agencies not involved."""
    referral, case, tasks = route(people, kind=DecisionKind.STRATEGY_DISCUSSION)
    worker = people[AgencyKind.CSC, Role.PRACTITIONER]
    services.case_note_add(actor=worker, case=case, text="Disclosed a new older boyfriend.", significant=True)
    services.missing_episode_record(actor=worker, case=case, missing_from=timezone.now() - timedelta(hours=5))
    client = client_for(worker)
    response = client.get(f"/cases/{case.pk}/")
    body = text(response)
    assert response.status_code == 200
    for expected in (
        referral.reference,
        "Riverton Police",
        "Strategy discussion",
        "Still missing",
        "Disclosed a new older boyfriend.",
        'class="moj-timeline"',
        "moj-badge--red",
        "Clocks",
        "Assessment (45 working days)",
        "Record this discussion",
    ):
        assert expected in body, expected
    assert AuditEvent.objects.filter(
        event_type="record.viewed", object_type="casework.case", object_id=str(case.pk)
    ).exists()
    significant = text(client.get(f"/cases/{case.pk}/?chronology=significant"))
    assert "Went missing" in significant and "Task for Riverton Police" not in significant
    nurse = client_for(people[AgencyKind.HEALTH, Role.PRACTITIONER])
    assert nurse.get(f"/cases/{case.pk}/").status_code == 404
    assert nurse.get(f"/cases/{case.pk}/notes/new/").status_code == 404
    assert f'href="/cases/{case.pk}/"' not in text(nurse.get("/cases/"))


def test_case_page_takes_a_fixed_number_of_queries(people, client_for, django_assert_max_num_queries):
    """The case page does not query per record."""
    _, case, _ = route(people)
    worker = people[AgencyKind.CSC, Role.PRACTITIONER]
    client = client_for(worker)
    services.case_note_add(actor=worker, case=case, text="One.")
    with django_assert_max_num_queries(60) as few:
        client.get(f"/cases/{case.pk}/")
    for n in range(4):
        services.case_note_add(actor=worker, case=case, text=f"Note {n}.")
        services.missing_episode_record(
            actor=worker,
            case=case,
            missing_from=timezone.now() - timedelta(days=n + 1),
            returned_at=timezone.now() - timedelta(hours=n + 1),
        )
        services.information_share_record(
            actor=worker,
            case=case,
            shared=True,
            to_agency=people.agency(AgencyKind.HEALTH),
            lawful_basis="dpa_s1_p18",
            purpose="Health.",
            scope="Concerns.",
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(f"/cases/{case.pk}/")


def test_note_form(people, routed, client_for):
    """A note is added from its form; an empty one is refused with nothing written."""
    _, case, _ = routed
    client = client_for(people[AgencyKind.POLICE, Role.PRACTITIONER])
    assert error_summary(client.post(f"/cases/{case.pk}/notes/new/", {"text": ""})) == ["Enter the note."]
    assert not CaseNote.objects.exists()
    response = client.post(
        f"/cases/{case.pk}/notes/new/", {"text": "Spoke to the child.", "significant": "on"}
    )
    assert response["Location"] == f"/cases/{case.pk}/#notes"
    assert CaseNote.objects.get().significant


def test_missing_episode_forms(people, routed, client_for):
    """A missing episode, the return and the return interview are recorded from forms; impossible dates refused."""
    _, case, _ = routed
    client = client_for(people[AgencyKind.POLICE, Role.PRACTITIONER])
    url = f"/cases/{case.pk}/missing/new/"
    response = client.post(
        url,
        {"missing_from_0": "31", "missing_from_1": "2", "missing_from_2": "2026", "missing_from_3": "10:00"},
    )
    assert error_summary(response) == ["When the child went missing must be a real date, like 27 3 2026"]
    assert 'value="31"' in text(response)  # what was typed is kept
    future = client.post(url, date_parts(timezone.now() + timedelta(days=2), "missing_from"))
    assert error_summary(future) == ["The date and time must be in the past."]
    no_time = client.post(url, {"missing_from_0": "1", "missing_from_1": "2", "missing_from_2": "2026"})
    assert error_summary(no_time) == ["When the child went missing must include a time"]
    bad_time = client.post(
        url, {**date_parts(timezone.now() - timedelta(days=1), "missing_from"), "missing_from_3": "25:61"}
    )
    assert "must include a real time" in error_summary(bad_time)[0]
    assert not MissingEpisode.objects.exists()
    went = timezone.now().replace(second=0, microsecond=0) - timedelta(days=1)
    assert (
        client.post(url, {**date_parts(went, "missing_from"), "notes": "Left school at lunch."}).status_code
        == 302
    )
    episode = MissingEpisode.objects.get()
    back = went + timedelta(hours=6)
    early = client.post(
        f"/cases/{case.pk}/missing/{episode.pk}/return/", date_parts(went - timedelta(hours=1), "returned_at")
    )
    assert error_summary(early) == ["The child cannot return before they went missing."]
    assert (
        client.post(
            f"/cases/{case.pk}/missing/{episode.pk}/return/",
            {**date_parts(back, "returned_at"), "where_found": "Park"},
        ).status_code
        == 302
    )
    assert case.clocks.filter(kind=ClockKind.RETURN_INTERVIEW, met_at__isnull=True).count() == 1
    assert (
        client.post(
            f"/cases/{case.pk}/missing/{episode.pk}/interview/",
            date_parts(back + timedelta(hours=2), "held_at"),
        ).status_code
        == 302
    )
    assert case.clocks.filter(kind=ClockKind.RETURN_INTERVIEW, met_at__isnull=False).count() == 1
    again = client.post(f"/cases/{case.pk}/missing/{episode.pk}/interview/", date_parts(back, "held_at"))
    assert again.status_code == 409 and error_summary(again) == [
        "The return interview has already been recorded."
    ]


def test_strategy_discussion_form_with_attendees_and_actions(people, client_for):
    """The scheduled strategy discussion is recorded with attendees by agency and actions with owners."""
    _, case, _ = route(people, kind=DecisionKind.STRATEGY_DISCUSSION)
    discussion = StrategyDiscussion.objects.get(case=case)
    chair = people[AgencyKind.CSC, Role.TEAM_MANAGER]
    police, csc = people.agency(AgencyKind.POLICE), people.agency(AgencyKind.CSC)
    client = client_for(chair)
    form = text(client.get(f"/cases/{case.pk}/strategy/new/"))
    assert 'name="attendees-0-name"' in form and 'name="actions-3-due_date_2"' in form
    management = {
        "attendees-TOTAL_FORMS": "6",
        "attendees-INITIAL_FORMS": "0",
        "actions-TOTAL_FORMS": "4",
        "actions-INITIAL_FORMS": "0",
    }
    held = timezone.now().replace(second=0, microsecond=0) - timedelta(hours=2)
    bad = client.post(
        f"/cases/{case.pk}/strategy/new/",
        {
            **management,
            "discussion": discussion.pk,
            **date_parts(held, "held_at"),
            "chair": chair.pk,
            "decisions": "Joint visit.",
            "attendees-0-name": "DC Rivers",
            "actions-0-description": "Visit the address",
            "actions-0-agency": police.pk,
        },
    )
    assert error_summary(bad) == ["Choose the attendee's agency.", "Enter the due date."]
    assert 'value="DC Rivers"' in text(bad)
    due = timezone.localdate() + timedelta(days=3)
    good = client.post(
        f"/cases/{case.pk}/strategy/new/",
        {
            **management,
            "discussion": discussion.pk,
            **date_parts(held, "held_at"),
            "chair": chair.pk,
            "decisions": "Joint visit.",
            "section_47": "on",
            "significant_harm_suspected": "on",
            "attendees-0-name": "DC Rivers",
            "attendees-0-agency": police.pk,
            "attendees-1-name": chair.display_name,
            "attendees-1-role": "Chair",
            "attendees-1-agency": csc.pk,
            "actions-0-description": "Visit the address",
            "actions-0-agency": police.pk,
            "actions-0-owner": people[AgencyKind.POLICE, Role.PRACTITIONER].pk,
            "actions-0-due_date_0": due.day,
            "actions-0-due_date_1": due.month,
            "actions-0-due_date_2": due.year,
        },
    )
    assert good.status_code == 302, error_summary(good)
    discussion.refresh_from_db()
    assert discussion.held_at == held and discussion.section_47
    assert sorted(a.agency.kind for a in discussion.attendees.all()) == [AgencyKind.CSC, AgencyKind.POLICE]
    assert case.clocks.get(kind=ClockKind.STRATEGY_DISCUSSION).met_at == held
    assert case.clocks.filter(kind=ClockKind.INITIAL_CONFERENCE).exists()
    assert "Strategy discussion held" in text(client.get(f"/cases/{case.pk}/"))


def test_flag_pages_need_someone_else_to_approve(people, routed, client_for):
    """A flag is asked for from the case; the requester cannot approve it (no form, 403 on post); a manager can."""
    _, case, _ = routed
    worker = people[AgencyKind.CSC, Role.TEAM_MANAGER]
    client = client_for(worker)
    assert set(error_summary(client.post(f"/cases/{case.pk}/flags/new/", {}))) == {
        "Choose a flag.",
        "Choose whether to add or remove the flag.",
        "Explain why the flag should be added or removed.",
    }
    removal = client.post(
        f"/cases/{case.pk}/flags/new/", {"kind": "cse", "change": "remove", "justification": "x"}
    )
    assert removal.status_code == 409
    client.post(
        f"/cases/{case.pk}/flags/new/", {"kind": "cse", "change": "add", "justification": "Disclosure."}
    )
    change = FlagChange.objects.get()
    page = text(client.get(f"/cases/{case.pk}/flags/{change.pk}/"))
    assert "You asked for this change" in page and 'name="decision"' not in page
    assert client.post(f"/cases/{case.pk}/flags/{change.pk}/", {"decision": "approve"}).status_code == 403
    assert not CaseFlag.objects.exists()
    approver = client_for(people[AgencyKind.CSC, Role.SERVICE_MANAGER])
    assert error_summary(approver.post(f"/cases/{case.pk}/flags/{change.pk}/", {"decision": "reject"})) == [
        "Explain why the flag change is rejected."
    ]
    assert approver.post(f"/cases/{case.pk}/flags/{change.pk}/", {"decision": "approve"}).status_code == 302
    assert CaseFlag.objects.get(case=case, kind=FlagKind.CSE).active
    body = text(client.get(f"/cases/{case.pk}/"))
    assert (
        'data-testid="active-flag">Child sexual exploitation' in body and 'data-testid="flag-history"' in body
    )


def test_nrm_and_sharing_forms(people, routed, client_for):
    """An NRM referral and its decision, and a decision not to share, are recorded from forms."""
    referral, case, _ = routed
    client = client_for(people[AgencyKind.POLICE, Role.PRACTITIONER])
    assert error_summary(client.post(f"/cases/{case.pk}/nrm/new/", {})) == [
        "Enter when the NRM referral was made"
    ]
    referred = timezone.now().replace(second=0, microsecond=0) - timedelta(days=2)
    assert client.post(f"/cases/{case.pk}/nrm/new/", date_parts(referred, "referred_at")).status_code == 302
    nrm = NRMReferral.objects.get()
    assert (
        client.post(
            f"/cases/{case.pk}/nrm/{nrm.pk}/decision/",
            {"decision": "positive", **date_parts(referred + timedelta(days=1), "decided_at")},
        ).status_code
        == 302
    )
    assert case.clocks.get(kind=ClockKind.NRM_REASONABLE_GROUNDS).met_at is not None

    url = f"/cases/{case.pk}/sharing/new/"
    missing = client.post(
        url,
        {
            "shared": "no",
            "recipient": "Riverton Academy",
            "purpose": "Support in school.",
            "scope": "The disclosure.",
            "consent": "refused",
        },
    )
    assert error_summary(missing) == ["Explain why the information was not shared."]
    assert not InformationShare.objects.exists()
    assert (
        client.post(
            url,
            {
                "shared": "no",
                "recipient": "Riverton Academy",
                "purpose": "Support in school.",
                "scope": "The disclosure.",
                "consent": "refused",
                "reasons": "It would alert the suspect.",
                "referral": referral.pk,
            },
        ).status_code
        == 302
    )
    share = InformationShare.objects.get()
    assert not share.shared and share.referral == referral
    assert "Decided not to share information with Riverton Academy" in text(client.get(f"/cases/{case.pk}/"))


def test_my_work_panels(people, routed, client_for):
    """The home page shows my open tasks with clocks, escalations sent to me and unread notifications."""
    _, _, tasks = routed
    officer = people[AgencyKind.POLICE, Role.PRACTITIONER]
    services.task_acknowledge(actor=officer, task=tasks[AgencyKind.POLICE])
    body = text(client_for(officer).get("/"))
    assert (
        'data-testid="my-work-casework"' in body and f'href="/tasks/{tasks[AgencyKind.POLICE].pk}/"' in body
    )
    assert "Completion:" in body
    assert "No open escalations have been sent to you." in body
