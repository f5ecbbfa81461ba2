"""Intelligence items in a real browser: a partner agency submits, police grade C and share it; axe-core clean."""

import re

import pytest
from playwright.sync_api import expect

from lantern.accounts.models import AgencyKind, Role
from lantern.accounts.testing import AgencyFactory, UserFactory
from lantern.intel.models import Disclosure, IntelligenceItem, IntelligenceSource

from .test_casework_pages import heading, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def test_partner_submits_and_police_grade_and_share(page, axe_check):
    """A social worker submits with a source; a police analyst reads the source, grades C and shares it."""
    csc, police = AgencyFactory(kind=AgencyKind.CSC), AgencyFactory(kind=AgencyKind.POLICE)
    worker = UserFactory(username="csc.worker", agency=csc, role=Role.PRACTITIONER)
    analyst = UserFactory(username="police.analyst", agency=police, role=Role.ANALYST)

    sign_in(page, worker, "/intel/items/")
    expect(heading(page)).to_have_text("Intelligence")
    axe_check(page)
    page.get_by_role("link", name="Submit intelligence").click()
    expect(heading(page)).to_have_text("Submit intelligence")
    axe_check(page)

    # A mistake first: the error summary lists it and links to the field.
    page.get_by_label("Summary").fill("Girls getting into a silver car outside the takeaway")
    page.locator('[name="vehicles-0-registration"]').fill("WOB-ZK 295")
    page.get_by_role("button", name="Submit intelligence").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter the information as it was received")
    # A foreign mark is never an error: the vehicle's mark is taken in any form.
    expect(page.locator(".govuk-error-summary")).not_to_contain_text("registration mark")
    axe_check(page)

    page.get_by_label("The information").fill(
        "A neighbour says girls get into AB12 CDE most Fridays at 21:00."
    )
    page.locator('[name="vehicles-0-registration"]').fill("AB12 CDE")
    page.get_by_label("Source's name").fill("Synthetic Neighbour")
    page.get_by_role("button", name="Submit intelligence").click()
    item = IntelligenceItem.objects.get()
    expect(heading(page)).to_contain_text(item.reference)
    expect(page.get_by_test_id("content")).to_contain_text("AB12 CDE")
    expect(page.get_by_test_id("source-panel")).to_have_count(0)
    axe_check(page)
    assert IntelligenceSource.objects.get(item=item).name == "Synthetic Neighbour"

    page.context.clear_cookies()
    sign_in(page, analyst, f"/intel/items/{item.pk}/")
    page.get_by_role("link", name=f"Show the source of {item.reference}").click()
    expect(page.get_by_test_id("source")).to_contain_text("Synthetic Neighbour")
    axe_check(page)
    page.get_by_role("link", name=f"Back to {item.reference}").click()

    form = page.get_by_test_id("grade-form")
    form.get_by_label("2: Untested").check()
    form.get_by_label("B: Known indirectly to the source but corroborated").check()
    form.get_by_label("C: Lawful sharing permitted with conditions").check()
    form.get_by_label("Sanitised text").fill("A vehicle is reported collecting girls on Friday evenings.")
    form.get_by_role("button", name="Save grade").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter the conditions on sharing")
    axe_check(page)
    form = page.get_by_test_id("grade-form")
    form.get_by_label("Conditions on sharing").fill("Strategy discussion attendees only.")
    form.get_by_role("button", name="Save grade").click()
    expect(page.get_by_test_id("conditions")).to_have_text("Strategy discussion attendees only.")

    share = page.get_by_test_id("disclose-form")
    share.get_by_label("Agency").select_option(label=csc.name)
    share.get_by_label("Why it is being shared").fill("Strategy discussion on Monday.")
    share.get_by_role("button", name="Record sharing").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("This item is graded C")
    assert not Disclosure.objects.exists()
    share = page.get_by_test_id("disclose-form")
    share.get_by_label(re.compile("I will pass on the conditions")).check()
    share.get_by_role("button", name="Record sharing").click()
    expect(page.get_by_test_id("disclosures")).to_contain_text(csc.name)
    axe_check(page)
    assert Disclosure.objects.get().conditions == "Strategy discussion attendees only."
