"""One validation layer: inputs are pydantic models (django-ninja `Schema`s), and every edge checks through them.

The API validates a body against its schema itself (ninja). Pages and importers call `validate` with the same
schema and get either the model or the problems by field, under the same keys the API answers with
("children.0.age", "summary"), in plain words. So a rule is written once, in the schema, and the OpenAPI
document states it.

`clean_text` remains for the short free-text fields of actions that services still check themselves.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any, ClassVar, TypeVar

import pydantic
from pydantic_core import InitErrorDetails, PydanticCustomError

MAX_TEXT = 5000

# Where ninja puts the request's parts in an error's location; they are not part of a field's name.
_SECTIONS = frozenset({"body", "query", "path", "header", "payload", "data", "form", "cookie"})

SchemaT = TypeVar("SchemaT", bound=pydantic.BaseModel)


def clean_text(value, field: str, errors: dict, *, required: str = "", limit: int = MAX_TEXT) -> str:
    """Strip a text field; record `required` (the message) if it is needed and empty, or an error if over `limit`."""
    value = (value or "").strip() if isinstance(value, str) or value is None else str(value).strip()
    if required and not value:
        errors.setdefault(field, []).append(required)
    elif len(value) > limit:
        errors.setdefault(field, []).append(f"This must be {limit:,} characters or fewer.")
    return value


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
