"""Sign-in, MFA, sign-out and user management pages (placeholder: being written)."""

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponse


login_view = login_not_required(auth_views.LoginView.as_view(template_name="accounts/login.html"))
logout_view = auth_views.LogoutView.as_view()


def mfa_setup(request):
    """Set up TOTP."""
    return HttpResponse("MFA set-up")


def mfa_challenge(request):
    """MFA challenge."""
    return HttpResponse("MFA challenge")


def lockout_response(request, credentials, *args, **kwargs):
    """Answer a locked-out sign-in."""
    return HttpResponse("Too many failed attempts.", status=429)
