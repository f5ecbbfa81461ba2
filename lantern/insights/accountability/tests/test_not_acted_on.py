"""Evidence passed and not acted on: concerns passed to an agency as tasks and intelligence passed to the police,
with no acknowledgement or outcome within their timescale, oldest first, with who holds each and the escalation it
reached; for the partnership lead and independent reviewers, through the case-work and intelligence selectors.

"Now" is Wednesday 15 April 2026 at noon (`fixtures.NOW`); Good Friday (3 April) and Easter Monday (6 April) are
bank holidays, so the working days overdue below are counted by hand around them.
"""

import re
from datetime import date, datetime, timedelta
from itertools import count

import pytest
import time_machine
from django.utils import timezone

from lantern.audit.models import AuditEvent
from lantern.core.calendar import add_working_days
from lantern.core.policy import PolicyDenied
from lantern.insights.accountability import selectors as accountability
from lantern.insights.accountability.tests.fixtures import (
    HEALTH,
    LONDON,
    NOW,
    POLICE,
    PRACTITIONER,
    SERVICE_MANAGER,
    TEAM_MANAGER,
    at,
    escalate,
    task,
)
from lantern.intel.items.models import IntelligenceItem, ItemStatus

PAGE = "/insights/accountability/not-acted-on"
API = "/api/v1/insights/not-acted-on"
DASHBOARD = "/insights/accountability"
_numbers = count(1)


def item(people, kind: str, submitted_at: datetime, **extra) -> IntelligenceItem:
    """An item of intelligence submitted by a practitioner of the agency of `kind` at a moment, ungraded."""
    submitter = people[kind, PRACTITIONER]
    return IntelligenceItem.objects.create(
        reference=f"INT-2026-{next(_numbers):06d}",
        agency=submitter.agency,
        submitted_by=submitter,
        submitted_at=submitted_at,
        summary="A car seen outside the school.",
        content="The caller saw a silver car collect a girl from the school gates.",
        **extra,
    )


@pytest.fixture(autouse=True)
def _at_now():
    """The pages, the API and the reviews read the clock: every test runs at NOW."""
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def world(people) -> dict:
    """Tasks and intelligence in April 2026, some acted on in time and some not."""
    april = {"month": 4}
    unacknowledged = task(people, POLICE, at(9, 10, **april), ack_due_hours=6, due_hours=72)
    no_outcome = task(people, HEALTH, at(1, 10, **april), ack_hours=2, ack_due_hours=6, due_hours=72)
    intelligence = item(people, HEALTH, at(1, 9, **april))
    return {
        "unacknowledged": unacknowledged,  # acknowledgement due 9 April 16:00
        "no_outcome": no_outcome,  # acknowledged on time; outcome due Saturday 4 April 10:00
        "intelligence": intelligence,  # grading due five working days on: Friday 10 April 09:00
        "acted_on": task(people, POLICE, at(2, 10, **april), ack_hours=1, done_hours=20),
        "completed_late": task(people, HEALTH, at(2, 10, **april), ack_hours=1, done_hours=200),
        "not_yet_due": task(people, POLICE, at(14, 10, **april), ack_hours=1),
        "graded": item(people, HEALTH, at(1, 9, **april), status=ItemStatus.GRADED),
        "police_own": item(people, POLICE, at(1, 9, **april)),
        "imported": item(people, HEALTH, at(1, 9, **april), imported=True),
        "recent": item(people, HEALTH, at(13, 9, **april)),
    }


def rows_for(user, **kwargs) -> list:
    """The rows `user` sees at NOW."""
    return accountability.evidence_not_acted_on(user=user, now=NOW, **kwargs).rows


def by_id(rows) -> dict:
    """Rows by (kind, id)."""
    return {(r.kind, r.id): r for r in rows}


@pytest.fixture
def intelligence_review(people):
    """An open review of health's work since March 2026, intelligence included, with the independent reviewer."""
    from lantern.oversight.reviews import services as reviews

    today = timezone.localdate()
    return reviews.review_create(
        actor=people["lead"],
        title="Reports passed to the police",
        terms_of_reference="Whether concerns passed to the police and health were acted on.",
        commissioned_by="The partnership board",
        period_start=date(2026, 3, 1),
        period_end=today,
        starts_on=today,
        ends_on=today + timedelta(days=30),
        lead_reviewer=people["reviewer"],
        reviewers=[people["reviewer"]],
        agencies=[people.agency(HEALTH)],
        include_intelligence=True,
    )


