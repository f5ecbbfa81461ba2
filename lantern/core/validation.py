"""One validation layer: inputs are pydantic models (django-ninja `Schema`s), and every edge checks through them.

The API validates a body against its schema itself (ninja). Pages and importers call `validate` with the same
schema and get either the model or the problems by field, under the same keys the API answers with
("children.0.age", "summary"), in plain words. So a rule is written once, in the schema, and the OpenAPI
document states it.

A field may carry its own words for a kind of problem (`worded`), so that "Enter what happened" is said
wherever a referral's summary is missing, not the general "Enter a value". A page's form uses a schema through
`SchemaFormMixin`, which maps its fields to the schema's and puts the problems back on its fields.

`clean_text` remains for the short free-text fields of actions that services still check themselves.
"""

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any, ClassVar, TypeVar

import pydantic
from pydantic import WrapValidator
from pydantic_core import InitErrorDetails, PydanticCustomError

MAX_TEXT = 5000

# Where ninja puts the request's parts in an error's location; they are not part of a field's name.
_SECTIONS = frozenset({"body", "query", "path", "header", "payload", "data", "form", "cookie"})

SchemaT = TypeVar("SchemaT", bound=pydantic.BaseModel)

# A choice's problem names the values it may take, up to this many (pydantic gives them as 'a', 'b' or 'c').
_OPTIONS_LISTED = 30
_QUOTED = re.compile(r"'([^']*)'")


def clean_text(value, field: str, errors: dict, *, required: str = "", limit: int = MAX_TEXT) -> str:
    """Strip a text field; record `required` (the message) if it is needed and empty, or an error if over `limit`."""
    value = (value or "").strip() if isinstance(value, str) or value is None else str(value).strip()
    if required and not value:
        errors.setdefault(field, []).append(required)
    elif len(value) > limit:
        errors.setdefault(field, []).append(f"This must be {limit:,} characters or fewer.")
    return value


def worded(**messages: str) -> WrapValidator:
    """A field's own words for kinds of problem, e.g. `worded(string_too_short="Enter what happened")`.

    Used in `Annotated[str, Field(min_length=1), worded(...)]`: the constraint stays in the schema (and in the
    OpenAPI document); only its message changes.
    """

    def reword(value, handler):
        try:
            return handler(value)
        except pydantic.ValidationError as error:
            for problem in error.errors(include_url=False):
                if problem["type"] in messages:
                    raise PydanticCustomError("worded", messages[problem["type"]]) from None
            raise

    return WrapValidator(reword)


def field_name(loc: Sequence[Any]) -> str:
    """An error location as a field key: ("body", "payload", "children", 0, "age") -> "children.0.age"."""
    parts = [str(part) for part in loc if part not in _SECTIONS]
    return ".".join(parts) or "__all__"


def _words(error: Mapping[str, Any]) -> str:
    """An error's message in plain words. Messages a validator raised are kept; pydantic's own are put plainly."""
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    if kind == "value_error":
        return str(ctx.get("error") or error.get("msg", "")).removeprefix("Value error, ")
    if kind == "string_too_long":
        return f"Must be {ctx['max_length']:,} characters or fewer"
    if kind == "string_too_short":
        return (
            "Enter a value"
            if ctx.get("min_length") == 1
            else f"Must be {ctx['min_length']:,} characters or more"
        )
    if kind == "too_long":
        return f"Give at most {ctx['max_length']:,}"
    if kind == "too_short":
        return f"Give at least {ctx['min_length']:,}"
    if kind == "missing" or (kind == "string_type" and error.get("input") is None):
        return "Enter a value"
    if kind in {"enum", "literal_error"}:
        options = _QUOTED.findall(str(ctx.get("expected", "")))
        if options and len(options) <= _OPTIONS_LISTED:
            return f"Choose one of: {', '.join(options)}"
        return "Choose a value from the list"
    if kind == "extra_forbidden":
        return "Unknown field"
    if kind in {"greater_than_equal", "less_than_equal", "greater_than", "less_than"}:
        low, high = ctx.get("ge", ctx.get("gt")), ctx.get("le", ctx.get("lt"))
        if low is not None and high is None:
            return f"Must be {low} or more"
        if high is not None and low is None:
            return f"Must be {high} or less"
    if kind in {"int_type", "int_parsing", "int_from_float"}:
        return "Must be a whole number"
    return str(error.get("msg", "Invalid value")).removeprefix("Value error, ")


