"""Signing in and out, the lockout after repeated failures, and where a signed-in user goes next."""

import pytest
from django.contrib.sessions.models import Session
from django.test import Client

from lantern.accounts.models import UserSession
from lantern.accounts.testing import TEST_PASSWORD, UserFactory, add_totp_device, totp_now
from lantern.accounts.tests.conftest import enter_code, sign_in
from lantern.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_login_page_has_labelled_fields_with_autocomplete(client):
    """The sign-in page labels its fields and tells password managers what they are."""
    response = client.get("/accounts/login/")
    html = response.content.decode()
    assert response.status_code == 200
    assert '<label class="govuk-label" for="id_username">Username</label>' in html
    assert 'autocomplete="username"' in html
    assert 'autocomplete="current-password"' in html
    assert '<h1 class="govuk-heading-l">Sign in</h1>' in html


def test_empty_form_shows_an_error_summary_linking_to_each_field(client):
    """Nothing entered: the summary links to both fields and each field says what is missing."""
    response = client.post("/accounts/login/", {"username": "", "password": ""})
    html = response.content.decode()
    assert response.status_code == 200
    assert "govuk-error-summary" in html
    assert '<a href="#id_username">Enter your username.</a>' in html
    assert '<a href="#id_password">Enter your password.</a>' in html
    assert 'id="id_username-error"' in html and 'id="id_password-error"' in html
    assert "<title>Error: Sign in" in html


def test_wrong_password_keeps_the_username_but_not_the_password(client, officer):
    """A wrong password is refused with one message; the username stays filled in, the password does not."""
    response = sign_in(client, officer.username, password="not-the-password-at-all")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Enter a correct username and password." in html
    assert f'value="{officer.username}"' in html
    assert "not-the-password-at-all" not in html
    assert "_auth_user_id" not in client.session
    assert (
        AuditEvent.objects.filter(event_type="auth.login_failed", actor_username=officer.username).count()
        == 1
    )


def test_unknown_user_and_deactivated_user_get_the_same_message(client, officer):
    """Whether the account does not exist or is deactivated is not revealed."""
    officer.is_active = False
    officer.save(update_fields=["is_active"])
    deactivated = sign_in(client, officer.username).content.decode()
    unknown = sign_in(client, "nobody.here").content.decode()
    assert "Enter a correct username and password." in deactivated
    assert "Enter a correct username and password." in unknown


def test_user_with_a_device_goes_to_the_mfa_challenge(client, officer):
    """After the password, a user with an authenticator app is asked for a code; nothing else is open yet."""
    add_totp_device(officer)
    response = sign_in(client, officer.username)
    assert response.status_code == 302
    assert response["Location"] == "/accounts/mfa/"
    assert AuditEvent.objects.filter(event_type="auth.login_succeeded", actor=officer).exists()
    assert UserSession.objects.filter(user=officer, session_key=client.session.session_key).exists()
    assert client.get("/")["Location"] == "/accounts/mfa/"


def test_user_without_a_device_must_set_one_up(client, officer):
    """Outside demo mode, a user with no authenticator app is sent to set one up."""
    response = sign_in(client, officer.username)
    assert response["Location"] == "/accounts/mfa/setup/"
    assert client.get("/")["Location"] == "/accounts/mfa/setup/"


def test_demo_mode_user_without_a_device_goes_straight_in(client, officer, settings):
    """In demo mode MFA is optional: a user without a device lands on My work."""
    settings.MFA_REQUIRED = False
    response = sign_in(client, officer.username)
    assert response["Location"] == "/"
    assert b"My work" in client.get("/").content


def test_next_page_is_kept_through_the_mfa_challenge(client, officer, clock):
    """Asked for a page, signed in and past MFA, the user lands on that page."""
    device = add_totp_device(officer)
    response = sign_in(client, officer.username, next_url="/accounts/tokens/")
    assert response["Location"] == "/accounts/mfa/?next=%2Faccounts%2Ftokens%2F"
    response = enter_code(client, totp_now(device), next_url="/accounts/tokens/")
    assert response["Location"] == "/accounts/tokens/"


