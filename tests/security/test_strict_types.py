"""Every field of every request takes the type its contract says, and nothing it could be coerced
from: `true` is not a household of 1, `0` is not 1 January 1970, the number `100.0` or `"1e5"` is
not an amount written `^\\d{1,12}\\.\\d{2}$`. Each service's own OpenAPI document says what each field
is; the test sends each field, alone, a value of a neighbouring type and requires a 422 naming it.
Before, pydantic's lax mode took all of them (`household_size: true` was stored as 1). On SQLite
and PostgreSQL; and a 10 MB body is a 413 on every route that takes one."""

import re
from collections.abc import Iterator
from typing import Any

import pytest

from .test_control_characters import ADMIN, SERVICES, client

ZERO_ID = "00000000-0000-0000-0000-000000000000"

# Values that lax validation would coerce into each documented type.
WRONG: dict[str, list[Any]] = {
    "integer": [True, False, 2.0, "3"],
    "number": [True, "3"],
    "boolean": [1, 0, "yes", "true"],
    "date": [0, 20240101, "0", "2024-01-01T00:00:00", "20240101"],
    "date-time": [0, 1700000000, "0", "1700000000"],
    "money": [100.0, 100, "1e5", "+100.00", "-100.00", "100", "100.5", " 100.00"],
    "string": [5, True],
}


def kind(schema: dict[str, Any]) -> str | None:
    if schema.get("format") in ("date", "date-time"):
        return schema["format"]
    if schema.get("type") == "string" and "pattern" in schema and r"\.[0-9]{2}$" in schema["pattern"]:
        return "money"
    if schema.get("type") == "string" and ("enum" in schema or "format" in schema):
        return None  # an enum or a uuid already refuses what it does not know
    return schema.get("type") if schema.get("type") in WRONG else None


def resolve(schema: dict[str, Any], components: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = components[schema["$ref"].rsplit("/", 1)[1]]
    options = [s for s in schema.get("anyOf", []) if s.get("type") != "null"]
    if len(options) == 1:
        return resolve(options[0], components) | {k: v for k, v in schema.items() if k != "anyOf"}
    return schema


def fields(schema: dict[str, Any], components: dict[str, Any], path: tuple[Any, ...] = ()) -> Iterator[Any]:
    """(path, kind) of every typed field, inside objects and the first item of arrays."""
    schema = resolve(schema, components)
    if schema.get("type") == "object" or "properties" in schema:
        for name, sub in schema.get("properties", {}).items():
            yield from fields(sub, components, (*path, name))
    elif schema.get("type") == "array" and "items" in schema and len(path) < 4:
        yield from fields(schema["items"], components, (*path, 0))
    elif path and (found := kind(schema)):
        yield path, found


def nest(path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    head, *rest = path
    inner = nest(tuple(rest), value)
    return [inner] if isinstance(head, int) else {head: inner}


@pytest.mark.parametrize("service", SERVICES)
def test_every_field_refuses_a_value_of_another_type(service, database_for):
    api = client(service, database_for(service))
    document = api.app.openapi()
    components = document.get("components", {}).get("schemas", {})
    checked, accepted = 0, []
    for path, operations in document["paths"].items():
        url = re.sub(r"\{[^}]+\}", ZERO_ID, path)
        for method, operation in operations.items():
            body = operation.get("requestBody", {}).get("content", {}).get("application/json")
            cases = []
            if body:
                for where, what in fields(body["schema"], components):
                    cases += [("body", where, what, value) for value in WRONG[what]]
            for parameter in operation.get("parameters", []):
                found = kind(resolve(parameter.get("schema", {}), components))
                if parameter["in"] == "query" and found in ("date", "date-time"):
                    cases += [("query", (parameter["name"],), found, v) for v in WRONG[found] if isinstance(v, str)]
            for place, where, what, value in cases:
                if place == "body":
                    answer = api.request(method, url, json=nest(where, value), headers=ADMIN)
                else:
                    answer = api.request(method, url, params={where[0]: value}, headers=ADMIN)
                checked += 1
                name = ".".join(str(p) for p in where)
                named = answer.status_code == 422 and any(
                    e.get("field") == name for e in answer.json().get("errors", [])
                )
                if not named:
                    accepted.append(
                        f"{method.upper()} {path} {place} {name} ({what}) = {value!r}: {answer.status_code}"
                    )
    assert checked >= 10, f"only {checked} cases: the walk found too few typed fields"
    assert accepted == [], f"{len(accepted)} of {checked} wrong values not refused by name:\n" + "\n".join(accepted)


@pytest.mark.parametrize("service", SERVICES)
def test_a_ten_megabyte_body_is_a_413_on_every_route_that_takes_one(service, database_for):
    api = client(service, database_for(service))
    big = b'{"note": "' + b"x" * (10 * 1024 * 1024) + b'"}'
    answers = {}
    for path, operations in api.app.openapi()["paths"].items():
        url = re.sub(r"\{[^}]+\}", ZERO_ID, path)
        for method, operation in operations.items():
            if "application/json" in operation.get("requestBody", {}).get("content", {}):
                answer = api.request(method, url, content=big, headers={**ADMIN, "Content-Type": "application/json"})
                answers[f"{method.upper()} {path}"] = answer.status_code
    assert [route for route, status in answers.items() if status != 413] == [], answers
    assert answers or service == "reporting", "only reporting takes no JSON body"