def field_messages(errors: Sequence[Mapping[str, Any]], prefix: str = "") -> dict[str, list[str]]:
    """pydantic's (or ninja's) error list as messages by field key, each key under `prefix` if given."""
    fields: dict[str, list[str]] = {}
    for error in errors:
        key = field_name(error.get("loc", ()))
        if prefix:
            key = prefix if key == "__all__" else f"{prefix}.{key}"
        message = _words(error)
        if message not in fields.setdefault(key, []):
            fields[key].append(message)
    return fields


def validate(
    schema: type[SchemaT], data: Mapping[str, Any], *, prefix: str = ""
) -> tuple[SchemaT | None, dict[str, list[str]]]:
    """`data` checked by `schema`: (the model, {}) or (None, the problems by field). Never raises for bad data."""
    try:
        return schema.model_validate(data), {}
    except pydantic.ValidationError as error:
        return None, field_messages(error.errors(include_url=False), prefix)


def labelled(label: str, message: str) -> str:
    """A schema's message as a page shows it beside a field: "Must be 200 characters or fewer" becomes
    "Name must be 200 characters or fewer"; a message that is already a sentence of its own is kept."""
    if label and message.startswith("Must "):
        return f"{label} m{message[1:]}"
    return message


def max_length(schema: type[pydantic.BaseModel], name: str) -> int | None:
    """The longest text `schema` takes in field `name` (for a page's `maxlength`), or None if it sets no limit."""
    for rule in schema.model_fields[name].metadata:
        if (limit := getattr(rule, "max_length", None)) is not None:
            return limit
    return None


def add_form_problems(
    form,
    problems: Mapping[str, list[str]],
    *,
    names: Mapping[str, str] | None = None,
    labels: Mapping[str, str] | None = None,
) -> None:
    """Put a schema's problems on a Django form: each under the form field `names` gives for its key (by default
    the field of the same name), labelled with the field's label (or `labels`' word for it); a problem with a
    field the form could not read is left to the form's own message; one with no field of its own goes on top."""
    names, labels = names or {}, labels or {}
    for key, messages in problems.items():
        name = names.get(key, key)
        if name in form.errors:
            continue
        field = form.fields.get(name)
        if field is None:
            form.add_error(None, list(messages))
            continue
        label = labels.get(name) or str(field.label or "")
        form.add_error(name, [labelled(label, message) for message in messages])


class SchemaFormMixin:
    """A Django form whose rules are a schema's: once the form has read its fields, `schema` checks them.

    The form reads what was typed (a number, a date from three boxes); the schema holds every rule (lengths,
    bounds, choices, dates in the past). `schema_fields` maps a form field to the schema's (by default the same
    name); `schema_labels` gives a field's name in messages where its label is a question. A blank optional
    field is not sent, so the schema's default holds; a required one is sent blank, for the schema's own words.
    With `blank_is_nothing`, a form with nothing filled in describes no part and is not checked (`model` None).
    After `is_valid()`, `model` is the checked model, or None.
    """

    schema: ClassVar[type[pydantic.BaseModel]]
    schema_fields: ClassVar[Mapping[str, str]] = {}
    schema_labels: ClassVar[Mapping[str, str]] = {}
    blank_is_nothing: ClassVar[bool] = False
    model = None

    def schema_data(self) -> dict[str, Any]:
        """The form's read values under the schema's names."""
        fields = self.schema.model_fields
        data = {}
        for name, value in self.cleaned_data.items():
            key = self.schema_fields.get(name, name)
            if key not in fields or value is None or name in self.errors:
                continue
            if value != "" or fields[key].is_required():
                data[key] = value
        return data

    def problem_fields(self) -> dict[str, str]:
        """The form field that shows each of the schema's problem keys (where the two names differ)."""
        return {schema_name: name for name, schema_name in self.schema_fields.items()}

    def clean(self):
        """The form's own reading, then the schema's rules."""
        cleaned = super().clean()
        data = self.schema_data()
        if self.blank_is_nothing and not any(value not in (None, "") for value in data.values()):
            self.model = None
            return cleaned
        self.model, problems = validate(self.schema, data)
        add_form_problems(self, problems, names=self.problem_fields(), labels=self.schema_labels)
        return cleaned


