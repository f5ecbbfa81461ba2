"""The complaints and conduct pages: the navigation link, recording a complaint (errors shown in the GOV.UK
summary, nothing written), moving it on, the timeline, the subject's view of a conduct matter, stage escalations,
and the outcomes panel with its suppression."""

import html
import re

from django.template import Context, Template
from django.test import RequestFactory

from lantern.audit.models import AuditEvent
from lantern.oversight.complaints import services as complaints
from lantern.oversight.complaints.models import Complaint, ComplaintStatus, ConductMatter, StageEscalation
from lantern.oversight.complaints.tests.fixtures import (
    HEALTH,
    POLICE,
    PRACTITIONER,
    SERVICE_MANAGER,
    TEAM_MANAGER,
    record_complaint,
    record_matter,
)


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


def test_navigation_shows_complaints_to_case_workers_only(people, client_for):
    """Case workers get the Complaints link; the system administrator and the reviewer do not, and are refused."""
    assert 'href="/complaints/"' in text(client_for(people[POLICE, PRACTITIONER]).get("/"))
    listing = text(client_for(people[POLICE, PRACTITIONER]).get("/complaints/"))
    assert "acknowledges a complaint within 3 working days and responds within 20" in listing
    for key in ("admin", "reviewer"):
        client = client_for(people[key])
        assert 'href="/complaints/"' not in text(client.get("/"))
        assert client.get("/complaints/").status_code == 403


def test_recording_a_complaint_shows_errors_then_records_it(people, routed_referral, client_for):
    """An empty form is answered with every error in the summary and nothing written; a good one records the
    complaint, linked to the referral by its reference, and shows its page."""
    referral, _, _ = routed_referral
    client = client_for(people[POLICE, PRACTITIONER])
    empty = client.post("/complaints/new/", {})
    assert empty.status_code == 200
    assert error_summary(empty) == [
        "Choose who made the complaint.",
        "Enter the complainant's name.",
        "Choose the agency the complaint is about.",
        "Enter the complaint as it was made.",
    ]
    unknown = client.post(
        "/complaints/new/",
        {
            "complainant_type": "reporter",
            "complainant_name": "Jo",
            "agency": people.agency(POLICE).pk,
            "account": "Nobody rang.",
            "referral_references": "RIV-NOPE-1",
        },
    )
    assert error_summary(unknown) == ["No referral you can see has the reference RIV-NOPE-1."]
    assert not Complaint.objects.exists()
    response = client.post(
        "/complaints/new/",
        {
            "complainant_type": "reporter",
            "complainant_name": "Jo",
            "agency": people.agency(POLICE).pk,
            "account": "Nobody rang.",
            "referral_references": referral.reference.lower(),
        },
    )
    complaint = Complaint.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/complaints/{complaint.pk}/"
    assert list(complaint.referrals.all()) == [referral]
    page = text(client.get(response["Location"]))
    assert "moj-timeline" in page and "Complaint received" in page and referral.reference in page
    assert 'data-testid="complaint-actions"' not in page  # the recorder does not handle it


