"""A child's family network in a real browser: the social worker opens the case of a child whose father is the
person of concern in the mother's own earlier referral, sees the conflict banner naming that referral, and adds
a grandmother through the form; axe-core clean on the case page and the form."""

import re
from datetime import date

import pytest
from playwright.sync_api import expect

from lantern.accounts.models import AgencyKind, Role
from lantern.accounts.testing import AgencyFactory, UserFactory
from lantern.browser_tests.test_casework_pages import heading, sign_in
from lantern.casework import family, services
from lantern.intake import services as intake
from lantern.intake.schemas import ReferralIn

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def make_case():
    """The mother's earlier referral (the father its person of concern, with his phone), then her baby's case with
    both parents in the network. Matching runs as each referral commits (the immediate task backend)."""
    csc = AgencyFactory(kind=AgencyKind.CSC)
    worker = UserFactory(username="csc.worker", agency=csc, role=Role.PRACTITIONER)
    earlier, _ = intake.referral_create(
        actor=worker,
        channel="web",
        referral=ReferralIn(
            source="professional",
            summary="A concern about exploitation.",
            children=[{"name": "Kelly Marsh", "date_of_birth": date(2001, 5, 17)}],
            persons=[{"name": "Darren Cole", "age": 47, "address": "12 Mill Lane"}],
            phones=[{"number": "07700 900123"}],
        ),
    )
    case = services.case_open(
        actor=worker, subject_name="Baby Marsh", lead_agency=csc, expected_date=date(2030, 1, 1), owner=worker
    )
    family.network_member_add(
        actor=worker,
        case=case,
        name="Kelly Marsh",
        relationship="mother",
        date_of_birth=date(2001, 5, 17),
        victim_parent=True,
        victim_parent_referrals=[earlier],
    )
    family.network_member_add(
        actor=worker,
        case=case,
        name="Darren Cole",
        relationship="father",
        date_of_birth=date(1979, 2, 11),
        address="12 Mill Lane",
        phone="07700 900123",
    )
    return worker, case, earlier


def test_the_social_worker_sees_the_conflict_and_adds_a_grandmother(page, axe_check):
    """The banner names the earlier referral; the network lists both parents; a grandmother is added."""
    worker, case, earlier = make_case()
    sign_in(page, worker, f"/cases/{case.pk}/")
    banner = page.locator(".govuk-notification-banner")
    expect(banner).to_contain_text("Safeguarding conflict")
    expect(banner).to_contain_text(earlier.reference)
    expect(page.get_by_text("Darren Cole").first).to_be_visible()
    axe_check(page)

    page.goto(f"/cases/{case.pk}/network/new/")
    axe_check(page)
    page.get_by_role("button", name=re.compile("Add|Save")).first.click()
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    axe_check(page)
    page.get_by_label("Full name").fill("Rita Marsh")
    page.get_by_label("Who they are to the child").select_option("grandmother")
    page.get_by_role("button", name=re.compile("Add|Save")).first.click()
    expect(heading(page)).to_be_visible()
    expect(page.get_by_text("Rita Marsh").first).to_be_visible()


def test_involvement_refused_then_decided_and_signed_off_through_the_pages(page, axe_check):
    """Proposing contact with the father is refused and the page says why; the team manager decides to involve him
    with safeguards; the service manager signs it off. axe-core clean on each page, errors included."""
    worker, case, earlier = make_case()
    manager = UserFactory(username="csc.manager", agency=case.lead_agency, role=Role.TEAM_MANAGER)
    service_manager = UserFactory(username="csc.head", agency=case.lead_agency, role=Role.SERVICE_MANAGER)

    sign_in(page, worker, f"/cases/{case.pk}/involvements/new/")
    axe_check(page)
    page.get_by_label("Who would be involved?").select_option(label="Darren Cole (father)")
    page.get_by_label("Contact with the child").check()
    page.get_by_role("button", name="Record the involvement").click()
    blocked = page.get_by_test_id("involvement-blocked")
    expect(blocked).to_contain_text("Not recorded: safeguarding conflict")
    expect(blocked).to_contain_text(earlier.reference)
    axe_check(page)

    page.context.clear_cookies()
    sign_in(page, manager, f"/cases/{case.pk}/")
    page.get_by_role("link", name=re.compile("^Decide")).click()
    axe_check(page)
    page.get_by_role("button", name="Record the decision").click()
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    axe_check(page)
    page.get_by_label("Involve with safeguards").check()
    page.get_by_label("Reason for the decision").fill("Supervised contact only, at a contact centre.")
    page.get_by_label("Yes").check()
    page.get_by_role("button", name="Record the decision").click()
    expect(page.get_by_text("The decision has been recorded.")).to_be_visible()

    page.context.clear_cookies()
    sign_in(page, service_manager, f"/cases/{case.pk}/")
    page.get_by_role("link", name=re.compile("^Sign off")).click()
    expect(page.get_by_text("Supervised contact only")).to_be_visible()
    axe_check(page)
    page.get_by_role("button", name="Sign off the decision").click()
    expect(page.get_by_text("The decision has been signed off.")).to_be_visible()
    axe_check(page)
