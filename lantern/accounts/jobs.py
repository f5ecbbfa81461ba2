"""Periodic housekeeping for accounts, run by `lantern worker`."""

from datetime import timedelta

from django.contrib.sessions.models import Session
from django.utils import timezone

from lantern.accounts.models import UserSession
from lantern.core.scheduler import periodic


@periodic("accounts.purge_expired_sessions", every=timedelta(hours=1))
def purge_expired_sessions() -> int:
    """Delete expired sessions and the login records that pointed at them."""
    Session.objects.filter(expire_date__lt=timezone.now()).delete()
    live = Session.objects.values("session_key")
    deleted, _ = UserSession.objects.exclude(session_key__in=live).delete()
    return deleted
