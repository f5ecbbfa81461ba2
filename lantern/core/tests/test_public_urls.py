"""Login is required everywhere except a pinned list of public URLs."""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from lantern.api import api

# Pages anyone may open without signing in. Adding to this list is a security decision: say why in the commit.
PUBLIC_PAGES = {
    "healthz",
    "accounts/login/",
    "report",  # the public concern form (DESIGN §6): no account needed, CSRF-protected and rate-limited
    # Its question pages, check page, exit and safety advice, and the young person's own report (issue 20):
    # answers live only in an encrypted cookie until "Send", which is the one write, rate-limited as before.
    "report/<slug:slug>",
    "report/<slug:slug>/<int:item>",
    "report/check-your-answers",
    "report/exit",
    "report/staying-safe-online",
    "report/me",
    "report/me/<slug:slug>",
    "report/me/check-your-answers",
    "track",  # a reporter follows their report with its reference and secret, rate-limited
    # Browsers post Content-Security-Policy violation reports here from every page, signed in or not, with no
    # CSRF token; it reads a bounded body, writes only a rate-limited log line and answers 204 (decision 0021).
    "csp-report",
}
# API operations that need no bearer token.
PUBLIC_API_OPERATIONS = {
    ("GET", "/api/v1/version"),
}


def _walk(patterns, prefix=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry.callback


def test_public_pages_are_exactly_the_pinned_list():
    """Every view outside /api/v1/ needs a login, except the pinned public pages."""
    public = {
        route
        for route, view in _walk(get_resolver().url_patterns)
        if not route.startswith("api/v1/") and getattr(view, "login_required", True) is False
    }
    assert public == PUBLIC_PAGES


def test_api_operations_need_a_bearer_token_except_the_pinned_ones():
    """Every API operation in the OpenAPI document has bearer security, except the pinned public ones."""
    schema = api.get_openapi_schema(path_prefix="/api/v1")
    unauthenticated = set()
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            if not operation.get("security"):
                unauthenticated.add((method.upper(), path))
    assert unauthenticated == PUBLIC_API_OPERATIONS


@pytest.mark.django_db
def test_private_page_redirects_anonymous_user_to_login(client):
    """An anonymous visitor to a private page is sent to sign in, with the page to come back to."""
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/")


@pytest.mark.django_db
def test_api_without_token_is_401_json(client):
    """The API answers 401 JSON, never a redirect to the login page."""
    response = client.get("/api/v1/me")
    assert response.status_code == 401
    assert response.json()["error"] == "unauthenticated"
