"""The public pages: /report's question pages and /report/me (drafts only in the browser, no account, CSRF,
honeypot, rate limit, size limit, idempotent sending) and /track (reference + secret)."""

import base64
import re
from datetime import timedelta

import pytest
import time_machine
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone

from lantern.accounts.models import AgencyKind, Role
from lantern.audit.models import AuditEvent
from lantern.casework.models import TaskOutcome, TaskStatus
from lantern.intake.models import DecisionKind, PublicReportKey, Referral, ReferralDecision, ReferralStatus
from lantern.intake.tests.conftest import add_task, counts
from lantern.intake.tests.test_pages import without_csrf_token

pytestmark = pytest.mark.django_db


PUBLIC_STEPS = (
    "what-happened",
    "where-and-when",
    "children",
    "people",
    "vehicles",
    "phone-numbers",
    "about-you",
)
SUMMARY = "Older men pick girls up from the allotments in a grey car."


def draft_key(response) -> str:
    """The draft's key, as the page carries it in its hidden field."""
    return re.search(r'name="draft" value="([^"]*)"', response.content.decode()).group(1)


def answer(client, path: str, data: dict | None = None, *, action: str = "continue"):
    """Open a question page and answer it as a browser would (with the draft key the page carries)."""
    page = client.get(path)
    assert page.status_code == 200, path
    return client.post(path, {**(data or {}), "draft": draft_key(page), "action": action})


def reach(client, slug: str, *, summary: str = SUMMARY) -> None:
    """Answer what happened and skip every page before `slug`."""
    if slug == "what-happened":
        return
    assert answer(client, "/report/what-happened", {"summary": summary}).status_code == 302
    for step in PUBLIC_STEPS[1 : PUBLIC_STEPS.index(slug)]:
        assert answer(client, f"/report/{step}", action="skip").status_code == 302


def send_report(client, *, summary: str = SUMMARY, about: dict | None = None, **parts):
    """Walk the question pages (`parts`: a list of items or a dict of answers by step) and send; the last answer."""
    answer(client, "/report/what-happened", {"summary": summary, **parts.pop("what-happened", {})})
    for step in PUBLIC_STEPS[1:-1]:
        given = parts.get(step.replace("-", "_"))
        if not given:
            answer(client, f"/report/{step}", action="skip")
        elif isinstance(given, dict):
            answer(client, f"/report/{step}", given)
        else:
            for number, item in enumerate(given, start=1):
                path = f"/report/{step}" + (f"/{number}" if number > 1 else "")
                answer(client, path, item, action="another" if number < len(given) else "continue")
    answer(client, "/report/about-you", about or {"identity": "anonymous"})
    check = client.get("/report/check-your-answers")
    assert check.status_code == 200 and "Check your answers" in check.content.decode()
    return client.post("/report/check-your-answers", {"draft": draft_key(check)})


def shown(response, testid: str) -> str:
    match = re.search(rf'data-testid="{testid}">([^<]+)<', response.content.decode())
    assert match, response.content.decode()
    return match.group(1)


FULL_REPORT = {
    "where_and_when": {"place_name": "Riverside Allotments", "place_type": "allotment"},
    "children": [{"name": "Jade Example", "age": "13", "school": "Riverton Academy"}],
    "people": [{"nickname": "Big Dave", "description": "Tall, grey beard", "age": "45"}],
    "vehicles": [{"registration": "GR15 EYC", "make": "Ford Focus", "colour": "Grey"}],
    "phone_numbers": [{"number": "07700 900456"}],
}


def test_anonymous_report_gives_a_reference_and_secret_once(client):
    """The question pages need no account; sending creates a public referral, audited, and shows its reference
    and secret; the browser's draft is deleted with that answer."""
    assert client.get("/report").status_code == 200
    response = send_report(client, **FULL_REPORT)
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    referral = Referral.objects.get()
    assert shown(response, "reference") == referral.reference
    secret = shown(response, "secret")
    assert referral.tracking_secret_digest == Referral.digest_secret(secret.replace("-", ""))
    assert referral.source == "public" and referral.channel == "public_form" and referral.anonymous
    assert referral.summary == SUMMARY
    assert referral.person_mentions.count() == 2
    assert referral.vehicle_mentions.get().registration_normalised == "GR15EYC"
    assert referral.place_mentions.get().place_type == "allotment"
    assert AuditEvent.objects.get(event_type="referral.created").actor_username == "public"
    assert response.cookies["lantern_report_0"]["max-age"] == 0
    assert "keep them somewhere safe" in response.content.decode().lower()
    assert "Your answers have been deleted" in client.get("/report/check-your-answers").content.decode()