# The selector
def test_a_task_passed_to_the_police_and_never_acknowledged_is_listed(people, world):
    """Not acknowledged by its deadline: the acknowledgement was missed, four working days ago (10, 13, 14, 15)."""
    row = by_id(rows_for(people["lead"]))["referral", world["unacknowledged"].pk]
    task_ = world["unacknowledged"]
    assert row.reference == task_.referral.reference
    assert row.url == f"/tasks/{task_.pk}/"
    assert (row.to_agency_code, row.to_team_name) == (people.agency(POLICE).code, task_.team.name)
    assert row.passed_at == at(9, 10, month=4)
    assert (row.missed, row.missed_label, row.due_at) == (
        "acknowledgement",
        "Acknowledgement",
        task_.ack_due_at,
    )
    assert row.outcome_due_at == task_.due_at and row.acknowledged_at is None
    assert row.working_days_overdue == 4


def test_acknowledged_in_time_but_no_outcome_past_its_deadline_is_listed(people, world):
    """Acknowledged on time, no outcome by Saturday 4 April: the outcome was missed, seven working days ago (Easter
    Monday left out)."""
    row = by_id(rows_for(people["lead"]))["referral", world["no_outcome"].pk]
    assert (row.missed, row.due_at) == ("outcome", world["no_outcome"].due_at)
    assert row.acknowledged_at == world["no_outcome"].acknowledged_at
    assert row.working_days_overdue == 7


def test_work_acted_on_in_time_or_not_yet_due_is_not_listed(people, world):
    """Completed in time, completed late (it was acted on), and acknowledged with its outcome not yet due."""
    listed = by_id(rows_for(people["lead"]))
    for key in ("acted_on", "completed_late", "not_yet_due"):
        assert ("referral", world[key].pk) not in listed, key


def test_intelligence_passed_to_the_police_and_not_graded_is_listed(people, world, intelligence_review):
    """Health's item, ungraded five working days after it was submitted (Good Friday and Easter Monday left out),
    is listed; graded items, the police's own, historic imports and items still in time are not."""
    rows = rows_for(people["reviewer"], kind="intelligence")
    assert [r.id for r in rows] == [world["intelligence"].pk]
    row = rows[0]
    assert (row.reference, row.missed, row.to_agency_name) == (
        world["intelligence"].reference,
        "grading",
        "The police",
    )
    assert row.from_agency_name == people.agency(HEALTH).name
    assert row.due_at == add_working_days(at(1, 9, month=4), 5) == at(10, 9, month=4)
    assert row.working_days_overdue == 3
    assert row.url == ""  # a reviewer opens intelligence through the review, not the item page
    assert (row.holder.kind, row.escalation) == ("nobody", None)


def test_oldest_first_across_tasks_and_intelligence(people, world, intelligence_review):
    """Ordered by when each was passed: the item (1 April 09:00), then health's task (1 April 10:00)."""
    reviewer_rows = rows_for(people["reviewer"])
    assert [(r.kind, r.id) for r in reviewer_rows] == [
        ("intelligence", world["intelligence"].pk),
        ("referral", world["no_outcome"].pk),
    ]
    lead_rows = rows_for(people["lead"])
    assert [r.id for r in lead_rows] == [world["no_outcome"].pk, world["unacknowledged"].pk]
    assert [r.passed_at for r in lead_rows] == sorted(r.passed_at for r in lead_rows)


def test_who_holds_it_and_the_escalation_it_reached(people, world):
    """The team until someone takes it, then that person; the highest rung raised, with its state."""
    unacknowledged = world["unacknowledged"]
    escalate(
        unacknowledged, 1, at(9, 17, month=4), resolved_by=people[POLICE, TEAM_MANAGER], resolved_hours=1
    )
    escalate(unacknowledged, 2, at(10, 9, month=4))
    row = by_id(rows_for(people["lead"]))["referral", unacknowledged.pk]
    assert (row.holder.kind, row.holder.name) == ("team", unacknowledged.team.name)
    assert row.escalation.level == 2 and row.escalation.label == "Level 2: service manager"
    assert (row.escalation.status, row.escalation.count) == ("Open", 2)
    assert row.escalation.kind == "Not acknowledged in time"

    no_outcome = world["no_outcome"]
    no_outcome.assigned_to = people[HEALTH, PRACTITIONER]
    no_outcome.save(update_fields=["assigned_to"])
    unacknowledged.team = None
    unacknowledged.save(update_fields=["team"])
    rows = by_id(rows_for(people["lead"]))
    assert rows["referral", no_outcome.pk].holder.name == people[HEALTH, PRACTITIONER].display_name
    assert rows["referral", no_outcome.pk].escalation is None
    assert rows["referral", unacknowledged.pk].holder.kind == "nobody"


def test_filters_by_agency_and_kind_and_pages(people, world):
    """By the agency passed to, by kind, and a page at a time."""
    lead = people["lead"]
    assert [r.id for r in rows_for(lead, agency=people.agency(POLICE))] == [world["unacknowledged"].pk]
    assert rows_for(lead, kind="intelligence") == []
    found = accountability.evidence_not_acted_on(user=lead, now=NOW, limit=1, offset=1)
    assert (found.total, [r.id for r in found.rows]) == (2, [world["unacknowledged"].pk])


