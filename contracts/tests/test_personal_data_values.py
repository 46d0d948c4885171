"""No personal data leaves intake, checked on values as well as field names: events generated from
each committed schema, with a phone number or an e-mail address planted in one of their free-text
fields (a city, a campaign, a reason, an organisation), are caught by `personal_data_in`, which the
runtime applies to every event it builds; the golden examples carry none."""

import json
import os
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from work4life.contracts.privacy import personal_data_in

from .test_contracts import EVENTS, example_path
from .test_roundtrip_properties import schema_of, strategy

PLANTED = [
    ("appelez le 06 12 34 56 78", "a phone number"),
    ("tel +33 1 42 68 53 00", "a phone number"),
    ("écrire à aminata.traore@example.org", "an e-mail address"),
]


def free_text_keys(node: dict[str, Any], defs: dict[str, Any], key: str = "") -> set[str]:
    """Names of the string properties that take any text (no enum, format or pattern)."""
    if "$ref" in node:
        return free_text_keys(defs[node["$ref"].rsplit("/", 1)[-1]], defs, key)
    found = set()
    for option in node.get("anyOf", []):
        found |= free_text_keys(option, defs, key)
    if node.get("type") == "string" and key and not {"enum", "format", "pattern"} & set(node):
        found.add(key)
    for name, sub in node.get("properties", {}).items():
        found |= free_text_keys(sub, defs, name)
    if "items" in node:
        found |= free_text_keys(node["items"], defs, key)
    return found


def free_texts(value: Any, keys: set[str], path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if isinstance(value, dict):
        return [
            p
            for k, v in value.items()
            for p in ([(*path, k)] if k in keys and isinstance(v, str) else free_texts(v, keys, (*path, k)))
        ]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in free_texts(v, keys, (*path, i))]
    return []


@pytest.mark.parametrize(("topic", "event"), EVENTS, ids=[e.EVENT_TYPE for _, e in EVENTS])
def test_the_golden_examples_carry_no_contact_details(topic, event):
    assert personal_data_in(json.loads(example_path(event).read_text())["data"]) == []


WITH_FREE_TEXT = [e for _, e in EVENTS if free_text_keys(schema_of(e), schema_of(e).get("$defs", {}))]


@pytest.mark.parametrize("event", WITH_FREE_TEXT, ids=[e.EVENT_TYPE for e in WITH_FREE_TEXT])
def test_a_contact_planted_in_any_free_text_of_a_generated_event_is_caught(event):
    schema = schema_of(event)
    defs = schema.get("$defs", {})
    keys = free_text_keys(schema, defs)

    @given(document=strategy(schema, defs), choice=st.data())
    @settings(
        max_examples=int(os.environ.get("W4L_PROPERTY_EXAMPLES", "50")),
        deadline=None,
        database=None,
        derandomize=os.environ.get("CI") == "true",
        suppress_health_check=list(HealthCheck),
    )
    def planted_is_caught(document: dict[str, Any], choice: st.DataObject) -> None:
        data = document["data"]
        paths = free_texts(data, keys)
        if not paths:  # only optional free text, and this document left it out
            return
        path = choice.draw(st.sampled_from(paths))
        text, what = choice.draw(st.sampled_from(PLANTED))
        holder = data
        for step in path[:-1]:
            holder = holder[step]
        holder[path[-1]] = f"{holder[path[-1]]} {text}"
        assert (".".join(map(str, path)), what) in personal_data_in(data)

    planted_is_caught()


def test_an_id_whose_digits_spell_a_phone_number_is_not_taken_for_one():
    """A random id that ends in 00 and a number that exists abroad once stopped a consent event
    from being built; ids are not text anybody types. A number beside an id is still found."""
    lucky = "aec43ca0-c608-4672-af1e-006493191502"
    assert personal_data_in({"consent_id": lucky}) == []
    assert personal_data_in({"reason": f"{lucky} 0612345678"}) == [("reason", "a phone number")]
