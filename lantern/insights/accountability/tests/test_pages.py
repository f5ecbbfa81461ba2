"""The accountability pages and API: who sees which agencies, the period chooser, drilling down through the case-work
and intake policy, bad input answered with field errors, every view audited, and bounded query counts."""

import re
from datetime import date

import pytest

from lantern.accounts.models import Role
from lantern.accounts.testing import AgencyFactory
from lantern.audit.models import AuditEvent
from lantern.insights.accountability import selectors as accountability
from lantern.insights.accountability.tests.fixtures import (
    CSC,
    HEALTH,
    POLICE,
    TEAM_MANAGER,
    at,
    march_world,
    task,
)

DASHBOARD = "/insights/accountability"
RECORDS = "/insights/accountability/records"
API = "/api/v1/insights/accountability"
MARCH = "from=2026-03-01&to=2026-03-31"


@pytest.fixture
def world(people):
    """March 2026, as worked out by hand in test_accountability.py."""
    return march_world(people)


def text(response) -> str:
    """The page as text."""
    return response.content.decode()


def error_summary(response) -> list[str]:
    """The messages in the GOV.UK error summary."""
    body = text(response)
    summary = (
        body.split('govuk-error-summary__list"', 1)[-1].split("</ul>", 1)[0]
        if "error-summary" in body
        else ""
    )
    return re.findall(r'<a href="[^"]*">([^<]+)</a>', summary)


def test_partnership_lead_sees_every_agency_slowest_first(people, world, client_for):
    """The lead sees the partnership's front door, every agency slowest first, and why the slowest is slowest."""
    response = client_for(people["lead"]).get(f"{DASHBOARD}?{MARCH}")
    assert response.status_code == 200
    body = text(response)
    assert "Slowest agency: Riverton Health" in body
    assert 'data-testid="partnership-table"' in body
    order = re.findall(
        r'<tr class="govuk-table__row" data-agency="([^"]+)">', body.split("timeliness-table")[1]
    )
    assert order[:2] == [people.agency(HEALTH).code, people.agency(POLICE).code]
    assert "Time to acknowledge a task, 90th percentile, by agency" in body  # the chart, with its table
    assert "metric=acknowledged_late&amp;agency=riverton-health" in body
    assert "another engineer adds one {% include %}" not in body  # the marked place is a template comment
    event = AuditEvent.objects.filter(event_type="insights.accountability_viewed").latest("seq")
    assert event.data["from"] == "2026-03-01" and event.data["to"] == "2026-03-31"


def test_date_boxes_choose_the_period(people, world, client_for):
    """The GOV.UK date inputs set the period, as the preset links do with ISO dates."""
    response = client_for(people["lead"]).get(
        DASHBOARD, {"from_0": "9", "from_1": "3", "from_2": "2026", "to_0": "9", "to_1": "3", "to_2": "2026"}
    )
    assert "From 9 March 2026 to 9 March 2026" in text(response)


def test_bad_dates_are_shown_back_with_an_error_summary(people, world, client_for):
    """An impossible date and a backwards period each get a message, and no figures are shown."""
    client = client_for(people["lead"])
    response = client.get(
        DASHBOARD, {"from_0": "31", "from_1": "2", "from_2": "2026", "to_0": "1", "to_1": "3", "to_2": "2026"}
    )
    assert response.status_code == 200
    assert error_summary(response) == ["From must be a real date, like 27 3 2012"]
    assert "timeliness-table" not in text(response)
    response = client.get(f"{DASHBOARD}?from=2026-03-31&to=2026-03-01")
    assert error_summary(response) == ["The end of the period must be the same as or after the start."]
    assert text(response).count("<title>Error: ") == 1


def test_a_team_manager_sees_only_their_agency(people, world, client_for):
    """Health's team manager sees health alone, and no partnership-wide figures."""
    body = text(client_for(people[HEALTH, TEAM_MANAGER]).get(f"{DASHBOARD}?{MARCH}"))
    assert 'data-agency="riverton-health"' in body
    assert "riverton-police" not in body and "partnership-table" not in body


