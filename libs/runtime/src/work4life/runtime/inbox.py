"""The idempotent inbox: which events a consumer group has already applied.

A row is written in the same transaction as the handler's effects, so an event is applied
exactly once even when Kafka delivers it again (a duplicate publish, or a redelivery after a
crash between the database commit and the offset commit).
"""

from collections.abc import Iterable
from datetime import UTC, datetime
from uuid import UUID

from sqlalchemy import insert
from sqlmodel import Field, Session, SQLModel, col, select


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


def processed_among(session: Session, consumer_group: str, event_ids: Iterable[UUID]) -> set[UUID]:
    """Which of these events the group has already applied (one query for a whole batch)."""
    ids = list(event_ids)
    if not ids:
        return set()
    query = select(ProcessedEvent.event_id).where(
        ProcessedEvent.consumer_group == consumer_group, col(ProcessedEvent.event_id).in_(ids)
    )
    return set(session.exec(query).all())


def record_many(session: Session, consumer_group: str, rows: list[tuple[UUID, str, str, int, int]]) -> None:
    """Record a batch's events, (event_id, event_type, topic, partition, offset) each, in one statement."""
    if not rows:
        return
    now = datetime.now(UTC)
    session.execute(
        insert(ProcessedEvent),
        [
            {
                "consumer_group": consumer_group,
                "event_id": event_id,
                "event_type": event_type,
                "topic": topic,
                "partition": partition,
                "offset": offset,
                "processed_at": now,
            }
            for event_id, event_type, topic, partition, offset in rows
        ],
    )
