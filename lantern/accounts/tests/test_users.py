"""User management by system administrators: who sees whom, create, change, deactivate, reset MFA."""

import pytest
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from lantern.accounts import services
from lantern.accounts.models import AgencyKind, Role, User, UserSession
from lantern.accounts.testing import TeamFactory, UserFactory
from lantern.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

GOOD_PASSWORD = "amber-lantern-harbour-91"


def new_user_data(agency, /, **overrides) -> dict:
    """A valid create-user form."""
    data = {
        "username": "dc.khan",
        "first_name": "Aisha",
        "last_name": "Khan",
        "email": "aisha.khan@riverton.example",
        "job_title": "Detective constable",
        "agency": str(agency.pk),
        "team": "",
        "role": Role.PRACTITIONER,
        "password": GOOD_PASSWORD,
    }
    data.update(overrides)
    return data


class TestWhoMayManage:
    """Only system administrators manage users: their own agency's, or everyone's for the partnership."""

    def test_practitioner_is_refused(self, client_for, officer):
        """A practitioner gets 403 on the user pages."""
        client = client_for(officer)
        assert client.get("/accounts/users/").status_code == 403
        assert client.get("/accounts/users/new/").status_code == 403

    def test_agency_admin_sees_only_their_agency(self, client_for, police_admin, officer, csc):
        """The police administrator lists police users only; a CSC user is 'not found'."""
        social_worker = UserFactory(username="sw.ahmed", agency=csc)
        client = client_for(police_admin)
        html = client.get("/accounts/users/").content.decode()
        assert officer.username in html and social_worker.username not in html
        assert client.get(f"/accounts/users/{social_worker.pk}/").status_code == 404
        assert client.get(f"/accounts/users/{officer.pk}/").status_code == 200

    def test_partnership_admin_sees_everyone(self, client_for, partnership_admin, officer, csc):
        """The partnership's administrator manages every agency's users."""
        social_worker = UserFactory(username="sw.ahmed", agency=csc)
        client = client_for(partnership_admin)
        html = client.get("/accounts/users/").content.decode()
        assert officer.username in html and social_worker.username in html
        assert client.get(f"/accounts/users/{social_worker.pk}/edit/").status_code == 200

    def test_admin_cannot_manage_themself(self, client_for, police_admin):
        """An administrator cannot deactivate or re-role themself (their own record is 'not found')."""
        client = client_for(police_admin)
        assert client.get(f"/accounts/users/{police_admin.pk}/").status_code == 404
        assert (
            client.post(f"/accounts/users/{police_admin.pk}/deactivate/", {"reason": "x"}).status_code == 404
        )
        police_admin.refresh_from_db()
        assert police_admin.is_active

    def test_agency_admin_cannot_create_in_another_agency(self, client_for, police_admin, csc):
        """The police administrator cannot choose CSC, and no user is created."""
        response = client_for(police_admin).post("/accounts/users/new/", new_user_data(csc))
        assert response.status_code == 200
        assert "Choose one of the agencies listed." in response.content.decode()
        assert not User.objects.filter(username="dc.khan").exists()

    def test_agency_admin_cannot_move_a_user_out(self, police_admin, officer, csc):
        """The service refuses to move a user to an agency the administrator does not manage."""
        from django.http import Http404

        with pytest.raises(Http404):
            services.user_update(actor=police_admin, user=officer, agency=csc, team=None)
        officer.refresh_from_db()
        assert officer.agency.kind == AgencyKind.POLICE
        assert not AuditEvent.objects.filter(event_type="user.updated").exists()