def test_manager_moves_a_complaint_on_and_wrong_moves_are_shown(people, client_for):
    """The police team manager acknowledges and answers a complaint through the pages; responding twice is
    refused with a message and a 409."""
    complaint = record_complaint(people)
    client = client_for(people[POLICE, TEAM_MANAGER])
    page = text(client.get(f"/complaints/{complaint.pk}/"))
    assert f'href="/complaints/{complaint.pk}/acknowledge/"' in page
    assert client.post(f"/complaints/{complaint.pk}/acknowledge/", {"note": ""}).status_code == 302
    bad = client.post(f"/complaints/{complaint.pk}/respond/", {"outcome": "", "response": ""})
    assert error_summary(bad) == [
        "Choose whether the complaint is upheld, partly upheld or not upheld.",
        "Enter the response sent to the complainant.",
    ]
    assert (
        client.post(
            f"/complaints/{complaint.pk}/respond/",
            {"outcome": "not_upheld", "response": "The call was made."},
        ).status_code
        == 302
    )
    again = client.post(f"/complaints/{complaint.pk}/respond/", {"outcome": "upheld", "response": "Sorry."})
    assert again.status_code == 409
    assert error_summary(again) == ["This complaint has already had its response at this stage."]
    complaint.refresh_from_db()
    assert complaint.status == ComplaintStatus.RESPONDED
    # Another agency's manager neither sees it nor acts on it.
    other = client_for(people[HEALTH, TEAM_MANAGER])
    assert other.get(f"/complaints/{complaint.pk}/").status_code == 404
    assert other.post(f"/complaints/{complaint.pk}/close/", {}).status_code == 404
    # The recorder sees it but may not act on it.
    assert (
        client_for(people[POLICE, PRACTITIONER]).get(f"/complaints/{complaint.pk}/close/").status_code == 403
    )
    assert AuditEvent.objects.filter(event_type="record.viewed", object_type="oversight.complaint").exists()


def test_subject_sees_only_the_notice_of_a_conduct_matter(people, client_for):
    """The subject gets 404 for the matter's page and never finds it in the list; once told, the notice page shows
    what they were told and, later, the outcome — not the allegation or the investigation."""
    subject = people[POLICE, PRACTITIONER]
    matter = record_matter(people)
    manager = people[POLICE, SERVICE_MANAGER]
    as_subject = client_for(subject)
    assert as_subject.get(f"/complaints/conduct/{matter.pk}/").status_code == 404
    assert matter.reference not in text(as_subject.get("/complaints/conduct/"))
    assert as_subject.get(f"/complaints/conduct/about-me/{matter.pk}/").status_code == 404
    complaints.conduct_matter_notify_subject(
        actor=manager, matter=matter, summary="An allegation about a referral."
    )
    complaints.conduct_matter_assess(
        actor=manager,
        matter=matter,
        decision="investigate",
        assessment="Look at it.",
        investigator=people[POLICE, TEAM_MANAGER],
    )
    complaints.conduct_matter_record_finding(
        actor=manager,
        matter=matter,
        finding="no_case_to_answer",
        rationale="Records show the call.",
        investigation_notes="PRIVATE NOTES",
    )
    complaints.conduct_matter_record_outcome(
        actor=manager, matter=matter, outcome="no_case_to_answer", summary="No case."
    )
    notice = text(as_subject.get(f"/complaints/conduct/about-me/{matter.pk}/"))
    assert (
        "An allegation about a referral." in notice
        and 'data-testid="notice-outcome">No case to answer' in notice
    )
    for secret in ("PRIVATE NOTES", "Records show the call.", matter.allegation[:30], "Look at it."):
        assert secret not in notice
    assert matter.reference in text(as_subject.get("/complaints/conduct/about-me/"))
    assert "There is a conduct matter about you" in text(as_subject.get("/complaints/"))
    # A complaint the subject recorded does not reveal a conduct matter about them that arose from it.
    complaint = record_complaint(people, actor=subject)
    other = complaints.conduct_matter_record(
        actor=manager, subject=subject, allegation="Another.", complaint=complaint
    )
    assert other.reference not in text(as_subject.get(f"/complaints/{complaint.pk}/"))
    assert other.reference in text(client_for(manager).get(f"/complaints/{complaint.pk}/"))
    # The service manager sees the whole matter, with its timeline.
    page = text(client_for(manager).get(f"/complaints/conduct/{matter.pk}/"))
    assert "PRIVATE NOTES" in page and "moj-timeline" in page and "Outcome: no case to answer" in page


