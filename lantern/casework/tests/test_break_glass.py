"""Break glass (issue 16): someone with no relationship to a restricted case opens it only by stating a reason; the
use is audited as such, the owner and the partnership lead are told at once, the access is read-only and expires,
and every use waits on a review list until a partnership lead or data protection officer (not its user) signs it
off. Through the rules, the API and the pages."""

import itertools
from datetime import timedelta

import pytest
from django.utils import timezone

from lantern.accounts.models import AgencyKind, Role
from lantern.accounts.testing import AgencyFactory, UserFactory
from lantern.audit.models import AuditEvent
from lantern.casework import breakglass, selectors, services
from lantern.casework.models import BreakGlassUse, Notification
from lantern.core import policy

REASON = "Child reported missing tonight; police need her known associates and the people named are off duty."
CASE_ROLES = {
    Role.FRONT_DOOR,
    Role.PRACTITIONER,
    Role.TEAM_MANAGER,
    Role.SERVICE_MANAGER,
    Role.ANALYST,
    Role.PARTNERSHIP_LEAD,
}


def post(client, url, body=None):
    """POST JSON."""
    return client.post(url, body if body is not None else {}, content_type="application/json")


@pytest.fixture
def restricted(people):
    """A restricted children's social care case, owned by a practitioner and restricted to her."""
    owner = people[AgencyKind.CSC, Role.PRACTITIONER]
    case = services.case_open(actor=owner, subject_name="Jade Example", lead_agency=owner.agency, owner=owner)
    case.restricted = True
    case.save(update_fields=["restricted"])
    case.restricted_to.add(owner)
    return case


@pytest.fixture
def officer(people):
    """A police practitioner with no relationship to the case."""
    return people[AgencyKind.POLICE, Role.PRACTITIONER]


@pytest.fixture
def dpo(people):
    """The partnership's data protection officer."""
    return UserFactory(username="dpo", agency=people["lead"].agency, role=Role.DATA_PROTECTION_OFFICER)


def _events(event_type: str, **filters):
    return AuditEvent.objects.filter(event_type=event_type, **filters)


# Rules
def test_who_may_break_glass_is_a_matrix_of_role(restricted):
    """Every case worker role may break the glass on a restricted case they are not named on; reviewers,
    administrators, records managers, data protection officers never may."""
    for role, kind in itertools.product(
        Role.values, (AgencyKind.POLICE, AgencyKind.HEALTH, AgencyKind.PARTNERSHIP)
    ):
        user = UserFactory(username=f"bg-{role}-{kind}", role=role, agency=AgencyFactory(kind=kind))
        expected = role in CASE_ROLES
        assert policy.allows(user, "can_break_glass") is expected, role
        assert policy.allows(user, "can_break_glass_into", restricted) is expected, role
        assert policy.allows(user, "can_view_case", restricted) is False, role


def test_a_named_person_or_an_unrestricted_case_has_nothing_to_break_into(restricted, people, officer):
    """Nobody breaks the glass on a case they can already read, or on one that is not restricted."""
    assert not policy.allows(restricted.owner, "can_break_glass_into", restricted)
    restricted.restricted = False
    restricted.save(update_fields=["restricted"])
    assert not policy.allows(officer, "can_break_glass_into", restricted)


