"""Complaints in a real browser: a team manager records a complaint (one refused try first), acknowledges it,
responds with an outcome, and reads its timeline and the outcomes by agency; every page axe-core clean."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from lantern.accounts.models import AgencyKind, Role
from lantern.accounts.testing import AgencyFactory, UserFactory
from lantern.browser_tests.test_casework_pages import heading, sign_in
from lantern.oversight.complaints import services as complaints
from lantern.oversight.complaints.models import Complaint, ComplaintStatus

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def test_manager_records_a_complaint_and_moves_it_on(page, axe_check):
    """Record a complaint from the Complaints link, see the errors first, then acknowledge it and respond."""
    police = AgencyFactory(kind=AgencyKind.POLICE)
    manager = UserFactory(username="police.manager", agency=police, role=Role.TEAM_MANAGER)

    sign_in(page, manager, "/complaints/")
    expect(heading(page)).to_have_text("Complaints")
    expect(page.get_by_test_id("complaint-count")).to_have_text("0 complaints")
    axe_check(page)

    page.get_by_test_id("record-complaint").click()
    expect(heading(page)).to_have_text("Record a complaint")
    page.get_by_role("button", name="Record complaint").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter the complainant's name.")
    expect(page).to_have_title(re.compile("^Error: "))
    axe_check(page)

    page.get_by_label("An elected member").check()
    page.get_by_label("Complainant's name").fill("Cllr Maureen Toft")
    page.get_by_label("Which agency is the complaint about?").select_option(label=police.name)
    page.get_by_label("The complaint", exact=True).fill(
        "Residents' reports about cars outside the flats were ignored."
    )
    page.get_by_role("button", name="Record complaint").click()
    complaint = Complaint.objects.get()
    expect(heading(page)).to_have_text(f"Complaint {complaint.reference}")
    expect(page.get_by_test_id("complaint-status")).to_have_text("Received")
    expect(page.get_by_test_id("timeline")).to_contain_text("Complaint received")
    axe_check(page)

    page.get_by_role("button", name="Acknowledge").click()
    expect(heading(page)).to_have_text("Acknowledge the complaint")
    axe_check(page)
    page.get_by_role("button", name="Acknowledge complaint").click()
    expect(page.get_by_test_id("complaint-status")).to_have_text("Acknowledged")

    page.get_by_role("button", name="Record response").click()
    page.get_by_role("button", name="Record response").click()  # nothing chosen: refused
    expect(page.locator(".govuk-error-summary")).to_contain_text("Choose whether the complaint is upheld")
    axe_check(page)
    page.get_by_label("Partly upheld").check()
    page.get_by_label("The response sent to the complainant").fill("Two reports were not followed up.")
    page.get_by_role("button", name="Record response").click()
    expect(page.get_by_test_id("complaint-status")).to_have_text("Response sent")
    expect(page.get_by_test_id("complaint-outcome")).to_have_text("Partly upheld")
    expect(page.get_by_test_id("timeline")).to_contain_text("Stage 1 response sent: partly upheld")
    axe_check(page)
    assert Complaint.objects.get().status == ComplaintStatus.RESPONDED

    page.get_by_role("navigation", name="Primary navigation").get_by_role("link", name="Complaints").click()
    expect(page.get_by_test_id("complaint-count")).to_have_text("1 complaint")
    page.get_by_role("link", name="Outcomes by agency").click()
    expect(heading(page)).to_have_text("Complaint and conduct outcomes")
    expect(page.get_by_test_id("complaint-outcomes-table")).to_contain_text("fewer than 5")
    axe_check(page)

    # A conduct matter about an officer, escalated because its assessment is late: its page and the escalation's.
    officer = UserFactory(username="police.officer", agency=police, role=Role.PRACTITIONER)
    service_manager = UserFactory(username="police.service_manager", agency=police, role=Role.SERVICE_MANAGER)
    matter = complaints.conduct_matter_record(
        actor=service_manager,
        subject=officer,
        allegation="Closed a report.",
        now=timezone.now() - timedelta(days=14),
    )
    complaints.complaints_escalations_sweep()
    page.get_by_role("link", name="Conduct matters").click()
    expect(heading(page)).to_have_text("Conduct matters")
    axe_check(page)
    page.get_by_role("link", name=matter.reference).click()
    expect(heading(page)).to_have_text(f"Conduct matter {matter.reference}")
    expect(page.get_by_test_id("timeline")).to_contain_text("Level 1 escalation: assessment overdue")
    axe_check(page)
    page.get_by_test_id("escalation-table").get_by_role("link").first.click()
    expect(heading(page)).to_have_text(re.compile(r"Level \d escalation: assessment overdue"))
    axe_check(page)
