"""The tasks, escalations and cases API: visibility (404 as if absent), bad input (422, nothing written), wrong
state (409), query counts that do not grow with the page, and the OpenAPI document."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from lantern.accounts.models import AgencyKind, Role
from lantern.api import api
from lantern.audit.models import AuditEvent
from lantern.casework import services
from lantern.casework.models import AgencyTask, Escalation, EscalationKind, TaskStatus
from lantern.casework.tests.fixtures import route
from lantern.intake.models import ReferralStatus


def post(client, url, body=None):
    """POST JSON."""
    return client.post(url, body if body is not None else {}, content_type="application/json")


@pytest.fixture
def officer(people):
    """A police practitioner."""
    return people[AgencyKind.POLICE, Role.PRACTITIONER]


def test_task_list_shows_only_the_users_agency_and_filters(people, routed, officer, api_client_for):
    """A practitioner lists their agency's tasks; filters by agency code, status and overdue; unknown values are 422,
    and an agency code that no agency has is 404."""
    route(people, kinds=(AgencyKind.HEALTH,), child="Child B")
    client = api_client_for(officer)
    body = client.get("/api/v1/tasks").json()
    assert body["count"] == 1 and [t["agency"]["code"] for t in body["items"]] == ["riverton-police"]
    assert body["items"][0]["clock"]["state"] == "due" and body["items"][0]["overdue"] is False
    lead = api_client_for(people["lead"])
    assert lead.get("/api/v1/tasks").json()["count"] == 3
    assert lead.get("/api/v1/tasks?agency=riverton-health").json()["count"] == 1
    assert lead.get("/api/v1/tasks?status=completed").json()["count"] == 0
    assert lead.get("/api/v1/tasks?status=open&limit=2").json()["items"].__len__() == 2
    nowhere = lead.get("/api/v1/tasks?agency=nowhere")
    assert nowhere.status_code == 404 and "agency" in nowhere.json()["fields"]
    for query, field in (
        ("status=lost", "status"),
        ("overdue=perhaps", "overdue"),
        ("limit=0", "limit"),
        ("limit=1000", "limit"),
        ("offset=-1", "offset"),
    ):
        response = lead.get(f"/api/v1/tasks?{query}")
        assert response.status_code == 422, query
        assert field in response.json()["fields"], query
    with time_machine.travel(timezone.now() + timedelta(days=30), tick=False):
        overdue = lead.get("/api/v1/tasks?overdue=true").json()
    assert overdue["count"] == 3 and all(
        t["clock"]["text"].startswith("Overdue by") for t in overdue["items"]
    )
    assert AuditEvent.objects.filter(event_type="record.listed", object_type="casework.agencytask").exists()


def test_task_list_queries_do_not_grow_with_the_page(people, api_client_for, django_assert_max_num_queries):
    """Listing 1 task and listing 8 tasks take the same number of queries."""
    lead = api_client_for(people["lead"])
    route(people, child="Child 0")
    with django_assert_max_num_queries(12) as small:
        assert lead.get("/api/v1/tasks").status_code == 200
    for n in range(1, 5):
        route(people, child=f"Child {n}")
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert lead.get("/api/v1/tasks").json()["count"] == 10


def test_another_agency_gets_404_for_a_task_and_its_actions(people, routed, api_client_for):
    """A task of another agency answers 404 everywhere, exactly as one that does not exist."""
    _, _, tasks = routed
    nurse = api_client_for(people[AgencyKind.HEALTH, Role.PRACTITIONER])
    task_id = tasks[AgencyKind.POLICE].pk
    for response in (
        nurse.get(f"/api/v1/tasks/{task_id}"),
        post(nurse, f"/api/v1/tasks/{task_id}/acknowledge"),
        post(nurse, f"/api/v1/tasks/{task_id}/complete", {"outcome": "arrest", "narrative": "x"}),
        post(nurse, f"/api/v1/tasks/{task_id}/disagreement", {"reason": "x"}),
        nurse.get("/api/v1/tasks/999999"),
    ):
        assert response.status_code == 404 and response.json()["error"] == "not_found"
    assert AgencyTask.objects.get(pk=task_id).status == TaskStatus.AWAITING_ACKNOWLEDGEMENT


def test_acknowledge_and_complete_through_the_api(people, routed, officer, api_client_for):
    """Acknowledge (409 twice), complete with bad input (422, nothing written), complete, and the referral closes."""
    referral, _, tasks = routed
    client = api_client_for(officer)
    task_id = tasks[AgencyKind.POLICE].pk
    detail = client.get(f"/api/v1/tasks/{task_id}").json()
    assert detail["status"] == "awaiting_ack" and detail["escalations"] == []
    assert AuditEvent.objects.filter(event_type="record.viewed", object_id=str(task_id)).exists()
    assert post(api_client_for(people["lead"]), f"/api/v1/tasks/{task_id}/acknowledge").status_code == 403
    acknowledged = post(client, f"/api/v1/tasks/{task_id}/acknowledge")
    assert acknowledged.status_code == 200
    assert acknowledged.json()["assigned_to"]["id"] == officer.pk
    second = post(client, f"/api/v1/tasks/{task_id}/acknowledge")
    assert second.status_code == 409 and second.json()["error"] == "conflict"

    written = AuditEvent.objects.count()
    for body, field in (
        ({"outcome": "made_up", "narrative": "Done."}, "outcome"),
        ({"outcome": "arrest", "narrative": ""}, "narrative"),
        ({"outcome": "arrest", "narrative": "   "}, "narrative"),
        ({"outcome": "arrest", "narrative": "x" * 10001}, "narrative"),
        ({"outcome": "arrest"}, "narrative"),
        ({"outcome": "arrest", "narrative": 5}, "narrative"),
        ({"outcome": "arrest", "narrative": "Done.", "extra": 1}, "extra"),
    ):
        response = post(client, f"/api/v1/tasks/{task_id}/complete", body)
        assert response.status_code == 422, body
        assert field in response.json()["fields"], (body, response.json())
    assert AuditEvent.objects.count() == written
    assert AgencyTask.objects.get(pk=task_id).status == TaskStatus.ACKNOWLEDGED

    done = post(
        client, f"/api/v1/tasks/{task_id}/complete", {"outcome": "arrest", "narrative": "Suspect arrested."}
    )
    assert done.status_code == 200 and done.json()["outcome"] == "arrest"
    assert (
        post(
            client, f"/api/v1/tasks/{task_id}/complete", {"outcome": "arrest", "narrative": "Again."}
        ).status_code
        == 409
    )
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.OPEN  # social care has not finished
    social = api_client_for(people[AgencyKind.CSC, Role.PRACTITIONER])
    csc_id = tasks[AgencyKind.CSC].pk
    assert (
        post(
            social,
            f"/api/v1/tasks/{csc_id}/complete",
            {"outcome": "section_47", "narrative": "Enquiry opened."},
        ).status_code
        == 200
    )
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.CLOSED


def test_disagreement_from_another_agency_on_the_referral(people, routed, api_client_for):
    """Social care, with its own task on the referral, may disagree with the police task it cannot open."""
    _, _, tasks = routed
    task_id = tasks[AgencyKind.POLICE].pk
    social = api_client_for(people[AgencyKind.CSC, Role.PRACTITIONER])
    assert social.get(f"/api/v1/tasks/{task_id}").status_code == 404
    for body in ({"reason": ""}, {}, {"reason": "x" * 5001}, {"reason": ["list"]}):
        assert post(social, f"/api/v1/tasks/{task_id}/disagreement", body).status_code == 422
    assert not Escalation.objects.exists()
    response = post(social, f"/api/v1/tasks/{task_id}/disagreement", {"reason": "The child was not seen."})
    assert response.status_code == 201
    body = response.json()
    assert body["kind"] == "disagreement" and body["level"] == 1
    assert [r["id"] for r in body["recipients"]] == [people[AgencyKind.POLICE, Role.TEAM_MANAGER].pk]
    again = post(social, f"/api/v1/tasks/{task_id}/disagreement", {"reason": "Still not seen."}).json()
    assert again["level"] == 2


def test_escalations_list_filter_and_resolve(people, routed, api_client_for):
    """Escalations are listed by level for those who may see them, and resolved by the right people only."""
    _, _, tasks = routed
    task = tasks[AgencyKind.POLICE]
    for level in (1, 2, 3):
        services.escalation_create(
            actor=None,
            level=level,
            kind=EscalationKind.NOT_ACKNOWLEDGED,
            reason="Not acknowledged.",
            agency=task.agency,
            task=task,
        )
    lead = api_client_for(people["lead"])
    assert lead.get("/api/v1/escalations").json()["count"] == 3
    assert [e["level"] for e in lead.get("/api/v1/escalations?level=3").json()["items"]] == [3]
    assert lead.get("/api/v1/escalations?level=4").status_code == 422
    assert lead.get("/api/v1/escalations?status=lost").status_code == 422
    team_manager = api_client_for(people[AgencyKind.POLICE, Role.TEAM_MANAGER])
    assert team_manager.get("/api/v1/escalations").json()["count"] == 3  # the agency's managers see all rungs
    nurse = api_client_for(people[AgencyKind.HEALTH, Role.PRACTITIONER])
    assert nurse.get("/api/v1/escalations").json()["count"] == 0
    top = Escalation.objects.get(level=3)
    assert post(nurse, f"/api/v1/escalations/{top.pk}/resolve", {"resolution": "x"}).status_code == 404
    assert post(team_manager, f"/api/v1/escalations/{top.pk}/resolve", {"resolution": "x"}).status_code == 403
    assert post(lead, f"/api/v1/escalations/{top.pk}/resolve", {"resolution": " "}).status_code == 422
    resolved = post(
        lead, f"/api/v1/escalations/{top.pk}/resolve", {"resolution": "Spoke to the superintendent."}
    )
    assert resolved.status_code == 200 and resolved.json()["status"] == "resolved"
    assert resolved.json()["resolved_by"]["id"] == people["lead"].pk
    assert post(lead, f"/api/v1/escalations/{top.pk}/resolve", {"resolution": "Again."}).status_code == 409
    assert lead.get("/api/v1/escalations?status=open").json()["count"] == 2


def test_escalation_list_queries_do_not_grow(people, api_client_for, django_assert_max_num_queries):
    """Listing escalations takes a fixed number of queries however many there are."""
    lead = api_client_for(people["lead"])
    _, _, tasks = route(people, child="Child 0")
    services.escalation_raise(actor=people["lead"], task=tasks[AgencyKind.POLICE], reason="Why?")
    with django_assert_max_num_queries(12) as small:
        lead.get("/api/v1/escalations")
    for n in range(1, 4):
        _, _, tasks = route(people, child=f"Child {n}")
        services.escalation_raise(actor=people["lead"], task=tasks[AgencyKind.CSC], reason="Why?")
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert lead.get("/api/v1/escalations").json()["count"] == 4


def test_case_with_its_record_and_chronology(people, routed, api_client_for):
    """A case answers its record and chronology to those who may see it; 404 to others and when restricted."""
    _, case, _ = routed
    services.case_note_add(
        actor=people[AgencyKind.CSC, Role.PRACTITIONER], case=case, text="Seen at school.", significant=True
    )
    body = api_client_for(people[AgencyKind.POLICE, Role.PRACTITIONER]).get(f"/api/v1/cases/{case.pk}").json()
    assert body["reference"] == case.reference and len(body["tasks"]) == 2
    assert {c["kind"] for c in body["clocks"]} == {"assessment"}
    assert any(e["title"] == "Significant note" and e["significant"] for e in body["chronology"])
    assert body["chronology"][0]["at"] >= body["chronology"][-1]["at"]
    assert AuditEvent.objects.filter(event_type="record.viewed", object_type="casework.case").exists()
    nurse = api_client_for(people[AgencyKind.HEALTH, Role.PRACTITIONER])
    assert nurse.get(f"/api/v1/cases/{case.pk}").status_code == 404
    assert api_client_for(people["admin"]).get(f"/api/v1/cases/{case.pk}").status_code == 404
    case.restricted = True
    case.save(update_fields=["restricted"])
    assert api_client_for(people["lead"]).get(f"/api/v1/cases/{case.pk}").status_code == 404


def test_endpoints_are_in_the_openapi_document():
    """Every endpoint of this API is documented, with its error answers."""
    paths = api.get_openapi_schema(path_prefix="/api/v1")["paths"]
    for path, method in (
        ("/api/v1/tasks", "get"),
        ("/api/v1/tasks/{task_id}", "get"),
        ("/api/v1/tasks/{task_id}/acknowledge", "post"),
        ("/api/v1/tasks/{task_id}/complete", "post"),
        ("/api/v1/tasks/{task_id}/disagreement", "post"),
        ("/api/v1/escalations", "get"),
        ("/api/v1/escalations/{escalation_id}/resolve", "post"),
        ("/api/v1/cases/{case_id}", "get"),
    ):
        assert method in paths[path], path
    responses = {str(code) for code in paths["/api/v1/tasks/{task_id}/complete"]["post"]["responses"]}
    assert {"200", "404", "409", "422"} <= responses