def test_nothing_is_written_until_the_report_is_sent(client):
    """Mid-journey there is no referral, mention, audit event, session or cache row, and the draft in the
    browser's cookie cannot be read."""
    before = counts()
    reach(client, "about-you", summary="Jade is picked up by Big Dave.")
    answer(client, "/report/about-you", {"identity": "anonymous"})
    check = client.get("/report/check-your-answers")
    assert "Jade is picked up by Big Dave." in check.content.decode()
    assert counts() == before
    assert not Referral.objects.exists() and not AuditEvent.objects.exists()
    assert not Session.objects.exists()
    cookie = "".join(
        client.cookies[f"lantern_report_{i}"].value
        for i in range(2)
        if f"lantern_report_{i}" in client.cookies
    )
    assert cookie and "Jade" not in cookie and b"Jade" not in base64.urlsafe_b64decode(cookie + "==")
    assert client.cookies["lantern_report_0"]["path"] == "/report"
    assert client.cookies["lantern_report_0"]["httponly"]


def test_named_report_keeps_the_reporters_details_and_never_sends_them_the_secret(client, mailoutbox):
    """A named reporter gives a name, kept with their contact details; the secret goes nowhere but the page."""
    send_report(
        client,
        about={
            "identity": "named",
            "reporter_name": "Pat Neighbour",
            "reporter_contact": "pat@example.org",
            "reporter_relationship": "Neighbour",
        },
    )
    referral = Referral.objects.get()
    assert (referral.reporter_name, referral.reporter_contact, referral.anonymous) == (
        "Pat Neighbour",
        "pat@example.org",
        False,
    )
    assert mailoutbox == []


@pytest.mark.parametrize(
    ("step", "fields", "message"),
    [
        ("about-you", {"identity": ""}, "Select whether you want to give your name"),
        ("about-you", {"identity": "named"}, "Enter your name, or choose to stay anonymous"),
        ("what-happened", {"summary": ""}, "Enter what happened"),
        ("vehicles", {"registration": "A" * 21}, "Registration mark must be 20 characters or fewer"),
        ("children", {"age": "40", "name": "Jade"}, "between 0 and 25"),
        (
            "about-you",
            {"reporter_name": "n" * 201, "identity": "named", "reporter_contact": "07700 900456"},
            "Your name must be 200 characters or fewer",
        ),
        (
            "where-and-when",
            {"incident_date_0": "31", "incident_date_1": "2", "incident_date_2": "2020"},
            "real date",
        ),
    ],
)
def test_bad_answers_show_errors_and_write_nothing(client, step, fields, message):
    """Errors appear in the summary and by the field, what was typed is kept, and nothing is written."""
    reach(client, step)
    before = counts()
    response = answer(client, f"/report/{step}", fields)
    assert response.status_code == 200
    page = response.content.decode()
    assert "There is a problem" in page and message in page
    typed = next((value for value in fields.values() if value and len(value) < 30), None)
    assert typed is None or f'value="{typed}"' in page or typed in page
    assert counts() == before


def test_a_report_is_never_refused_for_the_form_of_a_number_or_a_mark(client):
    """A number not allocated, part of a number, and a foreign plate are accepted from the public and marked."""
    reach(client, "phone-numbers")
    page = client.get("/report/phone-numbers").content.decode()
    assert "All of it or the part you know" in page
    response = send_report(
        client,
        phone_numbers=[{"number": "07700 934567"}, {"number": "079111234"}],
        vehicles=[{"registration": "WOB-ZK 295"}, {"registration": "GR15 EYC??!"}],
    )
    assert response.status_code == 200 and "There is a problem" not in response.content.decode()
    referral = Referral.objects.get()
    numbers = {(p.number, p.number_status) for p in referral.phone_mentions.all()}
    assert numbers == {("07700 934567", "not_allocated"), ("079111234", "partial")}
    marks = {
        (v.registration, v.registration_status) for v in referral.vehicle_mentions.filter(origin="structured")
    }
    assert marks == {("WOB-ZK 295", "foreign"), ("GR15 EYC??!", "partial")}


def test_change_links_return_to_check_your_answers(client):
    """A change made from "Check your answers" goes back there, and what is sent is the changed answer."""
    send_report(client)  # one sent report, so the journey is known to work from the start
    reach(client, "about-you")
    answer(client, "/report/about-you", {"identity": "anonymous"})
    check = client.get("/report/check-your-answers").content.decode()
    assert 'href="/report/what-happened?change=1"' in check and 'href="/report/children?change=1"' in check
    page = client.get("/report/what-happened?change=1")
    changed = client.post(
        "/report/what-happened", {"summary": "A new account.", "draft": draft_key(page), "change": "1"}
    )
    assert changed["Location"] == "/report/check-your-answers"
    assert "A new account." in client.get("/report/check-your-answers").content.decode()