def test_conduct_matter_recorded_through_the_page(people, client_for):
    """A service manager records a conduct matter about someone in their agency; errors are shown first."""
    client = client_for(people[POLICE, SERVICE_MANAGER])
    assert error_summary(client.post("/complaints/conduct/new/", {})) == [
        "Choose the professional the allegation is about.",
        "Enter the allegation.",
    ]
    response = client.post(
        "/complaints/conduct/new/",
        {"subject": people[POLICE, PRACTITIONER].pk, "allegation": "Closed a referral without enquiries."},
    )
    matter = ConductMatter.objects.get()
    assert response["Location"] == f"/complaints/conduct/{matter.pk}/"
    assert client_for(people[POLICE, PRACTITIONER]).get("/complaints/conduct/new/").status_code == 403


def test_stage_escalation_page_resolves_with_a_written_resolution(people, client_for):
    """The recipient opens the escalation, is told what a blank resolution lacks, then resolves it."""
    complaint = record_complaint(people)
    escalation = StageEscalation.objects.create(
        complaint=complaint,
        agency=complaint.agency,
        clock="s1_acknowledge",
        level=1,
        reason="Not acknowledged in time.",
    )
    escalation.recipients.set([people[POLICE, TEAM_MANAGER]])
    client = client_for(people[POLICE, TEAM_MANAGER])
    url = f"/complaints/escalations/{escalation.pk}/"
    assert "Not acknowledged in time." in text(client.get(url))
    assert f'href="{url}"' in text(client.get("/complaints/"))  # listed under "Escalated to you"
    assert error_summary(client.post(url, {"resolution": ""})) == ["Say how the escalation was resolved."]
    assert client.post(url, {"resolution": "Acknowledged by phone."}).status_code == 302
    assert StageEscalation.objects.get().resolution == "Acknowledged by phone."
    assert client_for(people[HEALTH, TEAM_MANAGER]).get(url).status_code == 404


def _upheld(people, n: int) -> None:
    manager = people[POLICE, TEAM_MANAGER]
    for _ in range(n):
        complaint = record_complaint(people)
        complaints.complaint_acknowledge(actor=manager, complaint=complaint)
        complaints.complaint_respond(actor=manager, complaint=complaint, outcome="upheld", response="Sorry.")


def test_outcomes_page_and_dashboard_panel_suppress_small_counts(people, client_for):
    """Three upheld complaints: the lead's page shows 3 and totals; a manager's shows "fewer than 5" and no
    totals; the panel included on its own works the figures out for the signed-in user."""
    _upheld(people, 3)
    lead = text(client_for(people["lead"]).get("/complaints/outcomes/"))
    table = lead.split('data-testid="complaint-outcomes-table"', 1)[1].split("</table>", 1)[0]
    assert ">3</td>" in table and "All agencies" in table and "fewer than 5" not in table
    manager = text(client_for(people[POLICE, TEAM_MANAGER]).get("/complaints/outcomes/"))
    table = manager.split('data-testid="complaint-outcomes-table"', 1)[1].split("</table>", 1)[0]
    assert "fewer than 5" in table and ">3<" not in table and "All agencies" not in table
    bad = client_for(people["lead"]).get("/complaints/outcomes/?start_0=31&start_1=2&start_2=2026")
    assert error_summary(bad) == ["From must be a real date, like 27 3 2026"]

    request = RequestFactory().get("/insights/accountability")
    request.user = people[POLICE, TEAM_MANAGER]
    panel = Template('{% include "oversight/complaints/_dashboard_panel.html" %}').render(
        Context({"request": request})
    )
    assert 'data-testid="complaints-outcomes"' in panel and "fewer than 5" in panel
    request.user = people["admin"]
    assert "complaints-outcomes" not in Template(
        '{% include "oversight/complaints/_dashboard_panel.html" %}'
    ).render(Context({"request": request}))


def test_accountability_dashboard_includes_the_outcomes_panel(people, client_for):
    """The accountability dashboard shows the complaint and conduct outcomes panel for its period."""
    _upheld(people, 1)
    page = text(client_for(people["lead"]).get("/insights/accountability"))
    assert 'data-testid="complaints-outcomes"' in page and 'data-testid="complaint-outcomes-table"' in page
