"""No page answers junk in its query string or form with a server error: NUL characters (which PostgreSQL cannot
store in text), and values that are no id, no page number and no path, sent to every page without a path
parameter, by GET and by POST, signed out and signed in."""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

pytestmark = pytest.mark.django_db

KEYS = (
    "q",
    "agency",
    "status",
    "stage",
    "sort",
    "dir",
    "page",
    "from",
    "to",
    "members",
    "scope",
    "chronology",
    "discussion",
    "allegation",
    "overdue",
    "submitted",
    "next",
    "kind",
    "level",
    "name",
    "entity",
    "year",
    "reference",
    "secret",
    "summary",
    "username",
    "password",
    "token",
)
JUNK = ("x\x00y", "nowhere")


def _pages(resolver=None, prefix: str = ""):
    """Every URL pattern without a parameter, outside the API (which has its own tests)."""
    for pattern in (resolver or get_resolver()).url_patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from _pages(pattern, route)
        elif isinstance(pattern, URLPattern) and "<" not in route and not route.startswith("api/"):
            yield "/" + route.lstrip("^").rstrip("$")


@pytest.mark.parametrize("role", [None, "partnership_lead", "front_door", "dpo"])
def test_junk_in_queries_and_forms_is_never_a_server_error(client, client_for, user_factory, role):
    """Every page answers below 500 (refused, redirected or shown with its errors)."""
    browser = client if role is None else client_for(user_factory(role=role))
    pages = sorted(page for page in set(_pages()) if "logout" not in page)  # signing out would end the run
    assert "/report" in pages and "/track" in pages and len(pages) > 20
    failures = []
    for page in pages:
        for junk in JUNK:
            data = dict.fromkeys(KEYS, junk)
            for method in (browser.get, browser.post):
                status = method(page, data).status_code
                if status >= 500:
                    failures.append((method.__name__, page, junk, status))
    assert not failures
