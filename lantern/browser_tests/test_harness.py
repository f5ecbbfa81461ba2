"""The harness itself: axe_check must fail, naming the rule and the element, when a page breaks WCAG."""

import pytest

from lantern.browser_tests.conftest import settle, watch

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def test_axe_check_fails_listing_each_violation_and_element(page, axe_check):
    """An image without a text alternative fails the check with the rule id, impact and element."""
    page.goto("/accounts/login/")
    page.locator("main").evaluate(
        """main => main.insertAdjacentHTML(
            "beforeend", '<img id="unlabelled" src="/static/lantern/favicon.svg">'
        )"""
    )
    with pytest.raises(pytest.fail.Exception) as failure:
        axe_check(page)
    message = str(failure.value)
    assert "1 accessibility violation(s)" in message
    assert "image-alt (critical)" in message
    assert "#unlabelled" in message


@pytest.fixture
def watched(browser, live_server):
    """A page watched as the `page` fixture watches it, with the problems it records, for testing the watch."""
    context = browser.new_context(base_url=live_server.url)
    context.set_default_timeout(10_000)
    page = context.new_page()
    problems = watch(context, page)
    yield page, problems
    context.close()


def problems_after(page, problems: list[str]) -> list[str]:
    """The problems recorded once queued violation events have arrived."""
    for _ in range(20):
        settle(page)
        if problems:
            break
    return problems


def test_pages_are_served_with_the_policy_enforced(watched):
    """An inline script and a style attribute added to a page are refused by the browser, not merely reported."""
    page, problems = watched
    page.goto("/accounts/login/")
    page.evaluate(
        """() => {
            const script = document.createElement("script");
            script.textContent = "window.inlineScriptRan = true";
            document.body.append(script);
            document.querySelector("main").insertAdjacentHTML("beforeend", '<p id="styled" style="color: red">x</p>');
        }"""
    )
    assert page.evaluate("() => window.inlineScriptRan") is None
    assert (
        page.evaluate("() => getComputedStyle(document.getElementById('styled')).color") != "rgb(255, 0, 0)"
    )
    recorded = "\n".join(problems_after(page, problems))
    assert "script-src-elem refused inline" in recorded
    assert "style-src-attr refused inline" in recorded


def test_a_violation_fails_the_page_fixture(watched):
    """Any violation is recorded as a problem, which the `page` fixture turns into a failed test."""
    page, problems = watched
    page.goto("/accounts/login/")
    assert problems == []
    page.evaluate(
        "() => { const s = document.createElement('style'); s.textContent = 'p{}'; document.head.append(s); }"
    )
    assert any(
        "Content-Security-Policy violation: style-src-elem" in p for p in problems_after(page, problems)
    )


def test_axe_runs_under_the_policy_without_violations(watched, axe_check):
    """axe-core is evaluated into the page without a <script> tag, so it runs under the enforced policy and
    causes no violation of its own."""
    page, problems = watched
    page.goto("/report")
    axe_check(page)
    settle(page)
    assert problems == []
