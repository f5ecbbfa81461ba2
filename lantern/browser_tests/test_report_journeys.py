"""The public report and a young person's own report on a phone: one topic a page, "Exit this page" everywhere,
a reference at the end, and axe-core clean at 320 and 1280 pixels wide."""

import re

import pytest
from playwright.sync_api import expect

from lantern.intake import views
from lantern.intake.models import Referral

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

PHONE = {"width": 390, "height": 844}
CONTROLS_MAX = 12
# Controls a person can operate (the honeypot is hidden from people and not counted).
CONTROLS = "main input:not([type=hidden]):not([name=website]), main select, main textarea, main button"


def check_page(page) -> None:
    """Every page carries "Exit this page", started by GOV.UK Frontend, and has at most a dozen controls."""
    exit_button = page.get_by_role("button", name="Emergency Exit this page")
    expect(exit_button).to_be_visible()
    expect(page.locator("[data-module=govuk-exit-this-page]")).to_have_attribute(
        "data-govuk-exit-this-page-init", ""
    )
    assert page.locator(CONTROLS).count() <= CONTROLS_MAX, page.url


@pytest.fixture
def phone(page):
    """The page at a phone's size."""
    page.set_viewport_size(PHONE)
    return page


def test_public_report_on_a_phone_with_only_what_happened(phone, axe_check):
    """From /report, answering only what happened and staying anonymous, to a reference and secret."""
    page = phone
    page.goto("/report")
    check_page(page)
    page.get_by_role("button", name="Start now").click()
    check_page(page)
    page.get_by_label("What happened", exact=True).fill("Older men pick a girl up from the park at night.")
    page.get_by_role("button", name="Continue").click()
    for heading in (
        "Where and when did it happen?",
        "The child or children",
        "People you are worried about",
        "Vehicles",
        "Phone numbers",
    ):
        expect(page.get_by_role("heading", level=1)).to_have_text(heading)
        check_page(page)
        page.get_by_role("button", name="I do not know, skip this").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("About you")
    check_page(page)
    page.get_by_label("No, I want to stay anonymous").check()
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your answers")
    check_page(page)
    assert not Referral.objects.exists()
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Report sent")
    check_page(page)
    axe_check(page)
    referral = Referral.objects.get()
    expect(page.get_by_test_id("reference")).to_have_text(referral.reference)
    assert referral.anonymous and referral.source == "public"


def test_young_persons_report_on_a_phone(phone, axe_check):
    """From /report, "Is this about you?" leads to a shorter report that ends in a code and a secret word."""
    page = phone
    page.goto("/report")
    page.get_by_role("link", name="tell us about it here").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Tell us what is happening to you")
    expect(page.locator("main")).to_contain_text("Childline on 0800 1111")
    check_page(page)
    page.get_by_role("button", name="Start").click()
    check_page(page)
    page.get_by_label("What is happening to you?").fill("A man keeps giving me money and lifts.")
    page.get_by_role("button", name="Continue").click()
    check_page(page)
    page.get_by_role("button", name="Skip this").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your answers")
    check_page(page)
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Report sent")
    check_page(page)
    axe_check(page)
    assert Referral.objects.get().source == "self"


def test_shift_three_times_leaves_and_deletes_the_answers(phone, monkeypatch):
    """Pressing Shift three times leaves for the neutral site, and the answers typed so far are gone."""
    page = phone
    # The neutral site is out of reach here; a page of Lantern's own that needs no sign-in stands in for it.
    monkeypatch.setattr(views, "EXIT_URL", "/healthz")
    page.goto("/report/what-happened")
    page.get_by_label("What happened", exact=True).fill("Something I saw.")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Where and when did it happen?")
    page.locator("body").click()
    for _ in range(3):
        page.keyboard.press("Shift")
    page.wait_for_url(re.compile(r"/healthz$"))
    assert not [c for c in page.context.cookies() if c["name"].startswith("lantern_report")]
    page.goto("/report/where-and-when")
    expect(page.get_by_role("heading", level=1)).to_have_text("Answer the earlier questions first")


PAGES = [
    "/report",
    "/report/staying-safe-online",
    "/report/what-happened",
    "/report/me",
    "/report/me/what-is-happening",
    "/report/people",  # reached out of order
    "/track",
]


@pytest.mark.parametrize("width", [320, 1280])
@pytest.mark.parametrize("path", PAGES)
def test_public_pages_pass_axe_at_narrow_and_wide_sizes(page, axe_check, path, width):
    """axe-core finds no WCAG 2.2 AA violation on the public pages at 320 and 1280 pixels wide."""
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(path)
    check_page(page)
    axe_check(page)


@pytest.mark.parametrize("width", [320, 1280])
def test_every_question_page_passes_axe(page, axe_check, width):
    """Each question page and "Check your answers" of both journeys pass axe-core at both sizes."""
    page.set_viewport_size({"width": width, "height": 900})
    page.goto("/report/what-happened")
    page.get_by_label("What happened", exact=True).fill("Something I saw.")
    page.get_by_role("button", name="Continue").click()
    for _ in range(5):
        axe_check(page)
        page.get_by_role("button", name="I do not know, skip this").click()
    axe_check(page)
    page.get_by_label("No, I want to stay anonymous").check()
    page.get_by_role("button", name="Continue").click()
    axe_check(page)
    page.goto("/report/me/what-is-happening")
    page.get_by_label("What is happening to you?").fill("Something.")
    page.get_by_role("button", name="Continue").click()
    axe_check(page)
    page.get_by_role("button", name="Skip this").click()
    axe_check(page)
