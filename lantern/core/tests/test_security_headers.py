"""Every family of pages sends the strict Content-Security-Policy and the Permissions-Policy (decision 0021), and
the endpoint browsers report violations to logs them, safely."""

import json
import logging

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from lantern.accounts.testing import UserFactory
from lantern.core import views
from lantern.core.vocabulary import AgencyKind, Role

STRICT_DIRECTIVES = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self'",
    "font-src": "'self'",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
    "report-uri": "/csp-report",
    "report-to": "csp",
}
REFUSED_FEATURES = ("camera", "microphone", "geolocation", "payment", "usb")


def directives(header: str) -> dict[str, str]:
    """{directive: its sources} from a Content-Security-Policy header."""
    parts = (part.strip().split(" ", 1) for part in header.split(";") if part.strip())
    return {part[0]: part[1] if len(part) > 1 else "" for part in parts}


def assert_strict_headers(response, *, img_src: str = "'self'") -> None:
    """The response carries the strict policy (with `img_src` for images), Permissions-Policy and the reporting
    endpoint."""
    policy = directives(response["Content-Security-Policy"])
    assert policy == {**STRICT_DIRECTIVES, "img-src": img_src}
    header = response["Content-Security-Policy"]
    assert "unsafe-inline" not in header
    assert "unsafe-eval" not in header
    features = dict(item.strip().split("=", 1) for item in response["Permissions-Policy"].split(","))
    for feature in REFUSED_FEATURES:
        assert features[feature] == "()", feature
    assert response["Reporting-Endpoints"] == 'csp="/csp-report"'


# (family, the user who opens it (None for the public), the address, given the routed referral and its case).
PAGES = [
    ("public report", None, lambda referral, case: "/report"),
    ("young person's report", None, lambda referral, case: "/report/me"),
    ("tracking", None, lambda referral, case: "/track"),
    ("sign-in", None, lambda referral, case: "/accounts/login/"),
    ("page not found", None, lambda referral, case: "/no-such-page/"),
    ("health check", None, lambda referral, case: "/healthz"),
    ("API document", None, lambda referral, case: "/api/v1/openapi.json"),
    ("dashboard", ("csc", Role.PRACTITIONER), lambda referral, case: "/"),
    ("tasks", ("csc", Role.PRACTITIONER), lambda referral, case: "/tasks/mine/"),
    ("case", ("csc", Role.PRACTITIONER), lambda referral, case: f"/cases/{case.pk}/"),
    ("referral", "front_door", lambda referral, case: f"/referrals/{referral.pk}/"),
    ("front door", "front_door", lambda referral, case: "/front-door/"),
    ("intelligence", "analyst", lambda referral, case: "/intel/items/"),
    ("entities", "analyst", lambda referral, case: "/intel/entities/"),
    ("network", "analyst", lambda referral, case: "/intel/networks/"),
    ("accountability", "lead", lambda referral, case: "/insights/accountability"),
    ("statistics", "lead", lambda referral, case: "/insights/scale"),
    ("hotspot map", "lead", lambda referral, case: "/insights/hotspots/map"),
    ("reviews", "reviewer", lambda referral, case: "/reviews/"),
    ("complaints", "lead", lambda referral, case: "/complaints/"),
    ("account", "admin", lambda referral, case: "/accounts/users/"),
    ("break glass", "lead", lambda referral, case: "/break-glass/"),
    ("data protection", "dpo", lambda referral, case: "/governance/"),
    ("retention", "dpo", lambda referral, case: "/governance/retention/"),
    ("subject access", "dpo", lambda referral, case: "/subject-access/"),
]


@pytest.fixture
def visitors(people, client_for):
    """`visitors(who)`: a client for a key of `PAGES`, signed in (with MFA passed) unless it is None."""
    police = people.agency(AgencyKind.POLICE)
    people["analyst"] = UserFactory(username="analyst", agency=police, role=Role.ANALYST)
    people["dpo"] = UserFactory(
        username="dpo", agency=people["lead"].agency, role=Role.DATA_PROTECTION_OFFICER
    )

    def client(who) -> Client:
        if who is None:
            return Client()
        return client_for(people[who])

    return client


@pytest.mark.parametrize(("family", "who", "address"), PAGES, ids=[page[0] for page in PAGES])
def test_every_family_of_pages_sends_the_strict_policies(visitors, routed, family, who, address):
    """A page from each family answers with the strict Content-Security-Policy, Permissions-Policy and the
    endpoint for violation reports; none allows inline script or style, or eval."""
    referral, case, _tasks = routed
    response = visitors(who).get(address(referral, case))
    assert response.status_code == (404 if family == "page not found" else 200), family
    assert_strict_headers(response)


@pytest.mark.django_db
def test_api_docs_are_served_from_lantern_and_may_load_data_images():
    """The API's Swagger UI comes from Lantern's own static files with no inline script, and its policy adds only
    data: images (its stylesheet's icons)."""
    response = Client().get("/api/v1/docs")
    assert response.status_code == 200
    assert_strict_headers(response, img_src="'self' data:")
    html = response.content.decode()
    assert "cdn." not in html
    assert "/static/ninja/swagger-ui-bundle.js" in html
    assert "<script>" not in html
    assert '"validatorUrl": null' in html


@pytest.mark.django_db
def test_static_files_and_api_errors_carry_the_policy_too(client):
    """Responses that are not pages (a stylesheet, an API error) carry the policy, so nothing escapes it."""
    stylesheet = client.get("/static/lantern/lantern.css")
    assert "Content-Security-Policy" in stylesheet
    api_error = client.get("/api/v1/me")
    assert api_error.status_code == 401
    assert_strict_headers(api_error)


