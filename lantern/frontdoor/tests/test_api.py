"""The front door's API: screening, the decision and sign-off; bad input is a 4xx with nothing written."""

import json

import pytest

from lantern.accounts.models import AgencyKind, Role
from lantern.accounts.testing import UserFactory
from lantern.api import api
from lantern.casework.models import AgencyTask
from lantern.frontdoor.tests.support import make_borough, make_referral
from lantern.intake.models import ReferralDecision, ReferralStatus, Screening


@pytest.fixture
def borough(db):
    """The front door and the agencies around it."""
    return make_borough()


def post(client, url: str, body) -> tuple[int, dict]:
    response = client.post(
        url, data=json.dumps(body) if not isinstance(body, str) else body, content_type="application/json"
    )
    return response.status_code, response.json()


def nothing_written() -> bool:
    return not (
        Screening.objects.exists() or ReferralDecision.objects.exists() or AgencyTask.objects.exists()
    )


# Screening
def test_screening_is_recorded_and_scored(borough, api_client_for):
    """201 with the tool's version, the score, the level, the reasons and the agencies it suggests."""
    referral = make_referral()
    status, body = post(
        api_client_for(borough["front_door"]),
        f"/api/v1/referrals/{referral.pk}/screening",
        {
            "indicators": {
                "cars": {"present": True, "evidence": "Seen in cars with older men."},
                "gifts": {"present": False},
            },
            "professional_judgement": "Worried.",
            "child_age": 12,
        },
    )
    assert status == 201, body
    assert (body["score"], body["risk_level"], body["tool_version"], body["child_age"]) == (3, "high", 1, 12)
    assert any("under 13" in reason for reason in body["reasons"])
    assert borough["agencies"][AgencyKind.CSC].code in body["recommended_agencies"]
    screening = Screening.objects.get(pk=body["id"])
    assert screening.professional_judgement == "Worried."
    assert screening.indicators["gifts"] == {"present": False, "evidence": ""}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "indicators"),
        ({"indicators": {"star_sign": {"present": True, "evidence": "Leo."}}}, "indicators"),
        ({"indicators": {"cars": {"present": "yes", "evidence": "x"}}}, "indicators.cars.present"),
        ({"indicators": {"cars": {"present": True}}}, "evidence_cars"),
        ({"indicators": {"cars": {"present": True, "evidence": "x" * 2001}}}, "indicators.cars.evidence"),
        (
            {"indicators": {"cars": {"present": True, "evidence": "x", "weight": 99}}},
            "indicators.cars.weight",
        ),
        ({"indicators": {}, "child_age": "14"}, "child_age"),
        ({"indicators": {}, "child_age": 40}, "child_age"),
        ({"indicators": {}, "child_age": -1}, "child_age"),
        ({"indicators": {}, "ethnicity": "white_british"}, "ethnicity"),
        ({"indicators": {}, "professional_judgement": 5}, "professional_judgement"),
        ({"indicators": []}, "indicators"),
    ],
)
def test_bad_screening_input_is_422_with_a_field_message_and_nothing_written(
    borough, api_client_for, body, field
):
    """Wrong types, unknown or extra fields, missing evidence and out-of-range ages are refused per field."""
    referral = make_referral()
    status, answer = post(
        api_client_for(borough["front_door"]), f"/api/v1/referrals/{referral.pk}/screening", body
    )
    assert status == 422, answer
    assert set(answer) == {"error", "detail", "fields"}
    assert field in answer["fields"], answer
    assert nothing_written()


def test_malformed_json_is_a_400(borough, api_client_for):
    """A body that is not JSON is answered 400 in the error shape."""
    referral = make_referral()
    status, answer = post(
        api_client_for(borough["front_door"]), f"/api/v1/referrals/{referral.pk}/screening", "{not json"
    )
    assert status in (400, 422) and "error" in answer
    assert nothing_written()


# The decision
def test_refer_to_agencies_creates_tasks(borough, api_client_for):
    """201 with the decision and the tasks it created, each with its acknowledgement and completion times."""
    referral = make_referral()
    csc, police = borough["agencies"][AgencyKind.CSC], borough["agencies"][AgencyKind.POLICE]
    status, body = post(
        api_client_for(borough["front_door"]),
        f"/api/v1/referrals/{referral.pk}/decision",
        {
            "kind": "refer",
            "rationale": "Police and social care to act.",
            "priority": "amber",
            "agencies": [police.code, csc.code, police.code],
        },
    )
    assert status == 201, body
    assert body["kind"] == "refer" and body["sign_off"] == "not_required" and body["within_timescale"] is True
    assert body["referral_status"] == ReferralStatus.OPEN
    assert sorted(t["agency"] for t in body["tasks"]) == sorted([csc.code, police.code])
    task = AgencyTask.objects.get(pk=body["tasks"][0]["id"])
    assert set(body["tasks"][0]) == {"id", "agency", "priority", "ack_due_at", "due_at"}
    assert (
        body["tasks"][0]["priority"] == "amber"
        and task.ack_due_at.isoformat()[:16] in body["tasks"][0]["ack_due_at"]
    )