@pytest.mark.parametrize("who", [(POLICE, Role.PRACTITIONER), "front_door", "admin", "reviewer"])
def test_others_are_refused(people, world, client_for, who):
    """Practitioners, the front door, system administrators and reviewers may not see the pages."""
    client = client_for(people[who])
    for url in (DASHBOARD, f"{RECORDS}?{MARCH}&metric=tasks_received", "/insights/data-quality"):
        assert client.get(url).status_code == 403


def test_drilling_down_lists_the_records_behind_a_figure(people, world, client_for):
    """The lead's drill into health's late acknowledgements lists exactly those three tasks, and is audited."""
    response = client_for(people["lead"]).get(
        f"{RECORDS}?{MARCH}&metric=acknowledged_late&agency=riverton-health"
    )
    assert response.status_code == 200
    body = text(response)
    late = world["health"][1:]
    assert sorted(int(i) for i in re.findall(r'href="/tasks/(\d+)/"', body)) == sorted(t.pk for t in late)
    assert "All of them are listed." in body
    event = AuditEvent.objects.filter(event_type="record.listed").latest("seq")
    assert event.object_type == "casework.agencytask"
    assert sorted(event.data["ids"]) == sorted(str(t.pk) for t in late)
    assert event.data["query"]["metric"] == "acknowledged_late"


def test_health_team_manager_cannot_drill_into_police_records(people, world, client_for):
    """Another agency's figures, and partnership-wide ones, are 404 to a manager, exactly as a missing record is."""
    client = client_for(people[HEALTH, TEAM_MANAGER])
    assert (
        client.get(f"{RECORDS}?{MARCH}&metric=tasks_acknowledged&agency=riverton-police").status_code == 404
    )
    assert (
        client.get(f"{RECORDS}?{MARCH}&metric=escalations_raised&agency=riverton-police").status_code == 404
    )
    assert client.get(f"{RECORDS}?{MARCH}&metric=referrals_received").status_code == 404
    assert client.get(f"{RECORDS}?{MARCH}&metric=tasks_received&agency=no-such-agency").status_code == 404
    # With no agency named, a manager's drill-down is their own agency's records.
    body = text(client.get(f"{RECORDS}?{MARCH}&metric=tasks_acknowledged"))
    shown = {int(i) for i in re.findall(r'href="/tasks/(\d+)/"', body)}
    assert shown == {t.pk for t in world["health"]}


def test_the_list_never_shows_what_the_selectors_hide(people, world, client_for):
    """A restricted referral counts in the figure but is listed only to the people named on it."""
    restricted = world["decisions"][0]
    restricted.restricted = True
    restricted.save(update_fields=["restricted"])
    client = client_for(people["lead"])
    body = text(client.get(f"{RECORDS}?{MARCH}&metric=decisions_made&agency=riverton-csc"))
    assert "The figure counts 4 records. 3 are listed" in body
    assert restricted.reference not in body
    restricted.restricted_to.add(people["lead"])
    body = text(client.get(f"{RECORDS}?{MARCH}&metric=decisions_made&agency=riverton-csc"))
    assert restricted.reference in body and "All of them are listed." in body


def test_a_manager_sees_only_the_referrals_the_intake_rules_show(people, world, client_for):
    """A social care manager drilling into social care's decisions sees only referrals their agency works on."""
    csc_manager = people[CSC, TEAM_MANAGER]
    csc_manager.team = AgencyFactory(kind=CSC).teams.create(name="Children in need team")
    csc_manager.save(update_fields=["team"])
    body = text(client_for(csc_manager).get(f"{RECORDS}?{MARCH}&metric=decisions_made&agency=riverton-csc"))
    assert "The figure counts 4 records. 0 are listed" in body


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("metric=nonsense", "Choose a figure to see the records behind it."),
        ("metric=escalations_raised&level=7", "The escalation level must be 1, 2 or 3."),
        ("metric=referrals_received&agency=riverton-health", "This figure is for the whole partnership."),
    ],
)
def test_bad_drill_down_requests_get_a_message(people, world, client_for, query, message):
    """An unknown figure or level is shown back in an error summary, never a server error."""
    response = client_for(people["lead"]).get(f"{RECORDS}?{MARCH}&{query}")
    assert response.status_code == 200
    assert error_summary(response) == [message]


