"""Session timeouts and the MFA gate."""

from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import logout
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone

from lantern.audit import events

# The API authenticates each request by its bearer token, never by the session: these gates are the pages'. (Not
# asking for request.user also spares an API request loading the session behind it.)
API_PREFIX = "/api/"
# Browsers post Content-Security-Policy reports from every page, those on the way through MFA included.
MFA_EXEMPT_PREFIXES = (
    "/accounts/mfa/",
    "/accounts/logout",
    "/static/",
    "/healthz",
    API_PREFIX,
    settings.CSP_REPORT_PATH,
)


class SessionTimeoutMiddleware:
    """End a session after the absolute timeout, however active it has been (idle timeout is the cookie age)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = None if request.path.startswith(API_PREFIX) else getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            started = request.session.get("lantern_auth_at")
            limit = settings.SESSION_ABSOLUTE_TIMEOUT.total_seconds()
            if started is None or timezone.now().timestamp() - float(started) > limit:
                events.session_expired(user=user, kind="absolute" if started else "unknown")
                logout(request)
                return redirect(f"{reverse(settings.LOGIN_URL)}?expired=1")
        return self.get_response(request)


def mfa_required_for(user) -> bool:
    """Whether this user must pass MFA before doing anything: always if they have a device, else outside demo."""
    from django_otp import user_has_device

    return settings.MFA_REQUIRED or user_has_device(user)


class MFARequiredMiddleware:
    """Send a signed-in but unverified user to the MFA challenge (or to set MFA up) before any page."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = None if request.path.startswith(MFA_EXEMPT_PREFIXES) else getattr(request, "user", None)
        if user is not None and user.is_authenticated and not user.is_verified() and mfa_required_for(user):
            from django_otp import user_has_device

            target = reverse("accounts:mfa_challenge" if user_has_device(user) else "accounts:mfa_setup")
            if request.method == "GET" and request.path != "/":
                # Come back to the page asked for once the code is accepted.
                target = f"{target}?{urlencode({'next': request.get_full_path()})}"
            return redirect(target)
        return self.get_response(request)
