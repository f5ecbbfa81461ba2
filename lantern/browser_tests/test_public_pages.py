"""Pages anyone can reach without signing in: accessible, set in Arial, and with their scripts running."""

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

# Every page reachable without signing in, with its main heading. Add new public pages here.
PUBLIC_PAGES = [
    pytest.param("/accounts/login/", "Sign in", id="sign-in"),
    pytest.param("/no-such-page/", "Page not found", id="not-found"),
    pytest.param("/report", "Report a concern about a child", id="report"),
    pytest.param("/report/me", "Tell us what is happening to you", id="report-me"),
    pytest.param("/report/staying-safe-online", "Stay safe online", id="staying-safe"),
    pytest.param("/track", "Check on a report", id="track"),
]


@pytest.mark.parametrize(("path", "heading"), PUBLIC_PAGES)
def test_public_page_has_no_accessibility_violations(page, axe_check, path, heading):
    """axe-core finds no WCAG 2.2 AA violation on a public page."""
    page.goto(path)
    expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    axe_check(page)


def test_pages_are_set_in_arial_without_gov_uk_branding(page):
    """Lantern is not a GOV.UK service: text is in Arial, no web font is loaded, and no crown is shown."""
    font_requests = []
    page.on("request", lambda r: font_requests.append(r.url) if r.resource_type == "font" else None)
    page.goto("/accounts/login/")
    for selector in ("body", "h1", ".lantern-wordmark"):
        family = page.locator(selector).first.evaluate("element => getComputedStyle(element).fontFamily")
        assert family.startswith("Arial"), f"{selector} is set in {family}"
    assert page.evaluate("() => [...document.fonts].map(font => font.family)") == []
    assert font_requests == []
    header = page.get_by_role("banner")
    expect(header.get_by_role("link", name="Lantern")).to_be_visible()
    expect(header.locator("svg, img")).to_have_count(0)


def test_scripts_start_the_design_system_components(page):
    """lantern.js starts GOV.UK Frontend's components and htmx is loaded, without script errors."""
    page.goto("/accounts/login/")
    expect(page.locator("body")).to_have_class("govuk-template__body js-enabled govuk-frontend-supported")
    expect(page.locator(".govuk-skip-link")).to_have_attribute("data-govuk-skip-link-init", "")
    assert page.evaluate("() => typeof window.htmx") == "object"


def test_api_docs_run_from_lanterns_own_files_under_the_policy(page, live_server):
    """Swagger UI at /api/v1/docs comes from Lantern's static files and lists the operations with no policy
    violation (the page fixture fails on any) and no request to another site."""
    elsewhere = []
    page.on("request", lambda r: None if r.url.startswith(live_server.url) else elsewhere.append(r.url))
    page.goto("/api/v1/docs")
    # Swagger UI draws once it has fetched the OpenAPI document, which takes seconds to build on a busy machine.
    expect(page.locator(".swagger-ui .opblock").first).to_be_visible(timeout=30_000)
    assert page.locator(".swagger-ui .opblock").count() > 10
    assert elsewhere == []