def test_the_lead_is_told_how_many_they_may_not_open(people, world):
    """The lead may not read intelligence awaiting grading: it is counted, never listed."""
    found = accountability.evidence_not_acted_on(user=people["lead"], now=NOW)
    assert found.total == 2 and found.hidden == 1
    assert all(r.kind == "referral" for r in found.rows)


def test_a_reviewer_sees_only_what_their_review_puts_in_scope(people, world, intelligence_review):
    """The review covers health: the police task is neither listed nor counted for the reviewer."""
    found = accountability.evidence_not_acted_on(user=people["reviewer"], now=NOW)
    assert ("referral", world["unacknowledged"].pk) not in by_id(found.rows)
    assert found.total == 2 and found.hidden is None


def test_a_reviewer_without_an_open_review_sees_nothing(people, world):
    """The rule lets reviewers in; the selectors show them nothing until a review grants it."""
    assert rows_for(people["reviewer"]) == []


def test_others_may_not_ask(people, world):
    """The selector asks the policy itself."""
    with pytest.raises(PolicyDenied):
        accountability.evidence_not_acted_on(user=people[POLICE, SERVICE_MANAGER], now=NOW)


@pytest.mark.parametrize("working_days", [1, 5, 45])
@pytest.mark.parametrize(
    "now",
    [NOW, datetime(2026, 4, 6, 8, 30, tzinfo=LONDON), datetime(2026, 12, 28, 23, 59, tzinfo=LONDON)],
)
def test_the_latest_start_is_exactly_where_deadlines_pass(now, working_days):
    """A start at that moment is due by now; a microsecond later is not."""
    start = accountability.latest_start_due_by(now, working_days)
    assert add_working_days(start, working_days) <= now
    assert add_working_days(start + timedelta(microseconds=1), working_days) > now


def test_the_grading_timescale_is_a_setting(people, world, settings, intelligence_review):
    """With ten working days to grade, health's item is not yet overdue."""
    settings.INTEL_GRADING_WORKING_DAYS = 10
    assert rows_for(people["reviewer"], kind="intelligence") == []


# The page
def text(response) -> str:
    """The page as text."""
    return response.content.decode()


def test_the_page_lists_them_for_the_partnership_lead_and_audits_the_list(people, world, client_for):
    """The table links each task to its page; the list is audited; the dashboard links to the page."""
    client = client_for(people["lead"])
    response = client.get(PAGE)
    assert response.status_code == 200
    body = text(response)
    assert 'data-testid="not-acted-on-table"' in body and "<caption" in body
    shown = [int(i) for i in re.findall(r'href="/tasks/(\d+)/"', body)]
    assert shown == [world["no_outcome"].pk, world["unacknowledged"].pk]
    assert "1 more is not listed because you could not open it" in body
    assert world["intelligence"].reference not in body
    event = AuditEvent.objects.filter(event_type="record.listed", object_type="casework.agencytask").latest(
        "seq"
    )
    assert event.data["query"]["metric"] == "not_acted_on"
    assert sorted(event.data["ids"]) == sorted(str(pk) for pk in shown)
    assert AuditEvent.objects.filter(
        event_type="record.listed", object_type="intel.intelligenceitem"
    ).exists()
    assert 'data-testid="not-acted-on-link"' in text(client.get(DASHBOARD))


def test_the_page_filters_and_reports_bad_filters(people, world, client_for):
    """The agency filter narrows the list; an unknown agency gets a message in the error summary."""
    client = client_for(people["lead"])
    body = text(client.get(f"{PAGE}?agency={people.agency(HEALTH).code}&kind=referral"))
    assert re.findall(r'href="/tasks/(\d+)/"', body) == [str(world["no_outcome"].pk)]
    response = client.get(f"{PAGE}?agency=no-such-agency")
    assert response.status_code == 200
    assert "Choose an agency from the list." in text(response)
    assert "<title>Error: " in text(response)


def test_the_page_shows_a_reviewer_their_intelligence_without_a_link(
    people, world, client_for, intelligence_review
):
    """A reviewer sees health's item by reference, not linked to the item page they may not open."""
    body = text(client_for(people["reviewer"]).get(PAGE))
    assert world["intelligence"].reference in body
    assert "/intel/items/" not in body
    assert 'data-testid="not-acted-on-hidden"' not in body


