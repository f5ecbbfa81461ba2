"""Fixtures for the accounts tests: agencies, administrators and signing in through the real pages."""

from datetime import UTC, datetime

import pytest
import time_machine
from django.test import Client

from lantern.accounts.models import AgencyKind, Role
from lantern.accounts.testing import TEST_PASSWORD, AgencyFactory, TeamFactory, UserFactory, totp_now

# A fixed Monday morning, so TOTP time steps and session clocks are deterministic.
START = datetime(2026, 3, 2, 9, 0, 0, tzinfo=UTC)


@pytest.fixture
def clock(db):
    """Freeze the clock at START; `clock.shift(timedelta(...))` moves it."""
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


@pytest.fixture
def police(db):
    """The police agency."""
    return AgencyFactory(kind=AgencyKind.POLICE)


@pytest.fixture
def csc(db):
    """Children's social care."""
    return AgencyFactory(kind=AgencyKind.CSC)


@pytest.fixture
def partnership(db):
    """The safeguarding partnership."""
    return AgencyFactory(kind=AgencyKind.PARTNERSHIP)


@pytest.fixture
def police_admin(police):
    """A system administrator of the police."""
    return UserFactory(username="police.admin", agency=police, role=Role.SYSTEM_ADMIN)


@pytest.fixture
def partnership_admin(partnership):
    """A system administrator of the partnership, who manages every agency's users."""
    return UserFactory(username="partnership.admin", agency=partnership, role=Role.SYSTEM_ADMIN)


@pytest.fixture
def officer(police):
    """A police practitioner."""
    return UserFactory(username="pc.jones", agency=police, team=TeamFactory(agency=police, name="CSE team"))


def sign_in(
    client: Client, username: str, password: str = TEST_PASSWORD, ip: str = "127.0.0.1", next_url=None
):
    """Post the sign-in form as a browser at `ip` would."""
    data = {"username": username, "password": password}
    if next_url is not None:
        data["next"] = next_url
    return client.post("/accounts/login/", data, REMOTE_ADDR=ip)


def enter_code(client: Client, code: str, next_url=None):
    """Post the MFA challenge form."""
    data = {"otp_token": code}
    if next_url is not None:
        data["next"] = next_url
    return client.post("/accounts/mfa/", data)


def sign_in_fully(user, device, ip: str = "127.0.0.1") -> Client:
    """A client signed in through the real pages: password, then the current TOTP code."""
    client = Client()
    assert sign_in(client, user.username, ip=ip).status_code == 302
    response = enter_code(client, totp_now(device))
    assert response.status_code == 302, response.content
    return client