def test_next_page_on_another_site_is_ignored(client, officer, clock):
    """An off-site `next` cannot turn the sign-in page into an open redirect."""
    device = add_totp_device(officer)
    response = sign_in(client, officer.username, next_url="https://evil.example/phish")
    assert response["Location"] == "/accounts/mfa/"
    response = enter_code(client, totp_now(device), next_url="//evil.example/")
    assert response["Location"] == "/"


def test_gate_remembers_the_page_asked_for(client, officer):
    """An unverified user opening a page is sent to the challenge with that page to come back to."""
    add_totp_device(officer)
    sign_in(client, officer.username)
    assert client.get("/accounts/tokens/")["Location"] == "/accounts/mfa/?next=%2Faccounts%2Ftokens%2F"


def test_logout_ends_the_session_and_its_record(client_for, officer):
    """Signing out deletes the session and its UserSession, and is audited."""
    client = client_for(officer)
    key = client.session.session_key
    assert UserSession.objects.filter(session_key=key).exists()
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"
    assert not Session.objects.filter(session_key=key).exists()
    assert not UserSession.objects.filter(session_key=key).exists()
    assert AuditEvent.objects.filter(event_type="auth.logout", actor=officer).count() == 1
    assert client.get("/")["Location"].startswith("/accounts/login/")


def test_logout_needs_post(client_for, officer):
    """A link or image cannot sign someone out: GET is refused and the session lives on."""
    client = client_for(officer)
    assert client.get("/accounts/logout/").status_code == 405
    assert client.get("/").status_code == 200


class TestLockout:
    """Repeated failures lock out the (username, address) pair, and only that pair."""

    def fail(self, client, username, ip, times):
        return [sign_in(client, username, password="wrong-password-123", ip=ip) for _ in range(times)]

    def test_lockout_after_the_failure_limit(self, settings, officer):
        """The limit-th failure from one address locks that username out there, even with the password."""
        limit = settings.AXES_FAILURE_LIMIT
        attacker = Client()
        responses = self.fail(attacker, officer.username, "10.0.0.1", limit)
        assert all(r.status_code == 200 for r in responses[:-1])
        assert responses[-1].status_code == 429
        locked = sign_in(attacker, officer.username, ip="10.0.0.1")
        assert locked.status_code == 429
        assert "You cannot sign in at the moment" in locked.content.decode()
        assert "_auth_user_id" not in attacker.session
        assert (
            AuditEvent.objects.filter(
                event_type="auth.login_locked_out", actor_username=officer.username
            ).count()
            >= 2
        )

    def test_same_user_elsewhere_and_other_users_still_sign_in(self, settings, officer, police):
        """An attacker at one address cannot lock the named user out everywhere, nor lock out anyone else."""
        colleague = UserFactory(username="pc.smith", agency=police)
        self.fail(Client(), officer.username, "10.0.0.1", settings.AXES_FAILURE_LIMIT)

        elsewhere = sign_in(Client(), officer.username, ip="10.0.0.2")
        assert elsewhere.status_code == 302
        same_address_other_user = sign_in(Client(), colleague.username, ip="10.0.0.1")
        assert same_address_other_user.status_code == 302

    def test_lockout_ends_after_the_cool_off(self, settings, officer, clock):
        """After the cool-off period the user can sign in from that address again."""
        self.fail(Client(), officer.username, "10.0.0.1", settings.AXES_FAILURE_LIMIT)
        assert sign_in(Client(), officer.username, ip="10.0.0.1").status_code == 429
        clock.shift(settings.AXES_COOLOFF_TIME + settings.AXES_COOLOFF_TIME / 15)
        assert sign_in(Client(), officer.username, ip="10.0.0.1").status_code == 302

    def test_fewer_failures_than_the_limit_do_not_lock(self, settings, officer):
        """One failure short of the limit, the right password still works."""
        client = Client()
        self.fail(client, officer.username, "10.0.0.1", settings.AXES_FAILURE_LIMIT - 1)
        assert sign_in(client, officer.username, ip="10.0.0.1").status_code == 302


def test_password_is_checked_against_the_stored_hash(client, officer):
    """The right password signs in; the same password with different case does not."""
    assert sign_in(Client(), officer.username, password=TEST_PASSWORD.upper()).status_code == 200
    assert sign_in(Client(), officer.username).status_code == 302
