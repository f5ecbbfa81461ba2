"""API tokens: the page, the `lantern token` command, and what /api/v1/me accepts."""

import re
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone

from lantern.accounts import services
from lantern.accounts.models import ApiToken
from lantern.accounts.testing import UserFactory
from lantern.audit.models import AuditEvent
from lantern.core.policy import PolicyDenied

pytestmark = pytest.mark.django_db


def bearer(raw: str) -> Client:
    """A client that sends `raw` as its bearer token."""
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


class TestApiAuthentication:
    """/api/v1/me answers only to a good token of an active user."""

    def test_good_token(self, officer):
        """A fresh token answers 200 with the user, and its use is noted."""
        token, raw = services.api_token_issue(actor=officer, user=officer, name="Script")
        response = bearer(raw).get("/api/v1/me")
        assert response.status_code == 200
        assert response.json()["username"] == officer.username
        token.refresh_from_db()
        assert token.last_used_at is not None

    @pytest.mark.parametrize(
        "header", [None, "Bearer", "Bearer lnt_unknown", "Basic abc", "Bearer " + "x" * 300]
    )
    def test_missing_or_unknown_token(self, client, header):
        """No token, an unknown one or a malformed header: 401 JSON."""
        headers = {"HTTP_AUTHORIZATION": header} if header else {}
        response = client.get("/api/v1/me", **headers)
        assert response.status_code == 401
        assert response.json()["error"] == "unauthenticated"

    def test_revoked_token(self, officer):
        """A revoked token stops working at once, and the revocation is audited."""
        token, raw = services.api_token_issue(actor=officer, user=officer)
        assert bearer(raw).get("/api/v1/me").status_code == 200
        services.api_token_revoke(actor=officer, token=token)
        assert bearer(raw).get("/api/v1/me").status_code == 401
        assert AuditEvent.objects.filter(event_type="api_token.revoked", object_id=str(token.pk)).count() == 1

    def test_expired_token(self, officer, clock):
        """A token works until it expires, and not after."""
        _, raw = services.api_token_issue(
            actor=officer, user=officer, expires_at=timezone.now() + timedelta(days=1)
        )
        assert bearer(raw).get("/api/v1/me").status_code == 200
        clock.shift(timedelta(days=1, seconds=1))
        assert bearer(raw).get("/api/v1/me").status_code == 401

    def test_deactivated_user(self, officer, police_admin):
        """Deactivation revokes a user's tokens; even a token left unrevoked would not work."""
        token, raw = services.api_token_issue(actor=officer, user=officer)
        services.user_deactivate(actor=police_admin, user=officer, reason="Left the force.")
        token.refresh_from_db()
        assert token.revoked_at is not None
        assert bearer(raw).get("/api/v1/me").status_code == 401
        ApiToken.objects.filter(pk=token.pk).update(revoked_at=None)
        assert bearer(raw).get("/api/v1/me").status_code == 401

    def test_the_lookup_agrees_with_the_orm_definition_of_active(self, officer, police_admin, clock):
        """The API's hand-written lookup finds exactly the tokens `ApiToken.objects.active()` does, fully loaded."""
        from lantern.accounts.selectors import active_api_token

        live, live_raw = services.api_token_issue(actor=officer, user=officer)
        expiring, expiring_raw = services.api_token_issue(
            actor=officer, user=officer, expires_at=timezone.now() + timedelta(hours=1)
        )
        revoked, revoked_raw = services.api_token_issue(actor=officer, user=officer)
        services.api_token_revoke(actor=officer, token=revoked)
        agencyless = UserFactory(username="no.agency", agency=None, team=None)
        orphan, orphan_raw = services.api_token_issue(actor=agencyless, user=agencyless)
        clock.shift(timedelta(hours=2))  # `expiring` has expired
        raws = {live.pk: live_raw, expiring.pk: expiring_raw, revoked.pk: revoked_raw, orphan.pk: orphan_raw}
        found = {pk: active_api_token(raw) for pk, raw in raws.items()}
        assert (
            {pk for pk, token in found.items() if token}
            == set(ApiToken.objects.active().values_list("pk", flat=True))
            == {live.pk, orphan.pk}
        )
        for pk in (live.pk, orphan.pk):
            expected = ApiToken.objects.select_related("user", "user__agency").get(pk=pk)
            token = found[pk]
            assert [getattr(token, f.attname) for f in ApiToken._meta.concrete_fields] == [
                getattr(expected, f.attname) for f in ApiToken._meta.concrete_fields
            ]
            assert [getattr(token.user, f.attname) for f in type(token.user)._meta.concrete_fields] == [
                getattr(expected.user, f.attname) for f in type(expected.user)._meta.concrete_fields
            ]
            assert token.user.agency == expected.user.agency
            if expected.user.agency is not None:
                assert token.user.agency.code == expected.user.agency.code
        services.user_deactivate(actor=police_admin, user=officer, reason="Left the force.")
        ApiToken.objects.filter(pk=live.pk).update(revoked_at=None)
        assert active_api_token(live_raw) is None
        assert active_api_token("lnt_unknown") is None


