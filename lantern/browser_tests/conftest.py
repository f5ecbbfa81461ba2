"""Browser-test harness: Debian's Chromium driven by Playwright, a page per test and an axe-core check."""

import contextlib
import functools
import os
from pathlib import Path

import pytest
from django.conf import settings

CHROMIUM = Path("/usr/bin/chromium")
# Playwright's own browser download does not work here; Debian's Chromium is launched directly, with
# everything that would reach out to the network or need a GPU or a sandbox switched off.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]
AXE_SCRIPT = Path(settings.BASE_DIR) / "node_modules" / "axe-core" / "axe.min.js"
STYLESHEET = Path(settings.BASE_DIR) / "lantern" / "static" / "lantern" / "lantern.css"
# WCAG 2.2 AA is the floor (public-sector accessibility regulations), and it includes every earlier level.
AXE_OPTIONS = {
    "runOnly": {
        "type": "tag",
        "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"],
    },
    "resultTypes": ["violations"],
}


def missing_prerequisite(reason: str):
    """Fail in CI, where the browser tests must run; skip elsewhere, saying what is missing."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set, so browser tests must run)", pytrace=False)
    pytest.skip(reason)


# Package scope, not session scope: all browser tests live in this package, so they still share one
# Chromium, but Playwright stops (and with it the event loop and the async-safety allowance below) as soon as
# they finish, rather than lasting through the worker's remaining tests and leaking into their subprocesses.
@pytest.fixture(scope="package")
def browser():
    """One headless Chromium for all the browser tests."""
    if not CHROMIUM.exists():
        missing_prerequisite(f"{CHROMIUM} is missing: install it with `apt-get install -y chromium`")
    for path, remedy in ((AXE_SCRIPT, "npm ci"), (STYLESHEET, "node frontend/build.mjs")):
        if not path.exists():
            pytest.fail(f"{path} is missing: run `{remedy}` (or `make assets`) first", pytrace=False)

    from django.urls import get_resolver
    from playwright.sync_api import sync_playwright

    # Build the URLs (and with them the API's schemas) now, as gunicorn's workers do before their first request:
    # on a busy machine that takes longer than a navigation's timeout, and the first test would pay for it.
    get_resolver().url_patterns  # noqa: B018 - imports every URL module and builds the API once

    # Playwright's sync API keeps an event loop running in this thread for as long as it is started, which
    # Django's async-safety check mistakes for async code calling the ORM; the tests' own ORM calls
    # (factories) are synchronous, and the live server answers from its own thread.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(
                executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
            )
            yield chromium
            chromium.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


# Every page is served with Lantern's enforced Content-Security-Policy (decision 0021), and the tests never
# loosen it. This runs in each document before its own scripts (Playwright injects it through the DevTools
# protocol, which the policy does not govern) and hands every violation to the test.
CSP_WATCH_SCRIPT = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.lanternCspViolation(
    `${event.effectiveDirective} refused ${event.blockedURI || "(inline)"} ` +
      `at ${event.sourceFile || event.documentURI}:${event.lineNumber} ${event.sample ? `"${event.sample}"` : ""}`,
  );
}, true);
"""


def watch(context, page) -> list[str]:
    """The problems on the pages of `context` so far, as a list that grows: script errors, assets that fail, and
    Content-Security-Policy violations (from the page's event and from the console, whichever comes)."""
    problems: list[str] = []
    context.expose_function(
        "lanternCspViolation", lambda text: problems.append(f"Content-Security-Policy violation: {text}")
    )
    context.add_init_script(CSP_WATCH_SCRIPT)
    page.on("pageerror", lambda error: problems.append(f"script error on {page.url}: {error}"))
    page.on(
        "console",
        lambda message: (
            problems.append(f"console on {page.url}: {message.text}")
            if "Content Security Policy" in message.text or "Permissions-Policy" in message.text
            else None
        ),
    )
    # Pages and htmx requests may answer 4xx on purpose; a stylesheet, script or image never should.
    page.on(
        "response",
        lambda response: (
            problems.append(f"{response.status} for {response.url}")
            if response.status >= 400 and response.request.resource_type not in {"document", "xhr", "fetch"}
            else None
        ),
    )
    # A request the browser abandons because the page moved on (net::ERR_ABORTED, e.g. the favicon of a page left at
    # once) is not a fault; a missing asset answers 404 and is caught above, a refused or broken one fails here.
    page.on(
        "requestfailed",
        lambda request: (
            problems.append(f"request failed: {request.url} ({request.failure})")
            if "ERR_ABORTED" not in (request.failure or "")
            else None
        ),
    )
    return problems


def settle(page) -> None:
    """Let violation events already queued in the page reach the test (they are dispatched as tasks)."""
    with contextlib.suppress(Exception):  # the page may be closed or navigating; nothing is then pending
        page.evaluate("() => new Promise(resolve => setTimeout(resolve, 50))")


@pytest.fixture
def page(browser, live_server):
    """A fresh browser context and page on the live server; script errors, missing assets and any
    Content-Security-Policy violation fail the test."""
    context = browser.new_context(base_url=live_server.url, locale="en-GB", timezone_id="Europe/London")
    context.set_default_timeout(10_000)
    page = context.new_page()
    problems = watch(context, page)
    yield page
    settle(page)
    context.close()
    if problems:
        pytest.fail("The page had problems:\n  " + "\n  ".join(problems), pytrace=False)


@functools.cache
def axe_source() -> str:
    """axe-core's browser bundle, read once per test process."""
    return AXE_SCRIPT.read_text(encoding="utf-8")


def axe_violations(page) -> list[dict]:
    """Run axe-core on the page as it is now and return its WCAG 2.2 AA violations."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        # Evaluated through the DevTools protocol rather than added as an inline <script> (which the page's
        # Content-Security-Policy would refuse, as it should), so axe runs without loosening the policy.
        page.evaluate(axe_source() + "\n;undefined")
    return page.evaluate("options => axe.run(document, options).then(r => r.violations)", AXE_OPTIONS)


def describe_violations(violations: list[dict]) -> str:
    """One line per violation (id, impact, what it means) and one per offending element."""
    lines = []
    for violation in violations:
        impact = violation["impact"]
        lines.append(f"{violation['id']} ({impact}): {violation['help']} <{violation['helpUrl']}>")
        for node in violation["nodes"]:
            lines.append(f"    {' '.join(str(part) for part in node['target'])}")
    return "\n".join(lines)


@pytest.fixture
def axe_check():
    """`axe_check(page)`: fail the test listing every WCAG 2.2 AA violation axe-core finds on the page."""

    def check(page) -> None:
        violations = axe_violations(page)
        if violations:
            pytest.fail(
                f"axe-core found {len(violations)} accessibility violation(s) on {page.url}:\n"
                + describe_violations(violations),
                pytrace=False,
            )

    return check
