"""The envelope every Work4Life event travels in.

On the wire a Kafka record's value is the envelope as JSON (UTF-8), its key the aggregate id
(`Envelope.key`), and its headers repeat the fields a consumer needs before parsing the value
(see the HEADER_* names). `data` holds the event payload, one of the `EventData` models.

Versioning: within one `schema_version` only optional fields are ever added; a breaking change
is a new version published alongside the old one. Consumers are tolerant readers: unknown
fields are ignored (`extra="ignore"`).
"""

from typing import ClassVar, Generic, TypeVar
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

HEADER_EVENT_ID = "w4l-event-id"
HEADER_EVENT_TYPE = "w4l-event-type"
HEADER_SCHEMA_VERSION = "w4l-schema-version"
HEADER_CORRELATION_ID = "w4l-correlation-id"
HEADER_PRODUCER = "w4l-producer"

WIRE_NAME_PATTERN = r"^[a-z]+\.[a-z][a-z0-9_]*$"


class EventData(BaseModel):
    """Base of every event payload. Subclasses set the wire name and the schema version."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    EVENT_TYPE: ClassVar[str]
    """Explicit wire name, `<producing service>.<what happened, past tense>`; never a class name."""
    SCHEMA_VERSION: ClassVar[int]


class Producer(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    service: str = Field(description="The producing service, e.g. `intake`.", min_length=1)
    organisation: str = Field(
        description="Code of the partner organisation that runs the producing service.", min_length=1
    )


DataT = TypeVar("DataT", bound=BaseModel)


class Envelope(BaseModel, Generic[DataT]):
    """One event: identity, provenance and the payload."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    event_id: UUID = Field(description="Unique id of this event; consumers' idempotency key.")
    event_type: str = Field(description="Wire name, e.g. `intake.beneficiary_registered`.", pattern=WIRE_NAME_PATTERN)
    schema_version: int = Field(ge=1, description="Version of the payload schema for this event type.")
    occurred_at: AwareDatetime = Field(
        description="When the producing service recorded the fact, with its time zone. The day the fact happened "
        "(a paper form entered later) is in the data's `*_on` fields, and indicators count that day (ADR 16)."
    )
    producer: Producer
    key: str = Field(min_length=1, description="Aggregate id; also the Kafka record key (partitioning, ordering).")
    correlation_id: UUID = Field(description="Shared by every event caused, directly or not, by one request.")
    causation_id: UUID | None = Field(default=None, description="The event (or request) that caused this one.")
    data: DataT