class TestTokenService:
    """Issuing and revoking through the services."""

    def test_only_a_digest_is_stored_and_issue_is_audited(self, officer):
        """The raw secret is not in the database or the audit log."""
        token, raw = services.api_token_issue(actor=officer, user=officer, name="Import")
        assert raw.startswith("lnt_")
        assert token.key_digest == ApiToken.digest(raw) and raw not in token.key_digest
        event = AuditEvent.objects.get(event_type="api_token.created")
        assert event.actor == officer and event.object_id == str(token.pk)
        assert raw not in str(event.data)

    def test_cannot_issue_for_someone_else(self, officer, police_admin):
        """A user issues tokens only for themself."""
        with pytest.raises(PolicyDenied):
            services.api_token_issue(actor=police_admin, user=officer)
        assert not ApiToken.objects.exists()

    def test_cannot_revoke_someone_elses(self, officer, police):
        """Another user's token is 'not found', and stays active."""
        from django.http import Http404

        token, raw = services.api_token_issue(actor=officer, user=officer)
        with pytest.raises(Http404):
            services.api_token_revoke(actor=UserFactory(username="nosy", agency=police), token=token)
        assert bearer(raw).get("/api/v1/me").status_code == 200


class TestTokensPage:
    """/accounts/tokens/: list, create (shown once) and revoke your own."""

    def test_create_shows_the_token_once(self, client_for, officer):
        """The new token is shown on the page that creates it and never again."""
        client = client_for(officer)
        response = client.post("/accounts/tokens/", {"name": "Case import", "expires": "30"})
        assert response.status_code == 200
        raw = re.search(r'data-testid="new-token">(lnt_[^<]+)</code>', response.content.decode()).group(1)
        token = ApiToken.objects.get(user=officer)
        assert token.name == "Case import"
        assert token.expires_at - timezone.now() > timedelta(days=29, hours=23)
        assert bearer(raw).get("/api/v1/me").status_code == 200
        listing = client.get("/accounts/tokens/").content.decode()
        assert "Case import" in listing and raw not in listing

    def test_bad_input_shows_errors_and_creates_nothing(self, client_for, officer):
        """No name and an unknown expiry: errors by each field, nothing created."""
        response = client_for(officer).post("/accounts/tokens/", {"name": "", "expires": "forever"})
        html = response.content.decode()
        assert '<a href="#id_name">Enter a name for the token.</a>' in html
        assert '<a href="#id_expires_0">Choose when the token should expire.</a>' in html
        assert not ApiToken.objects.exists()

    def test_revoke_own_token(self, client_for, officer):
        """The revoke button revokes the token."""
        token, raw = services.api_token_issue(actor=officer, user=officer)
        client = client_for(officer)
        response = client.post(f"/accounts/tokens/{token.pk}/revoke/")
        assert response["Location"] == "/accounts/tokens/"
        assert bearer(raw).get("/api/v1/me").status_code == 401

    def test_cannot_revoke_another_users_token(self, client_for, officer, police):
        """Another user's token id is a 404 and the token keeps working."""
        token, raw = services.api_token_issue(actor=officer, user=officer)
        other = client_for(UserFactory(username="nosy", agency=police))
        assert other.post(f"/accounts/tokens/{token.pk}/revoke/").status_code == 404
        assert bearer(raw).get("/api/v1/me").status_code == 200


class TestTokenCommand:
    """`lantern token USERNAME [--name NAME] [--expires-days N]`."""

    def test_prints_a_working_token_and_audits_as_the_system(self, officer):
        """stdout is the raw token alone; the audit log records the system as the actor."""
        out, err = StringIO(), StringIO()
        call_command(
            "token",
            officer.username,
            "--name",
            "Nightly export",
            "--expires-days",
            "7",
            stdout=out,
            stderr=err,
        )
        raw = out.getvalue().strip()
        assert re.fullmatch(r"lnt_[A-Za-z0-9_-]{43}", raw)
        assert bearer(raw).get("/api/v1/me").json()["username"] == officer.username
        token = ApiToken.objects.get(user=officer)
        assert token.name == "Nightly export"
        assert timedelta(days=6, hours=23) < token.expires_at - timezone.now() <= timedelta(days=7)
        event = AuditEvent.objects.get(event_type="api_token.created")
        assert event.actor_id is None and event.actor_username == "system"

    def test_without_expiry(self, officer):
        """Without --expires-days the token does not expire."""
        call_command("token", officer.username, stdout=StringIO(), stderr=StringIO())
        assert ApiToken.objects.get(user=officer).expires_at is None

    @pytest.mark.parametrize("args", [["nobody"], ["pc.jones", "--expires-days", "0"]])
    def test_bad_arguments(self, officer, args):
        """An unknown user or a silly expiry is an error, and no token is issued."""
        with pytest.raises(CommandError):
            call_command("token", *args, stdout=StringIO(), stderr=StringIO())
        assert not ApiToken.objects.exists()

    def test_deactivated_user(self, officer):
        """No tokens for a deactivated user."""
        officer.is_active = False
        officer.save(update_fields=["is_active"])
        with pytest.raises(CommandError, match="deactivated"):
            call_command("token", officer.username, stdout=StringIO(), stderr=StringIO())