def test_strategy_discussion_adds_licensing_when_a_licensed_vehicle_is_involved(borough, api_client_for):
    """A strategy discussion about a taxi gets a licensing task even if licensing is not asked for."""
    referral = make_referral(vehicles=[{"registration": "AB12 CDE", "licence_number": "PH99"}])
    status, body = post(
        api_client_for(borough["front_door"]),
        f"/api/v1/referrals/{referral.pk}/decision",
        {
            "kind": "strategy",
            "rationale": "Significant harm suspected.",
            "priority": "red",
            "agencies": [borough["agencies"][AgencyKind.CSC].code],
        },
    )
    assert status == 201, body
    assert borough["agencies"][AgencyKind.LICENSING].code in {t["agency"] for t in body["tasks"]}


def test_advice_closes_and_nfa_waits_for_sign_off(borough, api_client_for):
    """Advice closes the referral at once; no further action waits for sign-off; neither has tasks."""
    client = api_client_for(borough["front_door"])
    status, advice = post(
        client,
        f"/api/v1/referrals/{make_referral().pk}/decision",
        {
            "kind": "advice",
            "rationale": "Low risk.",
            "advice_given": "Spoke to the school's DSL.",
        },
    )
    assert (status, advice["referral_status"], advice["tasks"]) == (201, ReferralStatus.CLOSED, [])
    status, nfa = post(
        client,
        f"/api/v1/referrals/{make_referral().pk}/decision",
        {
            "kind": "nfa",
            "rationale": "Duplicate of an open referral.",
        },
    )
    assert (status, nfa["referral_status"], nfa["sign_off"]) == (
        201,
        ReferralStatus.AWAITING_SIGN_OFF,
        "pending",
    )


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"rationale": "x"}, "kind"),
        ({"kind": "maybe", "rationale": "x"}, "kind"),
        ({"kind": "nfa"}, "rationale"),
        ({"kind": "nfa", "rationale": "   "}, "rationale"),
        ({"kind": "nfa", "rationale": 12}, "rationale"),
        ({"kind": "nfa", "rationale": "x" * 5001}, "rationale"),
        ({"kind": "advice", "rationale": "x"}, "advice_given"),
        ({"kind": "refer", "rationale": "x", "agencies": ["riverton-police"]}, "priority"),
        (
            {"kind": "refer", "rationale": "x", "priority": "purple", "agencies": ["riverton-police"]},
            "priority",
        ),
        ({"kind": "refer", "rationale": "x", "priority": "red"}, "agencies"),
        (
            {"kind": "refer", "rationale": "x", "priority": "red", "agencies": ["riverton-police", "nope"]},
            "agencies",
        ),
        ({"kind": "refer", "rationale": "x", "priority": "red", "agencies": "riverton-police"}, "agencies"),
        (
            {"kind": "refer", "rationale": "x", "priority": "red", "agencies": ["riverton-partnership"]},
            "agencies",
        ),
        ({"kind": "nfa", "rationale": "x", "agencies": ["riverton-police"]}, "agencies"),
        ({"kind": "nfa", "rationale": "x", "decided_by": 1}, "decided_by"),
    ],
)
def test_bad_decision_input_is_422_with_a_field_message_and_nothing_written(
    borough, api_client_for, body, field
):
    """Missing, wrong-typed, over-long and unknown values, unknown agencies and extra fields are refused."""
    referral = make_referral()
    status, answer = post(
        api_client_for(borough["front_door"]), f"/api/v1/referrals/{referral.pk}/decision", body
    )
    assert status == 422, answer
    assert field in answer["fields"], answer
    assert nothing_written()
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.RECEIVED


def test_deciding_twice_is_409(borough, api_client_for):
    """A referral already decided answers 409, and screening it after the decision does too."""
    referral = make_referral()
    client = api_client_for(borough["front_door"])
    url = f"/api/v1/referrals/{referral.pk}/decision"
    assert post(client, url, {"kind": "nfa", "rationale": "Duplicate."})[0] == 201
    status, body = post(client, url, {"kind": "advice", "rationale": "x", "advice_given": "y"})
    assert (status, body["error"]) == (409, "conflict")
    assert post(client, f"/api/v1/referrals/{referral.pk}/screening", {"indicators": {}})[0] == 409
    assert ReferralDecision.objects.count() == 1