def test_pressing_send_twice_sends_one_report(client):
    """A second press of "Send" (the same draft, before the first answer arrived) shows the same reference and
    secret, and writes nothing more."""
    reach(client, "about-you")
    answer(client, "/report/about-you", {"identity": "anonymous"})
    check = client.get("/report/check-your-answers")
    cookies = {name: morsel.value for name, morsel in client.cookies.items()}
    first = client.post("/report/check-your-answers", {"draft": draft_key(check)})
    after_first = counts()
    for name, value in cookies.items():  # the second request still carries the draft
        client.cookies[name] = value
    second = client.post("/report/check-your-answers", {"draft": draft_key(check)})
    assert Referral.objects.count() == 1 and counts() == after_first
    assert shown(second, "reference") == shown(first, "reference")
    assert shown(second, "secret") == shown(first, "secret")
    assert PublicReportKey.objects.get().referral == Referral.objects.get()
    # Once the browser has the first answer, its draft is gone, and a third press says so without sending.
    third = client.post("/report/check-your-answers", {"draft": draft_key(check)})
    assert "Your answers have been deleted" in third.content.decode() and Referral.objects.count() == 1


def test_pages_reached_out_of_order_say_which_to_answer(client):
    """A later page, "Check your answers" or a second item, opened before the pages before it, says where to go."""
    page = client.get("/report/people").content.decode()
    assert "Answer the earlier questions first" in page and 'href="/report"' in page
    reach(client, "children")
    for path in ("/report/about-you", "/report/check-your-answers", "/report/people"):
        page = client.get(path).content.decode()
        assert "Answer the earlier questions first" in page and 'href="/report/children"' in page, path
    assert "Answer the earlier questions first" in client.get("/report/children/3").content.decode()
    assert client.get("/report/children/4").status_code == 404
    assert client.get("/report/no-such-question").status_code == 404
    assert not Referral.objects.exists()


def test_a_changed_draft_key_or_cookie_is_turned_back(client):
    """A page posted with another draft's key, or a draft cookie that was changed, saves and sends nothing."""
    reach(client, "about-you")
    response = client.post("/report/about-you", {"identity": "anonymous", "draft": "changed"})
    assert "This page is out of date" in response.content.decode()
    assert "Answer the earlier questions first" in client.get("/report/check-your-answers").content.decode()
    client.cookies["lantern_report_0"] = client.cookies["lantern_report_0"].value[:-4] + "AAAA"
    page = client.post("/report/check-your-answers", {"draft": "x"}).content.decode()
    assert "Your answers have been deleted" in page
    assert not Referral.objects.exists()


def test_answers_expire_after_thirty_minutes(client):
    """A draft left for longer than the idle timeout cannot be read or sent: the page says to start again."""
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        reach(client, "about-you")
        answer(client, "/report/about-you", {"identity": "anonymous"})
        check = client.get("/report/check-your-answers")
        traveller.shift(timedelta(minutes=31))
        response = client.post("/report/check-your-answers", {"draft": draft_key(check)})
    assert "Your answers have been deleted" in response.content.decode()
    assert not Referral.objects.exists()


def test_exit_this_page_deletes_the_answers_and_the_session(client, user_factory):
    """Exit this page deletes the draft cookies and the session, then leaves for a neutral site."""
    reach(client, "where-and-when")
    session = client.session
    session["something"] = "kept"
    session.save()
    response = client.get("/report/exit")
    assert response.status_code == 302 and response["Location"] == "https://www.bbc.co.uk/weather"
    assert response.cookies["lantern_report_0"]["max-age"] == 0
    assert response["Referrer-Policy"] == "no-referrer"
    assert not Session.objects.exists()
    assert "Your answers have been deleted" in client.get("/report/check-your-answers").content.decode()
    for path in ("/report", "/report/what-happened", "/report/me", "/report/me/what-is-happening", "/track"):
        page = client.get(path).content.decode()
        assert 'data-module="govuk-exit-this-page"' in page and 'href="/report/exit"' in page, path


def test_honeypot_answers_like_success_and_writes_nothing(client):
    """A bot that fills the hidden field sees a normal confirmation, but nothing is stored."""
    before = counts()
    response = send_report(client, **{"what-happened": {"website": "http://spam.example"}})
    assert response.status_code == 200
    assert re.fullmatch(r"RIV-\d{4}-\d{6}", shown(response, "reference"))
    assert shown(response, "secret")
    assert counts() == before


def test_reports_are_rate_limited_per_client(client, settings):
    """Sending is limited per client: after the allowance the client gets a 429 page and nothing more is
    written; another client is unaffected. Question pages are never counted."""
    settings.LANTERN_RATE_LIMITS = {"report": (2, 3600)}
    for _ in range(2):
        assert send_report(client).status_code == 200
    before = counts()
    refused = send_report(client)
    assert refused.status_code == 429
    assert "Too many attempts" in refused.content.decode()
    assert counts() == before
    assert send_report(Client(REMOTE_ADDR="203.0.113.9")).status_code == 200


