"""The harness itself: axe_check must fail, naming the rule and the element, when a page breaks WCAG."""

import pytest

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
