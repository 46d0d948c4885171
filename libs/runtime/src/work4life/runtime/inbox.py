"""The idempotent inbox: which events a consumer group has already applied.

A row is written in the same transaction as the handler's effects, so an event is applied
exactly once even when Kafka delivers it again (a duplicate publish, or a redelivery after a
crash between the database commit and the offset commit).
"""

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from sqlmodel import Field, Session, SQLModel

from . import db


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


def claim(session: Session, consumer_group: str, rows: list[tuple[UUID, str, str, int, int]]) -> set[UUID]:
    """Record a batch's events, (event_id, event_type, topic, partition, offset) each, and return
    the ids that were not recorded before: the events to apply now (the rest are duplicates).

    One INSERT ... ON CONFLICT DO NOTHING RETURNING, in the transaction that applies the events, so
    a rollback forgets them again and a concurrent consumer of the same event waits for this one's
    commit, then finds it recorded. The primary key decides what is new: a query for the known ids
    (`event_id IN (...)`) was planned, on a fresh PostgreSQL table without statistics, as a scan of
    the group's every row, and a rebuild slowed as the inbox grew."""
    if not rows:
        return set()
    now = datetime.now(UTC)
    parameters = [
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
    ]
    claimed = db.insert_many(session.connection(), db.table(ProcessedEvent), parameters, _new_ones)
    return set(claimed.scalars())


def _new_ones(insert: Any) -> Any:
    return insert.on_conflict_do_nothing(index_elements=["consumer_group", "event_id"]).returning(
        insert.table.c.event_id
    )
