"""MFA set-up, the challenge, recovery codes, replay, throttling and the gate that no page gets round."""

import re
from datetime import timedelta

import pytest
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from lantern.accounts import services
from lantern.accounts.models import ApiToken
from lantern.accounts.testing import add_totp_device, totp_now
from lantern.accounts.tests.conftest import enter_code, sign_in, sign_in_fully
from lantern.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def codes_on_page(response) -> list[str]:
    """The recovery codes shown on a page."""
    block = re.search(r'data-testid="recovery-codes">(.*?)</ul>', response.content.decode(), re.S)
    return re.findall(r"<code>([a-z2-7]{8})</code>", block.group(1)) if block else []


class TestSetup:
    """Setting up an authenticator app after the first sign-in."""

    def test_setup_page_shows_a_qr_code_and_the_key(self, client, officer, clock):
        """The page shows the QR code as inline SVG and the key for typing in, for a pending device."""
        sign_in(client, officer.username)
        response = client.get("/accounts/mfa/setup/")
        html = response.content.decode()
        device = TOTPDevice.objects.get(user=officer)
        assert not device.confirmed
        assert '<svg role="img" aria-label="QR code for your authenticator app"' in html
        assert 'data-testid="totp-secret"' in html
        assert 'autocomplete="one-time-code"' in html and 'inputmode="numeric"' in html
        # Reloading the page keeps the same pending device, so a scanned code stays valid.
        client.get("/accounts/mfa/setup/")
        assert TOTPDevice.objects.filter(user=officer).count() == 1

    def test_confirming_shows_ten_recovery_codes_once(self, client, officer, clock):
        """A right code confirms the device, signs the user in fully and shows 10 recovery codes, once."""
        sign_in(client, officer.username)
        client.get("/accounts/mfa/setup/")
        device = TOTPDevice.objects.get(user=officer)
        response = client.post("/accounts/mfa/setup/", {"otp_token": totp_now(device)})
        assert response.status_code == 200
        codes = codes_on_page(response)
        assert len(codes) == 10 and len(set(codes)) == 10
        device.refresh_from_db()
        assert device.confirmed
        assert AuditEvent.objects.filter(event_type="mfa.device_confirmed", actor=officer).count() == 1
        issued = AuditEvent.objects.get(event_type="mfa.recovery_codes_issued", actor=officer)
        assert issued.data == {"count": 10}
        assert client.get("/").status_code == 200
        assert codes_on_page(client.get("/accounts/recovery-codes/")) == []

    def test_wrong_code_does_not_confirm(self, client, officer, clock):
        """A wrong code leaves the device pending and says so by the field."""
        sign_in(client, officer.username)
        client.get("/accounts/mfa/setup/")
        device = TOTPDevice.objects.get(user=officer)
        wrong = f"{(int(totp_now(device)) + 1) % 1000000:06d}"
        response = client.post("/accounts/mfa/setup/", {"otp_token": wrong})
        html = response.content.decode()
        assert "The code is not correct" in html and "govuk-error-summary" in html
        device.refresh_from_db()
        assert not device.confirmed
        assert AuditEvent.objects.filter(event_type="mfa.failed", actor=officer).count() == 1
        assert client.get("/")["Location"] == "/accounts/mfa/setup/"

    def test_code_that_is_not_six_digits_is_refused_before_checking(self, client, officer, clock):
        """Letters are refused with a message about the format, and are not counted as a wrong code."""
        sign_in(client, officer.username)
        client.get("/accounts/mfa/setup/")
        response = client.post("/accounts/mfa/setup/", {"otp_token": "abc"})
        assert "Enter the 6-digit code from your authenticator app." in response.content.decode()
        assert not AuditEvent.objects.filter(event_type="mfa.failed").exists()

    def test_verified_user_can_move_to_a_new_app(self, client_for, officer, clock):
        """A verified user sets up a new app; the old one stops working once the new one is confirmed."""
        client = client_for(officer)
        old = TOTPDevice.objects.get(user=officer)
        client.get("/accounts/mfa/setup/")
        new = TOTPDevice.objects.get(user=officer, confirmed=False)
        response = client.post("/accounts/mfa/setup/", {"otp_token": totp_now(new)})
        assert len(codes_on_page(response)) == 10
        assert list(TOTPDevice.objects.filter(user=officer)) == [new]
        assert not TOTPDevice.objects.filter(pk=old.pk).exists()
        assert client.get("/").status_code == 200


