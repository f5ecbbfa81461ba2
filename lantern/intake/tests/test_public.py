"""The public pages: /report (no account, CSRF, honeypot, rate limit, size limit) and /track (reference + secret)."""

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from lantern.accounts.models import AgencyKind, Role
from lantern.audit.models import AuditEvent
from lantern.casework.models import TaskOutcome, TaskStatus
from lantern.intake.models import DecisionKind, Referral, ReferralDecision, ReferralStatus
from lantern.intake.tests.conftest import add_task, counts
from lantern.intake.tests.test_pages import management, without_csrf_token

pytestmark = pytest.mark.django_db


def report_data(**fields) -> dict:
    """A filled-in public report: anonymous, with what happened and the formsets' management fields."""
    data = {"identity": "anonymous", "summary": "Older men pick girls up from the allotments in a grey car."}
    for prefix in ("children", "persons", "vehicles", "phones"):
        data.update(management(prefix))
    data.update(fields)
    return data


def shown(response, testid: str) -> str:
    match = re.search(rf'data-testid="{testid}">([^<]+)<', response.content.decode())
    assert match, response.content.decode()
    return match.group(1)


FULL_REPORT = {
    "children-0-name": "Jade Example",
    "children-0-age": "13",
    "children-0-school": "Riverton Academy",
    "persons-0-nickname": "Big Dave",
    "persons-0-description": "Tall, grey beard",
    "persons-0-age": "45",
    "vehicles-0-registration": "GR15 EYC",
    "vehicles-0-make": "Ford Focus",
    "vehicles-0-colour": "Grey",
    "phones-0-number": "07700 900456",
    "place_name": "Riverside Allotments",
    "place_type": "allotment",
}


def test_anonymous_report_gives_a_reference_and_secret_once(client):
    """The public form needs no account; it creates a public referral and shows its reference and secret."""
    assert client.get("/report").status_code == 200
    response = client.post("/report", report_data(**FULL_REPORT))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    referral = Referral.objects.get()
    assert shown(response, "reference") == referral.reference
    secret = shown(response, "secret")
    assert referral.tracking_secret_digest == Referral.digest_secret(secret.replace("-", ""))
    assert referral.source == "public" and referral.channel == "public_form" and referral.anonymous
    assert referral.person_mentions.count() == 2
    assert referral.vehicle_mentions.get().registration_normalised == "GR15EYC"
    assert referral.place_mentions.get().place_type == "allotment"
    assert AuditEvent.objects.get(event_type="referral.created").actor_username == "public"


def test_named_report_keeps_the_reporters_details(client):
    """A named reporter gives a name, kept with their contact details."""
    client.post(
        "/report",
        report_data(
            identity="named",
            reporter_name="Pat Neighbour",
            reporter_contact="pat@example.org",
            reporter_relationship="Neighbour",
        ),
    )
    referral = Referral.objects.get()
    assert (referral.reporter_name, referral.reporter_contact, referral.anonymous) == (
        "Pat Neighbour",
        "pat@example.org",
        False,
    )


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"identity": ""}, "Select whether you want to give your name"),
        ({"identity": "named"}, "Enter your name, or choose to stay anonymous"),
        ({"summary": ""}, "Enter what happened"),
        ({"vehicles-0-registration": "A" * 21}, "Registration mark must be 20 characters or fewer"),
        ({"children-0-age": "40"}, "between 0 and 25"),
        ({"reporter_name": "n" * 201, "identity": "named"}, "Your name must be 200 characters or fewer"),
    ],
)
def test_bad_reports_show_errors_and_write_nothing(client, fields, message):
    """Errors appear in the summary and by the field, what was typed is kept, and nothing is written."""
    before = counts()
    response = client.post("/report", report_data(**{"phones-0-number": "07700 900456", **fields}))
    assert response.status_code == 200
    page = response.content.decode()
    assert "There is a problem" in page and message in page
    assert 'value="07700 900456"' in page
    assert counts() == before


def test_a_report_is_never_refused_for_the_form_of_a_number_or_a_mark(client):
    """A number not allocated, part of a number, and a foreign plate are accepted from the public and marked."""
    page = client.get("/report").content.decode()
    assert "All of it or the part you know" in page and "from any country" in page
    response = client.post(
        "/report",
        report_data(
            **{
                "phones-0-number": "07700 934567",
                "phones-1-number": "079111234",
                "vehicles-0-registration": "WOB-ZK 295",
                "vehicles-1-registration": "GR15 EYC??!",
            }
        ),
    )
    assert response.status_code == 200 and "There is a problem" not in response.content.decode()
    referral = Referral.objects.get()
    numbers = {(p.number, p.number_status) for p in referral.phone_mentions.all()}
    assert numbers == {("07700 934567", "not_allocated"), ("079111234", "partial")}
    marks = {
        (v.registration, v.registration_status) for v in referral.vehicle_mentions.filter(origin="structured")
    }
    assert marks == {("WOB-ZK 295", "foreign"), ("GR15 EYC??!", "partial")}


def test_honeypot_answers_like_success_and_writes_nothing(client):
    """A bot that fills the hidden field sees a normal confirmation, but nothing is stored."""
    before = counts()
    response = client.post("/report", report_data(website="http://spam.example"))
    assert response.status_code == 200
    assert re.fullmatch(r"RIV-\d{4}-\d{6}", shown(response, "reference"))
    assert shown(response, "secret")
    assert counts() == before


def test_reports_are_rate_limited_per_client(client, settings):
    """After the allowance, the client gets a 429 page and nothing more is written; another client is unaffected."""
    settings.LANTERN_RATE_LIMITS = {"report": (2, 3600)}
    for _ in range(2):
        assert client.post("/report", report_data()).status_code == 200
    before = counts()
    refused = client.post("/report", report_data())
    assert refused.status_code == 429
    assert "Too many attempts" in refused.content.decode()
    assert counts() == before
    other = Client(REMOTE_ADDR="203.0.113.9")
    assert other.post("/report", report_data()).status_code == 200


