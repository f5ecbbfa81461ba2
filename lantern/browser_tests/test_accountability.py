"""The accountability dashboard in a real browser: the partnership lead opens it, changes the period, sees which
agency is slowest and why, and drills down to the records; the data-quality and resourcing pages too; axe-core
clean throughout."""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from lantern.accounts import training
from lantern.accounts.models import AgencyKind, Role
from lantern.browser_tests.test_casework_pages import heading, sign_in
from lantern.insights.accountability.tests.fixtures import march_world

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def test_partnership_lead_finds_the_slowest_agency_and_the_records_behind_it(page, axe_check, people):
    """This year so far, then March 2026 by the date boxes, then the late acknowledgements behind the figure."""
    world = march_world(people)
    sign_in(page, people["lead"], "/insights/accountability")
    expect(heading(page)).to_have_text("Accountability")
    expect(page.get_by_role("link", name="Accountability", exact=True)).to_have_attribute(
        "aria-current", "page"
    )
    expect(page.get_by_test_id("slowest")).to_contain_text("Riverton Health is the slowest to acknowledge")
    axe_check(page)

    page.locator("#id_from_0").fill("1")
    page.locator("#id_from_1").fill("3")
    page.locator("#id_from_2").fill("2026")
    page.locator("#id_to_0").fill("31")
    page.locator("#id_to_1").fill("3")
    page.locator("#id_to_2").fill("2026")
    page.get_by_role("button", name="Show figures for this period").click()
    expect(page.get_by_role("heading", name="From 1 March 2026 to 31 March 2026")).to_be_visible()
    timeliness = page.get_by_test_id("timeliness-table")
    expect(timeliness.locator("tbody tr").first).to_contain_text("Riverton Health")
    expect(timeliness.locator("tbody tr").first).to_contain_text("25.0, 44.0")
    expect(page.get_by_role("img", name=re.compile("Time to acknowledge a task"))).to_be_visible()
    axe_check(page)

    page.get_by_role("link", name="See Riverton Health’s late acknowledgements").click()
    expect(heading(page)).to_have_text("Tasks acknowledged late")
    expect(page.get_by_test_id("record-count")).to_contain_text(
        "The figure counts 3 records. All of them are listed."
    )
    rows = page.get_by_test_id("records-table").locator("tbody tr")
    expect(rows).to_have_count(3)
    late = world["health"][3]
    expect(page.get_by_role("link", name=late.referral.reference)).to_be_visible()
    axe_check(page)

    page.get_by_role("link", name="Back to the accountability figures").click()
    expect(page.get_by_role("heading", name="From 1 March 2026 to 31 March 2026")).to_be_visible()
    page.get_by_role("link", name="Last year").click()
    expect(page).to_have_url(re.compile(r"from=2025-01-01&to=2025-12-31"))
    expect(page.get_by_role("heading", name="From 1 January 2025 to 31 December 2025")).to_be_visible()

    page.goto("/insights/data-quality?from=2026-03-01&to=2026-03-31")
    expect(heading(page)).to_have_text("Data quality")
    axe_check(page)

    page.goto("/insights/accountability?from=2026-03-31&to=2026-03-01")
    expect(page.locator(".govuk-error-summary")).to_contain_text(
        "The end of the period must be the same as or after"
    )
    expect(page).to_have_title(re.compile(r"^Error: "))
    axe_check(page)


def test_partnership_lead_finds_the_evidence_passed_and_not_acted_on(page, axe_check, people):
    """From the dashboard to the list of work passed and not acted on in time, filtered by agency and kind; a bad
    filter gets an error summary; axe-core clean throughout."""
    world = march_world(people)
    sign_in(page, people["lead"], "/insights/accountability")
    page.get_by_role(
        "link", name="See the concerns and intelligence passed to an agency and not acted on in time"
    ).click()
    expect(heading(page)).to_have_text("Evidence passed and not acted on")
    table = page.get_by_test_id("not-acted-on-table")
    expect(table.locator("tbody tr")).to_have_count(3)
    expect(page.get_by_role("link", name=world["health_waiting"].referral.reference)).to_be_visible()
    axe_check(page)

    page.get_by_label("Passed to").select_option(label="Riverton Police")
    page.get_by_role("button", name="Apply filters").click()
    expect(page.get_by_test_id("not-acted-on-none")).to_contain_text("Nothing matching these filters")
    axe_check(page)

    page.goto("/insights/accountability/not-acted-on?kind=cases")
    expect(page.locator(".govuk-error-summary")).to_contain_text(
        "Choose concerns (referrals) or intelligence items."
    )
    expect(page).to_have_title(re.compile(r"^Error: "))
    axe_check(page)


def test_partnership_lead_finds_the_short_team_on_the_resourcing_page(page, axe_check, people):
    """From the dashboard to the resourcing page: a table per agency, the police team's required course, its
    vacancies, and the trend by quarter; axe-core clean."""
    team = people[AgencyKind.POLICE, Role.PRACTITIONER].team
    course = training.course_create(
        actor=None, code="cse-awareness", name="CSE awareness", valid_for_months=24
    )
    training.team_course_require(actor=None, team=team, course=course)
    training.team_staffing_record(
        actor=None, team=team, recorded_on=timezone.localdate(), established_posts=5, vacancies=3, absences=1
    )
    sign_in(page, people["lead"], "/insights/accountability")
    page.get_by_role("link", name="See each team’s staff, training, caseloads and unallocated work").click()
    expect(heading(page)).to_have_text("Resourcing")
    police = page.get_by_test_id("resourcing-riverton-police")
    expect(police).to_contain_text("Requires: CSE awareness")
    expect(police.locator("tbody tr").first).to_contain_text("0% (0)")
    expect(page.get_by_test_id("trained-trend-riverton-police")).to_be_visible()
    axe_check(page)
