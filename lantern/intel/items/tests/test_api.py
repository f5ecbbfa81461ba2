"""The intelligence API: submit, list, read (full or sanitised), grade and share; strict input; no source ever."""

import json

import pytest

from lantern.audit.models import AuditEvent
from lantern.intel.items.tests.support import (
    CONDITIONS,
    SECRET_CONTENT,
    SECRET_SOURCE,
    grade,
    submit,
)
from lantern.intel.models import Disclosure, HandlingCode, IntelligenceItem, IntelligenceSource

URL = "/api/v1/intel"
BODY = {
    "summary": "Girls getting into a silver car outside the takeaway",
    "content": f"{SECRET_CONTENT} girls get into a silver car AB12 CDE; the driver's number is 07700 900123.",
    "occurred_at": "2025-11-01T21:00:00+00:00",
    "source": {"source_type": "member of the public", "name": SECRET_SOURCE, "contact": "07700 900999"},
    "persons": [{"role": "person_of_concern", "nickname": "Smiler", "age": 35, "licence_number": "RPH00042"}],
    "vehicles": [
        {"registration": "AB12 CDE", "colour": "Silver", "make": "Toyota", "licence_number": "RPH00042"}
    ],
    "phones": [{"number": "07700 900456"}],
    "places": [{"name": "Golden Fry", "type": "takeaway"}],
    "organisations": [{"name": "Riverside Cars", "kind": "taxi_firm"}],
}


def post(client, url, body):
    """POST `body` as JSON."""
    return client.post(url, data=json.dumps(body), content_type="application/json")


def with_value(path: str, value):
    """BODY with one value replaced (path like "vehicles.0.registration"), or removed if value is ...."""
    body = json.loads(json.dumps(BODY))
    *parents, last = path.split(".")
    target = body
    for key in parents:
        target = target[int(key)] if key.isdigit() else target[key]
    if value is ...:
        del target[last]
    else:
        target[last] = value
    return body


def test_a_partner_agency_submits_and_gets_a_reference(people, api_client_for):
    """POST /api/v1/intel: 201 with id, reference and status; the source is held apart."""
    response = post(api_client_for(people["csc"]), URL, BODY)
    assert response.status_code == 201, response.content
    body = response.json()
    item = IntelligenceItem.objects.get()
    assert body == {
        "id": item.pk,
        "reference": item.reference,
        "status": "submitted",
        "submitted_at": body["submitted_at"],
    }
    assert IntelligenceSource.objects.get(item=item).name == SECRET_SOURCE
    assert item.vehicle_mentions.get().registration_normalised == "AB12CDE"
    assert sorted(item.phone_mentions.values_list("number_e164", flat=True)) == [
        "+447700900123",
        "+447700900456",
    ]


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        ("summary", ..., "summary"),
        ("summary", "", "summary"),
        ("summary", "x" * 201, "summary"),
        ("content", ..., "content"),
        ("content", 42, "content"),
        ("occurred_at", "yesterday", "occurred_at"),
        ("occurred_at", "2999-01-01T21:00:00+00:00", "occurred_at"),
        ("colour", "red", "colour"),
        ("source.name", "x" * 201, "source.name"),
        ("source.password", "x", "source.password"),
        ("persons.0.role", "suspect", "persons.0.role"),
        ("persons.0.age", -1, "persons.0.age"),
        ("persons.0.age", "35", "persons.0.age"),
        ("persons.0.sex", "m", "persons.0.sex"),
        ("persons.0.date_of_birth", "2100-01-01", "persons.0.date_of_birth"),
        ("vehicles.0.registration", "A" * 21, "vehicles.0.registration"),
        ("vehicles.0.colour", "x" * 31, "vehicles.0.colour"),
        ("phones.0.number", "0" * 41, "phones.0.number"),
        ("phones.0.number", ..., "phones.0.number"),
        ("places.0.type", "moon", "places.0.type"),
        ("organisations.0.name", ..., "organisations.0.name"),
        ("organisations.0.kind", "bank", "organisations.0.kind"),
        ("phones", [{"number": "07700 900123"}] * 21, "phones"),
    ],
)
def test_every_bad_field_is_answered_422_by_name_and_nothing_is_written(
    people, api_client_for, path, value, field
):
    """Missing, mistyped, over-long, unknown, future or malformed: 422 with the field named; nothing written."""
    response = post(api_client_for(people["csc"]), URL, with_value(path, value))
    assert response.status_code == 422, response.content
    body = response.json()
    assert body["error"] == "invalid" and field in body["fields"], body
    assert not IntelligenceItem.objects.exists()