def test_the_policy_reports_to_lanterns_own_endpoint():
    """The policy's report-uri is the URL the report view answers at."""
    assert reverse("core:csp_report") == settings.CSP_REPORT_PATH


# Violation reports
REPORT_URI_BODY = {
    "csp-report": {
        "document-uri": "https://lantern.example/intel/entities/?q=Jane+Doe",
        "referrer": "",
        "violated-directive": "script-src-elem",
        "effective-directive": "script-src-elem",
        "original-policy": "default-src 'self'",
        "disposition": "enforce",
        "blocked-uri": "inline",
        "line-number": 12,
        "source-file": "https://lantern.example/intel/entities/?q=Jane+Doe#top",
        "script-sample": "alert(1)",
    }
}
REPORT_TO_BODY = [
    {
        "type": "csp-violation",
        "age": 10,
        "url": "https://lantern.example/cases/1/",
        "body": {
            "documentURL": "https://lantern.example/cases/1/",
            "effectiveDirective": "style-src-attr",
            "blockedURL": "inline",
            "disposition": "enforce",
            "sample": "color: red",
            "lineNumber": 3,
        },
    },
    {"type": "deprecation", "body": {"id": "something-else"}},
]


@pytest.fixture
def reports(caplog):
    """The Content-Security-Policy log lines, with the per-minute allowance fresh for each test."""
    views.csp_log_allowance.__init__(views.CSP_REPORT_LOG_LIMIT)
    caplog.set_level(logging.WARNING, logger="lantern.csp")
    return caplog


def logged(caplog) -> list[str]:
    """The messages logged about violations."""
    return [record.getMessage() for record in caplog.records if record.name == "lantern.csp"]


def test_a_report_uri_report_is_logged_without_query_strings(client, reports):
    """A report in report-uri's format is logged, field by field, with no URL's query or fragment (which can
    hold a searched name), and answered 204 without a session or CSRF token."""
    response = client.post("/csp-report", json.dumps(REPORT_URI_BODY), content_type="application/csp-report")
    assert response.status_code == 204
    (message,) = logged(reports)
    violation = json.loads(message.split(": ", 1)[1])
    assert violation == {
        "blocked": "inline",
        "column": "",
        "directive": "script-src-elem",
        "disposition": "enforce",
        "document": "https://lantern.example/intel/entities/",
        "line": "12",
        "sample": "alert(1)",
        "source": "https://lantern.example/intel/entities/",
    }
    assert "Jane" not in message


def test_a_reporting_api_report_logs_each_violation_it_holds(client, reports):
    """A Reporting API batch (report-to) logs each csp-violation it holds and nothing else."""
    response = client.post("/csp-report", json.dumps(REPORT_TO_BODY), content_type="application/reports+json")
    assert response.status_code == 204
    (message,) = logged(reports)
    assert '"directive": "style-src-attr"' in message
    assert '"document": "https://lantern.example/cases/1/"' in message


def test_the_endpoint_is_csrf_exempt_and_public_even_with_csrf_checks_on(reports):
    """Browsers send reports with no CSRF token: the endpoint accepts them when CSRF is enforced."""
    client = Client(enforce_csrf_checks=True)
    response = client.post("/csp-report", json.dumps(REPORT_URI_BODY), content_type="application/csp-report")
    assert response.status_code == 204


@pytest.mark.parametrize(
    "body",
    [b"not json", b"\xff\xfe", json.dumps({"csp-report": "text"}).encode(), json.dumps([1, 2]).encode(), b""],
)
def test_an_unreadable_report_is_answered_204_and_logged_as_unreadable(client, reports, body):
    """Whatever arrives is answered 204 (so Django logs no 4xx of its own) and noted in one bounded line."""
    response = client.post("/csp-report", body, content_type="application/csp-report")
    assert response.status_code == 204
    (message,) = logged(reports)
    assert "unreadable" in message


def test_an_oversized_report_is_not_read(client, reports):
    """A body larger than the limit is not parsed: one line notes its size, and no field of it is logged."""
    padded = {
        "csp-report": {**REPORT_URI_BODY["csp-report"], "script-sample": "x" * views.CSP_REPORT_MAX_BYTES}
    }
    response = client.post("/csp-report", json.dumps(padded), content_type="application/csp-report")
    assert response.status_code == 204
    (message,) = logged(reports)
    assert "unreadable" in message
    assert "alert" not in message


def test_long_fields_and_control_characters_cannot_flood_or_forge_log_lines(client, reports):
    """Each field is cut short and newlines stay escaped, so one report is one line of bounded length."""
    forged = {
        "csp-report": {"blocked-uri": "x" * 5000, "violated-directive": "img-src\nFAKE: admin logged in"}
    }
    client.post("/csp-report", json.dumps(forged), content_type="application/csp-report")
    (message,) = logged(reports)
    assert "\n" not in message
    assert len(message) < 2 * views.CSP_REPORT_FIELD_LENGTH + 200


def test_reports_are_logged_at_most_the_limit_a_minute(client, reports):
    """Past the per-minute allowance reports are counted, not logged; the next logged line says how many."""
    views.csp_log_allowance.__init__(3, seconds=3600)
    for _ in range(5):
        response = client.post(
            "/csp-report", json.dumps(REPORT_URI_BODY), content_type="application/csp-report"
        )
        assert response.status_code == 204
    assert len(logged(reports)) == 3
    views.csp_log_allowance.window -= 1  # the next window begins
    client.post("/csp-report", json.dumps(REPORT_URI_BODY), content_type="application/csp-report")
    assert logged(reports)[3] == "2 Content-Security-Policy reports were not logged (rate limit)"


def test_only_post_is_accepted(client):
    """Browsers POST reports; anything else is refused."""
    assert client.get("/csp-report").status_code == 405
