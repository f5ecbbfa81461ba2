"""The one validation layer's adapter: a schema's problems by field, in the API's keys and in plain words."""

from typing import Annotated, ClassVar, Literal

from django import forms
from ninja import Field, Schema
from pydantic import ConfigDict, field_validator

from lantern.core.api import whole_number
from lantern.core.validation import (
    GIVEN_TEXT,
    AtLeastOne,
    FieldRules,
    RequiredWhen,
    SchemaFormMixin,
    add_form_problems,
    field_messages,
    field_name,
    labelled,
    max_length,
    validate,
    worded,
)


class Part(Schema):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field("", max_length=5)
    age: Annotated[int, Field(strict=True, ge=0, le=25)] | None = None
    kind: Annotated[str, Field(pattern="^(a|b)$")] = "a"

    @field_validator("name")
    @classmethod
    def _no_q(cls, value):
        if value == "q":
            raise ValueError("Not q")
        return value


class Whole(Schema):
    model_config = ConfigDict(extra="forbid")

    summary: str = Field(..., min_length=1, max_length=10)
    parts: list[Part] = Field(default_factory=list, max_length=2)


def test_a_valid_input_gives_the_model_and_no_problems():
    model, problems = validate(Whole, {"summary": "Seen", "parts": [{"name": " Ann ", "age": 3}]})
    assert problems == {}
    assert model.parts[0].name == "Ann"
    assert model.parts[0].age == 3


def test_problems_are_keyed_as_the_api_keys_them_and_worded_plainly():
    model, problems = validate(
        Whole,
        {
            "summary": "",
            "parts": [{"name": "toolong", "age": 40, "colour": "red"}, {"name": "q", "age": "x"}],
        },
    )
    assert model is None
    assert problems == {
        "summary": ["Enter a value"],
        "parts.0.name": ["Must be 5 characters or fewer"],
        "parts.0.age": ["Must be 25 or less"],
        "parts.0.colour": ["Unknown field"],
        "parts.1.name": ["Not q"],
        "parts.1.age": ["Must be a whole number"],
    }


def test_a_missing_field_and_too_many_parts():
    _, problems = validate(Whole, {"parts": [{}, {}, {}]})
    assert problems == {"summary": ["Enter a value"], "parts": ["Give at most 2"]}


def test_a_prefix_places_a_part_under_its_row_and_whole_record_errors_under_the_prefix():
    _, problems = validate(Part, {"age": -1}, prefix="children.3")
    assert problems == {"children.3.age": ["Must be 0 or more"]}
    assert field_messages([{"loc": (), "msg": "Value error, Give one", "type": "value_error"}], "row") == {
        "row": ["Give one"]
    }


def test_field_name_drops_the_request_sections():
    assert field_name(("body", "payload", "children", 0, "age")) == "children.0.age"
    assert field_name(("query", "offset")) == "offset"
    assert field_name(()) == "__all__"


class Worded(Schema):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    summary: Annotated[
        str, Field(min_length=1, max_length=10), worded(string_too_short="Enter what happened")
    ]
    colour: Literal["red", "blue"] = "red"


def test_a_field_can_word_a_kind_of_problem_itself_and_keep_its_constraint():
    """`worded` changes the message of the kinds it names and no other; the constraint stays in the schema."""
    assert validate(Worded, {"summary": "  "})[1] == {"summary": ["Enter what happened"]}
    assert validate(Worded, {"summary": "x" * 11})[1] == {"summary": ["Must be 10 characters or fewer"]}
    properties = Worded.model_json_schema()["properties"]
    assert (properties["summary"]["minLength"], properties["summary"]["maxLength"]) == (1, 10)
    assert max_length(Worded, "summary") == 10 and max_length(Worded, "colour") is None


def test_a_choice_names_the_values_it_may_take():
    """An unknown choice is answered with the values allowed, so a CSV or an API client can correct it."""
    assert validate(Worded, {"summary": "Seen", "colour": "green"})[1] == {
        "colour": ["Choose one of: red, blue"]
    }


def test_a_pages_message_puts_the_fields_label_in_front():
    """ "Must ..." gains the label; a message that is a sentence of its own is kept as it is."""
    assert labelled("Name", "Must be 5 characters or fewer") == "Name must be 5 characters or fewer"
    assert (
        labelled("Date of birth", "Date of birth must be in the past") == "Date of birth must be in the past"
    )
    assert labelled("", "Must be 5 characters or fewer") == "Must be 5 characters or fewer"


