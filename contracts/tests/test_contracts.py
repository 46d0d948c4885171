"""The contracts hold together: golden payloads read both ways, every event is catalogued with a
schema and an example, one producer per topic, and no personal data leaves intake."""

import json
import re
from pathlib import Path

import pytest

from work4life.contracts.envelope import WIRE_NAME_PATTERN, Envelope
from work4life.contracts.topics import CATALOGUE

ROOT = Path(__file__).resolve().parents[1]
EVENTS = [(topic, event) for topic in CATALOGUE for event in topic.events]

PERSONAL_DATA = re.compile(
    r"(name|phone|e_?mail|address|document|passport|date_of_birth|birth_date|dob|gps|latitude|longitude)", re.I
)


def example_path(event: type) -> Path:
    return ROOT / "examples" / f"{event.EVENT_TYPE}.v{event.SCHEMA_VERSION}.json"


@pytest.mark.parametrize(("topic", "event"), EVENTS, ids=[e.EVENT_TYPE for _, e in EVENTS])
def test_golden_example_reads_into_the_model_and_writes_back_the_same(topic, event):
    raw = json.loads(example_path(event).read_text())
    parsed = Envelope[event].model_validate(raw)
    assert parsed.event_type == event.EVENT_TYPE
    assert parsed.schema_version == event.SCHEMA_VERSION
    assert json.loads(parsed.model_dump_json()) == raw


@pytest.mark.parametrize(("topic", "event"), EVENTS, ids=[e.EVENT_TYPE for _, e in EVENTS])
def test_every_event_has_a_committed_schema(topic, event):
    assert (ROOT / "schemas" / f"{event.EVENT_TYPE}.v{event.SCHEMA_VERSION}.json").is_file()


@pytest.mark.parametrize(("topic", "event"), EVENTS, ids=[e.EVENT_TYPE for _, e in EVENTS])
def test_wire_names_are_explicit_and_belong_to_the_topic_owner(topic, event):
    assert re.match(WIRE_NAME_PATTERN, event.EVENT_TYPE)
    assert event.EVENT_TYPE.split(".")[0] == topic.owner
    assert event.__name__ != event.EVENT_TYPE


def test_each_topic_has_one_name_and_one_producer():
    names = [t.name for t in CATALOGUE]
    assert len(names) == len(set(names))
    for topic in CATALOGUE:
        assert topic.name.startswith(f"{topic.owner}.")


def test_an_event_type_and_version_is_carried_by_exactly_one_topic():
    seen = [(e.EVENT_TYPE, e.SCHEMA_VERSION) for _, e in EVENTS]
    assert len(seen) == len(set(seen))


@pytest.mark.parametrize(("topic", "event"), EVENTS, ids=[e.EVENT_TYPE for _, e in EVENTS])
def test_events_carry_no_personal_data_fields(topic, event):
    leaking = [name for name in event.model_fields if PERSONAL_DATA.search(name)]
    assert leaking == [], f"{event.EVENT_TYPE} carries personal data fields: {leaking}"


def test_consumers_tolerate_fields_added_by_a_newer_producer():
    _, event = EVENTS[0]
    raw = json.loads(example_path(event).read_text())
    raw["data"]["a_field_from_the_future"] = 42
    raw["another_envelope_field"] = "x"
    parsed = Envelope[event].model_validate(raw)
    assert not hasattr(parsed.data, "a_field_from_the_future")


def test_the_readme_lists_every_topic_and_the_catalogue_every_event_with_its_topic():
    readme = (ROOT / "README.md").read_text()
    catalogue = (ROOT.parent / "docs" / "asyncapi" / "README.md").read_text()  # generated, drift-checked
    for topic in CATALOGUE:
        assert f"| `{topic.name}` | {topic.owner} |" in readme, f"{topic.name} is missing from contracts/README.md"
        for event in topic.events:
            row = f"| `{topic.name}` | `{event.EVENT_TYPE}` | {topic.owner} |"
            assert row in catalogue, f"{event.EVENT_TYPE} is missing from docs/asyncapi/README.md"
