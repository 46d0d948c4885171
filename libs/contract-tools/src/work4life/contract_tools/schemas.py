"""JSON Schemas of the contracts, generated from the pydantic models."""

import json
from pathlib import Path
from typing import Any

from work4life.contracts.envelope import Envelope, EventData
from work4life.contracts.topics import CATALOGUE


def schema_file_name(event: type[EventData]) -> str:
    return f"{event.EVENT_TYPE}.v{event.SCHEMA_VERSION}.json"


def event_models() -> list[type[EventData]]:
    seen: dict[str, type[EventData]] = {}
    for topic in CATALOGUE:
        for event in topic.events:
            seen.setdefault(schema_file_name(event), event)
    return [seen[name] for name in sorted(seen)]


def event_schema(event: type[EventData]) -> dict[str, Any]:
    """The schema of one event as it travels: the envelope with this payload in `data`."""
    schema = Envelope[event].model_json_schema()  # type: ignore[valid-type]  # an event class chosen at run time
    schema["title"] = f"{event.EVENT_TYPE} v{event.SCHEMA_VERSION}"
    schema["x-event-type"] = event.EVENT_TYPE
    schema["x-schema-version"] = event.SCHEMA_VERSION
    return schema


def render(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def generated() -> dict[str, str]:
    """File name -> rendered schema, for every event version in the catalogue."""
    return {schema_file_name(event): render(event_schema(event)) for event in event_models()}


def committed(schemas_dir: Path) -> dict[str, str]:
    return {path.name: path.read_text(encoding="utf-8") for path in sorted(schemas_dir.glob("*.json"))}


def write(schemas_dir: Path) -> list[str]:
    schemas_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in generated().items():
        path = schemas_dir / name
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            written.append(name)
    return written
