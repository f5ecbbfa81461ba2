"""An independent reviewer tests one allegation end to end in a real browser; every page axe-core clean."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from lantern.accounts.models import AgencyKind, Role
from lantern.accounts.testing import AgencyFactory, UserFactory
from lantern.audit.models import AuditEvent
from lantern.browser_tests.test_casework_pages import heading, make_people, sign_in
from lantern.casework.tests.fixtures import route
from lantern.oversight.reviews import services
from lantern.oversight.reviews.models import ReviewReport

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def test_reviewer_tests_an_allegation_and_generates_the_report(page, axe_check):
    """Open the review, read an in-scope referral, link it as evidence (one refused try), record a finding and
    generate the report; the partnership lead then sees the read."""
    people = make_people()
    referral, _case, _tasks = route(people, child="Child R")
    partnership = AgencyFactory(kind=AgencyKind.PARTNERSHIP)
    lead = UserFactory(username="partnership.lead", agency=partnership, role=Role.PARTNERSHIP_LEAD)
    reviewer = UserFactory(username="reviewer", agency=partnership, role=Role.REVIEWER)
    lead_reviewer = UserFactory(username="reviewer.lead", agency=partnership, role=Role.REVIEWER)
    today = timezone.localdate()
    review = services.review_create(
        actor=lead,
        title="Review of responses to taxi concerns",
        terms_of_reference="Test the allegations.",
        commissioned_by="Riverton Safeguarding Partnership executive",
        period_start=today - timedelta(days=30),
        period_end=today,
        starts_on=today,
        ends_on=today + timedelta(days=30),
        lead_reviewer=lead_reviewer,
        reviewers=[lead_reviewer, reviewer],
        agencies=[people[AgencyKind.POLICE, Role.PRACTITIONER].agency],
    )
    allegation = services.allegation_add(
        actor=lead_reviewer,
        review=review,
        made_by="A councillor",
        claim="The police never acted on reports about the takeaway.",
        made_on=today - timedelta(days=3),
    )

    sign_in(page, reviewer, "/reviews/")
    expect(heading(page)).to_have_text("Independent reviews")
    axe_check(page)
    page.get_by_role("link", name=review.reference).click()
    expect(heading(page)).to_have_text(review.title)
    axe_check(page)

    page.get_by_role("link", name="Records in scope").click()
    expect(heading(page)).to_have_text("Records in scope")
    axe_check(page)
    page.get_by_role("link", name=referral.reference, exact=True).click()
    page.wait_for_url(re.compile(rf"/referrals/{referral.pk}/$"))
    axe_check(page)

    page.goto(f"/reviews/{review.pk}/")
    page.get_by_role("link", name="Allegation 1").click()
    expect(heading(page)).to_have_text("Allegation 1")
    axe_check(page)

    page.get_by_label("Referral", exact=True).check()
    page.get_by_label("Reference or number").fill("RIV-NOT-IN-SCOPE")
    page.get_by_label("Evidence against", exact=True).check()
    page.get_by_label("What it shows").fill("Police acknowledged the task on the day it arrived.")
    page.get_by_role("button", name="Link record").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("No record of that kind")
    expect(page).to_have_title(re.compile(r"^Error: "))
    axe_check(page)

    page.get_by_label("Reference or number").fill(referral.reference)
    page.get_by_role("button", name="Link record").click()
    expect(page.locator("main")).to_contain_text(f"Referral {referral.reference}")
    axe_check(page)

    page.get_by_label("Unfounded").check()
    page.get_by_label("Rationale").fill("The referral was routed to the police and acted on.")
    page.get_by_role("button", name="Record finding").click()
    expect(page.get_by_test_id("finding")).to_contain_text("Unfounded")
    expect(page.get_by_test_id("finding")).to_contain_text("awaiting sign-off")
    axe_check(page)
    allegation.refresh_from_db()
    assert allegation.finding == "unfounded" and allegation.finding_by == reviewer

    page.goto(f"/reviews/{review.pk}/")
    page.get_by_role("link", name="Generate the report").click()
    expect(heading(page)).to_have_text("Generate the report")
    axe_check(page)
    page.get_by_label("Further limitations").fill("Only one month was in scope.")
    page.get_by_role("button", name="Generate report").click()
    expect(heading(page)).to_have_text("Report, version 1")
    expect(page.locator("main")).to_contain_text(f"Referral {referral.reference}")
    expect(page.locator("main")).to_contain_text("Only one month was in scope.")
    axe_check(page)
    assert ReviewReport.objects.get(review=review).version == 1

    context = page.context
    context.clear_cookies()
    sign_in(page, lead, f"/reviews/{review.pk}/reads/")
    expect(heading(page)).to_have_text("Records read by the reviewers")
    expect(page.locator("main")).to_contain_text(f"Referral {referral.pk}")
    axe_check(page)
    assert AuditEvent.objects.filter(event_type="review.record_read", actor=reviewer).exists()
