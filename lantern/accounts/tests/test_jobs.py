"""Housekeeping removes the records of sessions that have ended."""

from datetime import timedelta

import pytest
import time_machine
from django.contrib.sessions.models import Session
from django.utils import timezone

from lantern.accounts.jobs import purge_expired_sessions
from lantern.accounts.models import UserSession


@pytest.mark.django_db
def test_expired_sessions_and_their_login_records_are_purged(client_for, user_factory):
    """After the idle timeout, the session and its UserSession record are deleted; live ones are kept."""
    old_user, live_user = user_factory(), user_factory()
    client_for(old_user)
    assert UserSession.objects.filter(user=old_user).exists()
    with time_machine.travel(timezone.now() + timedelta(hours=2)):
        client_for(live_user)
        assert purge_expired_sessions() >= 1
        assert not UserSession.objects.filter(user=old_user).exists()
        assert UserSession.objects.filter(user=live_user).exists()
        assert Session.objects.count() == 1
