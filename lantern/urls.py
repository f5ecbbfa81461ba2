"""Lantern's URLs. Every URL needs login unless it is in the pinned public list (tests/test_public_urls.py)."""

from django.contrib.auth.decorators import login_not_required
from django.urls import URLPattern, URLResolver, include, path

from lantern.accounts import api as accounts_api
from lantern.api import api
from lantern.casework import api as casework_api
from lantern.core import views as core_views
from lantern.frontdoor.api import router as frontdoor_router
from lantern.governance import api as governance_api
from lantern.insights import api as insights_api
from lantern.intake import api as intake_api
from lantern.intel import api as intel_api
from lantern.oversight import api as oversight_api


def public(patterns):
    """Mark every view under `patterns` as not needing a login session (the API uses bearer tokens)."""
    for entry in patterns:
        if isinstance(entry, URLResolver):
            public(entry.url_patterns)
        elif isinstance(entry, URLPattern):
            entry.callback = login_not_required(entry.callback)
    return patterns


api.add_router("", accounts_api.router)
api.add_router("/referrals", intake_api.router)
api.add_router("", frontdoor_router)
api.add_router("/tasks", casework_api.tasks_router)
api.add_router("/escalations", casework_api.escalations_router)
api.add_router("/cases", casework_api.cases_router)
api.add_router("/safeguarding-conflicts", casework_api.conflicts_router)
api.add_router("/break-glass", casework_api.break_glass_router)
api.add_router("", intel_api.router)
api.add_router("", insights_api.router)
api.add_router("", oversight_api.router)
api.add_router("", governance_api.router)
api_urls, api_app, api_namespace = api.urls
urlpatterns = [
    path("healthz", core_views.healthz, name="healthz"),
    path("api/v1/", include((public(api_urls), api_app), namespace=api_namespace)),
    path("accounts/", include("lantern.accounts.urls")),
    path("", include("lantern.core.urls")),
    path("", include("lantern.intake.urls")),
    path("", include("lantern.frontdoor.urls")),
    path("", include("lantern.casework.urls")),
    path("", include("lantern.intel.urls")),
    path("", include("lantern.insights.urls")),
    path("", include("lantern.oversight.urls")),
    path("", include("lantern.governance.urls")),
]

handler404 = "lantern.core.errors.not_found"
handler403 = "lantern.core.errors.forbidden"
handler500 = "lantern.core.errors.server_error"
handler400 = "lantern.core.errors.bad_request"
