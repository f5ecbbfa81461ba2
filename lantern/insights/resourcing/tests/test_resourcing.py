"""The resourcing figures, page and API: staff, the share trained, caseloads, unallocated work, vacancies and the
share of tasks completed by trained staff by quarter; who sees which agencies; every view audited."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from lantern.accounts import training
from lantern.accounts.models import AgencyKind, Role
from lantern.accounts.testing import TeamFactory, UserFactory
from lantern.audit.models import AuditEvent
from lantern.casework import services
from lantern.casework.models import TaskOutcome
from lantern.casework.tests.fixtures import route
from lantern.insights.resourcing.selectors import quarters_to

API = "/api/v1/insights/resourcing"
PAGE = "/insights/resourcing"


@pytest.fixture
def world(people):
    """The police team requires CSE awareness, which only its team manager holds; it has 5 posts, 2 vacant. Two
    referrals are routed: the police manager completes one task, the other waits unassigned."""
    course = training.course_create(
        actor=None, code="cse-awareness", name="CSE awareness", valid_for_months=24
    )
    manager = people[AgencyKind.POLICE, Role.TEAM_MANAGER]
    team = manager.team
    training.team_course_require(actor=None, team=team, course=course)
    training.training_record(
        actor=None, user=manager, course=course, completed_on=timezone.localdate() - timedelta(days=10)
    )
    training.team_staffing_record(
        actor=None, team=team, recorded_on=timezone.localdate(), established_posts=5, vacancies=2, absences=1
    )
    _, _, first = route(people, child="Child A")
    _, _, second = route(people, child="Child B")
    done = first[AgencyKind.POLICE]
    services.task_acknowledge(actor=manager, task=done)
    services.task_complete(
        actor=manager, task=done, outcome=TaskOutcome.NO_ACTION_FOR_AGENCY, narrative="No role."
    )
    return team, second[AgencyKind.POLICE]


def police(answer: dict) -> dict:
    """The police agency's block of an API answer."""
    return next(a for a in answer["agencies"] if a["agency"]["agency_code"] == "riverton-police")


def test_the_partnership_lead_gets_every_agencys_figures(people, world, api_client_for):
    """Police team: 3 staff, 1 trained; one unallocated task; 5 posts, 2 vacant; this quarter 1 of 1 completed by
    someone trained."""
    team, waiting = world
    response = api_client_for(people["lead"]).get(API)
    assert response.status_code == 200
    answer = response.json()
    assert len(answer["agencies"]) >= 5
    block = police(answer)
    row = next(t for t in block["teams"] if t["team_id"] == team.pk)
    assert (row["staff"], row["trained_staff"], row["trained"]) == (3, 1, 0.333)
    assert row["required_courses"] == ["CSE awareness"]
    # The waiting task was created an hour ago: yesterday by London dates when the suite runs just after midnight.
    waited = (timezone.localdate() - timezone.localdate(waiting.created_at)).days
    assert waited in {0, 1}
    assert row["unallocated"] == {"tasks": 1, "cases": 0, "oldest_days": waited}
    assert (row["established_posts"], row["vacancies"], row["absences"]) == (5, 2, 1)
    assert row["caseload_max"] == 0 and row["caseload_median"] == 0.0
    latest = row["completed_by_trained"][-1]
    assert latest["quarter"] == quarters_to(timezone.localdate())[-1][0]
    assert (latest["completed"], latest["by_trained"], latest["share"]) == (1, 1, 1.0)
    assert block["agency"]["team_id"] is None and block["agency"]["vacancies"] == 2
    assert (
        AuditEvent.objects.filter(event_type="insights.resourcing_viewed").latest("seq").data["via"] == "api"
    )


def test_caseload_counts_open_tasks_held(people, world, api_client_for):
    """Assigning the waiting task to the practitioner gives a largest caseload of one and no unallocated work."""
    team, waiting = world
    services.task_assign(
        actor=people[AgencyKind.POLICE, Role.TEAM_MANAGER],
        task=waiting,
        user=people[AgencyKind.POLICE, Role.PRACTITIONER],
    )
    row = next(
        t for t in police(api_client_for(people["lead"]).get(API).json())["teams"] if t["team_id"] == team.pk
    )
    assert row["caseload_max"] == 1 and row["unallocated"]["tasks"] == 0


def test_a_manager_sees_only_their_own_agency(people, world, api_client_for):
    """A police team manager gets the police alone."""
    answer = api_client_for(people[AgencyKind.POLICE, Role.TEAM_MANAGER]).get(API).json()
    assert [a["agency"]["agency_code"] for a in answer["agencies"]] == ["riverton-police"]


@pytest.mark.parametrize("who", ["admin", "reviewer", "front_door", (AgencyKind.POLICE, Role.PRACTITIONER)])
def test_others_are_refused(people, world, api_client_for, client_for, who):
    """Practitioners, front-door workers, reviewers and administrators see neither the API nor the page."""
    assert api_client_for(people[who]).get(API).status_code == 403
    assert client_for(people[who]).get(PAGE).status_code == 403


def test_the_page_shows_a_table_per_agency(people, world, client_for):
    """One table per agency, and the trend by quarter; the view is audited."""
    response = client_for(people["lead"]).get(PAGE)
    assert response.status_code == 200
    body = response.content.decode()
    assert 'data-testid="resourcing-riverton-police"' in body
    assert 'data-testid="trained-trend-riverton-police"' in body
    assert "Requires: CSE awareness" in body
    assert AuditEvent.objects.filter(event_type="insights.resourcing_viewed").exists()


def test_the_query_count_does_not_grow_with_teams(people, world, api_client_for):
    """More teams and staff cost no more queries."""
    client = api_client_for(people["lead"])
    client.get(API)  # the token's first use is recorded once
    with CaptureQueriesContext(connection) as before:
        client.get(API)
    for n in range(5):
        health = people.agency(AgencyKind.HEALTH)
        UserFactory(
            username=f"extra-{n}", agency=health, team=TeamFactory(agency=health, name=f"Extra team {n}")
        )
    with CaptureQueriesContext(connection) as after:
        client.get(API)
    assert len(after) == len(before)
