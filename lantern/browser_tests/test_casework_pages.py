"""Case work and account pages in a real browser: tasks, a case, escalations, users; axe-core clean."""

import re

import pytest
from playwright.sync_api import expect

from lantern.accounts.models import AgencyKind, Role
from lantern.accounts.testing import TEST_PASSWORD, AgencyFactory, UserFactory, add_totp_device, totp_now
from lantern.casework import services
from lantern.casework.models import AgencyTask, EscalationKind, TaskStatus
from lantern.casework.tests.fixtures import People, route

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def make_people() -> People:
    """The front door, a police practitioner and team manager, social care, and the system administrator."""
    people = People()
    police, csc = AgencyFactory(kind=AgencyKind.POLICE), AgencyFactory(kind=AgencyKind.CSC)
    people["front_door"] = UserFactory(username="mash", agency=csc, role=Role.FRONT_DOOR)
    people[AgencyKind.POLICE, Role.PRACTITIONER] = UserFactory(
        username="police.officer", agency=police, role=Role.PRACTITIONER
    )
    people[AgencyKind.POLICE, Role.TEAM_MANAGER] = UserFactory(
        username="police.manager", agency=police, role=Role.TEAM_MANAGER
    )
    people[AgencyKind.CSC, Role.PRACTITIONER] = UserFactory(
        username="csc.worker", agency=csc, role=Role.PRACTITIONER
    )
    people["admin"] = UserFactory(
        username="admin", agency=AgencyFactory(kind=AgencyKind.PARTNERSHIP), role=Role.SYSTEM_ADMIN
    )
    return people


def sign_in(page, user, next_url: str) -> None:
    """Sign in with the password and a code from the authenticator app, landing on `next_url`."""
    device = user.totpdevice_set.first() or add_totp_device(user)
    page.goto(f"/accounts/login/?next={next_url}")
    page.locator('[name="username"]').fill(user.username)
    page.locator('[name="password"]').fill(TEST_PASSWORD)
    page.locator('form:has([name="password"]) [type="submit"]').click()
    page.wait_for_url(re.compile(r"/accounts/mfa/"))
    page.locator('[name="otp_token"]').fill(totp_now(device))
    page.locator('form:has([name="otp_token"]) [type="submit"]').click()
    page.wait_for_url(re.compile(re.escape(next_url) + "$"))


def heading(page):
    """The page's main heading."""
    return page.get_by_role("heading", level=1)


def test_practitioner_works_a_task_to_completion(page, axe_check):
    """My tasks, a task acknowledged and completed (one refused try first), its case, the account pages."""
    people = make_people()
    referral, case, tasks = route(people, child="Child B")
    task = tasks[AgencyKind.POLICE]
    officer = people[AgencyKind.POLICE, Role.PRACTITIONER]

    sign_in(page, officer, "/tasks/mine/")
    expect(heading(page)).to_have_text("My tasks")
    expect(page.get_by_test_id("task-count")).to_have_text("0 tasks")  # nobody has taken it on yet
    axe_check(page)

    page.goto("/tasks/team/")
    expect(heading(page)).to_have_text("My team's tasks")
    page.get_by_test_id("task-table").get_by_role("link", name=referral.reference).click()
    expect(heading(page)).to_have_text(f"Task on {referral.reference}")
    axe_check(page)

    # htmx swaps the status panel in place and announces the change.
    page.get_by_test_id("acknowledge").click()
    status = page.locator("#task-status")
    expect(status).to_contain_text("Acknowledged")
    expect(page.get_by_test_id("acknowledge")).to_have_count(0)
    axe_check(page)
    assert AgencyTask.objects.get(pk=task.pk).status == TaskStatus.ACKNOWLEDGED

    page.goto("/tasks/mine/")
    expect(page.get_by_test_id("task-count")).to_have_text("1 task")
    page.get_by_test_id("task-table").get_by_role("link", name=referral.reference).click()
    page.get_by_role("link", name="Complete task").click()
    expect(heading(page)).to_have_text(f"Complete the task on {referral.reference}")
    axe_check(page)

    narrative = page.get_by_label("What happened", exact=True)
    narrative.fill("Visited the takeaway with licensing; the car was stopped and the driver warned.")
    page.get_by_role("button", name="Complete task").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("Choose an outcome.")
    expect(page).to_have_title(re.compile(r"^Error: "))
    expect(narrative).to_have_value(re.compile(r"^Visited the takeaway"))  # what was typed is kept
    axe_check(page)
    assert AgencyTask.objects.get(pk=task.pk).status == TaskStatus.ACKNOWLEDGED

    page.get_by_label("Disruption activity").check()
    page.get_by_role("button", name="Complete task").click()
    expect(heading(page)).to_have_text(f"Task on {referral.reference}")
    expect(status).to_contain_text("Completed")
    expect(status).to_contain_text("Disruption activity")
    axe_check(page)
    task.refresh_from_db()
    assert (task.status, task.outcome) == (TaskStatus.COMPLETED, "disruption")

    page.get_by_role("link", name=re.compile(re.escape(case.reference))).click()
    expect(heading(page)).to_have_text("Child B")
    chronology = page.locator("#chronology ~ .moj-timeline")
    expect(chronology).to_be_visible()
    expect(chronology).to_contain_text("Riverton Police")
    axe_check(page)

    page.goto("/accounts/")
    expect(heading(page)).to_have_text("Your account")
    axe_check(page)
    page.goto("/accounts/tokens/")
    expect(heading(page)).to_have_text("API tokens")
    axe_check(page)


def test_manager_opens_escalations_and_administrator_the_users(page, axe_check):
    """A manager's escalations and one escalation (a refused resolution); the administrator's users list."""
    people = make_people()
    referral, _case, tasks = route(people)
    task = tasks[AgencyKind.POLICE]
    escalation = services.escalation_create(
        actor=None,
        level=1,
        kind=EscalationKind.NOT_ACKNOWLEDGED,
        reason="Not acknowledged in time.",
        agency=task.agency,
        task=task,
    )

    sign_in(page, people[AgencyKind.POLICE, Role.TEAM_MANAGER], "/escalations/")
    expect(heading(page)).to_have_text("Escalations")
    expect(page.get_by_test_id("escalation-count")).to_have_text("1 escalation")
    axe_check(page)
    page.get_by_test_id("escalation-table").get_by_role("link", name="Not acknowledged", exact=False).click()
    page.wait_for_url(re.compile(rf"/escalations/{escalation.pk}/$"))
    expect(heading(page)).to_have_text(re.compile(r"^Level 1 escalation: "))
    expect(page.locator("main")).to_contain_text(referral.reference)
    axe_check(page)
    page.get_by_role("button", name="Resolve escalation").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Say how the escalation was resolved.")
    axe_check(page)

    page.context.clear_cookies()
    sign_in(page, people["admin"], "/accounts/users/")
    expect(heading(page)).to_have_text("Users")
    expect(page.get_by_test_id("user-table")).to_contain_text(people["front_door"].display_name)
    axe_check(page)
