"""Allocating work to someone without the training the team requires: warned, recorded and audited, never refused."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from lantern.accounts import training
from lantern.accounts.models import AgencyKind, Role
from lantern.audit.models import AuditEvent
from lantern.casework import services
from lantern.casework.models import AllocationWarning
from lantern.casework.tests.fixtures import route


@pytest.fixture
def requirement(people):
    """The police team requires CSE awareness; the police practitioner has none, the team manager has it."""
    course = training.course_create(
        actor=None, code="cse-awareness", name="CSE awareness", valid_for_months=24
    )
    team = people[AgencyKind.POLICE, Role.PRACTITIONER].team
    training.team_course_require(actor=None, team=team, course=course)
    training.training_record(
        actor=None,
        user=people[AgencyKind.POLICE, Role.TEAM_MANAGER],
        course=course,
        completed_on=timezone.localdate() - timedelta(days=30),
    )
    return course


def test_assigning_a_task_to_an_untrained_worker_warns_and_records_it(people, requirement):
    """The task is assigned all the same; the warning names the missing course and is audited."""
    _, _, tasks = route(people)
    manager, worker = (
        people[AgencyKind.POLICE, Role.TEAM_MANAGER],
        people[AgencyKind.POLICE, Role.PRACTITIONER],
    )
    task = services.task_assign(actor=manager, task=tasks[AgencyKind.POLICE], user=worker)
    assert task.assigned_to == worker
    warning = AllocationWarning.objects.get()
    assert (warning.task, warning.allocated_to, warning.allocated_by) == (task, worker, manager)
    assert warning.missing_courses == ["cse-awareness"]
    event = AuditEvent.objects.get(event_type="allocation.warning_recorded")
    assert event.data["missing_courses"] == ["cse-awareness"]
    assert "does not have current training" in services.allocation_warning_text(warning)


def test_assigning_to_a_trained_worker_records_nothing(people, requirement):
    """The team manager holds current CSE awareness, so no warning."""
    _, _, tasks = route(people)
    manager = people[AgencyKind.POLICE, Role.TEAM_MANAGER]
    task = services.task_assign(actor=manager, task=tasks[AgencyKind.POLICE], user=manager)
    assert task.allocation_warning is None
    assert not AllocationWarning.objects.exists()


def test_acknowledging_takes_the_task_and_warns_if_untrained(people, requirement):
    """Acknowledging an unassigned task allocates it to the acknowledger, so the same check applies."""
    _, _, tasks = route(people)
    worker = people[AgencyKind.POLICE, Role.PRACTITIONER]
    services.task_acknowledge(actor=worker, task=tasks[AgencyKind.POLICE])
    assert AllocationWarning.objects.get().allocated_to == worker


def test_opening_a_case_owned_by_an_untrained_worker_warns(people, requirement):
    """A case's owner is held to their own team's requirements."""
    worker = people[AgencyKind.POLICE, Role.PRACTITIONER]
    case = services.case_open(actor=worker, subject_name="Child B", lead_agency=worker.agency, owner=worker)
    assert AllocationWarning.objects.get().case == case


def test_the_assign_page_shows_the_warning(people, requirement, client_for):
    """The manager sees the warning banner after assigning; the task is assigned."""
    _, _, tasks = route(people)
    manager, worker = (
        people[AgencyKind.POLICE, Role.TEAM_MANAGER],
        people[AgencyKind.POLICE, Role.PRACTITIONER],
    )
    task = tasks[AgencyKind.POLICE]
    response = client_for(manager).post(f"/tasks/{task.pk}/assign/", {"assigned_to": worker.pk}, follow=True)
    assert response.status_code == 200
    body = response.content.decode()
    assert "does not have current training" in body and "CSE awareness" in body
    task.refresh_from_db()
    assert task.assigned_to == worker


def test_an_expired_completion_counts_as_missing(people, requirement):
    """Training completed 25 months ago under a 24-month course is no longer current."""
    worker = people[AgencyKind.POLICE, Role.PRACTITIONER]
    training.training_record(
        actor=None,
        user=worker,
        course=requirement,
        completed_on=date.today().replace(day=1) - timedelta(days=800),
    )
    assert training.missing_training(user=worker, team=worker.team) == [requirement]
