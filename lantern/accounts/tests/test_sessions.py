"""Sessions end after 30 idle minutes and, however active, after the absolute limit."""

from datetime import timedelta

import pytest

from lantern.accounts.models import UserSession
from lantern.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_idle_session_expires(settings, client_for, officer, clock):
    """Activity keeps a session alive; more than the idle timeout without any ends it."""
    client = client_for(officer)
    idle = settings.SESSION_IDLE_TIMEOUT
    for _ in range(3):
        clock.shift(idle - timedelta(minutes=1))
        assert client.get("/").status_code == 200
    clock.shift(idle + timedelta(seconds=1))
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_absolute_timeout_ends_an_active_session(settings, client_for, officer, clock):
    """However active, a session ends at the absolute limit, is audited, and the user is told why."""
    client = client_for(officer)
    step = settings.SESSION_IDLE_TIMEOUT - timedelta(minutes=5)
    elapsed = timedelta(0)
    while elapsed + step <= settings.SESSION_ABSOLUTE_TIMEOUT:
        clock.shift(step)
        elapsed += step
        assert client.get("/").status_code == 200, elapsed
    clock.shift(step)
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?expired=1"
    assert AuditEvent.objects.get(event_type="auth.session_expired", actor=officer).data == {
        "kind": "absolute"
    }
    assert not UserSession.objects.filter(user=officer).exists()
    assert "your session ended" in client.get(response["Location"]).content.decode()
