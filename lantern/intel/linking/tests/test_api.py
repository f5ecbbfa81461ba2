"""Link alerts and match decisions through the API and the pages: the user's own alerts only, filtered and paged
with a fixed number of queries; working an alert; a match's evidence; decisions; every bad input answered with
field errors; the home page's panel."""

import pytest

from lantern.accounts.models import AgencyKind, Role
from lantern.accounts.testing import AgencyFactory, UserFactory
from lantern.audit.models import AuditEvent
from lantern.intel.models import (
    AlertKind,
    AlertStatus,
    Entity,
    LinkAlert,
    MentionLink,
    PersonMention,
    ResolutionDecision,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def analyst(db):
    """A police analyst."""
    return UserFactory(username="analyst-a", role=Role.ANALYST, agency=AgencyFactory(kind=AgencyKind.POLICE))


@pytest.fixture
def other_analyst(db):
    """Another analyst, of the partnership."""
    return UserFactory(
        username="analyst-b", role=Role.ANALYST, agency=AgencyFactory(kind=AgencyKind.PARTNERSHIP)
    )


@pytest.fixture
def entity(db):
    """A person entity with two mentions, the second matched to the first in real time."""
    person = Entity.objects.create(kind="person", label="Kareem Hassan", network=1)
    first = PersonMention.objects.create(
        role="person_of_concern", name="Kareem Hassan", nickname="Kaz", entity=person
    )
    second = PersonMention.objects.create(
        role="person_of_concern", name="Karim Hassan", nickname="Kaz", entity=person
    )
    evidence = [
        {
            "field": "nickname",
            "level": "exact",
            "left": "kaz",
            "right": "kaz",
            "weight": 6.1,
            "text": "Same nickname 'kaz'",
        },
        {
            "field": "family",
            "level": "exact",
            "left": "hassan",
            "right": "hassan",
            "weight": 5.0,
            "text": "Same family name 'hassan'",
        },
    ]
    MentionLink.objects.create(
        kind="person",
        mention_id=second.pk,
        entity=person,
        matched_mention_id=first.pk,
        method="realtime",
        match_probability=0.999,
        match_weight=11.1,
        evidence=evidence,
    )
    return {"entity": person, "first": first, "second": second, "evidence": evidence}


def alert_for(user, entity, *, status=AlertStatus.NEW, summary="RIV-1: 1 mention matched a known network"):
    """An alert to `user` about `entity`."""
    return LinkAlert.objects.create(
        kind=AlertKind.JOINED_NETWORK,
        recipient=user,
        entity=entity["entity"],
        summary=summary,
        status=status,
        reasons=[
            {
                "text": "Person 'Karim Hassan' matched Kareem Hassan",
                "mention_kind": "person",
                "mention_id": entity["second"].pk,
                "matched_mention_id": entity["first"].pk,
                "entity_id": entity["entity"].pk,
                "entity_label": "Kareem Hassan",
                "network": 1,
                "probability": 0.999,
                "evidence": entity["evidence"],
            }
        ],
        networks=[1],
    )


def test_the_alert_list_shows_only_my_alerts_filtered_and_paged(
    analyst, other_analyst, entity, api_client_for, django_assert_max_num_queries
):
    """Newest first, filtered by status, paged; someone else's alerts never appear; queries do not grow."""
    for n in range(3):
        alert_for(analyst, entity, summary=f"mine {n}")
    alert_for(analyst, entity, status=AlertStatus.DISMISSED, summary="closed")
    alert_for(other_analyst, entity, summary="theirs")
    client = api_client_for(analyst)
    body = client.get("/api/v1/alerts").json()
    assert body["count"] == 4 and [a["summary"] for a in body["items"]][:3] == ["closed", "mine 2", "mine 1"]
    assert body["items"][0]["entity_url"] == f"/intel/entities/{entity['entity'].pk}/"
    assert body["items"][0]["reasons"][0]["evidence"][0]["weight"] == 6.1
    new = client.get("/api/v1/alerts?status=new&limit=2&offset=1").json()
    assert new["count"] == 3 and [a["summary"] for a in new["items"]] == ["mine 1", "mine 0"]
    for n in range(10):
        alert_for(analyst, entity, summary=f"more {n}")
    with django_assert_max_num_queries(12):
        assert len(client.get("/api/v1/alerts?limit=100").json()["items"]) == 14


def test_bad_alert_queries_and_updates_get_field_errors(analyst, entity, api_client_for):
    """An unknown status filter, a limit too big, and actioning without a note are answered 422 per field."""
    client = api_client_for(analyst)
    wrong = client.get("/api/v1/alerts?status=maybe&limit=1000")
    assert wrong.status_code == 422 and {"status", "limit"} <= set(wrong.json()["fields"])
    alert = alert_for(analyst, entity)
    url = f"/api/v1/alerts/{alert.pk}/status"
    no_note = client.post(url, {"status": "actioned"}, content_type="application/json")
    assert no_note.status_code == 422 and "note" in no_note.json()["fields"]
    unknown = client.post(url, {"status": "closed", "extra": 1}, content_type="application/json")
    assert unknown.status_code == 422 and "status" in unknown.json()["fields"]
    alert.refresh_from_db()
    assert alert.status == AlertStatus.NEW


def test_working_an_alert_through_the_api(analyst, other_analyst, entity, api_client_for):
    """The recipient reads and actions their alert with a note; another analyst gets 404 for it."""
    alert = alert_for(analyst, entity)
    client = api_client_for(analyst)
    assert client.get(f"/api/v1/alerts/{alert.pk}").json()["id"] == alert.pk
    done = client.post(
        f"/api/v1/alerts/{alert.pk}/status",
        {"status": "actioned", "note": "Shared with CSC."},
        content_type="application/json",
    )
    assert done.status_code == 200 and done.json()["status"] == "actioned"
    assert done.json()["resolution_note"] == "Shared with CSC."
    assert AuditEvent.objects.filter(event_type="link_alert.updated", object_id=str(alert.pk)).exists()
    again = client.post(
        f"/api/v1/alerts/{alert.pk}/status", {"status": "seen"}, content_type="application/json"
    )
    assert again.status_code == 409
    stranger = api_client_for(other_analyst)
    assert stranger.get(f"/api/v1/alerts/{alert.pk}").status_code == 404
    assert (
        stranger.post(
            f"/api/v1/alerts/{alert.pk}/status", {"status": "seen"}, content_type="application/json"
        ).status_code
        == 404
    )


def test_a_match_reads_as_evidence_and_an_explanation(analyst, entity, api_client_for):
    """Why the second mention is in the entity: the mention it matched, each field's weight, one sentence."""
    body = api_client_for(analyst).get(f"/api/v1/matches/person/{entity['second'].pk}").json()
    assert body["matched_mention_id"] == entity["first"].pk and body["method"] == "realtime"
    assert body["explanation"] == "Same nickname 'kaz' (weight +6.1); same family name 'hassan' (+5.0)."


def test_decisions_through_the_api_with_field_errors_for_bad_input(analyst, entity, api_client_for):
    """Reject, confirm and split answer 201; a missing reason, an unknown kind or mention, 422 per field; a
    worker who is not an analyst is refused."""
    client = api_client_for(analyst)
    second, first = entity["second"].pk, entity["first"].pk
    bad = client.post(
        "/api/v1/matches/reject",
        {"kind": "car", "mention_id": 0, "other_mention_id": first, "reason": ""},
        content_type="application/json",
    )
    assert bad.status_code == 422 and {"kind", "mention_id", "reason"} <= set(bad.json()["fields"])
    missing = client.post(
        "/api/v1/matches/reject",
        {"kind": "person", "mention_id": 99999, "other_mention_id": first, "reason": "No."},
        content_type="application/json",
    )
    assert missing.status_code == 404 and "mention_id" in missing.json()["fields"]
    itself = client.post(
        "/api/v1/matches/confirm",
        {"kind": "person", "mention_id": first, "other_mention_id": first, "reason": "Same."},
        content_type="application/json",
    )
    assert itself.status_code == 409 and "other_mention_id" in itself.json()["fields"]
    rejected = client.post(
        "/api/v1/matches/reject",
        {"kind": "person", "mention_id": second, "other_mention_id": first, "reason": "Different people."},
        content_type="application/json",
    )
    assert rejected.status_code == 201 and rejected.json()["decision"] == "reject"
    entity["second"].refresh_from_db()
    assert entity["second"].entity_id != entity["first"].entity_id
    confirmed = client.post(
        "/api/v1/matches/confirm",
        {"kind": "person", "mention_id": second, "other_mention_id": first, "reason": "On reflection, same."},
        content_type="application/json",
    )
    assert confirmed.status_code == 201
    split = client.post(
        "/api/v1/matches/split",
        {"kind": "person", "mention_id": second, "reason": "Cousin."},
        content_type="application/json",
    )
    assert split.status_code == 201 and split.json()["other_mention_ids"] == [first]
    assert ResolutionDecision.objects.count() == 3
    assert AuditEvent.objects.filter(event_type__startswith="resolution.").count() >= 3
    officer = UserFactory(
        username="pc-1", role=Role.PRACTITIONER, agency=AgencyFactory(kind=AgencyKind.POLICE)
    )
    refused = api_client_for(officer).post(
        "/api/v1/matches/split",
        {"kind": "person", "mention_id": first, "reason": "x"},
        content_type="application/json",
    )
    assert refused.status_code == 403


def test_alert_pages_list_open_and_work_an_alert(analyst, entity, client_for):
    """The list shows the alert; opening it marks it seen and links to the entity; a note-less dismissal shows
    the error summary; a dismissal with a note closes it."""
    alert = alert_for(analyst, entity)
    client = client_for(analyst)
    listing = client.get("/intel/alerts/")
    assert listing.status_code == 200 and alert.summary in listing.content.decode()
    page = client.get(f"/intel/alerts/{alert.pk}/").content.decode()
    assert f"/intel/entities/{entity['entity'].pk}/" in page and "Same nickname" in page
    alert.refresh_from_db()
    assert alert.status == AlertStatus.SEEN
    refused = client.post(f"/intel/alerts/{alert.pk}/", {"status": "dismissed", "note": ""})
    assert refused.status_code == 422 and "govuk-error-summary" in refused.content.decode()
    done = client.post(
        f"/intel/alerts/{alert.pk}/", {"status": "dismissed", "note": "Known, already in hand."}
    )
    assert done.status_code == 302
    alert.refresh_from_db()
    assert alert.status == AlertStatus.DISMISSED and alert.resolved_by == analyst


def test_the_home_page_shows_new_alerts_to_their_recipient_only(analyst, other_analyst, entity, client_for):
    """The analyst's home page lists their new alerts; another analyst's does not."""
    alert_for(analyst, entity, summary="RIV-9: 1 mention matched a known network")
    assert "RIV-9: 1 mention matched" in client_for(analyst).get("/").content.decode()
    assert "RIV-9" not in client_for(other_analyst).get("/").content.decode()


def test_the_match_page_records_a_decision(analyst, entity, client_for):
    """An analyst rejects the match on its page; without a reason the page says what is missing."""
    client = client_for(analyst)
    url = f"/intel/matches/person/{entity['second'].pk}/"
    assert "Same nickname" in client.get(url).content.decode()
    assert client.post(url, {"decision": "reject", "reason": ""}).status_code == 422
    assert client.post(url, {"decision": "reject", "reason": "Different dates of birth."}).status_code == 302
    assert ResolutionDecision.objects.filter(decision="reject", mention_id=entity["second"].pk).exists()
    assert client.get("/intel/matches/car/1/").status_code == 404
