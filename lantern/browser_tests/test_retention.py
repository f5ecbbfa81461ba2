"""Retention in a real browser: the records manager opens the data protection view, the review queue and a record,
is refused a disposal with the wrong reference, disposes of it, places and lifts a legal hold on another, and reads
the schedule; every page axe-core clean."""

import re
from datetime import datetime

import pytest
from playwright.sync_api import expect

from lantern.accounts.models import AgencyKind, Role
from lantern.accounts.testing import AgencyFactory, UserFactory
from lantern.browser_tests.test_casework_pages import heading, sign_in
from lantern.casework.tests.fixtures import LONDON
from lantern.governance.retention import services
from lantern.governance.retention.models import LegalHold, RecordReview, ReviewState
from lantern.governance.retention.tests.fixtures import old_referral

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def test_records_manager_reviews_holds_and_disposes(page, axe_check):
    """Data protection view, queue, record, a refused then a confirmed disposal, a hold placed and lifted."""
    partnership = AgencyFactory(kind=AgencyKind.PARTNERSHIP)
    police = AgencyFactory(kind=AgencyKind.POLICE)
    officer = UserFactory(username="police.officer", agency=police, role=Role.PRACTITIONER)
    manager = UserFactory(username="records.manager", agency=partnership, role=Role.RECORDS_MANAGER)
    first = old_referral(officer, received_at=datetime(2016, 2, 1, 9, 0, tzinfo=LONDON))
    second = old_referral(officer, received_at=datetime(2017, 5, 3, 9, 0, tzinfo=LONDON))
    services.retention_list_due()

    sign_in(page, manager, "/")
    page.get_by_role("navigation", name="Primary navigation").get_by_role(
        "link", name="Data protection"
    ).click()
    expect(heading(page)).to_have_text("Data protection")
    expect(page.get_by_test_id("section-records-due")).to_contain_text(first.reference)
    expect(page.get_by_test_id("section-requests-due")).to_contain_text(
        "No subject access request is due in the next ten days."
    )
    axe_check(page)

    page.get_by_role("link", name="See the whole review queue").click()
    expect(page.get_by_test_id("due-count")).to_have_text("2 records due")
    axe_check(page)
    page.get_by_role("link", name=first.reference).click()
    expect(heading(page)).to_have_text(first.reference)
    expect(page.get_by_test_id("blockers")).to_contain_text("Nothing")
    axe_check(page)

    page.get_by_role("button", name="Dispose of").click()
    expect(heading(page)).to_have_text("Dispose of the record")
    axe_check(page)
    page.get_by_label("Type the record's reference to confirm").fill("RIV-WRONG")
    page.get_by_role("button", name="Dispose of record").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Type the record's reference exactly")
    expect(page).to_have_title(re.compile("^Error: "))
    axe_check(page)
    page.get_by_label("Type the record's reference to confirm").fill(first.reference)
    page.get_by_role("button", name="Dispose of record").click()
    expect(page.get_by_test_id("disposed")).to_contain_text("Disposed of on")
    axe_check(page)

    page.goto(f"/governance/retention/referral/{second.pk}/")
    page.get_by_role("button", name="Place a legal hold").click()
    page.get_by_role("button", name="Place hold").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Give the reason.")
    axe_check(page)
    page.get_by_label("Why must the record be held?").fill("A civil claim has been notified.")
    page.get_by_role("button", name="Place hold").click()
    expect(page.get_by_test_id("blockers")).to_contain_text("A legal hold is in force")
    expect(page.get_by_role("button", name="Dispose of")).to_have_count(0)

    page.get_by_role("link", name="Review queue").click()
    page.get_by_role("link", name="Legal holds").click()
    expect(page.get_by_test_id("holds-table")).to_contain_text(second.reference)
    axe_check(page)
    page.get_by_role("link", name=re.compile("^Lift")).click()
    expect(heading(page)).to_have_text("Lift the legal hold")
    axe_check(page)
    page.get_by_label("Why can the hold be lifted?").fill("The claim was withdrawn.")
    page.get_by_role("button", name="Lift hold").click()
    expect(page.get_by_text("No legal holds are in force.")).to_be_visible()

    page.get_by_role("link", name="Retention schedule").click()
    expect(page.get_by_test_id("schedule-table")).to_contain_text("Management of Police Information")
    axe_check(page)
    page.get_by_role("link", name="Overview").click()
    expect(page.get_by_test_id("section-disposals")).to_contain_text(first.reference)
    axe_check(page)

    assert RecordReview.objects.get(object_id=first.pk).state == ReviewState.DISPOSED
    assert not LegalHold.objects.filter(status="active").exists()
