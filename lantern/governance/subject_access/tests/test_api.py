"""Subject access API: each endpoint, its errors (a clear 4xx that changes nothing), and the OpenAPI document."""

import datetime as dt
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from lantern.governance.subject_access.models import BundleRecord, Redaction, SubjectAccessRequest
from lantern.governance.subject_access.tests.test_services import pdf_text

BASE = "/api/v1/subject-access-requests"


def post(client, url, body):
    """POST JSON."""
    return client.post(url, data=json.dumps(body), content_type="application/json")


def new_request(**extra) -> dict:
    """A valid request body."""
    body = {
        "subject_name": "Jade Robson",
        "subject_date_of_birth": "2011-04-05",
        "requester_kind": "representative",
        "requester_name": "Ms A. Solicitor",
        "identity_method": "written_authority",
        "identity_checked_by": "records.manager",
        "what_is_asked": "All records about my client since 2020.",
        "received_on": (timezone.localdate() - dt.timedelta(days=2)).isoformat(),
    }
    body.update(extra)
    return body


@pytest.fixture
def dpo_api(sar_world, api_client_for):
    """The DPO's API client."""
    return api_client_for(sar_world["dpo"])


def test_a_dpo_records_a_request_and_reads_it(sar_world, dpo_api):
    """201 with the deadline; the request reads back; the list pages it."""
    answer = post(dpo_api, BASE, new_request(subject_entity_id=sar_world["jade"].pk))
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert (
        body["status"] == "received"
        and body["identity_checked_by"]["name"] == sar_world["records"].display_name
    )
    assert body["deadline"] == body["due_on"]
    assert dpo_api.get(f"{BASE}/{body['id']}").json()["reference"] == body["reference"]
    page = dpo_api.get(BASE, {"limit": 1}).json()
    assert page["count"] == 1 and page["items"][0]["id"] == body["id"]
    assert dpo_api.get(BASE, {"limit": 1000}).status_code == 422


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"subject_entity_id": 999999}, "subject_entity_id"),
        ({"identity_checked_by": "nobody"}, "identity_checked_by"),
        ({"subject_name": ""}, "subject_name"),
        ({"requester_kind": "neighbour"}, "requester_kind"),
        ({"received_on": "2999-01-01"}, "received_on"),
        ({"unexpected": 1}, "unexpected"),
        ({"requester_name": "Ms\x00A"}, "requester_name"),
    ],
)
def test_bad_requests_get_a_clear_error_and_change_nothing(sar_world, dpo_api, change, field):
    """An unknown person, an unknown checker, a missing name, a bad kind, a future date, an unknown field: 422."""
    answer = post(dpo_api, BASE, new_request(**change))
    assert answer.status_code == 422
    assert field in answer.json()["fields"]
    assert not SubjectAccessRequest.objects.exists()


def test_other_roles_get_403_to_record_and_404_to_read(sar_world, api_client_for, dpo_api):
    """A practitioner or administrator may neither record nor see a request."""
    created = post(dpo_api, BASE, new_request()).json()
    for who in ("practitioner", "admin", "lead"):
        client = api_client_for(sar_world[who])
        assert post(client, BASE, new_request()).status_code == 403
        assert client.get(f"{BASE}/{created['id']}").status_code == 404
        assert client.get(f"{BASE}/{created['id']}/bundle").status_code == 404
    assert dpo_api.get(f"{BASE}/999999").status_code == 404


def test_the_whole_journey_through_the_api(sar_world, dpo_api, api_client_for):
    """Candidates, records confirmed, a redaction added and one lifted, sign-off by a second person, the bundle."""
    w = sar_world
    sar = post(dpo_api, BASE, new_request()).json()
    url = f"{BASE}/{sar['id']}"
    candidates = dpo_api.get(f"{url}/candidates").json()
    assert {c["key"] for c in candidates} == {
        f"referral:{w['first'].pk}",
        f"referral:{w['second'].pk}",
        f"intelligence:{w['item'].pk}",
    }
    assert dpo_api.get(f"{url}/bundle").status_code == 409
    decided = post(
        dpo_api,
        f"{url}/records",
        {"records": [{"kind": c["kind"], "id": c["record_id"], "include": True} for c in candidates]},
    )
    assert decided.status_code == 200 and decided.json()["status"] == "redaction"
    content = dpo_api.get(f"{url}/records").json()
    first = next(d for d in content if d["key"] == f"referral:{w['first'].pk}")
    summary = next(p for p in first["parts"] if p["key"] == "summary")
    assert "Darren Kell" in summary["text"] and "Darren Kell" not in summary["released"]
    added = post(
        dpo_api,
        f"{url}/redactions",
        {
            "action": "add",
            "record": f"referral:{w['first'].pk}",
            "part": "summary",
            "text": "silver car",
            "reason": "crime",
        },
    )
    assert added.status_code == 200
    reporter = next(r for r in added.json()["redactions"] if r["part"] == "reporter")
    lifted = post(
        dpo_api,
        f"{url}/redactions",
        {"action": "remove", "redaction_id": reporter["id"], "reason": "She is the mother."},
    )
    assert lifted.status_code == 200
    assert next(r for r in lifted.json()["redactions"] if r["id"] == reporter["id"])["active"] is False
    assert post(dpo_api, f"{url}/sign-off", {}).status_code == 403
    signed = post(api_client_for(w["dpo2"]), f"{url}/sign-off", {"note": "Checked every page."})
    assert signed.status_code == 200 and signed.json()["signed_off_by"]["name"] == w["dpo2"].display_name
    assert post(api_client_for(w["dpo2"]), f"{url}/sign-off", {}).status_code == 409
    bundle = dpo_api.get(f"{url}/bundle")
    assert bundle.status_code == 200 and bundle["Content-Type"] == "application/pdf"
    text = pdf_text(bundle.content)
    assert "silver car" not in text and "Darren Kell" not in text and "Sandra Pike" in text
    assert dpo_api.get(url).json()["status"] == "released"