def test_csrf_is_enforced():
    """A question page posted without the CSRF token is refused; with the token from the page it is accepted."""
    client = Client(enforce_csrf_checks=True)
    assert client.post("/report/what-happened", {"summary": SUMMARY}).status_code == 403
    page = client.get("/report/what-happened").content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    response = client.post("/report/what-happened", {"summary": SUMMARY, "csrfmiddlewaretoken": token})
    assert response.status_code == 302


def test_oversized_answers_are_refused(client):
    """A body larger than any genuine answer is refused with 413 before it is read."""
    response = client.post("/report/what-happened", {"summary": "x" * 70_000})
    assert response.status_code == 413
    reach(client, "about-you")
    assert client.post("/report/check-your-answers", {"draft": "x" * 70_000}).status_code == 413


def test_one_topic_a_page_and_no_doubled_words(client):
    """Each page asks about one thing with few controls; the question is the heading once; hints are not doubled."""
    reach(client, "about-you")
    answer(client, "/report/about-you", {"identity": "anonymous"})
    for path in ("/report", *(f"/report/{step}" for step in PUBLIC_STEPS), "/report/check-your-answers"):
        page = client.get(path).content.decode()
        assert len(CONTROL.findall(page)) <= 12, path
    what = client.get("/report/what-happened").content.decode()
    assert len(re.findall(r">\s*What happened\??\s*<", what)) == 1
    children = client.get("/report/children").content.decode()
    assert children.count("For example, 27 3 2012") == 1 and "27 3 2026" not in children


# A form control a person can operate: not hidden inputs.
CONTROL = re.compile(r'<(?:textarea|select|button)\b|<input\b(?![^>]*type="hidden")')


# A young person's own report
def test_a_young_persons_report_is_a_self_referral_about_them(client):
    """Answering only what is happening sends a self-referral with the young person as the child, anonymous."""
    start = client.get("/report/me").content.decode()
    assert "999" in start and "0800 1111" in start
    answer(client, "/report/me/what-is-happening", {"summary": "A man keeps giving me money and lifts."})
    answer(client, "/report/me/about-you", action="skip")
    check = client.get("/report/me/check-your-answers")
    assert counts()["Referral"] == 0
    response = client.post("/report/me/check-your-answers", {"draft": draft_key(check)})
    referral = Referral.objects.get()
    assert shown(response, "reference") == referral.reference
    assert referral.source == "self" and referral.channel == "public_form" and referral.anonymous
    child = referral.person_mentions.get()
    assert child.role == "child"
    assert AuditEvent.objects.filter(event_type="referral.created").count() == 1


def test_a_young_persons_details_are_asked_once_and_used_twice(client):
    """The young person's name, age and school describe the child; their name and contact, the reporter."""
    answer(client, "/report/me/what-is-happening", {"summary": "Someone online wants to meet me."})
    answer(
        client,
        "/report/me/about-you",
        {"name": "Sam", "age": "12", "school": "Riverton Academy", "contact": "07700 900123"},
    )
    check = client.get("/report/me/check-your-answers")
    assert len(CONTROL.findall(check.content.decode())) <= 12
    client.post("/report/me/check-your-answers", {"draft": draft_key(check)})
    referral = Referral.objects.get()
    child = referral.person_mentions.get()
    assert (child.role, child.name, child.age, child.school) == ("child", "Sam", 12, "Riverton Academy")
    assert (referral.reporter_name, referral.reporter_contact, referral.anonymous) == (
        "Sam",
        "07700 900123",
        False,
    )


def test_a_young_persons_draft_is_not_the_public_reports(client):
    """A draft from one journey cannot be checked or sent through the other."""
    answer(client, "/report/me/what-is-happening", {"summary": "Someone online wants to meet me."})
    assert "Your answers have been deleted" in client.get("/report/check-your-answers").content.decode()


# Tracking
@pytest.fixture
def reported(client):
    """A public report with names, a plate, a phone and a place; returns (referral, secret)."""
    response = send_report(client, **FULL_REPORT)
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


def test_a_wrong_first_answer_then_a_right_one_starts_the_report(client):
    """An empty "What happened" shows its error; answering it then carries on (no draft was started by the error)."""
    wrong = client.post("/report/what-happened", {"summary": "", "draft": ""})
    assert "Enter what happened" in wrong.content.decode() and draft_key(wrong) == ""
    right = client.post("/report/what-happened", {"summary": SUMMARY, "draft": draft_key(wrong)})
    assert right.status_code == 302 and right["Location"] == "/report/where-and-when"