def test_csrf_is_enforced():
    """A POST without the CSRF token is refused; with the token from the form it is accepted."""
    client = Client(enforce_csrf_checks=True)
    before = counts()
    assert client.post("/report", report_data()).status_code == 403
    assert counts() == before
    page = client.get("/report").content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    assert client.post("/report", {**report_data(), "csrfmiddlewaretoken": token}).status_code == 200
    assert Referral.objects.count() == 1


def test_oversized_reports_are_refused(client):
    """A body larger than any genuine report is refused with 413 before it is read."""
    before = counts()
    response = client.post("/report", report_data(summary="x" * 70_000))
    assert response.status_code == 413
    assert counts() == before


# Tracking
@pytest.fixture
def reported(client):
    """A public report with names, a plate, a phone and a place; returns (referral, secret)."""
    response = client.post("/report", report_data(**FULL_REPORT))
    return Referral.objects.get(), shown(response, "secret")


def test_track_shows_the_history_and_no_personal_details(client, reported, person, agency):
    """Received, screened, passed to agencies by kind, acted on, closed with the public outcome; no one's details."""
    referral, secret = reported
    worker = person(Role.FRONT_DOOR, AgencyKind.CSC, username="frontdoor-named-worker")
    police, csc = agency(AgencyKind.POLICE), agency(AgencyKind.CSC)
    now = timezone.now()
    decision = ReferralDecision.objects.create(
        referral=referral,
        kind=DecisionKind.REFER_AGENCIES,
        rationale="Confidential rationale about Jade.",
        decided_by=worker,
        decided_at=now,
    )
    police_task = add_task(referral, police, created_at=now + timedelta(minutes=1))
    add_task(referral, csc, created_at=now + timedelta(minutes=1))
    police_task.status, police_task.completed_at = TaskStatus.COMPLETED, now + timedelta(days=2)
    police_task.outcome, police_task.narrative = TaskOutcome.ARREST, "Arrested Big Dave at his home."
    police_task.save()
    Referral.objects.filter(pk=referral.pk).update(
        decision=decision,
        decided_at=now,
        status=ReferralStatus.CLOSED,
        closed_at=now + timedelta(days=3),
        public_outcome="The agencies acted on your report and the child is being supported.",
    )

    response = client.post(
        "/track", {"reference": referral.reference.lower(), "secret": secret.lower().replace("-", " ")}
    )
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    page = response.content.decode()
    for text in (
        "Received",
        "Looked at by the safeguarding team",
        "Passed to Children&#x27;s social care and Police",
        "Police: action taken",
        "The agencies acted on your report and the child is being supported.",
    ):
        assert text in page, text
    for private in (
        "Jade",
        "Example",
        "Riverton Academy",
        "Big Dave",
        "grey beard",
        "GR15",
        "07700",
        "900456",
        "Riverside Allotments",
        "allotments",
        "Confidential rationale",
        "Arrest",
        "frontdoor-named-worker",
        worker.last_name,
        "Riverton Police",
        secret,
    ):
        assert private.lower() not in page.lower(), private
    assert AuditEvent.objects.filter(event_type="referral.tracked", object_id=str(referral.pk)).exists()


def test_a_new_report_shows_as_received(client, reported):
    """Before screening the history has one step."""
    referral, secret = reported
    page = client.post("/track", {"reference": referral.reference, "secret": secret}).content.decode()
    assert "Received: waiting to be looked at" in page


def test_wrong_reference_or_secret_give_the_same_generic_error(
    client, reported, make_referral, police_officer
):
    """Unknown reference, wrong secret, and a professional referral (no secret) all look the same."""
    referral, secret = reported
    professional = make_referral(police_officer)
    before = Referral.objects.count()
    pages = [
        client.post("/track", {"reference": referral.reference, "secret": "AAAA-BBBB-CCCC-DDDD"}),
        client.post("/track", {"reference": "RIV-1999-000001", "secret": secret}),
        client.post("/track", {"reference": professional.reference, "secret": ""}),
        client.post("/track", {"reference": professional.reference, "secret": "AAAA-BBBB-CCCC-DDDD"}),
    ]
    assert "The reference or secret is not right" in pages[0].content.decode()
    assert {p.status_code for p in pages} == {200}
    # Apart from the reference typed (kept in its box), the answers are identical.
    same = {
        without_csrf_token(p.content).replace(ref.encode(), b"REF")
        for p, ref in (
            (pages[0], referral.reference),
            (pages[1], "RIV-1999-000001"),
            (pages[3], professional.reference),
        )
    }
    assert len(same) == 1
    assert "Enter your secret" in pages[2].content.decode()
    assert Referral.objects.count() == before
    assert AuditEvent.objects.filter(event_type="referral.tracking_refused").count() == 3


def test_track_never_reads_the_url(client, reported):
    """The reference and secret in a query string are ignored: the form is shown, not the status."""
    referral, secret = reported
    page = client.get("/track", {"reference": referral.reference, "secret": secret}).content.decode()
    assert "Check on a report" in page and "What has happened" not in page
    assert 'method="post"' in page


def test_tracking_is_rate_limited(client, reported, settings):
    """Guessing is limited per client: after the allowance even the right secret gets a 429."""
    settings.LANTERN_RATE_LIMITS = {"track": (3, 3600)}
    referral, secret = reported
    for _ in range(3):
        client.post("/track", {"reference": referral.reference, "secret": "WRONG-WRONG"})
    response = client.post("/track", {"reference": referral.reference, "secret": secret})
    assert response.status_code == 429
