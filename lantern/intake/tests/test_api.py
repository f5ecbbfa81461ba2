"""POST/GET /api/v1/referrals: the example body, strict validation, idempotency, paging, visibility, OpenAPI."""

import json
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from lantern.accounts.models import AgencyKind, Role
from lantern.audit.models import AuditEvent
from lantern.intake.models import IdempotencyKey, Referral
from lantern.intake.tests.conftest import EXAMPLE_BODY, add_task, counts

pytestmark = pytest.mark.django_db
URL = "/api/v1/referrals"


def post(client, body, **headers):
    return client.post(URL, data=json.dumps(body), content_type="application/json", **headers)


def test_the_example_body_is_accepted_as_it_stands(api_client_for, police_officer):
    """The documented minimal body creates a referral: 201 with id, reference, status and decision_due_at."""
    response = post(api_client_for(police_officer), EXAMPLE_BODY)
    assert response.status_code == 201, response.content
    body = response.json()
    referral = Referral.objects.get()
    assert body["id"] == referral.pk and body["reference"] == referral.reference
    assert body["status"] == "received" and body["tracking_secret"] is None
    assert body["decision_due_at"].startswith(
        timezone.localtime(referral.decision_due_at).date().isoformat()[:4]
    )
    assert referral.channel == "api" and referral.referrer == police_officer
    assert referral.vehicle_mentions.get().registration_normalised == "AB12CDE"
    assert referral.person_mentions.get().age == 14
    assert referral.place_mentions.get().place_type == "takeaway"


def test_public_source_gets_a_one_time_tracking_secret(api_client_for, front_door):
    """`"source": "public"` answers with a tracking secret, whose digest matches the stored one."""
    response = post(api_client_for(front_door), {**EXAMPLE_BODY, "source": "public", "anonymous": True})
    assert response.status_code == 201
    secret = response.json()["tracking_secret"]
    assert secret
    assert Referral.objects.get().tracking_secret_digest == Referral.digest_secret(secret.replace("-", ""))


def _with(path: str, value):
    """The example body with one value replaced (path like "vehicles.0.registration"), or removed if value is ...."""
    body = json.loads(json.dumps(EXAMPLE_BODY))
    *parents, last = path.split(".")
    target = body
    for key in parents:
        target = target[int(key)] if key.isdigit() else target[key]
    if value is ...:
        del target[last]
    elif last.isdigit():
        target[int(last)] = value
    else:
        target[last] = value
    return body


FUTURE = (timezone.now() + timedelta(days=3)).isoformat()
BAD_BODIES = [
    ("missing summary", _with("summary", ...), "summary"),
    ("blank summary", _with("summary", "   "), "summary"),
    ("over-long summary", _with("summary", "x" * 5001), "summary"),
    ("missing source", _with("source", ...), "source"),
    ("unknown source", _with("source", "pigeon"), "source"),
    ("summary of the wrong type", _with("summary", 42), "summary"),
    ("age as a string", _with("children.0.age", "14"), "children.0.age"),
    ("age as a float", _with("children.0.age", 14.5), "children.0.age"),
    ("child too old", _with("children.0.age", 26), "children.0.age"),
    ("negative age", _with("children.0.age", -1), "children.0.age"),
    (
        "future date of birth",
        _with("children.0.date_of_birth", (date.today() + timedelta(days=1)).isoformat()),
        "children.0.date_of_birth",
    ),
    ("absurd date of birth", _with("children.0.date_of_birth", "1850-01-01"), "children.0.date_of_birth"),
    ("impossible date of birth", _with("children.0.date_of_birth", "2012-02-30"), "children.0.date_of_birth"),
    ("future incident", _with("incident_at", FUTURE), "incident_at"),
    ("person too old", {**EXAMPLE_BODY, "persons": [{"name": "X", "age": 121}]}, "persons.0.age"),
    ("over-long plate", _with("vehicles.0.registration", "A" * 21), "vehicles.0.registration"),
    ("over-long phone", {**EXAMPLE_BODY, "phones": [{"number": "0" * 41}]}, "phones.0.number"),
    ("blank phone", {**EXAMPLE_BODY, "phones": [{"number": ""}]}, "phones.0.number"),
    ("unknown place type", _with("places.0.type", "spaceport"), "places.0.type"),
    ("unknown top-level field", {**EXAMPLE_BODY, "priority": "red"}, "priority"),
    ("unknown nested field", _with("children.0.eye_colour", "blue"), "children.0.eye_colour"),
    ("over-long name", _with("children.0.name", "n" * 201), "children.0.name"),
    ("children not a list", _with("children", {"name": "A"}), "children"),
    ("too many vehicles", {**EXAMPLE_BODY, "vehicles": [{"registration": "AB12CDE"}] * 21}, "vehicles"),
    ("reporter not an object", {**EXAMPLE_BODY, "reporter": "me"}, "reporter"),
    # PostgreSQL cannot store NUL in text: refused at the edge, not at the database as a server error
    ("NUL in the summary", _with("summary", "Seen at\x00 the park"), "summary"),
    ("NUL in a nested name", _with("children.0.name", "Child\x00A"), "children.0.name"),
    ("NUL in a field's name", {**EXAMPLE_BODY, "x\x00": 1}, "x\x00"),
]


