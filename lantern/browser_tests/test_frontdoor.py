"""The front-door screening journey in a real browser: queue, screening, decision, tasks; axe-core clean."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from lantern.accounts.models import AgencyKind
from lantern.accounts.testing import TEST_PASSWORD, add_totp_device, totp_now
from lantern.casework.models import AgencyTask
from lantern.frontdoor.tests.support import make_borough, make_referral
from lantern.intake.models import Referral, ReferralStatus, Screening

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def sign_in(page, user) -> None:
    """Sign in with the password and a code from the authenticator app, as a person would."""
    device = user.totpdevice_set.first() or add_totp_device(user)
    page.goto("/accounts/login/?next=/front-door/")
    page.locator('[name="username"]').fill(user.username)
    page.locator('[name="password"]').fill(TEST_PASSWORD)
    page.locator('form:has([name="password"]) [type="submit"]').click()
    page.wait_for_url(re.compile(r"/accounts/mfa/"))
    page.locator('[name="otp_token"]').fill(totp_now(device))
    page.locator('form:has([name="otp_token"]) [type="submit"]').click()


def test_front_door_worker_screens_decides_and_sees_tasks_created(page, axe_check):
    """A front-door worker opens the queue, screens a referral, refers it to agencies and sees their tasks."""
    borough = make_borough()
    worker = borough["front_door"]
    referral = make_referral(
        summary="A girl of 12 seen getting into cars with older men outside a takeaway.",
        children=[{"name": "Child A", "age": 12}],
    )
    page.clock.install()
    sign_in(page, worker)

    page.wait_for_url(re.compile(r"/front-door/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Front door")
    row = page.get_by_test_id("queue-row").filter(has_text=referral.reference)
    expect(row).to_contain_text("left")
    expect(row.locator("time")).to_have_count(2)
    axe_check(page)
    # The clocks keep time on an open page: a minute later the server's answer replaces each clock in place.
    Referral.objects.filter(pk=referral.pk).update(decision_due_at=timezone.now() - timedelta(minutes=90))
    page.clock.run_for(61_000)
    expect(row).to_contain_text("Overdue by 1 hour 30 minutes")
    Referral.objects.filter(pk=referral.pk).update(decision_due_at=referral.decision_due_at)

    row.get_by_role("link", name=re.compile(r"^Screen")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Screen the referral")
    expect(page.get_by_label("Child's age")).to_have_value("12")
    axe_check(page)
    # Submitting an indicator without its evidence is refused, with the error linked from the summary.
    page.get_by_label("Getting into or out of cars driven by unknown adults", exact=True).check()
    page.get_by_role("button", name="Record the screening").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Record the evidence for this indicator.")
    axe_check(page)
    evidence = page.get_by_label("Evidence for “Getting into or out of cars driven by unknown adults”")
    expect(evidence).to_be_visible()  # revealed, because its indicator is still ticked
    evidence.fill("Seen three times getting into a silver car driven by an older man.")
    page.get_by_label("Professional judgement", exact=True).fill("Pattern of grooming; she is very young.")
    page.get_by_role("button", name="Record the screening").click()

    expect(page.get_by_test_id("screening-result")).to_contain_text("Risk level: High")
    axe_check(page)
    assert Screening.objects.get(referral=referral).risk_level == "high"
    page.get_by_role("link", name="Record the decision").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Record the decision")
    expect(page.get_by_test_id("decision-clock")).to_contain_text("left")
    axe_check(page)
    refer = page.get_by_label("Refer to agencies", exact=True)
    refer.check()
    reveal = page.locator("#conditional-refer")
    expect(reveal).to_be_visible()
    expect(page.locator("#conditional-strategy")).to_be_hidden()
    # The screening's recommendation is already ticked.
    police = borough["agencies"][AgencyKind.POLICE]
    expect(reveal.get_by_label(police.name, exact=True)).to_be_checked()
    reveal.get_by_label("Red", exact=True).check()
    axe_check(page)
    page.get_by_label("Rationale", exact=True).fill(
        "High risk on screening: social care and police to act today."
    )
    page.get_by_role("button", name="Record the decision").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Refer to agencies")
    tasks = page.get_by_test_id("tasks-created")
    expect(tasks).to_contain_text(police.name)
    expect(tasks).to_contain_text(borough["agencies"][AgencyKind.CSC].name)
    axe_check(page)
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.OPEN
    assert AgencyTask.objects.filter(referral=referral, agency=police, priority="red").exists()


def test_sign_off_and_screening_tool_pages_are_accessible(page, axe_check):
    """The partnership lead's sign-off page and the screening tool's settings pass axe-core."""
    from lantern.frontdoor import services as decisions

    borough = make_borough()
    decision = decisions.referral_decide(
        actor=borough["front_door"],
        referral=make_referral(),
        kind="nfa",
        rationale="Duplicate of an open referral.",
    )
    sign_in(page, borough["lead"])
    page.wait_for_url(re.compile(r"/front-door/"))
    expect(page.get_by_role("link", name=re.compile(r"^Awaiting sign-off"))).to_have_attribute(
        "aria-current", "page"
    )
    axe_check(page)
    page.goto(f"/decisions/{decision.pk}/sign-off")
    page.get_by_role("button", name="Record sign-off").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text(
        "Choose whether to approve or reject the decision."
    )
    axe_check(page)
    page.goto("/settings/screening-tool")
    expect(page.get_by_role("heading", level=1)).to_have_text("Screening tool")
    axe_check(page)
