"""The complaints and conduct API: a complaint recorded and moved on, 404 for what may not be seen (the subject
of a conduct matter included), 422 field errors with nothing written, 409 for a wrong move, the subject's notices,
suppressed outcome counts, and list query counts that do not grow with the page."""

import pytest
from django.utils import timezone

from lantern.audit.models import AuditEvent
from lantern.oversight.complaints.models import Complaint, ConductMatter, StageEscalation
from lantern.oversight.complaints.tests.fixtures import (
    HEALTH,
    POLICE,
    PRACTITIONER,
    SERVICE_MANAGER,
    TEAM_MANAGER,
    record_complaint,
    record_matter,
)


def post(client, url, body=None):
    """POST JSON."""
    return client.post(url, body if body is not None else {}, content_type="application/json")


def test_complaint_recorded_and_moved_on_through_the_api(people, routed_referral, api_client_for):
    """A practitioner records a complaint linked to a referral and task they can see; the police manager
    acknowledges and answers it; the answer carries the clocks, steps and outcome."""
    referral, _, tasks = routed_referral
    officer = api_client_for(people[POLICE, PRACTITIONER])
    response = post(
        officer,
        "/api/v1/complaints",
        {
            "complainant_type": "elected_member",
            "complainant_name": "Cllr Avery",
            "account": "No feedback given.",
            "agency": "riverton-police",
            "referral_ids": [referral.pk],
            "task_ids": [tasks[POLICE].pk],
        },
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "received" and body["stage"] == 1
    assert body["referral_ids"] == [referral.pk] and body["task_ids"] == [tasks[POLICE].pk]
    assert body["clock"]["state"] == "due" and body["overdue"] is False
    complaint_id = body["id"]
    # The practitioner who recorded it may see it but not move it on.
    assert officer.get(f"/api/v1/complaints/{complaint_id}").status_code == 200
    assert post(officer, f"/api/v1/complaints/{complaint_id}/acknowledge").status_code == 403
    manager = api_client_for(people[POLICE, TEAM_MANAGER])
    assert (
        post(
            manager, f"/api/v1/complaints/{complaint_id}/respond", {"outcome": "upheld", "response": "Sorry."}
        ).status_code
        == 409
    )
    assert (
        post(manager, f"/api/v1/complaints/{complaint_id}/acknowledge", {"note": "Letter sent."}).status_code
        == 200
    )
    answer = post(
        manager,
        f"/api/v1/complaints/{complaint_id}/respond",
        {"outcome": "partly_upheld", "response": "Feedback was late."},
    )
    assert answer.status_code == 200
    assert answer.json()["outcome"] == "partly_upheld"
    assert [s["title"] for s in answer.json()["steps"]][-1] == "Stage 1 response sent: partly upheld"
    owner = people[POLICE, PRACTITIONER]
    due = (timezone.localdate()).isoformat()
    added = post(
        manager,
        f"/api/v1/complaints/{complaint_id}/learning-actions",
        {"description": "Feed back within 5 days.", "owner_id": owner.pk, "due_date": due},
    )
    assert added.status_code == 201
    action_id = added.json()["learning_actions"][0]["id"]
    done = post(
        officer,
        f"/api/v1/complaints/{complaint_id}/learning-actions/{action_id}/complete",
        {"note": "Briefed the team."},
    )
    assert done.status_code == 200 and done.json()["learning_actions"][0]["completed_at"]
    assert post(manager, f"/api/v1/complaints/{complaint_id}/close").status_code == 200
    assert AuditEvent.objects.filter(event_type="record.viewed", object_type="oversight.complaint").exists()


def test_bad_input_is_422_with_field_messages_and_writes_nothing(people, routed_referral, api_client_for):
    """Unknown fields and a wrong type are 422 with a message for the field; an unknown agency, a referral or task
    the user cannot see are 404 naming the field, as an id in the path would be."""
    referral, _, tasks = routed_referral
    nurse = api_client_for(people[HEALTH, PRACTITIONER])
    good = {
        "complainant_type": "family",
        "complainant_name": "A parent",
        "account": "Nobody came.",
        "agency": "riverton-police",
    }
    for change, field, status in (
        ({"complainant_type": "journalist"}, "complainant_type", 422),
        ({"complainant_name": ""}, "complainant_name", 422),
        ({"account": "x" * 10001}, "account", 422),
        ({"agency": "nowhere"}, "agency", 404),
        ({"received_at": "yesterday"}, "received_at", 422),
        ({"task_ids": [tasks[POLICE].pk]}, "task_ids", 404),
        ({"referral_ids": [999999]}, "referral_ids", 404),
        ({"colour": "blue"}, "colour", 422),
    ):
        response = post(nurse, "/api/v1/complaints", {**good, **change})
        assert response.status_code == status, (change, response.json())
        assert field in response.json()["fields"], (change, response.json())
    assert not Complaint.objects.exists()
    complaint = record_complaint(people)
    manager = api_client_for(people[POLICE, TEAM_MANAGER])
    post(manager, f"/api/v1/complaints/{complaint.pk}/acknowledge")
    response = post(
        manager, f"/api/v1/complaints/{complaint.pk}/respond", {"outcome": "maybe", "response": ""}
    )
    assert response.status_code == 422 and set(response.json()["fields"]) == {"outcome", "response"}
    response = post(
        manager,
        f"/api/v1/complaints/{complaint.pk}/learning-actions",
        {"description": "Do better.", "owner_id": 999999, "due_date": "2026-13-01"},
    )
    assert response.status_code == 422 and "due_date" in response.json()["fields"]


def test_complaints_not_visible_are_404(people, api_client_for):
    """A complaint about another agency that the user did not record answers 404, as one that does not exist."""
    complaint = record_complaint(people)
    nurse_manager = api_client_for(people[HEALTH, TEAM_MANAGER])
    for url in (f"/api/v1/complaints/{complaint.pk}", "/api/v1/complaints/999999"):
        assert nurse_manager.get(url).status_code == 404
    assert post(nurse_manager, f"/api/v1/complaints/{complaint.pk}/acknowledge").status_code == 404
    assert nurse_manager.get("/api/v1/complaints").json()["count"] == 0
    assert api_client_for(people["lead"]).get("/api/v1/complaints").json()["count"] == 1


def test_subject_gets_404_for_the_matter_and_only_their_notice(people, api_client_for):
    """The professional a conduct matter is about cannot read it, list it or act on it; once told, they read only
    the notice: what they were told, and the outcome when it comes."""
    subject = people[POLICE, PRACTITIONER]
    matter = record_matter(people)
    as_subject = api_client_for(subject)
    assert as_subject.get(f"/api/v1/conduct-matters/{matter.pk}").status_code == 404
    assert as_subject.get("/api/v1/conduct-matters").json()["count"] == 0
    assert (
        post(
            as_subject,
            f"/api/v1/conduct-matters/{matter.pk}/assess",
            {"decision": "no_case_to_answer", "assessment": "Nothing in it."},
        ).status_code
        == 404
    )
    assert as_subject.get("/api/v1/conduct-matters/about-me").json() == []
    manager = api_client_for(people[POLICE, SERVICE_MANAGER])
    assert (
        post(
            manager,
            f"/api/v1/conduct-matters/{matter.pk}/notify-subject",
            {"summary": "An allegation about how you handled a referral."},
        ).status_code
        == 200
    )
    assert (
        post(
            manager,
            f"/api/v1/conduct-matters/{matter.pk}/assess",
            {
                "decision": "investigate",
                "assessment": "Needs looking at.",
                "investigator_id": people[POLICE, TEAM_MANAGER].pk,
            },
        ).status_code
        == 200
    )
    assert (
        post(
            manager,
            f"/api/v1/conduct-matters/{matter.pk}/finding",
            {
                "finding": "practice_requiring_improvement",
                "rationale": "Call not logged.",
                "investigation_notes": "SECRET: interview with the parent.",
            },
        ).status_code
        == 200
    )
    notices = as_subject.get("/api/v1/conduct-matters/about-me").json()
    assert notices == [
        {
            "id": matter.pk,
            "reference": matter.reference,
            "agency": matter.agency.name,
            "notified_at": notices[0]["notified_at"],
            "summary": "An allegation about how you handled a referral.",
            "concluded": False,
            "outcome": None,
            "outcome_at": None,
        }
    ]
    post(
        manager,
        f"/api/v1/conduct-matters/{matter.pk}/outcome",
        {"outcome": "reflective_practice", "summary": "Reflective practice review."},
    )
    notice = as_subject.get("/api/v1/conduct-matters/about-me").json()[0]
    assert (notice["concluded"], notice["outcome"]) == (True, "reflective_practice")
    assert "SECRET" not in str(as_subject.get("/api/v1/conduct-matters/about-me").content)
    assert as_subject.get(f"/api/v1/conduct-matters/{matter.pk}").status_code == 404


def test_conduct_matter_bad_input(people, api_client_for):
    """A subject outside the manager's agency, or an investigator who is the subject, cannot be chosen: 404 naming
    the field; a blank allegation is a 422."""
    manager = api_client_for(people[POLICE, SERVICE_MANAGER])
    response = post(
        manager,
        "/api/v1/conduct-matters",
        {"subject_id": people[HEALTH, PRACTITIONER].pk, "allegation": "Rude."},
    )
    assert response.status_code == 404 and "subject_id" in response.json()["fields"]
    response = post(
        manager, "/api/v1/conduct-matters", {"subject_id": people[POLICE, PRACTITIONER].pk, "allegation": ""}
    )
    assert response.status_code == 422 and "allegation" in response.json()["fields"]
    assert not ConductMatter.objects.exists()
    matter_id = post(
        manager,
        "/api/v1/conduct-matters",
        {"subject_id": people[POLICE, PRACTITIONER].pk, "allegation": "Rude."},
    ).json()["id"]
    response = post(
        manager,
        f"/api/v1/conduct-matters/{matter_id}/assess",
        {
            "decision": "investigate",
            "assessment": "Look into it.",
            "investigator_id": people[POLICE, PRACTITIONER].pk,
        },
    )
    assert response.status_code == 404 and "investigator_id" in response.json()["fields"]
    response = post(
        manager,
        f"/api/v1/conduct-matters/{matter_id}/assess",
        {"decision": "investigate", "assessment": "Look into it."},
    )
    assert response.status_code == 422
    assert response.json()["fields"] == {"investigator_id": ["Choose who will investigate."]}
    response = post(
        manager,
        f"/api/v1/conduct-matters/{matter_id}/assess",
        {"decision": "refer_external", "assessment": "Refer it."},
    )
    assert response.status_code == 422 and "external_body" in response.json()["fields"]
    practitioner = api_client_for(people[POLICE, PRACTITIONER])
    assert (
        post(
            practitioner,
            "/api/v1/conduct-matters",
            {"subject_id": people[POLICE, TEAM_MANAGER].pk, "allegation": "Rude."},
        ).status_code
        == 403
    )


def test_outcomes_are_suppressed_outside_the_partnership(people, api_client_for):
    """Four upheld complaints about the police: the lead sees 4 with totals; a police manager sees null (fewer
    than 5) and no totals; a fifth makes the count visible to everyone."""
    manager = people[POLICE, TEAM_MANAGER]

    def upheld():
        from lantern.oversight.complaints import services as complaints

        complaint = record_complaint(people)
        complaints.complaint_acknowledge(actor=manager, complaint=complaint)
        complaints.complaint_respond(actor=manager, complaint=complaint, outcome="upheld", response="Sorry.")

    for _ in range(4):
        upheld()
    lead = api_client_for(people["lead"]).get("/api/v1/complaints/outcomes").json()
    assert lead["exact"] is True
    assert lead["complaints"]["rows"] == [
        {
            "agency": "Riverton Police",
            "total": 4,
            "counts": {"upheld": 4, "partly_upheld": 0, "not_upheld": 0},
        }
    ]
    assert lead["complaints"]["grand_total"] == 4
    outside = api_client_for(manager).get("/api/v1/complaints/outcomes").json()
    assert outside["exact"] is False
    assert outside["complaints"]["rows"] == [
        {
            "agency": "Riverton Police",
            "total": None,
            "counts": {"upheld": None, "partly_upheld": 0, "not_upheld": 0},
        }
    ]
    assert outside["complaints"]["grand_total"] is None and outside["complaints"]["totals"]["upheld"] is None
    upheld()
    outside = api_client_for(manager).get("/api/v1/complaints/outcomes").json()
    assert outside["complaints"]["rows"][0]["counts"]["upheld"] == 5
    reviewer = api_client_for(people["reviewer"]).get("/api/v1/complaints/outcomes")
    assert reviewer.status_code == 200 and reviewer.json()["exact"] is False
    assert api_client_for(people["admin"]).get("/api/v1/complaints/outcomes").status_code == 403
    assert api_client_for(manager).get("/api/v1/complaints/outcomes?start=2026-02-30").status_code == 422
    backwards = api_client_for(manager).get("/api/v1/complaints/outcomes?start=2026-03-01&end=2026-02-01")
    assert backwards.status_code == 404 and set(backwards.json()["fields"]) == {"start"}
    ahead = api_client_for(manager).get("/api/v1/complaints/outcomes?start=2026-01-01&end=2999-12-31")
    assert ahead.status_code == 200 and ahead.json()["end"] == timezone.localdate().isoformat()
    assert api_client_for(manager).get("/api/v1/complaints/outcomes?end=0001-01-01").status_code == 200


def test_stage_escalation_resolved_through_the_api(people, api_client_for):
    """The recipient of a stage escalation resolves it with a written resolution; an empty one is 422; again 409."""
    complaint = record_complaint(people)
    escalation = StageEscalation.objects.create(
        complaint=complaint, agency=complaint.agency, clock="s1_acknowledge", level=1, reason="Overdue."
    )
    escalation.recipients.set([people[POLICE, TEAM_MANAGER]])
    manager = api_client_for(people[POLICE, TEAM_MANAGER])
    assert (
        api_client_for(people[HEALTH, TEAM_MANAGER])
        .get(f"/api/v1/stage-escalations/{escalation.pk}")
        .status_code
        == 404
    )
    url = f"/api/v1/stage-escalations/{escalation.pk}/resolve"
    assert post(manager, url, {"resolution": ""}).status_code == 422
    resolved = post(manager, url, {"resolution": "Acknowledged today."})
    assert resolved.status_code == 200 and resolved.json()["status"] == "resolved"
    assert post(manager, url, {"resolution": "Again."}).status_code == 409


@pytest.mark.parametrize("path", ["/api/v1/complaints", "/api/v1/conduct-matters"])
def test_list_queries_do_not_grow_with_the_page(people, api_client_for, django_assert_max_num_queries, path):
    """Listing one record and listing six take the same number of queries."""
    lead = api_client_for(people["lead"])
    make = (lambda: record_complaint(people)) if "complaints" in path else (lambda: record_matter(people))
    make()
    with django_assert_max_num_queries(20) as small:
        assert lead.get(path).json()["count"] == 1
    for _ in range(5):
        make()
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert lead.get(path).json()["count"] == 6
