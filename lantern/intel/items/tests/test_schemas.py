"""One validation layer for intelligence: an item's rules are its schema's, kept in the same words by the API,
the submission page and the importer, and stated by the OpenAPI document."""

import csv
import html
import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from lantern.core.validation import labelled, validate
from lantern.intel.items.schemas import IntelImportIn, IntelItemIn
from lantern.intel.items.tests.test_pages import FORM, NEW, formset_data
from lantern.intel.models import IntelligenceItem

pytestmark = pytest.mark.django_db

BODY = {"summary": "Girls getting into a silver car", "content": "Seen twice; the car was AB12 CDE."}


def _api_problems(client, changes: dict) -> dict:
    response = client.post(
        "/api/v1/intel", data=json.dumps({**BODY, **changes}), content_type="application/json"
    )
    assert response.status_code == 422, response.content
    return response.json()["fields"]


def _import_problems(tmp_path, agency_code: str, row: dict) -> str:
    path = tmp_path / "one.csv"
    with open(path, "w", newline="", encoding="utf-8") as handle:
        values = {"submitted_at": "2020-01-01", "agency": agency_code, **BODY, **row}
        writer = csv.DictWriter(handle, fieldnames=list(values))
        writer.writeheader()
        writer.writerow(values)
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("import", "intel", str(path), "--no-progress", stdout=out, stderr=err)
    return err.getvalue()


SAME_RULES = [
    pytest.param(
        ("persons.0.name", {"persons": [{"name": "n" * 201}]}),
        ({"persons": [{"role": "person_of_concern", "name": "n" * 201}]}, "Person 1", "Name"),
        ("person_name", "n" * 201),
        "Must be 200 characters or fewer",
        id="over-long person name",
    ),
    pytest.param(
        ("persons.0.age", {"persons": [{"age": 300}]}),
        ({"persons": [{"role": "person_of_concern", "age": "300"}]}, "Person 1", "Age"),
        ("person_age", "300"),
        "Must be between 0 and 120",
        id="age out of bounds",
    ),
    pytest.param(
        ("summary", {"summary": "s" * 201}),
        ({"summary": "s" * 201}, "", "Summary"),
        ("summary", "s" * 201),
        "Must be 200 characters or fewer",
        id="over-long summary",
    ),
    pytest.param(
        ("organisations.0.name", {"organisations": [{"name": "", "kind": "taxi_firm"}]}),
        ({"organisations": [{"kind": "taxi_firm"}]}, "Organisation 1", "Name of the organisation"),
        ("organisation_kind", "taxi_firm"),
        "Enter the organisation's name",
        id="organisation without a name",
    ),
]


@pytest.mark.parametrize(("api", "page", "column", "message"), SAME_RULES)
def test_the_same_rule_gives_the_same_message_by_the_api_the_page_and_the_importer(
    people, api_client_for, client_for, tmp_path, api, page, column, message
):
    """One rule, written once in the schema: the API answers it under the field's key, the page shows it beside
    the field (with the field's label in front), and the importer reports it against the column; nothing is
    written by any of them."""
    key, changes = api
    assert _api_problems(api_client_for(people["csc"]), changes)[key] == [message]

    rows, row_label, label = page
    fields = {key: value for key, value in rows.items() if isinstance(value, str)}
    parts = {key: value for key, value in rows.items() if isinstance(value, list)}
    response = client_for(people["csc"]).post(NEW, {**FORM, **formset_data(**parts), **fields})
    shown = html.unescape(response.content.decode())
    assert response.status_code == 200 and "govuk-error-summary" in shown
    expected = labelled(label, message)
    assert (f"{row_label}: {expected}" if row_label else expected) in shown

    name, value = column
    problems = _import_problems(tmp_path, people["csc"].agency.code, {name: value})
    reported = "organisation_name" if name == "organisation_kind" else name
    assert f"Row 2, {reported}: {message}" in problems
    assert not IntelligenceItem.objects.exists()


def test_the_openapi_document_states_the_item_rules():
    """The document states what the schema enforces: lengths, bounds, choices and list sizes."""
    import lantern.urls  # noqa: F401  (gathers every room's router onto the API)
    from lantern.api import api

    schemas = api.get_openapi_schema(path_prefix="/api/v1/")["components"]["schemas"]
    item, person = schemas["IntelItemIn"]["properties"], schemas["IntelPersonIn"]["properties"]
    assert (item["summary"]["minLength"], item["summary"]["maxLength"]) == (1, 200)
    assert item["content"]["maxLength"] == 20000 and item["persons"]["maxItems"] == 20
    age = next(option for option in person["age"]["anyOf"] if option.get("type") == "integer")
    assert (age["minimum"], age["maximum"]) == (0, 120)
    assert schemas["IntelOrganisationIn"]["properties"]["name"]["minLength"] == 1


def test_an_import_row_needs_its_agency_and_date_in_the_schemas_words():
    """An import row's own fields are the import schema's, with its words for what is missing."""
    _, problems = validate(IntelImportIn, {**BODY, "agency": "", "submitted_at": None})
    assert problems == {
        "agency": ["Enter the code of the agency that submitted it"],
        "submitted_at": ["Enter the date it was submitted"],
    }
    assert validate(IntelItemIn, {**BODY, "summary": " "})[1] == {
        "summary": ["Enter a summary of the information"]
    }
