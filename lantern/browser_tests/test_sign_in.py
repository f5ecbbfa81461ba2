"""Signing in with a password and an authenticator app, in a real browser."""

import re

import pytest
from playwright.sync_api import expect

from lantern.accounts.models import AgencyKind, Role
from lantern.accounts.testing import TEST_PASSWORD, UserFactory, add_totp_device, totp_now

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def test_practitioner_signs_in_with_totp_and_lands_on_my_work(page, axe_check):
    """A practitioner signs in, passes the MFA challenge and sees My work with their agency and role."""
    user = UserFactory(agency__kind=AgencyKind.CSC, role=Role.PRACTITIONER)
    device = add_totp_device(user)

    page.goto("/accounts/login/")
    axe_check(page)
    page.locator('[name="username"]').fill(user.username)
    page.locator('[name="password"]').fill(TEST_PASSWORD)
    page.locator('form:has([name="password"]) [type="submit"]').click()

    page.wait_for_url(re.compile(r"/accounts/mfa/"))
    axe_check(page)
    page.locator('[name="otp_token"]').fill(totp_now(device))
    page.locator('form:has([name="otp_token"]) [type="submit"]').click()

    expect(page.get_by_role("heading", level=1)).to_have_text("My work")
    header_user = page.get_by_test_id("header-user")
    expect(header_user).to_contain_text(user.display_name)
    expect(header_user).to_contain_text(user.agency.name)
    expect(header_user).to_contain_text(user.get_role_display())
    axe_check(page)