class TestList:
    """The user list filters, sorts and does not grow its queries with its length."""

    def test_filter_by_agency_and_role(self, client_for, partnership_admin, officer, police, csc):
        """Filters narrow the list."""
        manager = UserFactory(username="dm.lee", agency=csc, role=Role.TEAM_MANAGER)
        client = client_for(partnership_admin)
        html = client.get("/accounts/users/", {"agency": csc.pk}).content.decode()
        assert manager.username in html and officer.username not in html
        html = client.get("/accounts/users/", {"role": Role.PRACTITIONER}).content.decode()
        assert officer.username in html and manager.username not in html

    def test_sort_by_username_both_ways(self, client_for, police_admin, police):
        """Sorting by a column orders the rows and marks the column for assistive technology."""
        for name in ("zed", "amy", "max"):
            UserFactory(username=name, agency=police)
        client = client_for(police_admin)
        html = client.get("/accounts/users/", {"sort": "username"}).content.decode()
        assert html.index(">amy<") < html.index(">max<") < html.index(">zed<")
        assert (
            'aria-sort="ascending"><a class="govuk-link" href="?sort=username&amp;dir=desc">Username' in html
        )
        html = client.get("/accounts/users/", {"sort": "username", "dir": "desc"}).content.decode()
        assert html.index(">zed<") < html.index(">max<") < html.index(">amy<")

    def test_unknown_sort_and_filter_values_are_ignored(self, client_for, police_admin):
        """Nonsense in the query string gives the default list, not an error."""
        response = client_for(police_admin).get(
            "/accounts/users/", {"sort": "password", "role": "x", "page": "z"}
        )
        assert response.status_code == 200

    def test_query_count_does_not_grow(self, client_for, police_admin, police):
        """Listing 30 users takes as many queries as listing 3."""
        client = client_for(police_admin)
        for i in range(2):
            UserFactory(username=f"a{i}", agency=police)
        with CaptureQueriesContext(connection) as few:
            client.get("/accounts/users/")
        for i in range(30):
            UserFactory(username=f"b{i}", agency=police, team=TeamFactory(agency=police, name=f"T{i}"))
        with CaptureQueriesContext(connection) as many:
            assert "b29" in client.get("/accounts/users/").content.decode()
        assert len(many) == len(few)


class TestCreate:
    """Creating an account."""

    def test_create_user(self, client_for, police_admin, police):
        """A valid form creates the user with a usable password and an audit event."""
        team = TeamFactory(agency=police, name="CSE team")
        response = client_for(police_admin).post(
            "/accounts/users/new/", new_user_data(police, team=str(team.pk))
        )
        user = User.objects.get(username="dc.khan")
        assert response["Location"] == f"/accounts/users/{user.pk}/"
        assert user.check_password(GOOD_PASSWORD)
        assert (user.agency, user.team, user.role) == (police, team, Role.PRACTITIONER)
        event = AuditEvent.objects.get(event_type="user.created")
        assert event.actor == police_admin and event.object_id == str(user.pk)
        assert event.data == {"username": "dc.khan", "agency": police.code, "role": Role.PRACTITIONER}

    @pytest.mark.parametrize(
        ("overrides", "field", "message"),
        [
            ({"username": ""}, "username", "Enter a username."),
            ({"username": "has space"}, "username", "Enter a valid username."),
            ({"first_name": ""}, "first_name", "Enter the user&#x27;s first name."),
            ({"email": "not-an-email"}, "email", "Enter an email address in the correct format"),
            ({"role": "emperor"}, "role", "Choose one of the roles listed."),
            ({"agency": ""}, "agency", "Choose the user&#x27;s agency."),
            ({"password": "short"}, "password", "This password is too short. It must contain at least 12"),
            ({"password": "password12345"}, "password", "This password is too common."),
            ({"password": "123456789012"}, "password", "This password is entirely numeric."),
            ({"password": "aisha.khan.riverton"}, "password", "The password is too similar to the"),
        ],
    )
    def test_bad_input_shows_errors_keeps_values_and_writes_nothing(
        self, client_for, police_admin, police, overrides, field, message
    ):
        """Each bad value is reported in the summary and by its field, the rest kept, nothing is written."""
        data = new_user_data(police, **overrides)
        response = client_for(police_admin).post("/accounts/users/new/", data)
        html = response.content.decode()
        assert response.status_code == 200
        assert f'href="#id_{field}"' in html and f'id="id_{field}-error"' in html
        assert message in html
        assert "<title>Error: Create a user" in html
        if field != "last_name":
            assert 'value="Khan"' in html
        assert f'value="{data["password"]}"' not in html
        assert not User.objects.filter(username=data["username"] or "dc.khan").exists()
        assert not AuditEvent.objects.filter(event_type="user.created").exists()

    def test_username_taken_in_any_case(self, client_for, police_admin, police, officer):
        """A username that differs only in case is refused."""
        response = client_for(police_admin).post(
            "/accounts/users/new/", new_user_data(police, username=officer.username.upper())
        )
        assert "A user with that username already exists." in response.content.decode()
        assert User.objects.filter(username__iexact=officer.username).count() == 1

    def test_team_must_be_in_the_agency(self, client_for, partnership_admin, police, csc):
        """A CSC team for a police user is refused."""
        team = TeamFactory(agency=csc, name="Front door")
        response = client_for(partnership_admin).post(
            "/accounts/users/new/", new_user_data(police, team=str(team.pk))
        )
        assert "Choose a team in the user&#x27;s agency, or no team." in response.content.decode()
        assert not User.objects.filter(username="dc.khan").exists()

    def test_service_applies_the_password_rules_too(self, police_admin, police):
        """Another caller of the service cannot set a weak password."""
        with pytest.raises(ValidationError) as caught:
            services.user_create(
                actor=police_admin,
                username="weak",
                first_name="W",
                last_name="K",
                email="w@riverton.example",
                agency=police,
                role=Role.PRACTITIONER,
                password="password12345",
            )
        assert "password" in caught.value.message_dict
        assert not User.objects.filter(username="weak").exists()

    def test_new_user_must_set_up_mfa_on_first_sign_in(self, police_admin, police, client):
        """The created user can sign in with the initial password and is sent to set up MFA."""
        services.user_create(
            actor=police_admin,
            username="new.starter",
            first_name="New",
            last_name="Starter",
            email="new@riverton.example",
            agency=police,
            role=Role.PRACTITIONER,
            password=GOOD_PASSWORD,
        )
        response = client.post("/accounts/login/", {"username": "new.starter", "password": GOOD_PASSWORD})
        assert response["Location"] == "/accounts/mfa/setup/"