@pytest.mark.parametrize(
    "who", [(POLICE, PRACTITIONER), (HEALTH, TEAM_MANAGER), (POLICE, SERVICE_MANAGER), "front_door", "admin"]
)
def test_others_are_refused_the_page_and_the_api(people, world, client_for, api_client_for, who):
    """Practitioners, managers, the front door and system administrators get 403 from both."""
    assert client_for(people[who]).get(PAGE).status_code == 403
    assert api_client_for(people[who]).get(API).status_code == 403


def test_a_manager_is_not_offered_the_link_on_the_dashboard(people, world, client_for):
    """The dashboard shows the link only to those the policy lets see the page."""
    assert "not-acted-on-link" not in text(client_for(people[HEALTH, TEAM_MANAGER]).get(DASHBOARD))


def test_the_page_and_api_take_a_fixed_number_of_queries(
    people, world, client_for, api_client_for, django_assert_max_num_queries
):
    """However many rows, holders and escalations a page has, the number of queries does not grow."""
    client, api = client_for(people["lead"]), api_client_for(people["lead"])
    with django_assert_max_num_queries(30) as small:
        client.get(PAGE)
    with django_assert_max_num_queries(25) as small_api:
        api.get(API)
    for day in range(1, 13):
        job = task(people, POLICE, at(day, 11, month=3), ack_due_hours=2)
        escalate(job, 1, at(day, 14, month=3))
        escalate(job, 2, at(day, 18, month=3))
        job.assigned_to = people[POLICE, PRACTITIONER]
        job.save(update_fields=["assigned_to"])
        item(people, HEALTH, at(day, 8, month=3))
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert "not-acted-on-table" in text(client.get(PAGE))
    with django_assert_max_num_queries(len(small_api.captured_queries)):
        assert len(api.get(API).json()["items"]) == 14


# The API
def test_the_api_gives_the_rows_with_typed_fields(people, world, api_client_for, intelligence_review):
    """The same rows as the page, oldest first, paged, with the holder and the escalation as objects."""
    escalate(world["no_outcome"], 1, at(5, 10, month=4), kind="not_completed")
    response = api_client_for(people["reviewer"]).get(f"{API}?limit=1")
    assert response.status_code == 200
    data = response.json()
    assert {k: data[k] for k in ("count", "hidden", "limit", "offset", "grading_working_days")} == {
        "count": 2,
        "hidden": None,
        "limit": 1,
        "offset": 0,
        "grading_working_days": 5,
    }
    (first,) = data["items"]
    assert first["kind"] == "intelligence" and first["reference"] == world["intelligence"].reference
    assert first["holder"] == {"kind": "nobody", "name": ""} and first["escalation"] is None
    second = api_client_for(people["reviewer"]).get(f"{API}?limit=1&offset=1").json()["items"][0]
    assert (second["kind"], second["id"], second["missed"]) == ("referral", world["no_outcome"].pk, "outcome")
    assert second["escalation"]["level"] == 1 and second["escalation"]["kind"] == "Not completed in time"
    assert second["url"] == f"/tasks/{world['no_outcome'].pk}/"
    assert isinstance(second["working_days_overdue"], int)
    assert AuditEvent.objects.filter(event_type="record.listed", data__query__via="api").exists()


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("offset=-1", "offset"),
        ("kind=cases", "kind"),
    ],
)
def test_the_api_refuses_bad_paging_and_filters(people, api_client_for, query, field):
    """Paging is bounded in the schema; an unknown kind is a 422 naming the field."""
    response = api_client_for(people["lead"]).get(f"{API}?{query}")
    assert response.status_code == 422
    assert field in response.json()["fields"]


def test_an_agency_code_no_agency_has_is_not_found(people, api_client_for):
    """A filter by an agency code that no agency has is a 404 naming `agency`, never an empty list."""
    response = api_client_for(people["lead"]).get(f"{API}?agency=nope")
    assert response.status_code == 404 and set(response.json()["fields"]) == {"agency"}


def test_the_openapi_document_names_the_schemas(people, api_client_for):
    """The components have names of their own, and the paging limits are in the document."""
    document = api_client_for(people["lead"]).get("/api/v1/openapi.json").json()
    schemas = document["components"]["schemas"]
    assert {"NotActedOnOut", "NotActedOnRowOut", "NotActedOnHolderOut", "NotActedOnEscalationOut"} <= set(
        schemas
    )
    parameters = {p["name"]: p for p in document["paths"][API]["get"]["parameters"]}
    assert parameters["limit"]["schema"]["maximum"] == accountability.NOT_ACTED_ON_PAGE_MAX


def test_the_rule_lets_in_the_lead_and_the_reviewer_of_the_test_partnership(people):
    """Registered with the policy: the partnership lead and independent reviewers; nobody else."""
    from lantern.core import policy

    allowed = {key for key, user in people.items() if policy.allows(user, "can_view_not_acted_on")}
    assert allowed == {"lead", "reviewer"}