def test_a_referral_not_visible_is_404_and_not_the_front_door_is_403(borough, api_client_for):
    """A police officer with no task on it gets 404, like a missing referral; an analyst who sees it, 403."""
    referral = make_referral()
    body = {"kind": "nfa", "rationale": "x"}
    police = api_client_for(borough["police"])
    assert post(police, f"/api/v1/referrals/{referral.pk}/decision", body)[0] == 404
    assert post(police, f"/api/v1/referrals/{referral.pk}/screening", {"indicators": {}})[0] == 404
    assert post(api_client_for(borough["front_door"]), "/api/v1/referrals/999999/decision", body)[0] == 404
    analyst = UserFactory(username="analyst", agency=borough["police"].agency, role=Role.ANALYST)
    status, answer = post(api_client_for(analyst), f"/api/v1/referrals/{referral.pk}/decision", body)
    assert (status, answer["error"]) == (403, "forbidden")
    assert nothing_written()


def test_restricted_referral_is_404_to_a_front_door_worker_it_does_not_name(borough, api_client_for):
    """A restricted referral is invisible to a front-door worker who is not one of its named people."""
    referral = make_referral()
    referral.restricted = True
    referral.save(update_fields=["restricted"])
    referral.restricted_to.add(borough["front_door_2"])
    body = {"kind": "nfa", "rationale": "x"}
    assert (
        post(api_client_for(borough["front_door"]), f"/api/v1/referrals/{referral.pk}/decision", body)[0]
        == 404
    )
    assert (
        post(api_client_for(borough["front_door_2"]), f"/api/v1/referrals/{referral.pk}/decision", body)[0]
        == 201
    )


def test_without_a_token_is_401(borough, client):
    """The API needs a bearer token."""
    referral = make_referral()
    status, body = post(
        client, f"/api/v1/referrals/{referral.pk}/decision", {"kind": "nfa", "rationale": "x"}
    )
    assert (status, body["error"]) == (401, "unauthenticated")


# Sign-off
def test_sign_off_by_another_manager_and_never_by_the_maker(borough, api_client_for):
    """The maker is refused (403); a rejection needs a note (422); approval closes (200); again is 409."""
    referral = make_referral()
    maker = api_client_for(borough["fd_manager"])
    _, decision = post(
        maker, f"/api/v1/referrals/{referral.pk}/decision", {"kind": "nfa", "rationale": "No."}
    )
    url = f"/api/v1/decisions/{decision['id']}/sign-off"
    status, body = post(maker, url, {"approve": True})
    assert status == 403 and "other than the person who made it" in body["detail"]
    other = api_client_for(borough["fd_manager_2"])
    assert post(other, url, {"approve": False})[1]["fields"] == {
        "note": ["Explain why the decision is rejected."]
    }
    assert "approve" in post(other, url, {"approve": "yes"})[1]["fields"]
    assert "extra" in post(other, url, {"approve": True, "extra": 1})[1]["fields"]
    assert post(api_client_for(borough["front_door"]), url, {"approve": True})[0] == 403
    assert post(api_client_for(borough["police"]), url, {"approve": True})[0] == 404
    assert ReferralDecision.objects.get(pk=decision["id"]).sign_off == "pending"
    status, body = post(other, url, {"approve": True, "note": "Agreed."})
    assert (status, body["sign_off"], body["referral_status"]) == (
        200,
        "approved",
        ReferralStatus.NO_FURTHER_ACTION,
    )
    assert post(other, url, {"approve": True})[0] == 409
    assert post(other, "/api/v1/decisions/999999/sign-off", {"approve": True})[0] == 404


# The OpenAPI document
def test_operations_are_in_the_openapi_document_with_strict_schemas():
    """All three operations are documented, with request schemas that forbid unknown fields."""
    schema = api.get_openapi_schema(path_prefix="/api/v1")
    operations = {
        ("/api/v1/referrals/{referral_id}/screening", "ScreeningIn"),
        ("/api/v1/referrals/{referral_id}/decision", "DecisionIn"),
        ("/api/v1/decisions/{decision_id}/sign-off", "SignOffIn"),
    }
    components = schema["components"]["schemas"]
    for path, request_schema in operations:
        operation = schema["paths"][path]["post"]
        assert {str(code) for code in operation["responses"]} >= {"401", "403", "404", "409", "422"}
        assert operation["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith(
            request_schema
        )
        assert components[request_schema]["additionalProperties"] is False
    assert components["DecisionIn"]["properties"]["kind"]["enum"] == ["refer", "strategy", "advice", "nfa"]