def test_malformed_json_is_refused_without_a_500(people, api_client_for):
    """A body that is not JSON is a 4xx in the one error shape."""
    response = api_client_for(people["csc"]).post(URL, data="{not json", content_type="application/json")
    assert 400 <= response.status_code < 500 and "error" in response.json()


def test_reviewers_and_administrators_may_not_submit(people, api_client_for):
    """403 for roles that do no case work; 401 without a token."""
    assert post(api_client_for(people["admin"]), URL, BODY).status_code == 403
    assert post(api_client_for(people["reviewer"]), URL, BODY).status_code == 403
    from django.test import Client

    assert post(Client(), URL, BODY).status_code == 401


def test_police_read_in_full_and_the_source_is_never_in_the_answer(people, api_client_for):
    """GET as a police analyst: content and mentions, but nothing of the source anywhere in the answer."""
    item = submit(people["csc"])
    response = api_client_for(people["analyst"]).get(f"{URL}/{item.pk}")
    assert response.status_code == 200
    body = response.json()
    assert body["view"] == "full" and SECRET_CONTENT in body["content"]
    assert body["vehicles"][0]["registration_normalised"] == "AB12CDE"
    assert body["organisations"][0]["kind"] == "taxi_firm"
    assert SECRET_SOURCE not in response.content.decode() and "07700 900999" not in response.content.decode()
    assert "source" not in body
    event = AuditEvent.objects.get(event_type="intel_item.viewed")
    assert (event.actor_id, event.data["view"]) == (people["analyst"].pk, "full")


def test_others_read_only_the_sanitised_text_of_graded_items(people, api_client_for):
    """The partnership lead sees a P item's sanitised text, never its summary, content or mentions."""
    item = grade(submit(people["csc"]), people["analyst"])
    response = api_client_for(people["lead"]).get(f"{URL}/{item.pk}")
    assert response.status_code == 200
    body = response.json()
    assert body["view"] == "sanitised" and body["content"] is None and body["summary"] is None
    assert body["sanitised_text"] == item.sanitised_text
    assert body["grade"] == {
        "source_evaluation": "2",
        "intelligence_assessment": "B",
        "handling_code": "P",
        "handling_conditions": "",
    }
    assert body["persons"] == body["vehicles"] == body["phones"] == []
    text = response.content.decode()
    assert SECRET_CONTENT not in text and SECRET_SOURCE not in text and "Smiler" not in text


@pytest.mark.parametrize("reader", ["csc_other", "health", "lead", "admin", "reviewer"])
def test_items_others_may_not_see_are_not_found(people, api_client_for, reader):
    """An ungraded item from another agency, and a C item not disclosed: 404, as if absent."""
    ungraded = submit(people["csc"])
    conditional = grade(submit(people["csc"]), people["analyst"], handling=HandlingCode.CONDITIONS)
    client = api_client_for(people[reader])
    for item in (ungraded, conditional):
        response = client.get(f"{URL}/{item.pk}")
        assert response.status_code == 404 and response.json()["error"] == "not_found"


def test_grading_by_api(people, api_client_for):
    """Police grade with 200 and the item; others 403; C without conditions 422; an absent item 404."""
    item = submit(people["csc"])
    grade_url = f"{URL}/{item.pk}/grade"
    good = {
        "source_evaluation": "1",
        "intelligence_assessment": "A",
        "handling_code": "C",
        "handling_conditions": CONDITIONS,
        "sanitised_text": "A car is reported collecting girls.",
    }
    response = post(api_client_for(people["csc"]), grade_url, good)
    assert response.status_code == 403, "the submitter sees the item but may not grade it"
    response = post(api_client_for(people["analyst"]), grade_url, {**good, "handling_conditions": ""})
    assert response.status_code == 422 and "handling_conditions" in response.json()["fields"]
    for key, value, field in (
        ("source_evaluation", "4", "source_evaluation"),
        ("intelligence_assessment", "Z", "intelligence_assessment"),
        ("handling_code", "X", "handling_code"),
        ("sanitised_text", "", "sanitised_text"),
        ("colour", "red", "colour"),
    ):
        response = post(api_client_for(people["analyst"]), grade_url, {**good, key: value})
        assert response.status_code == 422 and field in response.json()["fields"], (key, response.content)
    response = post(api_client_for(people["analyst"]), grade_url, good)
    assert response.status_code == 200, response.content
    assert response.json()["grade"]["handling_code"] == "C"
    assert response.json()["grade"]["handling_conditions"] == CONDITIONS
    assert post(api_client_for(people["analyst"]), f"{URL}/{item.pk + 999}/grade", good).status_code == 404


