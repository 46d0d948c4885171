"""The idempotent inbox: which events a consumer group has already applied.

A row is written in the same transaction as the handler's effects, so an event is applied
exactly once even when Kafka delivers it again (a duplicate publish, or a redelivery after a
crash between the database commit and the offset commit).
"""

from datetime import UTC, datetime
from uuid import UUID

from sqlmodel import Field, Session, SQLModel


class ProcessedEvent(SQLModel, table=True):
    __tablename__ = "inbox"

    consumer_group: str = Field(primary_key=True, max_length=200)
    event_id: UUID = Field(primary_key=True)
    event_type: str = Field(max_length=200)
    topic: str = Field(max_length=200)
    partition: int
    offset: int
    processed_at: datetime


def already_processed(session: Session, consumer_group: str, event_id: UUID) -> bool:
    return session.get(ProcessedEvent, (consumer_group, event_id)) is not None


def record_processed(
    session: Session, consumer_group: str, event_id: UUID, event_type: str, topic: str, partition: int, offset: int
) -> None:
    session.add(
        ProcessedEvent(
            consumer_group=consumer_group,
            event_id=event_id,
            event_type=event_type,
            topic=topic,
            partition=partition,
            offset=offset,
            processed_at=datetime.now(UTC),
        )
    )
