"""The OpenAPI document states the truth: one schema to a name, every answer's status declared, every id bounded.

django-ninja names each component after its pydantic class and, when two apps define classes of the same name,
keeps whichever it met last (`OpenAPISchema.add_schema_definitions` is a plain `dict.update`), so one endpoint's
answers were checked against another app's shape. The document is built here with that step watched, so a
collision fails by name instead of passing silently. New endpoints are checked without being named here.
"""

import pytest
from ninja.openapi import schema as ninja_schema

import lantern.urls  # noqa: F401  (gathers every room's router onto the API)
from lantern.api import api

BIGINT = 2**63 - 1


@pytest.fixture(scope="module")
def built():
    """The document, and every name defined twice with different contents while it was built."""
    collisions: dict[str, list[dict]] = {}
    original = ninja_schema.OpenAPISchema.add_schema_definitions

    def watched(self, definitions: dict) -> None:
        for name, definition in definitions.items():
            if name in self.schemas and self.schemas[name] != definition:
                collisions.setdefault(name, [self.schemas[name]]).append(definition)
        original(self, definitions)

    ninja_schema.OpenAPISchema.add_schema_definitions = watched
    try:
        document = api.get_openapi_schema(path_prefix="/api/v1/")
    finally:
        ninja_schema.OpenAPISchema.add_schema_definitions = original
    return dict(document), collisions


def _operations(document):
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            yield path, method, operation


def _takes_input(operation) -> bool:
    return bool(operation.get("parameters") or operation.get("requestBody"))


def test_no_two_schemas_share_a_name(built):
    """Each component name belongs to one shape: renaming a class is the fix, never a merged definition."""
    _, collisions = built
    assert not collisions, sorted(collisions)


def test_every_operation_declares_the_error_answers_it_can_give(built):
    """Behind a bearer token an operation can answer 401; one that takes input can answer 422; each error answer
    has the one error shape (`ErrorOut`, or a schema that extends it with more detail)."""
    document, _ = built
    missing = []
    for path, method, operation in _operations(document):
        responses = operation["responses"]
        needed = {401} if operation.get("security") else set()
        if _takes_input(operation):
            needed.add(422)
        for status in sorted(needed - {int(s) for s in responses}):
            missing.append(f"{method.upper()} {path}: {status}")
        for status, answer in responses.items():
            if int(status) >= 400:
                ref = answer.get("content", {}).get("application/json", {}).get("schema", {}).get("$ref", "")
                shape = document["components"]["schemas"].get(ref.rsplit("/", 1)[-1], {})
                if not {"error", "detail", "fields"} <= set(shape.get("properties", {})):
                    missing.append(f"{method.upper()} {path}: {status} is not the error shape")
    assert not missing, "\n".join(missing)


def _integer_schemas(schema: dict, components: dict, seen=()):
    """Every integer schema reachable from `schema` (through arrays, objects, anyOf and references)."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        if name in seen:
            return
        yield from _integer_schemas(components[name], components, (*seen, name))
        return
    if schema.get("type") == "integer":
        yield schema
    for key in ("anyOf", "oneOf", "allOf"):
        for option in schema.get(key, []):
            yield from _integer_schemas(option, components, seen)
    if "items" in schema:
        yield from _integer_schemas(schema["items"], components, seen)
    for value in schema.get("properties", {}).values():
        yield from _integer_schemas(value, components, seen)


def test_every_integer_a_client_sends_is_bounded(built):
    """Path ids, query numbers and ids inside bodies (lists of ids included) fit a 64-bit database integer, so a
    huge one is a 422, never a server error."""
    document, _ = built
    components = document["components"]["schemas"]
    unbounded = []
    for path, method, operation in _operations(document):
        schemas = [p["schema"] for p in operation.get("parameters", [])]
        for content in operation.get("requestBody", {}).get("content", {}).values():
            schemas.append(content["schema"])
        for schema in schemas:
            for integer in _integer_schemas(schema, components):
                highest = integer.get("maximum", integer.get("exclusiveMaximum", BIGINT + 2) - 1)
                lowest = integer.get("minimum", integer.get("exclusiveMinimum", -BIGINT - 3) + 1)
                if highest > BIGINT or lowest < -BIGINT - 1:
                    unbounded.append(f"{method.upper()} {path}: {integer}")
    assert not unbounded, "\n".join(unbounded)


def test_no_status_is_declared_twice_in_the_json():
    """Each operation's statuses are keyed one way, so the JSON has no duplicated key (Swagger UI reads the
    document as YAML and refuses one)."""
    import json

    from django.test import Client

    text = Client().get("/api/v1/openapi.json").content.decode()

    def no_duplicates(pairs):
        keys = [key for key, _ in pairs]
        assert len(keys) == len(set(keys)), sorted(k for k in keys if keys.count(k) > 1)
        return dict(pairs)

    document = json.loads(text, object_pairs_hook=no_duplicates)
    assert document["paths"]