def test_c_conditions_are_enforced_on_api_disclosure(people, api_client_for):
    """Sharing a C item by API needs the conditions acknowledged; the answer is the sanitised text and conditions."""
    item = grade(submit(people["csc"]), people["analyst"], handling=HandlingCode.CONDITIONS)
    url = f"{URL}/{item.pk}/disclosures"
    client = api_client_for(people["analyst"])
    body = {"recipient_agency": people["health"].agency.code, "purpose": "Strategy discussion."}
    response = post(client, url, body)
    assert response.status_code == 409 and "conditions_acknowledged" in response.json()["fields"]
    assert not Disclosure.objects.exists()
    response = post(
        client, url, {**body, "recipient_agency": "no-such-agency", "conditions_acknowledged": True}
    )
    assert response.status_code == 404 and "recipient_agency" in response.json()["fields"]
    response = post(client, url, {**body, "conditions_acknowledged": True})
    assert response.status_code == 201, response.content
    shared = response.json()
    assert shared["text"] == item.sanitised_text and shared["conditions"] == CONDITIONS
    text = response.content.decode()
    assert SECRET_CONTENT not in text and SECRET_SOURCE not in text
    assert Disclosure.objects.get().channel == "api"
    # Once disclosed to health, health's practitioners read the sanitised text.
    assert api_client_for(people["health"]).get(f"{URL}/{item.pk}").json()["view"] == "sanitised"


def test_only_police_intelligence_roles_disclose_by_api(people, api_client_for):
    """The submitter and the partnership lead get 403; an ungraded item cannot be shared."""
    graded = grade(submit(people["csc"]), people["analyst"])
    body = {"recipient": "Regional organised crime unit", "purpose": "Operation."}
    assert post(api_client_for(people["csc"]), f"{URL}/{graded.pk}/disclosures", body).status_code == 403
    assert post(api_client_for(people["lead"]), f"{URL}/{graded.pk}/disclosures", body).status_code == 403
    ungraded = submit(people["csc"])
    assert (
        post(api_client_for(people["analyst"]), f"{URL}/{ungraded.pk}/disclosures", body).status_code == 403
    )
    assert not Disclosure.objects.exists()


def test_the_list_shows_what_the_user_may_see_in_constant_queries(
    people, api_client_for, django_assert_max_num_queries
):
    """GET /api/v1/intel: the lead sees P items only, without summaries; queries do not grow with the page."""
    for _ in range(2):
        grade(submit(people["csc"]), people["analyst"])
    submit(people["csc"])
    client = api_client_for(people["lead"])
    with django_assert_max_num_queries(12) as small:
        body = client.get(URL).json()
    assert body["count"] == 2 and all(
        i["summary"] is None and i["view"] == "sanitised" for i in body["items"]
    )
    for _ in range(6):
        grade(submit(people["health"]), people["analyst"])
    with django_assert_max_num_queries(len(small.captured_queries)):
        body = client.get(URL).json()
    assert body["count"] == 8
    full = api_client_for(people["analyst"]).get(f"{URL}?status=submitted&limit=5").json()
    assert full["count"] == 1 and full["items"][0]["summary"]
    assert api_client_for(people["analyst"]).get(f"{URL}?limit=0").status_code == 422


def test_the_openapi_document_describes_the_intelligence_endpoints(people, client):
    """Typed schemas: the paths and their input and output shapes are in the OpenAPI document."""
    document = client.get("/api/v1/openapi.json").json()
    for path in (
        "/api/v1/intel",
        "/api/v1/intel/{item_id}",
        "/api/v1/intel/{item_id}/grade",
        "/api/v1/intel/{item_id}/disclosures",
    ):
        assert path in document["paths"], path
    schemas = document["components"]["schemas"]
    assert {"IntelItemIn", "IntelItemOut", "IntelGradeIn", "IntelDisclosureIn", "IntelDisclosureOut"} <= set(
        schemas
    )
    assert "source" not in schemas["IntelItemOut"]["properties"]
    assert "source" in schemas["IntelItemIn"]["properties"]
    assert set(schemas["IntelGradeIn"]["required"]) >= {
        "source_evaluation",
        "intelligence_assessment",
        "handling_code",
        "sanitised_text",
    }