@pytest.mark.parametrize(("case", "body", "field"), BAD_BODIES, ids=[case for case, _, _ in BAD_BODIES])
def test_bad_input_is_422_with_field_messages_and_nothing_written(
    api_client_for, police_officer, case, body, field
):
    """Missing, over-long, wrongly typed, impossible or future values and malformed marks: 422, nothing written."""
    client = api_client_for(police_officer)
    before = counts()
    response = post(client, body)
    assert response.status_code == 422, (case, response.content)
    payload = response.json()
    assert payload["error"] == "invalid"
    assert field in payload["fields"], payload["fields"]
    assert all(isinstance(m, str) and m for m in payload["fields"][field])
    assert counts() == before


@pytest.mark.parametrize(
    ("number", "normalised", "status"),
    [
        ("07700 934567", "+447700934567", "not_allocated"),
        ("079111234", "079111234", "partial"),
        ("ring me on 0791", "", "unusable"),
    ],
)
def test_a_suspects_phone_is_taken_as_written_and_marked(
    api_client_for, police_officer, front_door, number, normalised, status
):
    """A number that is not allocated, part of a number, or too little to match on: 201, kept and marked."""
    created = post(api_client_for(police_officer), {**EXAMPLE_BODY, "phones": [{"number": number}]})
    assert created.status_code == 201, created.content
    mention = Referral.objects.get(pk=created.json()["id"]).phone_mentions.get(origin="structured")
    assert (mention.number, mention.number_e164, mention.number_status) == (number, normalised, status)
    phones = api_client_for(front_door).get(f"{URL}/{created.json()['id']}").json()["phones"]
    assert phones[0] == {
        "number": number,
        "number_e164": normalised,
        "number_status": status,
        "origin": "structured",
    }


@pytest.mark.parametrize(
    ("mark", "normalised", "status"),
    [
        ("WOB-ZK 295", "WOBZK295", "foreign"),
        ("1-ABC-123", "1ABC123", "foreign"),
        ("AB 123 CD", "AB123CD", "foreign"),
        ("1 AB", "1AB", "valid"),
        ("AB 12 CD 34 E", "AB12CD34E", "non_standard"),
        ("AB12 C?E", "AB12C?E", "partial"),
        ("AB12 CDE!!", "AB12CDE", "valid"),
        ("ABCDEFGHIJK", "", "unusable"),
    ],
)
def test_a_vehicles_mark_is_taken_as_written_and_marked(
    api_client_for, police_officer, front_door, mark, normalised, status
):
    """Foreign, personalised, non-standard and partial marks: 201, kept as written and marked."""
    created = post(api_client_for(police_officer), _with("vehicles.0.registration", mark))
    assert created.status_code == 201, created.content
    vehicle = api_client_for(front_door).get(f"{URL}/{created.json()['id']}").json()["vehicles"][0]
    assert (vehicle["registration"], vehicle["registration_normalised"]) == (mark, normalised)
    assert vehicle["registration_status"] == status


def test_the_openapi_document_says_what_identifiers_are_accepted(client):
    """The schemas describe the accepted forms of a mark and a number, and the statuses they are marked with."""
    schemas = client.get("/api/v1/openapi.json").json()["components"]["schemas"]
    assert "not_allocated" in schemas["PhoneIn"]["properties"]["number"]["description"]
    assert "foreign" in schemas["VehicleIn"]["properties"]["registration"]["description"]
    assert "number_status" in schemas["PhoneOut"]["properties"]
    assert "registration_status" in schemas["VehicleOut"]["properties"]