def test_records_and_redactions_outside_the_request_are_refused_and_change_nothing(sar_world, dpo_api):
    """A record not among the candidates, a redaction of a record not in the bundle, of text not in the record,
    of a redaction of another request: 422 with the field named; nothing written."""
    w = sar_world
    sar = post(dpo_api, BASE, new_request()).json()
    url = f"{BASE}/{sar['id']}"
    wrong = post(
        dpo_api,
        f"{url}/records",
        {"records": [{"kind": "referral", "id": w["namesake"].pk, "include": True}]},
    )
    assert wrong.status_code == 422 and "records" in wrong.json()["fields"]
    assert not BundleRecord.objects.exists()
    post(dpo_api, f"{url}/records", {"records": [{"kind": "referral", "id": w["first"].pk, "include": True}]})
    before = Redaction.objects.count()
    for body, field in (
        ({"record": f"referral:{w['second'].pk}", "part": "summary"}, "record"),
        ({"record": f"referral:{w['namesake'].pk}", "part": "summary"}, "record"),
        ({"record": f"referral:{w['first'].pk}", "part": "nothing"}, "part"),
        ({"record": f"referral:{w['first'].pk}", "part": "summary", "text": "not there"}, "text"),
        ({"part": "summary"}, "record"),
    ):
        answer = post(dpo_api, f"{url}/redactions", {"action": "add", "reason": "crime", **body})
        assert answer.status_code == 422 and field in answer.json()["fields"], (body, answer.content)
    bad_reason = post(
        dpo_api,
        f"{url}/redactions",
        {"action": "add", "record": f"referral:{w['first'].pk}", "part": "summary", "reason": "dislike"},
    )
    assert bad_reason.status_code == 422 and "reason" in bad_reason.json()["fields"]
    gone = post(dpo_api, f"{url}/redactions", {"action": "remove", "redaction_id": 999999, "reason": "x"})
    assert gone.status_code == 422 and "redaction_id" in gone.json()["fields"]
    assert Redaction.objects.count() == before


def test_an_extension_is_allowed_once(sar_world, dpo_api):
    """The first extension moves the deadline; a second is 409; three months is 422."""
    sar = post(dpo_api, BASE, new_request()).json()
    url = f"{BASE}/{sar['id']}/extension"
    assert post(dpo_api, url, {"months": 3, "reason": "Long"}).status_code == 422
    extended = post(dpo_api, url, {"months": 2, "reason": "Four agencies hold records."})
    assert extended.status_code == 200 and extended.json()["deadline"] == extended.json()["extended_due_on"]
    assert post(dpo_api, url, {"months": 1, "reason": "Again"}).status_code == 409


def test_the_openapi_document_declares_every_answer(sar_world, dpo_api):
    """Each subject access operation is documented with its error statuses and a unique operation id."""
    document = dpo_api.get("/api/v1/openapi.json").json()
    operations = {
        op["operationId"]: op
        for path, item in document["paths"].items()
        if path.startswith("/api/v1/subject-access-requests")
        for op in item.values()
    }
    assert {
        "subject_access_request_create",
        "subject_access_request_get",
        "subject_access_records_decide",
        "subject_access_redaction",
        "subject_access_sign_off",
        "subject_access_bundle",
    } <= set(operations)
    assert "409" in operations["subject_access_bundle"]["responses"]
    assert "403" in operations["subject_access_sign_off"]["responses"]


def test_the_list_costs_the_same_queries_however_many_requests(
    sar_world, dpo_api, django_assert_max_num_queries
):
    """Listing 1 or 6 requests takes the same number of queries (no query per request), and is audited."""
    from lantern.audit.models import AuditEvent

    post(dpo_api, BASE, new_request())
    dpo_api.get(BASE)
    with CaptureQueriesContext(connection) as one:
        dpo_api.get(BASE)
    for _ in range(5):
        post(dpo_api, BASE, new_request())
    with CaptureQueriesContext(connection) as six:
        assert len(dpo_api.get(BASE).json()["items"]) == 6
    assert 0 < len(six.captured_queries) <= len(one.captured_queries)
    assert AuditEvent.objects.filter(
        event_type="record.listed", object_type="governance.subjectaccessrequest"
    ).exists()
