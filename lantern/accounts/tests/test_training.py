"""The training register and team staffing: completions expire with the course, a team's requirements say who is
missing what, staffing records are checked, and every write is audited."""

from datetime import date

import pytest

from lantern.accounts import training
from lantern.accounts.models import AgencyKind, Role
from lantern.accounts.testing import AgencyFactory, TeamFactory, UserFactory
from lantern.audit.models import AuditEvent
from lantern.core.exceptions import Conflict, Invalid


@pytest.fixture
def register(db):
    """Two courses, a team requiring both, and a worker in it."""
    awareness = training.course_create(
        actor=None, code="cse-awareness", name="CSE awareness", valid_for_months=24
    )
    abe = training.course_create(actor=None, code="abe", name="Achieving best evidence interviewing")
    team = TeamFactory(name="Child Exploitation Team")
    for course in (awareness, abe):
        training.team_course_require(actor=None, team=team, course=course)
    worker = UserFactory(username="worker", agency=team.agency, team=team)
    return awareness, abe, team, worker


def test_a_completion_is_current_until_the_course_expires(register):
    """CSE awareness completed on 31 January 2024 lasts 24 months: current on 30 January 2026, not the next day."""
    awareness, abe, team, worker = register
    record = training.training_record(
        actor=None, user=worker, course=awareness, completed_on=date(2024, 1, 31)
    )
    assert record.expires_on == date(2026, 1, 31)
    training.training_record(actor=None, user=worker, course=abe, completed_on=date(2020, 5, 1))
    assert training.missing_training(user=worker, team=team, on=date(2026, 1, 30)) == []
    assert training.missing_training(user=worker, team=team, on=date(2026, 1, 31)) == [awareness]
    assert AuditEvent.objects.filter(event_type="training.recorded").count() == 2


def test_a_team_that_requires_nothing_misses_no_one(register):
    """No requirement, nothing missing; no team, nothing missing."""
    *_, worker = register
    assert training.missing_training(user=worker, team=TeamFactory(name="Drop-in"), on=date(2026, 1, 1)) == []
    assert training.missing_training(user=worker, team=None) == []


def test_a_future_completion_and_a_duplicate_course_are_refused(register):
    """A course cannot be completed in the future, and a course's code is unique."""
    awareness, _, _, worker = register
    with pytest.raises(Invalid) as error:
        training.training_record(actor=None, user=worker, course=awareness, completed_on=date(2999, 1, 1))
    assert "completed_on" in error.value.fields
    with pytest.raises(Conflict):
        training.course_create(actor=None, code="cse-awareness", name="Another")


def test_staffing_is_recorded_checked_and_the_latest_is_current(register):
    """Vacancies cannot exceed the posts; a later record supersedes an earlier one."""
    *_, team, _ = register
    with pytest.raises(Invalid) as error:
        training.team_staffing_record(
            actor=None, team=team, recorded_on=date(2026, 1, 1), established_posts=3, vacancies=4
        )
    assert "vacancies" in error.value.fields
    training.team_staffing_record(
        actor=None, team=team, recorded_on=date(2026, 1, 1), established_posts=6, vacancies=1
    )
    training.team_staffing_record(
        actor=None, team=team, recorded_on=date(2026, 3, 1), established_posts=6, vacancies=3, absences=1
    )
    latest = training.latest_staffing([team])[team.pk]
    assert (latest.recorded_on, latest.vacancies, latest.absences) == (date(2026, 3, 1), 3, 1)
    assert AuditEvent.objects.filter(event_type="team.staffing_recorded").count() == 2


def test_a_manager_keeps_their_own_teams_register_through_the_api(register, api_client_for):
    """A team manager of the team's agency requires a course, records a completion and the staffing; a manager of
    another agency gets 404; bad input gets field errors."""
    awareness, _, team, worker = register
    manager = UserFactory(username="manager", agency=team.agency, team=team, role=Role.TEAM_MANAGER)
    client = api_client_for(manager)
    base = f"/api/v1/teams/{team.pk}"
    assert [c["code"] for c in client.get("/api/v1/training/courses").json()] == ["abe", "cse-awareness"]
    answer = client.post(
        f"{base}/training-records",
        {"username": "worker", "course": "cse-awareness", "completed_on": "2025-06-30"},
        content_type="application/json",
    )
    assert answer.status_code == 201 and answer.json()["expires_on"] == "2027-06-30"
    staffing = client.post(
        f"{base}/staffing",
        {"recorded_on": "2026-01-05", "filled_posts": 4, "vacancies": 2},
        content_type="application/json",
    )
    assert staffing.status_code == 201
    assert (staffing.json()["established_posts"], staffing.json()["vacancies"]) == (6, 2)
    bad = client.post(f"{base}/required-courses", {"course": "nope"}, content_type="application/json")
    assert bad.status_code == 404 and "course" in bad.json()["fields"]
    stranger = client.post(
        f"{base}/training-records",
        {"username": "nobody", "course": "cse-awareness", "completed_on": "2025-06-30"},
        content_type="application/json",
    )
    assert stranger.status_code == 404 and "username" in stranger.json()["fields"]
    future = client.post(
        f"{base}/training-records",
        {"username": "worker", "course": "cse-awareness", "completed_on": "2999-01-01"},
        content_type="application/json",
    )
    assert future.status_code == 409 and "completed_on" in future.json()["fields"]
    elsewhere = UserFactory(
        username="other-manager", agency=AgencyFactory(kind=AgencyKind.HEALTH), role=Role.TEAM_MANAGER
    )
    refused = api_client_for(elsewhere).post(
        f"{base}/staffing",
        {"recorded_on": "2026-01-05", "filled_posts": 1},
        content_type="application/json",
    )
    assert refused.status_code == 404
