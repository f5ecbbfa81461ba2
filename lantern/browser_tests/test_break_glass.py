"""Break glass in a real browser: a police officer with no relationship to a restricted case sees "This record is
restricted", is refused a reason too short to judge, states a proper one and reads the case; the data protection
officer signs the use off from the review list. axe-core clean on every page."""

import re

import pytest
from playwright.sync_api import expect

from lantern.accounts.models import AgencyKind, Role
from lantern.accounts.testing import AgencyFactory, UserFactory
from lantern.browser_tests.test_casework_pages import heading, sign_in
from lantern.casework import services
from lantern.casework.models import BreakGlassUse

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

REASON = (
    "Child reported missing tonight; her named social worker and manager cannot be reached before morning."
)


def test_an_officer_breaks_the_glass_and_the_dpo_signs_it_off(page, axe_check):
    """Restricted page, a refused reason, the case read; then the review list and its sign-off."""
    csc = AgencyFactory(kind=AgencyKind.CSC)
    partnership = AgencyFactory(kind=AgencyKind.PARTNERSHIP)
    owner = UserFactory(username="csc.owner", agency=csc, role=Role.PRACTITIONER)
    officer = UserFactory(
        username="police.officer", agency=AgencyFactory(kind=AgencyKind.POLICE), role=Role.PRACTITIONER
    )
    dpo = UserFactory(username="the.dpo", agency=partnership, role=Role.DATA_PROTECTION_OFFICER)
    case = services.case_open(actor=owner, subject_name="Skye Example", lead_agency=csc, owner=owner)
    services.case_restrict(actor=owner, case=case, to=[owner], reason="A relative works in the police.")

    sign_in(page, officer, f"/cases/{case.pk}/")
    expect(heading(page)).to_have_text("This record is restricted")
    expect(page.get_by_text("Skye Example")).to_have_count(0)
    axe_check(page)
    page.get_by_label("Why do you need to open this record now?").fill("urgent")
    page.get_by_role("button", name="Open this record").click()
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    axe_check(page)
    page.get_by_label("Why do you need to open this record now?").fill(REASON)
    page.get_by_role("button", name="Open this record").click()
    expect(heading(page)).to_contain_text("Skye Example")
    expect(page.get_by_text(re.compile("You can read this record until"))).to_be_visible()
    expect(page.get_by_test_id("break-glass-banner")).to_be_visible()
    axe_check(page)

    page.context.clear_cookies()
    sign_in(page, owner, f"/cases/{case.pk}/")
    expect(page.get_by_test_id("break-glass-table")).to_contain_text(REASON)
    axe_check(page)

    page.context.clear_cookies()
    sign_in(page, dpo, "/break-glass/")
    expect(page.get_by_role("cell", name=REASON)).to_be_visible()
    axe_check(page)
    page.get_by_role("link", name=re.compile("Sign off")).click()
    axe_check(page)
    page.get_by_label("Note (optional)").fill("Justified: the child was missing.")
    page.get_by_role("button", name="Sign off").click()
    expect(page.get_by_text("No use of break glass is awaiting sign-off")).to_be_visible()
    axe_check(page)
    assert BreakGlassUse.objects.get().signed_off_by == dpo