# Rules between fields. JSON Schema can state "this field when that one has this value" (`if`/`then`) and "at
# least one of these" (`anyOf`), so such rules are written once, as data, and both stated in the schema's JSON
# Schema (so the OpenAPI document and the clients generated from it know them) and checked by the same schema's
# validator, with the message keyed by the field that is missing (decision 0022).
GIVEN_ID = {"type": "integer"}
GIVEN_TEXT = {"type": "string", "pattern": "\\S"}
GIVEN_LIST = {"type": "array", "minItems": 1}
GIVEN_CHOICE = {"type": "string"}


def is_given(value) -> bool:
    """Whether a field holds something: not null, not blank text, not an empty list."""
    if isinstance(value, str):
        return bool(value.strip())
    if isinstance(value, (list, tuple, set, dict)):
        return bool(value)
    return value is not None


@dataclass(frozen=True)
class RequiredWhen:
    """`field` must be given when `when` is one of `values` (JSON Schema `if`/`then`)."""

    field: str
    when: str
    values: tuple[str, ...]
    message: str
    given: Mapping[str, Any] = dataclass_field(default_factory=lambda: GIVEN_ID)

    def json_schema(self) -> dict:
        """The rule as JSON Schema."""
        return {
            "if": {
                "properties": {self.when: {"enum": [str(v) for v in self.values]}},
                "required": [self.when],
            },
            "then": {"properties": {self.field: dict(self.given)}, "required": [self.field]},
        }

    def broken_by(self, model) -> str | None:
        """The field to name if `model` breaks the rule, else None."""
        deciding = getattr(model, self.when)
        deciding = getattr(deciding, "value", deciding)
        applies = deciding in self.values
        return self.field if applies and not is_given(getattr(model, self.field)) else None


@dataclass(frozen=True)
class AtLeastOne:
    """At least one of `fields` must be given (JSON Schema `anyOf`); the message is keyed by the first."""

    fields: tuple[str, ...]
    message: str
    given: Mapping[str, Any] = dataclass_field(default_factory=lambda: GIVEN_LIST)

    def json_schema(self) -> dict:
        """The rule as JSON Schema."""
        return {
            "anyOf": [{"properties": {name: dict(self.given)}, "required": [name]} for name in self.fields]
        }

    def broken_by(self, model) -> str | None:
        """The field to name if `model` breaks the rule, else None."""
        if any(is_given(getattr(model, name)) for name in self.fields):
            return None
        return self.fields[0]


def _state_rules(schema: dict, model: type) -> None:
    rules = getattr(model, "field_rules", ())
    if rules:
        schema.setdefault("allOf", []).extend(rule.json_schema() for rule in rules)


class FieldRules(pydantic.BaseModel):
    """A schema with rules between its fields (`field_rules`): stated in its JSON Schema as `allOf` of `if`/`then`
    and `anyOf`, and checked after its fields, each broken rule as an error on the field it names."""

    model_config = pydantic.ConfigDict(json_schema_extra=_state_rules)
    field_rules: ClassVar[tuple[RequiredWhen | AtLeastOne, ...]] = ()

    @pydantic.model_validator(mode="after")
    def _check_field_rules(self):
        problems = []
        for rule in self.field_rules:
            name = rule.broken_by(self)
            if name is not None:
                problems.append(
                    InitErrorDetails(
                        type=PydanticCustomError("value_error", rule.message, {"error": rule.message}),
                        loc=(name,),
                        input=getattr(self, name),
                    )
                )
        if problems:
            raise pydantic.ValidationError.from_exception_data(type(self).__name__, problems)
        return self