class TestChallenge:
    """The code asked for at every sign-in."""

    def test_right_code_signs_in_and_is_audited(self, client, officer, clock):
        """The current code passes the challenge; the user reaches My work."""
        device = add_totp_device(officer)
        sign_in(client, officer.username)
        response = enter_code(client, totp_now(device))
        assert response["Location"] == "/"
        assert b"My work" in client.get("/").content
        event = AuditEvent.objects.get(event_type="mfa.verified", actor=officer)
        assert event.data == {"method": "totp"}
        assert client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id

    def test_wrong_code_is_refused_and_audited(self, client, officer, clock):
        """A wrong code keeps the user at the challenge, with an error by the field."""
        device = add_totp_device(officer)
        sign_in(client, officer.username)
        wrong = f"{(int(totp_now(device)) + 1) % 1000000:06d}"
        response = enter_code(client, wrong)
        assert response.status_code == 200
        assert 'id="id_otp_token-error"' in response.content.decode()
        assert AuditEvent.objects.filter(event_type="mfa.failed", actor=officer).count() == 1
        assert client.get("/")["Location"] == "/accounts/mfa/"

    def test_a_code_cannot_be_used_twice(self, officer, clock):
        """A code that signed one session in is refused for another (django-otp's last_t) within its step."""
        device = add_totp_device(officer)
        code = totp_now(device)
        first, second = Client(), Client()
        sign_in(first, officer.username)
        sign_in(second, officer.username)
        assert enter_code(first, code)["Location"] == "/"
        replay = enter_code(second, code)
        assert replay.status_code == 200
        assert "already been used" in replay.content.decode()
        assert second.get("/")["Location"] == "/accounts/mfa/"
        # Once the throttle delay has passed, the previous step's code is refused for reuse, not throttling:
        # only steps after the last accepted one count.
        clock.shift(timedelta(seconds=2))
        older = enter_code(second, totp_now(device, offset_steps=-1))
        assert "already been used" in older.content.decode()
        # The next step's code works.
        clock.shift(timedelta(seconds=device.step))
        assert enter_code(second, totp_now(device))["Location"] == "/"

    def test_wrong_codes_are_throttled(self, client, officer, clock):
        """After a wrong code, even the right one is refused until the back-off delay has passed."""
        device = add_totp_device(officer)
        sign_in(client, officer.username)
        enter_code(client, f"{(int(totp_now(device)) + 1) % 1000000:06d}")
        throttled = enter_code(client, totp_now(device))
        assert throttled.status_code == 200
        assert "too many wrong codes" in throttled.content.decode()
        device.refresh_from_db()
        assert device.throttling_failure_count == 1
        clock.shift(timedelta(seconds=2))
        assert enter_code(client, totp_now(device))["Location"] == "/"
        device.refresh_from_db()
        assert device.throttling_failure_count == 0

    def test_the_wait_after_wrong_codes_stops_doubling_at_the_cap(self, client, officer, clock):
        """Fifteen wrong codes in a row (each after the wait) leave a wait of 512 s, not 16,384 s (4.5 hours):
        someone with the password cannot lock the practitioner out for long. The right code then works."""
        device = add_totp_device(officer)
        waits = []
        for _ in range(15):
            wrong = f"{(int(totp_now(device)) + 1) % 1000000:06d}"
            check = services.mfa_verify(user=officer, token=wrong)
            assert (
                not check.ok and check.retry_after == 0
            )  # each wrong code came after the wait: it was tried
            waits.append(services.mfa_verify(user=officer, token=wrong).retry_after)
            clock.shift(timedelta(seconds=waits[-1]))
        # retry_after counts whole seconds and one more (the clock here stands still on the second)
        assert waits[:4] == [1 + 1, 2 + 1, 4 + 1, 8 + 1] and waits[-5:] == [512 + 1] * 5 and max(waits) == 513
        device.refresh_from_db()
        assert device.throttling_failure_count == 10
        sign_in(client, officer.username)
        enter_code(client, f"{(int(totp_now(device)) + 1) % 1000000:06d}")  # one more wrong code, on the page
        refused = enter_code(client, totp_now(device))
        assert "Wait 9 minutes, then enter a new code." in refused.content.decode()  # 513 s, rounded up
        clock.shift(timedelta(seconds=513))  # a time step not used yet, too
        assert enter_code(client, totp_now(device))["Location"] == "/"

    def test_recovery_code_works_once(self, officer, clock):
        """A recovery code passes the challenge once, is audited as such, and is then used up."""
        add_totp_device(officer)
        codes = services.mfa_recovery_codes_issue(user=officer)
        first = Client()
        sign_in(first, officer.username)
        response = enter_code(first, codes[0].upper())
        assert response["Location"] == "/"
        assert "9 left" in first.get("/").content.decode()
        assert AuditEvent.objects.get(event_type="mfa.verified", actor=officer).data == {"method": "recovery"}
        assert not StaticToken.objects.filter(token=codes[0]).exists()

        second = Client()
        sign_in(second, officer.username)
        again = enter_code(second, codes[0])
        assert again.status_code == 200
        assert "recovery code is not correct or has already been used" in again.content.decode()

    def test_new_recovery_codes_replace_the_old(self, client_for, officer, clock):
        """Creating new recovery codes shows them once and the old ones stop working."""
        old = services.mfa_recovery_codes_issue(user=officer)
        client = client_for(officer)
        response = client.post("/accounts/recovery-codes/")
        new = codes_on_page(response)
        assert len(new) == 10 and not set(new) & set(old)
        assert set(StaticToken.objects.filter(device__user=officer).values_list("token", flat=True)) == set(
            new
        )
        assert AuditEvent.objects.filter(event_type="mfa.recovery_codes_issued", actor=officer).count() == 2
        assert (
            "You have 10 unused recovery codes." in client.get("/accounts/recovery-codes/").content.decode()
        )

    def test_verified_user_is_not_challenged_again(self, client_for, officer):
        """Opening the challenge once verified just continues."""
        assert client_for(officer).get("/accounts/mfa/")["Location"] == "/"