def test_dashboard_queries_do_not_grow_with_the_records(
    people, world, client_for, django_assert_max_num_queries
):
    """The dashboard answers in a fixed number of queries, however many tasks and escalations there are."""
    from lantern.insights.accountability.selectors import accountability_refresh
    from lantern.insights.accountability.tests.fixtures import NOW

    accountability_refresh(now=NOW)
    client = client_for(people["lead"])
    with django_assert_max_num_queries(40) as small:
        client.get(f"{DASHBOARD}?{MARCH}")
    for day in range(1, 28):
        task(people, POLICE, at(day, 11), ack_hours=2, done_hours=30)
        task(people, HEALTH, at(day, 11), ack_hours=30)
    accountability_refresh(start=date(2026, 3, 1), end=date(2026, 3, 31), now=NOW)
    with django_assert_max_num_queries(len(small.captured_queries)):
        client.get(f"{DASHBOARD}?{MARCH}")


# The API
def test_api_gives_the_figures_with_typed_fields(people, world, api_client_for):
    """The lead gets every agency slowest first, with the period as `from` and `to`."""
    response = api_client_for(people["lead"]).get(f"{API}?{MARCH}")
    assert response.status_code == 200
    data = response.json()
    assert (data["from"], data["to"]) == ("2026-03-01", "2026-03-31")
    assert data["agencies"][0]["agency_code"] == "riverton-health"
    assert data["agencies"][0]["time_to_acknowledge"] == {"count": 4, "median_hours": 25.0, "p90_hours": 44.0}
    assert data["partnership"]["decisions_within_day_percent"] == 50.0
    assert data["slowest"]["agency_code"] == "riverton-health"
    assert AuditEvent.objects.filter(event_type="insights.accountability_viewed", data__via="api").exists()


def test_api_limits_a_manager_to_their_agency_and_refuses_others(people, world, api_client_for):
    """A health manager gets health alone and no partnership figures; a practitioner is refused."""
    data = api_client_for(people[HEALTH, TEAM_MANAGER]).get(f"{API}?{MARCH}").json()
    assert [a["agency_code"] for a in data["agencies"]] == ["riverton-health"] and data["partnership"] is None
    response = api_client_for(people[POLICE, Role.PRACTITIONER]).get(f"{API}?{MARCH}")
    assert response.status_code == 403


@pytest.mark.parametrize(
    ("query", "fields"),
    [
        ("from=2026-02-30&to=2026-03-31", {"from"}),
        ("from=yesterday", {"from"}),
    ],
)
def test_api_bad_input_is_422_with_field_errors(people, api_client_for, query, fields):
    """Bad dates are answered 422 in the one error shape, naming the field that is wrong."""
    response = api_client_for(people["lead"]).get(f"{API}?{query}")
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "invalid" and set(body["fields"]) == fields


@pytest.mark.parametrize("query", ["from=2026-03-31&to=2026-03-01", "from=2999-01-01&to=2999-01-31"])
def test_api_period_holding_no_day_is_not_found(people, api_client_for, query):
    """A period that starts after it ends, or after today, holds no day: 404 naming `from`."""
    response = api_client_for(people["lead"]).get(f"{API}?{query}")
    assert response.status_code == 404 and set(response.json()["fields"]) == {"from"}


def test_api_period_ending_in_the_future_covers_up_to_today(people, api_client_for):
    """A period ending after today covers up to today, and the answer's `to` says so."""
    response = api_client_for(people["lead"]).get(f"{API}?from=2026-03-01&to=2999-01-01")
    assert response.status_code == 200
    assert response.json()["to"] == accountability.today().isoformat()


def test_api_queries_are_bounded(people, world, api_client_for, django_assert_max_num_queries):
    """The API answers in a fixed, small number of queries."""
    client = api_client_for(people["lead"])
    with django_assert_max_num_queries(30):
        assert client.get(f"{API}?{MARCH}").status_code == 200
