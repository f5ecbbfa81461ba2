"""One validation layer: a referral's rules are its schema's, and the API, the pages and the importer all keep
them in the same words; the OpenAPI document states them."""

import csv
import html
import json
from datetime import date, timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from lantern.core.validation import labelled, validate
from lantern.intake.models import Referral
from lantern.intake.schemas import PhoneIn, ReferralImportIn, ReferralIn, VehicleIn
from lantern.intake.tests.conftest import EXAMPLE_BODY, counts
from lantern.intake.tests.test_pages import NEW, form_data

pytestmark = pytest.mark.django_db

GOOD = {"source": "professional", "summary": "Something worrying happened."}
FUTURE_BIRTHDAY = date.today() + timedelta(days=2)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"summary": "   "}, "summary"),
        ({"summary": "x" * 5001}, "summary"),
        ({"source": "carrier-pigeon"}, "source"),
        ({"vehicles": [{"registration": "A" * 21}]}, "vehicles.0.registration"),
        ({"phones": [{"number": "0" * 41}]}, "phones.0.number"),
        ({"children": [{"age": 26}]}, "children.0.age"),
        ({"children": [{"age": "14"}]}, "children.0.age"),
        ({"children": [{"date_of_birth": FUTURE_BIRTHDAY}]}, "children.0.date_of_birth"),
        ({"children": [{"date_of_birth": date(1899, 12, 31)}]}, "children.0.date_of_birth"),
        ({"persons": [{"age": 121}]}, "persons.0.age"),
        ({"places": [{"name": "x", "type": "spaceport"}]}, "places.0.type"),
        ({"incident_at": timezone.now() + timedelta(days=1)}, "incident_at"),
        ({"children": [{"name": "n" * 201}]}, "children.0.name"),
        ({"children": [{"favourite_colour": "blue"}]}, "children.0.favourite_colour"),
        ({"vehicles": [{"registration": "AB12CDE"}] * 21}, "vehicles"),
        ({"reporter": {"contact": "c" * 201}}, "reporter.contact"),
    ],
)
def test_bad_input_is_refused_by_the_schema_under_the_fields_key(changes, field):
    """Every kind of bad content is a problem under the field's key, so there is no model for `referral_create`
    to be given: a referral that breaks a rule cannot reach the database by any way in."""
    model, problems = validate(ReferralIn, {**GOOD, **changes})
    assert model is None
    assert field in problems, problems


def test_identifiers_of_any_form_and_placeholders_are_never_refused():
    """Issue 15's rules: a suspect's phone number or registration mark is taken in any form (partial, foreign,
    too short to match on) and a placeholder name is a name like any other; only their length is limited."""
    for mark in ("!!", "WOB-ZK 295", "ab1? c*e", "X"):
        assert validate(VehicleIn, {"registration": mark})[1] == {}
    for number in ("0791", "07700 934567", "+33 6 12 34 56 78", "call him"):
        assert validate(PhoneIn, {"number": number})[1] == {}
    model, problems = validate(
        ReferralIn, {**GOOD, "children": [{"name": "Child A"}], "persons": [{"name": "Unknown male"}]}
    )
    assert problems == {} and model.persons[0].name == "Unknown male"


def _api_problems(client, changes: dict) -> dict:
    body = {**EXAMPLE_BODY, **changes}
    response = client.post("/api/v1/referrals", data=json.dumps(body), content_type="application/json")
    assert response.status_code == 422, response.content
    return response.json()["fields"]


def _import_problems(tmp_path, row: dict) -> str:
    path = tmp_path / "one.csv"
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=["received_at", "summary", *row])
        writer.writeheader()
        writer.writerow({"received_at": "2020-01-01", "summary": "A concern.", **row})
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("import", "referrals", str(path), "--no-progress", stdout=out, stderr=err)
    return err.getvalue()