def test_a_nul_in_a_query_is_422_and_an_escaped_backslash_is_no_nul(
    api_client_for, police_officer, front_door
):
    """NUL in a query string is refused like NUL in a body; the text `\\u0000` (a backslash, then u0000) is not NUL."""
    response = api_client_for(front_door).get(URL, {"status": "received\x00"})
    assert response.status_code == 422
    assert response.json()["fields"] == {"query.status": ["Must not contain NUL characters (\\u0000)"]}
    created = post(api_client_for(police_officer), _with("summary", "A path like C:\\u0000 is only text"))
    assert created.status_code == 201, created.content
    assert Referral.objects.get().summary == "A path like C:\\u0000 is only text"


@pytest.mark.parametrize("raw", ['{"source": "professional", "summary": ', "[]", "null", ""])
def test_malformed_json_is_a_4xx_json_error(api_client_for, police_officer, raw):
    """Broken JSON or a body that is not an object is refused in the one error shape, and writes nothing."""
    before = counts()
    response = api_client_for(police_officer).post(URL, data=raw, content_type="application/json")
    assert 400 <= response.status_code < 500
    assert set(response.json()) == {"error", "detail", "fields"}
    assert counts() == before


def test_roles_without_case_work_cannot_create(api_client_for, person):
    """System administrators and reviewers may not create referrals (403), and nothing is written."""
    for role in (Role.SYSTEM_ADMIN, Role.REVIEWER):
        before = counts()
        response = post(api_client_for(person(role, AgencyKind.PARTNERSHIP)), EXAMPLE_BODY)
        assert response.status_code == 403
        assert counts() == before


# Idempotency
def test_a_repeat_with_the_same_key_returns_the_first_result(api_client_for, front_door):
    """Same user, same key, same body: the same 201 and body, one referral, and the secret only the first time."""
    client = api_client_for(front_door)
    body = {**EXAMPLE_BODY, "source": "public"}
    first = post(client, body, HTTP_IDEMPOTENCY_KEY="retry-1")
    before = counts()
    second = post(client, body, HTTP_IDEMPOTENCY_KEY="retry-1")
    assert first.status_code == second.status_code == 201
    assert first.json()["tracking_secret"]
    assert second.json() == {**first.json(), "tracking_secret": None}
    assert second["Idempotent-Replayed"] == "true"
    assert counts() == before
    assert Referral.objects.count() == 1 and IdempotencyKey.objects.get().key == "retry-1"


def test_the_same_key_with_a_different_body_is_refused(api_client_for, police_officer):
    """Reusing a key for a different request is a conflict (409), and creates nothing."""
    client = api_client_for(police_officer)
    post(client, EXAMPLE_BODY, HTTP_IDEMPOTENCY_KEY="k")
    before = counts()
    response = post(client, {**EXAMPLE_BODY, "summary": "Something else."}, HTTP_IDEMPOTENCY_KEY="k")
    assert response.status_code == 409
    assert response.json()["error"] == "idempotency_key_reused"
    assert counts() == before


def test_keys_belong_to_one_user(api_client_for, police_officer, nurse):
    """Two users may use the same key without seeing each other's result."""
    first = post(api_client_for(police_officer), EXAMPLE_BODY, HTTP_IDEMPOTENCY_KEY="same")
    second = post(api_client_for(nurse), EXAMPLE_BODY, HTTP_IDEMPOTENCY_KEY="same")
    assert first.json()["id"] != second.json()["id"]
    assert Referral.objects.count() == 2


def test_an_over_long_key_is_refused(api_client_for, police_officer):
    """Keys are at most 200 characters."""
    before = counts()
    response = post(api_client_for(police_officer), EXAMPLE_BODY, HTTP_IDEMPOTENCY_KEY="k" * 201)
    assert response.status_code == 422 and "Idempotency-Key" in response.json()["fields"]
    assert counts() == before


# Reading
def test_list_is_paginated_with_count_and_filtered_by_policy(
    api_client_for, front_door, nurse, make_referral, police_officer
):
    """The front door sees every referral, a page at a time; a nurse sees only those her agency has a task on."""
    referrals = [make_referral(police_officer) for _ in range(5)]
    add_task(referrals[1], nurse.agency)
    front = api_client_for(front_door).get(URL, {"limit": 2, "offset": 1}).json()
    assert front["count"] == 5 and front["limit"] == 2 and front["offset"] == 1
    assert [item["id"] for item in front["items"]] == [r.pk for r in reversed(referrals)][1:3]
    health = api_client_for(nurse).get(URL).json()
    assert health["count"] == 1 and [item["id"] for item in health["items"]] == [referrals[1].pk]
    listed = AuditEvent.objects.filter(event_type="record.listed", actor=front_door).get()
    assert listed.data["ids"] == [str(item["id"]) for item in front["items"]]


