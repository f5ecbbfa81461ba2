"""The public journey in a real browser: report a concern, then track it through to its closure."""

import re

import pytest
from playwright.sync_api import expect

from lantern.accounts.models import AgencyKind, Role
from lantern.accounts.testing import AgencyFactory, UserFactory
from lantern.casework import services
from lantern.frontdoor import services as decisions
from lantern.intake.models import DecisionKind, Referral, ReferralStatus

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

CHILD_NAME = "Jade Example"
PLACE_NAME = "Riverside Allotments"
PLATE = "GR15 EYC"


def report_a_concern(page, axe_check) -> tuple[str, str]:
    """Answer the public question pages as the public would, and send; returns (reference, secret)."""
    page.goto("/report")
    expect(page.get_by_role("heading", level=1)).to_have_text("Report a concern about a child")
    page.get_by_role("button", name="Start now").click()
    page.get_by_label("What happened", exact=True).fill(
        "Older men pick a girl up from the allotments in a grey car most evenings."
    )
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Where it happened").fill(PLACE_NAME)
    page.get_by_label("Type of place").select_option(label="Allotment")
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Name", exact=True).fill(CHILD_NAME)
    page.get_by_label("Age", exact=True).fill("13")
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("button", name="I do not know, skip this").click()  # people
    page.get_by_label("Registration mark").fill(PLATE)
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("button", name="I do not know, skip this").click()  # phone numbers
    page.get_by_label("No, I want to stay anonymous").check()
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your answers")
    page.get_by_role("button", name="Send").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Report sent")
    axe_check(page)
    reference = page.get_by_test_id("reference").inner_text().strip()
    secret = page.get_by_test_id("secret").inner_text().strip()
    return reference, secret


def decide_and_act_on(referral: Referral) -> None:
    """The front door refers it to the police and social care; each acknowledges and completes its task."""
    front_door = UserFactory(
        username="fd.browser", agency=AgencyFactory(kind=AgencyKind.CSC), role=Role.FRONT_DOOR
    )
    agencies = [AgencyFactory(kind=AgencyKind.POLICE), AgencyFactory(kind=AgencyKind.CSC)]
    decisions.referral_decide(
        actor=front_door,
        referral=referral,
        kind=DecisionKind.REFER_AGENCIES,
        rationale="Grooming pattern around the allotments.",
        priority="amber",
        agencies=agencies,
    )
    tasks = {task.agency.kind: task for task in referral.tasks.select_related("agency")}
    assert set(tasks) == {AgencyKind.POLICE, AgencyKind.CSC}
    # The police finish first, so the history shows each agency's part as its own step, in that order.
    for kind, outcome in ((AgencyKind.POLICE, "disruption"), (AgencyKind.CSC, "section_47")):
        worker = UserFactory(username=f"{kind}.browser", agency=tasks[kind].agency, role=Role.PRACTITIONER)
        services.task_acknowledge(actor=worker, task=tasks[kind])
        services.task_complete(
            actor=worker,
            task=tasks[kind],
            outcome=outcome,
            narrative=f"Visited {PLACE_NAME} and spoke to {CHILD_NAME}; {PLATE} flagged.",
        )
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.CLOSED


def track(page, reference: str, secret: str) -> None:
    """Open the tracking page and ask about a report."""
    page.goto("/track")
    expect(page.get_by_role("heading", level=1)).to_have_text("Check on a report")
    page.get_by_label("Reference").fill(reference)
    page.get_by_label("Secret").fill(secret)
    page.get_by_role("button", name="Check report").click()


def test_member_of_the_public_reports_and_tracks_to_closure(page, axe_check):
    """A report made without an account is tracked to its closed outcome, showing nobody's details."""
    reference, secret = report_a_concern(page, axe_check)
    referral = Referral.objects.get(reference=reference)
    assert referral.source == "public" and referral.anonymous

    track(page, reference, secret)
    expect(page.get_by_role("heading", level=1)).to_have_text("Received: waiting to be looked at")
    axe_check(page)

    decide_and_act_on(referral)
    page.get_by_role("link", name="Check another report").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check on a report")
    axe_check(page)
    track(page, reference, secret)

    expect(page.get_by_role("heading", level=1)).to_have_text("Closed")
    history = page.locator("main")
    expect(history).to_contain_text(f"Report {reference}")
    steps = page.locator(".lantern-track > li h3")
    expect(steps).to_have_text(
        [
            "Received",
            "Looked at by the safeguarding team",
            "Passed to Children's social care and Police",
            "Police: action taken",
            "Children's social care: action taken",
            "Closed",
        ]
    )
    expect(history).to_contain_text("It was passed to the agencies that need to act.")
    expect(history).to_contain_text(referral.public_outcome)
    text = page.locator("body").inner_text().lower()
    for private in (CHILD_NAME, "Jade", PLACE_NAME, "allotment", PLATE, "GR15", "Riverton", secret):
        assert private.lower() not in text, private
    axe_check(page)


def test_wrong_secret_gets_the_generic_error(page, axe_check):
    """A right reference with a wrong secret is told only that the pair is not right."""
    reference, _secret = report_a_concern(page, axe_check)
    track(page, reference, "AAAA-BBBB-CCCC-DDDD")
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("The reference or secret is not right")
    expect(page.get_by_role("heading", level=1)).to_have_text("Check on a report")
    expect(page).to_have_title(re.compile(r"^Error: "))
    expect(page.get_by_label("Secret")).to_have_value("")
    axe_check(page)


def test_report_errors_are_accessible(page, axe_check):
    """An empty answer, then a bad age, show their errors accessibly and write nothing (a registration mark in any
    form is accepted)."""
    page.goto("/report/what-happened")
    axe_check(page)
    page.get_by_role("button", name="Continue").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("Enter what happened")
    expect(page).to_have_title(re.compile(r"^Error: "))
    axe_check(page)

    page.get_by_label("What happened", exact=True).fill("A girl is picked up by older men.")
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("button", name="I do not know, skip this").click()
    page.get_by_label("Age", exact=True).fill("40")
    page.get_by_role("button", name="Continue").click()
    expect(summary).to_contain_text("between 0 and 25")
    # The summary's links move focus to the field in error.
    summary.get_by_role("link", name="between 0 and 25", exact=False).click()
    expect(page.get_by_label("Age", exact=True)).to_be_focused()
    axe_check(page)
    page.get_by_label("Age", exact=True).fill("")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("People you are worried about")
    page.get_by_role("button", name="I do not know, skip this").click()
    page.get_by_label("Registration mark").fill("GR15 EYC??!")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Phone numbers")
    assert not Referral.objects.exists()