def test_a_use_lets_its_user_read_but_not_add_until_it_expires(restricted, officer, people):
    """While the use is current its user reads the case and its network, adds nothing, and finds it in lists; once
    it expires, the case is behind the glass again."""
    use = breakglass.break_glass_open(actor=officer, case=restricted, reason=REASON)
    assert use.expires_at - use.opened_at == timedelta(hours=breakglass.ACCESS_HOURS)
    assert policy.allows(officer, "can_view_case", restricted)
    assert policy.allows(officer, "can_view_family_network", restricted)
    for rule in (
        "can_add_case_record",
        "can_request_flag_change",
        "can_add_network_member",
        "can_record_involvement",
    ):
        assert not policy.allows(officer, rule, restricted), rule
    assert restricted in selectors.case_list_visible_to(user=officer)
    assert not policy.allows(people[AgencyKind.POLICE, Role.TEAM_MANAGER], "can_view_case", restricted)

    BreakGlassUse.objects.filter(pk=use.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert not policy.allows(officer, "can_view_case", restricted)
    assert restricted not in selectors.case_list_visible_to(user=officer)
    assert policy.allows(officer, "can_break_glass_into", restricted)


# The API
def test_breaking_the_glass_through_the_api(api_client_for, restricted, officer, people):
    """201 with the use; audited as `break_glass` with the reason; owner and lead told at once; the case then
    reads, and the read is audited as a read under break glass."""
    client = api_client_for(officer)
    assert client.get(f"/api/v1/cases/{restricted.pk}").status_code == 404

    response = post(client, f"/api/v1/cases/{restricted.pk}/break-glass", {"reason": REASON})

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["case_reference"] == restricted.reference
    assert body["reason"] == REASON
    assert body["user"]["id"] == officer.pk
    assert body["signed_off_at"] is None
    use = BreakGlassUse.objects.get()
    event = _events("break_glass").get()
    assert (event.actor_id, event.object_id, event.reason) == (officer.pk, str(restricted.pk), REASON)
    told = set(Notification.objects.values_list("user_id", flat=True))
    assert told == {restricted.owner_id, people["lead"].pk}
    assert all(restricted.reference in n.message for n in Notification.objects.all())

    assert client.get(f"/api/v1/cases/{restricted.pk}").status_code == 200
    read = _events("record.viewed", object_id=str(restricted.pk), actor_id=officer.pk).get()
    assert read.reason == "break_glass"
    assert read.data["break_glass_use_id"] == use.pk


@pytest.mark.parametrize("reason", ["", "   ", "urgent", "x" * (breakglass.MIN_REASON - 1)])
def test_an_empty_or_short_reason_is_a_422_that_changes_nothing(api_client_for, restricted, officer, reason):
    """A reason a reviewer could not judge is refused with a message on the field; nothing is written or sent."""
    response = post(api_client_for(officer), f"/api/v1/cases/{restricted.pk}/break-glass", {"reason": reason})
    assert response.status_code == 422
    assert "reason" in response.json()["fields"]
    assert not BreakGlassUse.objects.exists()
    assert not Notification.objects.exists()
    assert not _events("break_glass").exists()


def test_api_errors(api_client_for, restricted, officer, people, dpo):
    """404 for a case that does not exist or is not restricted and not the user's; 409 for one they can read
    already (named on it, or a current use); 403 for a role that may not break glass; 422 for unknown fields."""
    url = f"/api/v1/cases/{restricted.pk}/break-glass"
    assert (
        post(api_client_for(officer), "/api/v1/cases/999999/break-glass", {"reason": REASON}).status_code
        == 404
    )
    assert post(api_client_for(restricted.owner), url, {"reason": REASON}).status_code == 409
    for user in (dpo, people["admin"], people["reviewer"]):
        assert post(api_client_for(user), url, {"reason": REASON}).status_code == 403
    assert post(api_client_for(officer), url, {"reason": REASON, "hours": 48}).status_code == 422
    client = api_client_for(officer)
    assert post(client, url, {"reason": REASON}).status_code == 201
    again = post(client, url, {"reason": REASON})
    assert again.status_code == 409
    assert again.json()["error"] == "conflict"
    assert BreakGlassUse.objects.count() == 1

    restricted.restricted = False
    restricted.save(update_fields=["restricted"])
    health = api_client_for(people[AgencyKind.HEALTH, Role.PRACTITIONER])
    assert post(health, url, {"reason": REASON}).status_code == 404


def test_review_list_and_sign_off(api_client_for, restricted, officer, people, dpo):
    """A use waits on the review list of the lead and the DPO; the DPO signs it off (audited) and it leaves the
    list; a second sign-off is a 409; the user who broke the glass may neither see it listed nor sign it off."""
    lead = people["lead"]
    use = breakglass.break_glass_open(actor=lead, case=restricted, reason=REASON)
    assert list(selectors.break_glass_uses_for_review(dpo)) == [use]
    assert list(selectors.break_glass_uses_for_review(lead)) == []
    assert list(selectors.break_glass_uses_for_review(officer)) == []

    listed = api_client_for(dpo).get("/api/v1/break-glass")
    assert listed.status_code == 200
    assert [u["id"] for u in listed.json()["items"]] == [use.pk]
    assert api_client_for(officer).get("/api/v1/break-glass").status_code == 403

    url = f"/api/v1/break-glass/{use.pk}/sign-off"
    assert post(api_client_for(lead), url).status_code == 403
    assert post(api_client_for(officer), url).status_code == 403
    assert post(api_client_for(dpo), "/api/v1/break-glass/999999/sign-off").status_code == 404
    assert post(api_client_for(dpo), url, {"note": "x" * 2001}).status_code == 422
    signed = post(api_client_for(dpo), url, {"note": "Justified: the child was missing."})
    assert signed.status_code == 200, signed.content
    assert signed.json()["signed_off_by"]["id"] == dpo.pk
    assert _events("break_glass.signed_off", actor_id=dpo.pk).count() == 1
    assert list(selectors.break_glass_uses_for_review(dpo)) == []
    assert post(api_client_for(dpo), url).status_code == 409


# Pages
def test_a_restricted_case_shows_the_restricted_page_and_its_form(client_for, restricted, officer):
    """The case page of a restricted case shows "This record is restricted" (403), without the child's name; an
    empty reason shows the error; a good one opens the case."""
    client = client_for(officer)
    page = client.get(f"/cases/{restricted.pk}/")
    assert page.status_code == 403
    assert b"This record is restricted" in page.content
    assert restricted.subject_name.encode() not in page.content

    refused = client.post(f"/cases/{restricted.pk}/break-glass/", {"reason": "urgent"})
    assert refused.status_code == 403
    assert b"There is a problem" in refused.content
    assert not BreakGlassUse.objects.exists()

    opened = client.post(f"/cases/{restricted.pk}/break-glass/", {"reason": REASON})
    assert opened.status_code == 302
    page = client.get(f"/cases/{restricted.pk}/")
    assert page.status_code == 200
    assert b"You are reading this restricted record because you gave a reason" in page.content
    assert f"/cases/{restricted.pk}/notes/new/".encode() not in page.content
    assert _events("record.viewed", reason="break_glass", actor_id=officer.pk).count() == 1
    assert client.get(f"/cases/{restricted.pk}/notes/new/").status_code == 403

    # The owner sees the use on the case, awaiting sign-off, and reads it as usual.
    owner_page = client_for(restricted.owner).get(f"/cases/{restricted.pk}/").content.decode()
    assert (
        "Break glass on this record" in owner_page
        and REASON in owner_page
        and "Awaiting sign-off" in owner_page
    )
    assert "You are reading this restricted record" not in owner_page


def test_pages_refuse_those_who_may_not_break_glass(client_for, restricted, people, dpo):
    """An unknown case is a 404; a data protection officer may not break glass (403)."""
    assert client_for(people[AgencyKind.POLICE, Role.PRACTITIONER]).get("/cases/999999/").status_code == 404
    assert client_for(dpo).get(f"/cases/{restricted.pk}/break-glass/").status_code == 403


def test_review_and_sign_off_pages(client_for, restricted, officer, dpo, people):
    """The DPO's review page lists the use; signing it off through its page takes it off the list."""
    use = breakglass.break_glass_open(actor=officer, case=restricted, reason=REASON)
    client = client_for(dpo)
    review = client.get("/break-glass/")
    assert review.status_code == 200
    assert restricted.reference.encode() in review.content
    assert client.get(f"/break-glass/{use.pk}/sign-off/").status_code == 200
    assert client.post(f"/break-glass/{use.pk}/sign-off/", {"note": "Justified."}).status_code == 302
    use.refresh_from_db()
    assert use.signed_off_by == dpo
    assert b"No use of break glass is awaiting sign-off" in client.get("/break-glass/").content
    assert client_for(officer).get("/break-glass/").status_code == 403
