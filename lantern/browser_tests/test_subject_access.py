"""Subject access in a real browser: the DPO records a request (one refused try first), confirms the records
Lantern found and redacts one; the records manager signs the bundle off; every page axe-core clean."""

import re

import pytest
from playwright.sync_api import expect

from lantern.browser_tests.test_casework_pages import heading, sign_in
from lantern.governance.subject_access.models import SubjectAccessRequest
from lantern.governance.subject_access.tests.conftest import build_world

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def test_a_dpo_prepares_a_bundle_and_a_second_person_signs_it_off(page, axe_check, browser):
    """From the "Subject access" link to a signed-off bundle, checking every page with axe."""
    world = build_world()
    sign_in(page, world["dpo"], "/subject-access/")
    expect(heading(page)).to_have_text("Subject access requests")
    expect(page.get_by_role("link", name="Subject access", exact=True)).to_be_visible()
    axe_check(page)

    page.get_by_test_id("record-sar").click()
    expect(heading(page)).to_have_text("Record a subject access request")
    page.get_by_role("button", name="Record request").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("This field is required")
    expect(page).to_have_title(re.compile("^Error: "))
    axe_check(page)

    page.get_by_label("The subject's full name").fill("Jade Robson")
    page.get_by_label("The data subject", exact=True).check()
    page.get_by_label("The requester's name").fill("Jade Robson")
    page.get_by_label("Photographic identity document seen").check()
    page.get_by_label("What the requester asked for").fill("Everything you hold about me.")
    page.locator("#id_subject_date_of_birth_0").fill("5")
    page.locator("#id_subject_date_of_birth_1").fill("4")
    page.locator("#id_subject_date_of_birth_2").fill("2011")
    from django.utils import timezone

    today = timezone.localdate()
    page.locator("#id_received_on_0").fill(str(today.day))
    page.locator("#id_received_on_1").fill(str(today.month))
    page.locator("#id_received_on_2").fill(str(today.year))
    page.get_by_role("button", name="Record request").click()
    request = SubjectAccessRequest.objects.get()
    expect(heading(page)).to_have_text("Jade Robson")
    expect(page.get_by_test_id("sar-status")).to_have_text("Received: finding records")
    axe_check(page)

    form = page.get_by_test_id("records-form")
    for box in form.locator("input[type=checkbox]").all():
        box.check()
    form.get_by_role("button", name="Confirm records").click()
    expect(page.get_by_test_id("sar-status")).to_have_text("Records confirmed: redacting")
    expect(page.get_by_test_id("bundle-record").first).to_contain_text("[Information about another person")
    expect(page.get_by_test_id("sign-off-by-another")).to_be_visible()
    axe_check(page)

    redaction = page.get_by_test_id("redaction-form")
    redaction.get_by_label("Part of a record").select_option(
        label=f"Referral {world['first'].reference}: Where"
    )
    redaction.get_by_label("Exemption").select_option("crime")
    redaction.get_by_role("button", name="Add redaction").click()
    expect(page.get_by_test_id("redaction-table")).to_contain_text("Mill Street")
    axe_check(page)

    second = browser.new_context(base_url=page.url.split("/subject-access")[0], locale="en-GB").new_page()
    sign_in(second, world["records"], f"/subject-access/{request.pk}/")
    second.get_by_test_id("sign-off-form").get_by_role("button", name="Sign off the bundle").click()
    expect(second.get_by_test_id("sar-status")).to_have_text("Signed off")
    expect(second.get_by_test_id("download-bundle")).to_be_visible()
    axe_check(second)
    second.context.close()
