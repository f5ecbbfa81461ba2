"""The retention API: who sees it, the queue, holds, retaining, and disposal refused or done."""

from datetime import timedelta

import pytest
from django.utils import timezone

from lantern.accounts.models import AgencyKind, Role
from lantern.governance.retention import services
from lantern.governance.retention.models import LegalHold, RecordClass, RetentionDecision
from lantern.intel.linking.models import PersonMention

BASE = "/api/v1/retention"


@pytest.fixture
def listed(old, governance):
    """The old referral listed as due."""
    services.retention_list_due()
    return old


def _record_url(referral, action: str = "") -> str:
    return f"{BASE}/records/referral/{referral.pk}" + (f"/{action}" if action else "")


@pytest.mark.parametrize(
    "key",
    [
        "admin",
        "lead",
        "reviewer",
        (AgencyKind.POLICE, Role.PRACTITIONER),
        (AgencyKind.CSC, Role.TEAM_MANAGER),
    ],
)
def test_nobody_outside_governance_sees_retention(listed, governance, api_client_for, key):
    """Every other role is refused the lists (403) and gets 404 for a record, as if it did not exist."""
    client = api_client_for(governance[key])
    for url in (f"{BASE}/reviews", f"{BASE}/holds", f"{BASE}/schedule", f"{BASE}/disposals"):
        assert client.get(url).status_code == 403, url
    response = client.get(_record_url(listed))
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"


def test_the_queue_lists_due_records_by_reference(
    listed, governance, api_client_for, django_assert_max_num_queries
):
    """The records manager's queue lists the due referral by reference and class, never its content."""
    client = api_client_for(governance["records"])
    with django_assert_max_num_queries(12):
        body = client.get(f"{BASE}/reviews?limit=10").json()
    assert body["count"] == 1
    assert body["items"][0]["reference"] == listed.reference
    assert body["items"][0]["record_class"] == "referral"
    assert "summary" not in body["items"][0]


def test_bad_input_is_a_clear_422(listed, governance, api_client_for):
    """An unknown class, an oversized limit, an unknown field or a past date is refused and nothing is written."""
    client = api_client_for(governance["records"])
    assert client.get(f"{BASE}/reviews?record_class=diary").status_code == 422
    assert client.get(f"{BASE}/reviews?limit=1000").status_code == 422
    assert client.get(f"{BASE}/records/diary/1").status_code == 422
    extra = client.post(
        _record_url(listed, "holds"), {"reason": "x", "colour": "red"}, content_type="application/json"
    )
    assert extra.status_code == 422
    past = client.post(
        _record_url(listed, "retain"),
        {"reason": "Kept.", "review_date": "2001-01-01"},
        content_type="application/json",
    )
    assert past.status_code == 422 and "review_date" in past.json()["fields"]
    assert not RetentionDecision.objects.exists()


def test_disposing_of_a_held_record_is_409_and_changes_nothing(listed, governance, api_client_for):
    """With a hold in force, disposal is answered 409 naming the hold; the record keeps its mentions."""
    dpo = api_client_for(governance["dpo"])
    hold = dpo.post(_record_url(listed, "holds"), {"reason": "Civil claim."}, content_type="application/json")
    assert hold.status_code == 201
    mentions = PersonMention.objects.filter(referral=listed).count()
    records = api_client_for(governance["records"])
    refused = records.post(
        _record_url(listed, "dispose"),
        {"confirm_reference": listed.reference},
        content_type="application/json",
    )
    assert refused.status_code == 409
    assert "legal hold" in refused.json()["detail"]
    assert PersonMention.objects.filter(referral=listed).count() == mentions
    listed.refresh_from_db()
    assert listed.reporter_name
    lifted = dpo.post(
        f"{BASE}/holds/{hold.json()['id']}/lift", {"reason": "Settled."}, content_type="application/json"
    )
    assert lifted.json()["status"] == "lifted"
    done = records.post(
        _record_url(listed, "dispose"),
        {"confirm_reference": listed.reference},
        content_type="application/json",
    )
    assert done.status_code == 200 and done.json()["state"] == "disposed"
    history = records.get(f"{BASE}/disposals").json()
    assert [d["reference"] for d in history["items"]] == [listed.reference]


def test_the_dpo_may_hold_but_not_dispose_or_retain(listed, governance, api_client_for):
    """Disposal and retention are the records manager's: the DPO is answered 403."""
    dpo = api_client_for(governance["dpo"])
    assert (
        dpo.post(
            _record_url(listed, "dispose"),
            {"confirm_reference": listed.reference},
            content_type="application/json",
        )
    ).status_code == 403
    retain = dpo.post(
        _record_url(listed, "retain"),
        {"reason": "Kept.", "review_date": (timezone.localdate() + timedelta(days=400)).isoformat()},
        content_type="application/json",
    )
    assert retain.status_code == 403
    assert not LegalHold.objects.exists()


def test_retaining_moves_the_record_out_of_the_queue(listed, governance, api_client_for):
    """Retained to a later date, the record is listed as retained, with the decision and its reason."""
    client = api_client_for(governance["records"])
    answer = client.post(
        _record_url(listed, "retain"),
        {"reason": "A sibling's case is open.", "review_date": "2031-06-30"},
        content_type="application/json",
    )
    assert answer.status_code == 200
    body = answer.json()
    assert (body["state"], body["review_due"]) == ("retained", "2031-06-30")
    assert body["decisions"][0]["reason"] == "A sibling's case is open."
    assert client.get(f"{BASE}/reviews").json()["count"] == 0
    assert client.get(f"{BASE}/reviews?state=retained").json()["count"] == 1


def test_the_schedule_cites_its_sources(governance, api_client_for):
    """Every class in the schedule has its years and a source."""
    rules = api_client_for(governance["dpo"]).get(f"{BASE}/schedule").json()
    assert {r["record_class"] for r in rules} == set(RecordClass.values)
    assert all(r["years"] > 0 and r["source"] for r in rules)
    assert next(r for r in rules if r["record_class"] == "case")["years"] == 25