class PartForm(SchemaFormMixin, forms.Form):
    schema = Part
    schema_fields: ClassVar[dict[str, str]] = {"full_name": "name"}
    blank_is_nothing = True

    full_name = forms.CharField(label="Full name", required=False)
    age = forms.IntegerField(label="Age", required=False, error_messages={"invalid": "Age must be a number"})


def test_a_form_checks_by_its_schema_and_shows_problems_on_its_own_fields():
    """The form reads; the schema judges; problems go on the form's fields with their labels, under the form's
    names; what the form could not read keeps the form's own message; a valid form has the model."""
    form = PartForm({"full_name": "toolong", "age": "40"})
    assert not form.is_valid()
    assert form.errors == {
        "full_name": ["Full name must be 5 characters or fewer"],
        "age": ["Age must be 25 or less"],
    }
    form = PartForm({"full_name": "Ann", "age": "x"})
    assert not form.is_valid() and form.errors == {"age": ["Age must be a number"]}
    form = PartForm({"full_name": " Ann ", "age": "3"})
    assert form.is_valid() and (form.model.name, form.model.age) == ("Ann", 3)


def test_a_blank_part_form_is_no_part():
    """With `blank_is_nothing`, a form with nothing filled in is valid and makes no model."""
    form = PartForm({"full_name": "", "age": ""})
    assert form.is_valid() and form.model is None


def test_problems_without_a_field_of_their_own_go_on_top():
    """A problem whose key is no field of the form is a form-wide error."""
    form = PartForm({"full_name": "Ann"})
    assert form.is_valid()
    add_form_problems(form, {"__all__": ["Give one"], "age": ["Must be 25 or less"]})
    assert form.non_field_errors() == ["Give one"] and form.errors["age"] == ["Age must be 25 or less"]


class Decision(Schema, FieldRules):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    decision: Literal["investigate", "refer", "close"]
    investigator_id: int | None = None
    note: str = ""
    referral_ids: list[int] = Field(default_factory=list)
    task_ids: list[int] = Field(default_factory=list)

    field_rules = (
        RequiredWhen("investigator_id", "decision", ("investigate",), "Choose who will investigate."),
        RequiredWhen("note", "decision", ("close",), "Say why it is closed.", GIVEN_TEXT),
        AtLeastOne(("referral_ids", "task_ids"), "Link a referral or a task."),
    )


def test_rules_between_fields_are_stated_in_the_json_schema():
    """Each rule appears in the schema's JSON Schema: `if`/`then` for "required when", `anyOf` for "one of"."""
    rules = Decision.model_json_schema()["allOf"]
    assert rules[0] == {
        "if": {"properties": {"decision": {"enum": ["investigate"]}}, "required": ["decision"]},
        "then": {"properties": {"investigator_id": {"type": "integer"}}, "required": ["investigator_id"]},
    }
    assert rules[1]["then"]["properties"]["note"] == {"type": "string", "pattern": "\\S"}
    assert rules[2] == {
        "anyOf": [
            {"properties": {"referral_ids": {"type": "array", "minItems": 1}}, "required": ["referral_ids"]},
            {"properties": {"task_ids": {"type": "array", "minItems": 1}}, "required": ["task_ids"]},
        ]
    }


def test_a_broken_rule_names_the_missing_field_in_plain_words():
    """The one validator checks what the JSON Schema states, naming the field that is missing."""
    _, problems = validate(Decision, {"decision": "investigate", "note": "  "})
    assert problems == {
        "investigator_id": ["Choose who will investigate."],
        "referral_ids": ["Link a referral or a task."],
    }
    _, problems = validate(Decision, {"decision": "close", "note": "   ", "task_ids": [3]})
    assert problems == {"note": ["Say why it is closed."]}


def test_a_rule_that_does_not_apply_asks_for_nothing():
    """Only the deciding value brings the rule in: a referral needs neither an investigator nor a note."""
    model, problems = validate(Decision, {"decision": "refer", "referral_ids": [1]})
    assert problems == {} and model.investigator_id is None


class Counted(Schema):
    age: whole_number(0, 25) | None = None


def test_a_whole_number_is_taken_as_json_schema_counts_integers():
    """20.0 is an integer to JSON Schema, so it is taken as 20; a fraction, `true` and text are refused."""
    model, problems = validate(Counted, {"age": 20.0})
    assert problems == {} and model.age == 20 and isinstance(model.age, int)
    for sent in (20.5, True, "20"):
        _, problems = validate(Counted, {"age": sent})
        assert list(problems) == ["age"], sent