# (the API's field, its value; the form's field, its value; the import column, its value; the form's label)
SAME_RULES = [
    pytest.param(
        ("children.0.name", {"children": [{"name": "n" * 201}]}),
        ({"children-0-name": "n" * 201}, "Child 1", "Name"),
        ("child_name", "n" * 201),
        "Must be 200 characters or fewer",
        id="over-long child name",
    ),
    pytest.param(
        ("children.0.date_of_birth", {"children": [{"date_of_birth": FUTURE_BIRTHDAY.isoformat()}]}),
        (
            {
                "children-0-date_of_birth_0": str(FUTURE_BIRTHDAY.day),
                "children-0-date_of_birth_1": str(FUTURE_BIRTHDAY.month),
                "children-0-date_of_birth_2": str(FUTURE_BIRTHDAY.year),
            },
            "Child 1",
            "Date of birth",
        ),
        ("child_dob", FUTURE_BIRTHDAY.isoformat()),
        "Date of birth must be in the past",
        id="future date of birth",
    ),
    pytest.param(
        ("children.0.age", {"children": [{"age": 30}]}),
        ({"children-0-age": "30"}, "Child 1", "Age"),
        ("child_age", "30"),
        "Must be between 0 and 25",
        id="child too old",
    ),
    pytest.param(
        ("vehicles.0.registration", {"vehicles": [{"registration": "A" * 21}]}),
        ({"vehicles-0-registration": "A" * 21}, "Vehicle 1", "Registration mark"),
        ("vehicle_registration", "A" * 21),
        "Must be 20 characters or fewer",
        id="over-long registration mark",
    ),
]


@pytest.mark.parametrize(("api", "page", "column", "message"), SAME_RULES)
def test_the_same_rule_gives_the_same_message_by_the_api_the_page_and_the_importer(
    api_client_for, client_for, police_officer, tmp_path, api, page, column, message
):
    """One rule, written once in the schema: the API answers it under the field's key, the page shows it beside
    the field (with the field's label in front), and the importer reports it against the column; nothing is
    written by any of them (but the audit log's note of the refused import)."""
    before = counts()
    key, changes = api
    assert _api_problems(api_client_for(police_officer), changes)[key] == [message]

    fields, row_label, label = page
    response = client_for(police_officer).post(NEW, form_data(**fields))
    shown = html.unescape(response.content.decode())
    assert response.status_code == 200 and "govuk-error-summary" in shown
    assert f"{row_label}: {labelled(label, message)}" in shown

    name, value = column
    assert f"Row 2, {name}: {message}" in _import_problems(tmp_path, {name: value})
    written = {model: count for model, count in counts().items() if model != "AuditEvent"}
    assert written == {model: count for model, count in before.items() if model != "AuditEvent"}
    assert not Referral.objects.exists()


def test_an_unknown_sex_gets_the_same_message_from_the_api_and_the_importer(
    api_client_for, police_officer, tmp_path
):
    """The page offers no free choice of sex, but the API and the importer name the values the schema allows."""
    message = "Choose one of: female, male, other, not_known, not_stated"
    problems = _api_problems(api_client_for(police_officer), {"children": [{"sex": "unknown"}]})
    assert problems["children.0.sex"] == [message]
    assert f"Row 2, child_sex: {message}" in _import_problems(tmp_path, {"child_sex": "Unknown"})


@pytest.fixture(scope="module")
def document():
    """The API's OpenAPI document."""
    import lantern.urls  # noqa: F401  (gathers every room's router onto the API)
    from lantern.api import api

    return api.get_openapi_schema(path_prefix="/api/v1/")


def _component(document, name: str) -> dict:
    return document["components"]["schemas"][name]["properties"]


def _bounds(schema: dict) -> dict:
    """An optional field's constraints, from inside its anyOf."""
    for option in schema.get("anyOf", [schema]):
        if option.get("type") != "null":
            return option
    return schema


def test_the_openapi_document_states_the_referral_rules(document):
    """The document states what the schema enforces: lengths, bounds, choices and list sizes."""
    referral, child = _component(document, "ReferralIn"), _component(document, "ChildIn")
    assert (referral["summary"]["minLength"], referral["summary"]["maxLength"]) == (1, 5000)
    assert referral["children"]["maxItems"] == 20 and referral["vehicles"]["maxItems"] == 20
    assert child["name"]["maxLength"] == 200
    age = _bounds(child["age"])
    assert (age["type"], age["minimum"], age["maximum"]) == ("integer", 0, 25)
    sex = document["components"]["schemas"]["Sex"]
    assert set(sex["enum"]) == {"female", "male", "other", "not_known", "not_stated"}
    assert _component(document, "VehicleIn")["registration"]["maxLength"] == 20
    assert _component(document, "PhoneIn")["number"]["maxLength"] == 40
    assert _bounds(_component(document, "PersonIn")["age"])["maximum"] == 120


def test_an_import_row_closed_before_it_was_received_is_refused():
    """A rule between two fields is the schema's too, under the later field's key."""
    _, problems = validate(
        ReferralImportIn,
        {
            "summary": "A concern.",
            "received_at": timezone.now() - timedelta(days=2),
            "closed_at": timezone.now() - timedelta(days=3),
        },
    )
    assert problems == {"closed_at": ["Must be after when it was received"]}
