"""Property-based: for every event, documents generated from the committed JSON Schema are read by
the model, and what the model writes back is accepted by the schema and reads back the same. So
the schema that consumers are given and the code that produces and consumes agree on every shape
the schema allows, not only on the golden example.

The generator covers the JSON Schema the contracts use (objects, `$ref`, `anyOf`, enums, string
formats uuid/date/date-time, patterns, lengths, numeric bounds, arrays); a keyword it does not
know fails the test, so a new kind of schema cannot slip through untested. (hypothesis-jsonschema
would do this, but its current release does not run on the current Hypothesis.)
"""

import json
import os
import string
from datetime import UTC
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from work4life.contracts.envelope import Envelope
from work4life.contracts.topics import CATALOGUE

ROOT = Path(__file__).resolve().parents[1]
EVENTS = [event for topic in CATALOGUE for event in topic.events]
EXAMPLES = int(os.environ.get("W4L_PROPERTY_EXAMPLES", "50"))
IGNORED = {"title", "description", "default", "examples", "$defs", "x-event-type", "x-schema-version"}
KNOWN = IGNORED | {"type", "properties", "required", "$ref", "anyOf", "enum", "format", "pattern"}
KNOWN |= {"minLength", "maxLength", "minimum", "maximum", "items"}
TEXT = st.text(alphabet=string.ascii_letters + string.digits + " -_éàç", max_size=30)


def strategy(node: dict[str, Any], defs: dict[str, Any]) -> st.SearchStrategy[Any]:
    unknown = set(node) - KNOWN
    assert not unknown, f"the generator does not know {unknown}: teach it before relying on this test"
    if "$ref" in node:
        return strategy(defs[node["$ref"].rsplit("/", 1)[-1]], defs)
    if "anyOf" in node:
        return st.one_of([strategy(option, defs) for option in node["anyOf"]])
    if "enum" in node:
        return st.sampled_from(node["enum"])
    kind = node.get("type")
    if kind == "null":
        return st.none()
    if kind == "boolean":
        return st.booleans()
    if kind == "integer":
        return st.integers(node.get("minimum", -(10**9)), node.get("maximum", 10**9))
    if kind == "number":
        low, high = node.get("minimum", -1e9), node.get("maximum", 1e9)
        return st.floats(low, high, allow_nan=False, allow_infinity=False)
    if kind == "array":
        return st.lists(strategy(node.get("items", {"type": "string"}), defs), max_size=4)
    if kind == "object":
        properties = node.get("properties", {})
        required = {name: strategy(p, defs) for name, p in properties.items() if name in node.get("required", [])}
        optional = {name: strategy(p, defs) for name, p in properties.items() if name not in required}
        return st.fixed_dictionaries(required, optional=optional)
    assert kind == "string", f"unexpected schema {node}"
    fmt = node.get("format")
    if fmt == "uuid":
        return st.uuids().map(str)
    if fmt == "date":
        return st.dates().map(lambda d: d.isoformat())
    if fmt == "date-time":
        return st.datetimes(timezones=st.just(UTC)).map(lambda d: d.isoformat())
    assert fmt is None, f"unknown string format {fmt}"
    low, high = node.get("minLength", 0), node.get("maxLength", 60)
    if "pattern" in node:
        return st.from_regex(node["pattern"], fullmatch=True).filter(lambda s: low <= len(s) <= high)
    return st.text(alphabet=string.ascii_letters + string.digits + " -_éàç", min_size=low, max_size=min(high, low + 30))


def schema_of(event: type) -> dict[str, Any]:
    return json.loads((ROOT / "schemas" / f"{event.EVENT_TYPE}.v{event.SCHEMA_VERSION}.json").read_text())


@pytest.mark.parametrize("event", EVENTS, ids=[e.EVENT_TYPE for e in EVENTS])
def test_any_document_the_schema_accepts_round_trips_through_the_model(event):
    schema = schema_of(event)
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
    model_type = Envelope[event]

    @given(strategy(schema, schema.get("$defs", {})))
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=os.environ.get("CI") == "true",
        suppress_health_check=list(HealthCheck),
    )
    def round_trip(document: dict[str, Any]) -> None:
        assert not list(validator.iter_errors(document)), "the generator made a document the schema refuses"
        model = model_type.model_validate(document)
        written = json.loads(model.model_dump_json())
        errors = [e.message for e in validator.iter_errors(written)]
        assert not errors, f"the model wrote what the schema refuses: {errors[:3]}"
        assert model_type.model_validate(written) == model

    round_trip()
