"""Audit and session bookkeeping for Django's authentication signals."""

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver
from django.utils import timezone

from lantern.accounts.models import UserSession
from lantern.audit import events
from lantern.core.middleware import client_ip


@receiver(user_logged_in)
def on_logged_in(sender, request, user, **kwargs):
    """Record the login and the session, so that deactivation can end it."""
    events.login_succeeded(user=user)
    if request is not None and hasattr(request, "session"):
        if not request.session.session_key:
            request.session.save()
        request.session["lantern_auth_at"] = timezone.now().timestamp()
        UserSession.objects.update_or_create(
            session_key=request.session.session_key,
            defaults={"user": user, "ip_address": client_ip(request) or None, "created_at": timezone.now()},
        )


@receiver(user_logged_out)
def on_logged_out(sender, request, user, **kwargs):
    """Record the logout and forget the session."""
    if user is not None:
        events.logout(user=user)
        if (
            request is not None
            and getattr(request, "session", None) is not None
            and request.session.session_key
        ):
            UserSession.objects.filter(session_key=request.session.session_key).delete()


@receiver(user_login_failed)
def on_login_failed(sender, credentials, request=None, **kwargs):
    """Record the failed attempt; axes counts it towards the (username, address) lockout."""
    events.login_failed(username=str(credentials.get("username", ""))[:150])
