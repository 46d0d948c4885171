"""Building envelopes for publication and reading them back off the wire."""

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

from pydantic import BaseModel, ValidationError

from work4life.contracts.envelope import (
    HEADER_CORRELATION_ID,
    HEADER_EVENT_ID,
    HEADER_EVENT_TYPE,
    HEADER_PRODUCER,
    HEADER_SCHEMA_VERSION,
    Envelope,
    EventData,
    Producer,
)
from work4life.contracts.privacy import personal_data_in


class PersonalDataInEvent(ValueError):
    """An event would carry an e-mail address or a phone number in a text (`contracts.privacy`).
    A request that causes it gets a 422 naming the field; nothing is written."""

    def __init__(self, event_type: str, found: list[tuple[str, str]]) -> None:
        self.event_type = event_type
        self.found = found
        super().__init__(f"{event_type} would carry " + "; ".join(f"{what} in {field}" for field, what in found))


def new_envelope(
    data: EventData,
    *,
    key: str,
    producer: Producer,
    correlation_id: UUID | None = None,
    causation_id: UUID | None = None,
    occurred_at: datetime | None = None,
) -> Envelope[Any]:
    if found := personal_data_in(data.model_dump(mode="json")):
        raise PersonalDataInEvent(data.EVENT_TYPE, found)
    envelope: Envelope[Any] = Envelope[type(data)](  # type: ignore[misc, operator]  # a type argument known only at run time
        event_id=uuid4(),
        event_type=data.EVENT_TYPE,
        schema_version=data.SCHEMA_VERSION,
        occurred_at=occurred_at or datetime.now(UTC),
        producer=producer,
        key=key,
        correlation_id=correlation_id or uuid4(),
        causation_id=causation_id,
        data=data,
    )
    return envelope


def headers_for(envelope: Envelope[Any]) -> dict[str, str]:
    return {
        HEADER_EVENT_ID: str(envelope.event_id),
        HEADER_EVENT_TYPE: envelope.event_type,
        HEADER_SCHEMA_VERSION: str(envelope.schema_version),
        HEADER_CORRELATION_ID: str(envelope.correlation_id),
        HEADER_PRODUCER: f"{envelope.producer.service}/{envelope.producer.organisation}",
    }


class _RawEnvelope(Envelope[dict[str, Any]]):  # type: ignore[type-var]  # the payload is read raw first
    """The envelope with its payload not yet interpreted."""


class UndecodableEvent(Exception):
    """The bytes are not a valid event of a known type: the message goes to the dead letters."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


class UnknownEvent(Exception):
    """A well-formed envelope of an event type or version this consumer does not handle."""

    def __init__(self, event_type: str, schema_version: int) -> None:
        super().__init__(f"{event_type} v{schema_version}")
        self.event_type = event_type
        self.schema_version = schema_version


class _Kind(BaseModel):
    """The two fields of an envelope that say which contract its payload follows."""

    event_type: str
    schema_version: int


@dataclass(frozen=True)
class EventTypes:
    """The event models a consumer understands, looked up by (wire name, version)."""

    models: dict[tuple[str, int], type[EventData]]

    @classmethod
    def of(cls, events: Iterable[type[EventData]]) -> "EventTypes":
        return cls({(e.EVENT_TYPE, e.SCHEMA_VERSION): e for e in events})

    @functools.cached_property
    def envelopes(self) -> dict[tuple[str, int], type[Envelope[Any]]]:
        return {kind: Envelope[model] for kind, model in self.models.items()}  # type: ignore[valid-type]  # an event class chosen at run time

    def decode(self, value: bytes | None) -> Envelope[Any]:
        """Two passes over the JSON, both in pydantic's core: which contract, then the whole event
        against it (twice as fast as interpreting the payload as a dictionary first)."""
        if not value:
            raise UndecodableEvent("empty_message", "the record has no value")
        try:
            kind = _Kind.model_validate_json(value)
        except ValidationError as exc:
            raise UndecodableEvent("invalid_envelope", _summarise(exc.errors())) from exc
        envelope = self.envelopes.get((kind.event_type, kind.schema_version))
        if envelope is None:
            try:  # a broken envelope is dead-lettered whatever its type
                _RawEnvelope.model_validate_json(value)
            except ValidationError as exc:
                raise UndecodableEvent("invalid_envelope", _summarise(exc.errors())) from exc
            raise UnknownEvent(kind.event_type, kind.schema_version)
        try:
            return envelope.model_validate_json(value)
        except ValidationError as exc:
            errors = exc.errors()
            outside = [error for error in errors if error["loc"][:1] != ("data",)]
            if outside:
                raise UndecodableEvent("invalid_envelope", _summarise(outside)) from exc
            payload = [{**error, "loc": error["loc"][1:]} for error in errors]  # named as in the contract
            raise UndecodableEvent("invalid_payload", _summarise(payload)) from exc


def _summarise(errors: list[Any]) -> str:
    parts = []
    for error in errors[:5]:
        field = ".".join(str(p) for p in error["loc"]) or "(value)"
        parts.append(f"{field}: {error['msg']}")
    more = len(errors) - 5
    return "; ".join(parts) + (f"; and {more} more" if more > 0 else "")


def encode(envelope: BaseModel) -> bytes:
    return envelope.model_dump_json().encode()
