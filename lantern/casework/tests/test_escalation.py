"""Escalation by moving the clock: weekends and bank holidays stop working-day clocks, every rung is raised once,
notified in the app and by email, and seen through the API and the pages by the people it went to."""

import re
from datetime import datetime, timedelta

import time_machine
from django.core import mail

from lantern.accounts.models import AgencyKind, Role
from lantern.casework import services
from lantern.casework.models import Escalation, EscalationKind
from lantern.casework.tests.fixtures import LONDON, route

# Friday 28 August 2026, 16:00; Monday 31 August is the summer bank holiday.
FRIDAY = datetime(2026, 8, 28, 16, 0, tzinfo=LONDON)


def sweep_at(moment, capture):
    """Run the worker's sweep at `moment`, sending mail as a committed transaction would."""
    with time_machine.travel(moment, tick=False), capture(execute=True):
        return [(e.kind, e.level) for e in services.escalations_sweep()]


def test_green_task_escalates_over_a_bank_holiday_weekend(people, django_capture_on_commit_callbacks):
    """A green task (24 working hours to acknowledge) given on a Friday afternoon before a bank holiday is not due
    until Tuesday afternoon; it then climbs one rung a working day, to the lead on Thursday."""
    _, _, tasks = route(people, kinds=(AgencyKind.POLICE,), priority="green", received_at=FRIDAY)
    task = tasks[AgencyKind.POLICE]
    assert task.ack_due_at == datetime(2026, 9, 1, 16, 0, tzinfo=LONDON)
    capture = django_capture_on_commit_callbacks
    assert sweep_at(datetime(2026, 8, 29, 12, 0, tzinfo=LONDON), capture) == []  # Saturday
    assert sweep_at(datetime(2026, 8, 31, 23, 0, tzinfo=LONDON), capture) == []  # bank holiday Monday
    assert sweep_at(datetime(2026, 9, 1, 15, 59, tzinfo=LONDON), capture) == []
    assert sweep_at(datetime(2026, 9, 1, 16, 1, tzinfo=LONDON), capture) == [
        (EscalationKind.NOT_ACKNOWLEDGED, 1)
    ]
    assert sweep_at(datetime(2026, 9, 2, 15, 59, tzinfo=LONDON), capture) == []
    assert sweep_at(datetime(2026, 9, 2, 16, 1, tzinfo=LONDON), capture) == [
        (EscalationKind.NOT_ACKNOWLEDGED, 2)
    ]
    assert sweep_at(datetime(2026, 9, 3, 16, 1, tzinfo=LONDON), capture) == [
        (EscalationKind.NOT_ACKNOWLEDGED, 3)
    ]
    assert sweep_at(datetime(2026, 9, 4, 16, 1, tzinfo=LONDON), capture) == []  # the top rung is raised once
    recipients = {
        e.level: {u.username for u in e.recipients.all()} for e in Escalation.objects.filter(task=task)
    }
    assert recipients == {
        1: {people[AgencyKind.POLICE, Role.TEAM_MANAGER].username},
        2: {people[AgencyKind.POLICE, Role.SERVICE_MANAGER].username},
        3: {people["lead"].username},
    }
    assert people["lead"].notifications.get().url == f"/escalations/{Escalation.objects.get(level=3).pk}/"
    assert {m.to[0] for m in mail.outbox} == {
        people[AgencyKind.POLICE, Role.TEAM_MANAGER].email,
        people[AgencyKind.POLICE, Role.SERVICE_MANAGER].email,
        people["lead"].email,
    }
    assert all(
        n.emailed_at for e in Escalation.objects.all() for n in e.recipients.first().notifications.all()
    )


def test_acknowledged_task_escalates_when_not_completed_in_working_days(
    people, django_capture_on_commit_callbacks
):
    """An amber task acknowledged in time but not completed in 3 working days escalates as not completed, with the
    bank holiday not counted."""
    _, _, tasks = route(people, kinds=(AgencyKind.CSC,), priority="amber", received_at=FRIDAY)
    task = tasks[AgencyKind.CSC]
    services.task_acknowledge(
        actor=people[AgencyKind.CSC, Role.PRACTITIONER], task=task, now=FRIDAY + timedelta(hours=1)
    )
    assert task.due_at == datetime(2026, 9, 3, 16, 0, tzinfo=LONDON)  # Tue, Wed, Thu
    capture = django_capture_on_commit_callbacks
    assert sweep_at(datetime(2026, 9, 3, 15, 0, tzinfo=LONDON), capture) == []
    assert sweep_at(datetime(2026, 9, 3, 16, 1, tzinfo=LONDON), capture) == [
        (EscalationKind.NOT_COMPLETED, 1)
    ]
    # Level 2 a working day later: Friday 4 September, not Saturday.
    assert sweep_at(datetime(2026, 9, 4, 16, 1, tzinfo=LONDON), capture) == [
        (EscalationKind.NOT_COMPLETED, 2)
    ]
    assert sweep_at(datetime(2026, 9, 6, 16, 1, tzinfo=LONDON), capture) == []  # Sunday
    assert sweep_at(datetime(2026, 9, 7, 16, 1, tzinfo=LONDON), capture) == [
        (EscalationKind.NOT_COMPLETED, 3)
    ]


def test_escalations_reach_the_lead_through_the_api_and_the_pages(
    people, client_for, api_client_for, django_capture_on_commit_callbacks
):
    """After the sweep, the partnership lead sees the level 3 escalation in the API, on "My work" and in the list."""
    _, _, tasks = route(people, kinds=(AgencyKind.POLICE,), priority="red", received_at=FRIDAY)
    sweep_at(FRIDAY + timedelta(hours=7), django_capture_on_commit_callbacks)
    lead_api = api_client_for(people["lead"])
    top = lead_api.get("/api/v1/escalations?level=3").json()
    assert top["count"] == 1 and top["items"][0]["task_id"] == tasks[AgencyKind.POLICE].pk
    page = client_for(people["lead"]).get("/").content.decode()
    assert "Level 3: not acknowledged in time" in page
    listing = client_for(people["lead"]).get("/escalations/?level=3").content.decode()
    assert len(re.findall(r'href="/escalations/\d+/"', listing)) == 1