@pytest.mark.parametrize(
    "query", [{"limit": 0}, {"limit": 101}, {"offset": -1}, {"limit": "many"}, {"status": "lost"}]
)
def test_bad_paging_is_422(api_client_for, front_door, query):
    """Paging and filters are checked."""
    response = api_client_for(front_door).get(URL, query)
    assert response.status_code == 422 and response.json()["fields"]


def test_list_queries_do_not_grow_with_the_page(
    api_client_for, front_door, police_officer, make_referral, nurse
):
    """Listing 3 or 30 referrals takes the same number of queries (no query per row)."""
    client = api_client_for(nurse)
    client.get(URL)  # the token's first use records when it was used; later uses within a minute do not

    def measure() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(URL, {"limit": 100}).status_code == 200
        return len(queries)

    for _ in range(3):
        add_task(make_referral(police_officer), nurse.agency)
    few = measure()
    for _ in range(27):
        add_task(make_referral(police_officer), nurse.agency)
    assert measure() == few


def test_detail_has_tasks_and_mentions(api_client_for, front_door, police_officer, agency):
    """GET /referrals/{id} gives the referral with its tasks and mentions, and audits the read."""
    created = post(
        api_client_for(police_officer), {**EXAMPLE_BODY, "phones": [{"number": "07700 900982"}]}
    ).json()
    referral = Referral.objects.get(pk=created["id"])
    task = add_task(referral, agency(AgencyKind.CSC), priority="red")
    response = api_client_for(front_door).get(f"{URL}/{referral.pk}")
    assert response.status_code == 200
    body = response.json()
    assert body["reference"] == referral.reference and body["summary"] == EXAMPLE_BODY["summary"]
    assert body["tasks"] == [
        {
            "id": task.pk,
            "agency": task.agency.code,
            "agency_name": task.agency.name,
            "agency_kind": "csc",
            "priority": "red",
            "status": "awaiting_ack",
            "ack_due_at": body["tasks"][0]["ack_due_at"],
            "due_at": body["tasks"][0]["due_at"],
            "acknowledged_at": None,
            "completed_at": None,
            "outcome": None,
        }
    ]
    assert body["children"][0]["name"] == "Child A" and body["children"][0]["age"] == 14
    assert body["vehicles"][0]["registration_normalised"] == "AB12CDE"
    assert body["phones"][0]["number_e164"] == "+447700900982"
    assert body["places"][0]["type"] == "takeaway"
    assert AuditEvent.objects.filter(
        event_type="record.viewed", actor=front_door, object_id=str(referral.pk)
    ).exists()


def test_a_referral_out_of_sight_is_404_like_one_that_does_not_exist(
    api_client_for, nurse, police_officer, make_referral
):
    """A health practitioner without a task gets the same 404 for a real referral as for a missing one."""
    referral = make_referral(police_officer)
    client = api_client_for(nurse)
    hidden = client.get(f"{URL}/{referral.pk}")
    missing = client.get(f"{URL}/{referral.pk + 1000}")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json() == missing.json()
    assert client.get(URL).json()["count"] == 0


def test_every_referral_operation_is_in_the_openapi_document(client):
    """The three operations and their response schemas are documented."""
    schema = client.get("/api/v1/openapi.json").json()
    paths = schema["paths"]
    assert {"post", "get"} <= set(paths["/api/v1/referrals"])
    assert "get" in paths["/api/v1/referrals/{referral_id}"]
    responses = paths["/api/v1/referrals"]["post"]["responses"]
    assert {"201", "422"} <= set(responses)
    names = set(schema["components"]["schemas"])
    assert {
        "ReferralIn",
        "ReferralCreatedOut",
        "ReferralPageOut",
        "ReferralOut",
        "ReferralTaskOut",
        "ErrorOut",
    } <= names
    assert schema["components"]["schemas"]["ReferralIn"]["additionalProperties"] is False


def test_an_oversized_body_is_refused_without_a_500(api_client_for, police_officer):
    """A body over the upload limit is a 4xx in the one error shape, and writes nothing."""
    before = counts()
    response = post(api_client_for(police_officer), {**EXAMPLE_BODY, "summary": "x" * 1_100_000})
    assert 400 <= response.status_code < 500
    assert set(response.json()) == {"error", "detail", "fields"}
    assert counts() == before