class TestNoBypass:
    """A session that has only passed the password step can reach nothing but the challenge and sign-out."""

    @pytest.fixture
    def half_signed_in(self, officer, clock):
        add_totp_device(officer)
        services.mfa_recovery_codes_issue(user=officer)
        client = Client()
        sign_in(client, officer.username)
        return client

    @pytest.mark.parametrize(
        "path",
        [
            "/",
            "/accounts/",
            "/accounts/tokens/",
            "/accounts/recovery-codes/",
            "/accounts/users/",
            "/accounts/users/new/",
            "/accounts/login/",
            "/no-such-page/",
        ],
    )
    def test_pages_redirect_to_the_challenge(self, half_signed_in, path):
        """Every page, even one that does not exist, sends the unverified user to the challenge."""
        response = half_signed_in.get(path)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/mfa/")

    def test_cannot_create_tokens_or_recovery_codes(self, half_signed_in, officer):
        """Posting to the token and recovery-code pages changes nothing."""
        before = set(StaticToken.objects.filter(device__user=officer).values_list("token", flat=True))
        assert half_signed_in.post("/accounts/tokens/", {"name": "x", "expires": "30"}).status_code == 302
        assert half_signed_in.post("/accounts/recovery-codes/").status_code == 302
        assert not ApiToken.objects.filter(user=officer).exists()
        assert set(StaticToken.objects.filter(device__user=officer).values_list("token", flat=True)) == before

    def test_cannot_replace_the_device(self, half_signed_in, officer):
        """Set-up is refused without the current code: no new device, and a code for one confirms nothing."""
        original = TOTPDevice.objects.get(user=officer)
        response = half_signed_in.get("/accounts/mfa/setup/")
        assert response["Location"] == "/accounts/mfa/"
        attacker_device = add_totp_device(officer, confirmed=False)
        response = half_signed_in.post("/accounts/mfa/setup/", {"otp_token": totp_now(attacker_device)})
        assert response["Location"] == "/accounts/mfa/"
        attacker_device.refresh_from_db()
        assert not attacker_device.confirmed
        assert list(TOTPDevice.objects.filter(user=officer, confirmed=True)) == [original]

    def test_device_of_another_user_in_the_session_does_not_verify(self, half_signed_in, police):
        """A session pointing at someone else's device is still unverified."""
        from lantern.accounts.testing import UserFactory

        other_device = add_totp_device(UserFactory(username="someone.else", agency=police))
        session = half_signed_in.session
        session[DEVICE_ID_SESSION_KEY] = other_device.persistent_id
        session.save()
        assert half_signed_in.get("/")["Location"] == "/accounts/mfa/"

    def test_sign_out_still_works(self, half_signed_in):
        """The unverified user can always sign out."""
        assert half_signed_in.post("/accounts/logout/")["Location"] == "/accounts/login/"

    def test_api_does_not_accept_the_session(self, half_signed_in):
        """The API needs a bearer token; a half-signed-in session is not one."""
        assert half_signed_in.get("/api/v1/me").status_code == 401


def test_full_sign_in_through_the_pages(officer, clock):
    """Password, then the code: the user reaches My work (what the browser test does)."""
    device = add_totp_device(officer)
    client = sign_in_fully(officer, device)
    assert b"My work" in client.get("/").content