class TestEdit:
    """Changing an account's details."""

    def test_role_and_team_change_is_audited_with_old_and_new(
        self, client_for, police_admin, officer, police
    ):
        """The audit event says what changed from what to what."""
        new_team = TeamFactory(agency=police, name="Missing persons")
        old_team = officer.team.name
        response = client_for(police_admin).post(
            f"/accounts/users/{officer.pk}/edit/",
            {
                "first_name": officer.first_name,
                "last_name": officer.last_name,
                "email": officer.email,
                "job_title": "",
                "agency": police.pk,
                "team": new_team.pk,
                "role": Role.TEAM_MANAGER,
            },
        )
        assert response["Location"] == f"/accounts/users/{officer.pk}/"
        officer.refresh_from_db()
        assert (officer.role, officer.team) == (Role.TEAM_MANAGER, new_team)
        event = AuditEvent.objects.get(event_type="user.updated")
        assert event.actor == police_admin
        assert event.data == {
            "changed": {"role": [Role.PRACTITIONER, Role.TEAM_MANAGER], "team": [old_team, "Missing persons"]}
        }

    def test_agency_change_by_the_partnership(self, partnership_admin, officer, csc):
        """The partnership's administrator moves a user between agencies; the event names both agencies."""
        old = officer.agency.code
        changed = services.user_update(actor=partnership_admin, user=officer, agency=csc, team=None)
        assert changed["agency"] == [old, csc.code]
        assert AuditEvent.objects.get(event_type="user.updated").data["changed"]["agency"] == [old, csc.code]

    def test_no_change_writes_no_event(self, police_admin, officer):
        """Saving without changes writes nothing."""
        assert services.user_update(actor=police_admin, user=officer, role=officer.role) == {}
        assert not AuditEvent.objects.filter(event_type="user.updated").exists()

    def test_bad_input_keeps_values_and_changes_nothing(self, client_for, police_admin, officer, police):
        """An empty surname and a bad email are reported; the typed first name is kept; nothing changes."""
        response = client_for(police_admin).post(
            f"/accounts/users/{officer.pk}/edit/",
            {
                "first_name": "Renamed",
                "last_name": "",
                "email": "nope",
                "agency": police.pk,
                "team": "",
                "role": Role.ANALYST,
            },
        )
        html = response.content.decode()
        assert response.status_code == 200
        assert 'href="#id_last_name"' in html and 'href="#id_email"' in html
        assert 'value="Renamed"' in html
        officer.refresh_from_db()
        assert officer.first_name == "Sam" and officer.role == Role.PRACTITIONER
        assert not AuditEvent.objects.filter(event_type="user.updated").exists()


class TestDeactivateReactivateReset:
    """Deactivating ends everything; reactivating and resetting MFA are audited with their reason."""

    def test_deactivation_ends_every_session_and_token(self, client_for, police_admin, officer):
        """The user's sessions (two browsers) end at once, their tokens are revoked, and it is audited."""
        first, second = client_for(officer), client_for(officer)
        keys = [first.session.session_key, second.session.session_key]
        token, _ = services.api_token_issue(actor=officer, user=officer)
        response = client_for(police_admin).post(
            f"/accounts/users/{officer.pk}/deactivate/", {"reason": "Left the force."}
        )
        assert response["Location"] == f"/accounts/users/{officer.pk}/"
        officer.refresh_from_db()
        assert not officer.is_active
        assert not Session.objects.filter(session_key__in=keys).exists()
        assert not UserSession.objects.filter(user=officer).exists()
        for client in (first, second):
            assert client.get("/")["Location"].startswith("/accounts/login/")
        token.refresh_from_db()
        assert token.revoked_at is not None
        event = AuditEvent.objects.get(event_type="user.deactivated")
        assert (event.actor, event.object_id, event.reason) == (
            police_admin,
            str(officer.pk),
            "Left the force.",
        )
        assert AuditEvent.objects.filter(event_type="api_token.revoked", actor=police_admin).count() == 1

    def test_deactivation_needs_a_reason(self, client_for, police_admin, officer):
        """Without a reason nothing happens and the error links to the field."""
        response = client_for(police_admin).post(
            f"/accounts/users/{officer.pk}/deactivate/", {"reason": "  "}
        )
        assert '<a href="#id_reason">Enter a reason.</a>' in response.content.decode()
        officer.refresh_from_db()
        assert officer.is_active

    def test_deactivating_twice_is_an_error_not_a_crash(self, client_for, police_admin, officer):
        """A second deactivation is reported plainly."""
        services.user_deactivate(actor=police_admin, user=officer, reason="Left.")
        response = client_for(police_admin).post(
            f"/accounts/users/{officer.pk}/deactivate/", {"reason": "Again."}
        )
        assert response.status_code == 200
        assert "This account is already deactivated." in response.content.decode()
        assert AuditEvent.objects.filter(event_type="user.deactivated").count() == 1

    def test_reactivation(self, client_for, police_admin, officer, client):
        """A reactivated user can sign in again; the reason is audited."""
        services.user_deactivate(actor=police_admin, user=officer, reason="Career break.")
        client_for(police_admin).post(
            f"/accounts/users/{officer.pk}/reactivate/", {"reason": "Back from break."}
        )
        officer.refresh_from_db()
        assert officer.is_active
        assert AuditEvent.objects.get(event_type="user.reactivated").reason == "Back from break."
        assert (
            client.post(
                "/accounts/login/",
                {"username": officer.username, "password": "correct-horse-battery-staple-42"},
            ).status_code
            == 302
        )

    def test_reset_mfa(self, client_for, police_admin, officer):
        """Resetting removes the app and recovery codes, signs the user out, and audits the reason."""
        user_client = client_for(officer)
        services.mfa_recovery_codes_issue(user=officer)
        client_for(police_admin).post(f"/accounts/users/{officer.pk}/reset-mfa/", {"reason": "Lost phone."})
        assert not TOTPDevice.objects.filter(user=officer).exists()
        assert not StaticDevice.objects.filter(user=officer).exists()
        assert user_client.get("/")["Location"].startswith("/accounts/login/")
        event = AuditEvent.objects.get(event_type="mfa.reset")
        assert (event.actor, event.reason) == (police_admin, "Lost phone.")

    def test_detail_page_offers_the_right_actions(self, client_for, police_admin, officer):
        """An active account offers deactivation; a deactivated one offers reactivation."""
        client = client_for(police_admin)
        html = client.get(f"/accounts/users/{officer.pk}/").content.decode()
        assert f"/accounts/users/{officer.pk}/deactivate/" in html and "reactivate" not in html
        services.user_deactivate(actor=police_admin, user=officer, reason="Left.")
        html = client.get(f"/accounts/users/{officer.pk}/").content.decode()
        assert f"/accounts/users/{officer.pk}/reactivate/" in html and "/deactivate/" not in html


def test_every_page_has_one_h1(client_for, police_admin, officer):
    """Each account page has exactly one main heading."""
    client = client_for(police_admin)
    for path in [
        "/accounts/",
        "/accounts/tokens/",
        "/accounts/recovery-codes/",
        "/accounts/users/",
        "/accounts/users/new/",
        f"/accounts/users/{officer.pk}/",
        f"/accounts/users/{officer.pk}/edit/",
        f"/accounts/users/{officer.pk}/deactivate/",
        f"/accounts/users/{officer.pk}/reset-mfa/",
    ]:
        html = client.get(path).content.decode()
        assert html.count("<h1") == 1, path


def test_detail_counts_only_live_sessions(client_for, police_admin, officer, clock, settings):
    """The administrator sees how many sessions the user has open; expired ones are not counted."""
    from datetime import timedelta

    client_for(officer), client_for(officer)
    page = f"/accounts/users/{officer.pk}/"
    assert "2 sessions" in client_for(police_admin).get(page).content.decode()
    clock.shift(settings.SESSION_IDLE_TIMEOUT + timedelta(minutes=1))
    assert "0 sessions" in client_for(police_admin).get(page).content.decode()
