"""The transactional outbox and its relay.

A state change and the events it causes are written in one local transaction: the handler adds
`OutboxMessage` rows through `add_to_outbox` in the same session as its own rows. The relay then
publishes the rows in order of `seq` through the durable producer (acks=all, idempotence on) and
marks each one published only after Kafka confirmed it. When Kafka is unreachable, the relay
stops at the first row that failed (so a key's events never overtake each other), backs off
exponentially and tries again from there; nothing is dropped.

Several replicas of a service share one database; only one relay may publish, or rows would go
out twice and out of order. On PostgreSQL the relays elect a leader with a session-level advisory
lock held on a dedicated connection: the others wait, and take over when the leader's connection
dies. (SQLite is one process's database: there is nothing to elect.)

A leader that dies after Kafka confirmed a round and before the database marked it leaves rows that
are on the topic but look pending. So a relay that becomes the leader (on PostgreSQL a standby
taking over; on SQLite the restarted process) first looks for the pending rows' event ids at the
tail of their topics (`FoundOnTopic`) and marks the ones it finds, instead of sending them again:
each event goes out once, in order. Consumers' inboxes would absorb a repeat anyway; this keeps the
log itself free of them.
"""

import asyncio
import logging
import weakref
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, Engine, event, func, text, update
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Field, Session, SQLModel, col, select

from work4life.contracts.envelope import Envelope

from .events import encode, headers_for
from .metrics import ServiceMetrics

log = logging.getLogger(__name__)


class OutboxMessage(SQLModel, table=True):
    __tablename__ = "outbox"

    seq: int | None = Field(default=None, primary_key=True)
    event_id: UUID = Field(unique=True)
    topic: str = Field(max_length=200)
    key: str = Field(max_length=200)
    event_type: str = Field(max_length=200)
    payload: bytes
    headers: str = Field(description="JSON object of Kafka headers")
    created_at: datetime = Field(index=True)
    published_at: datetime | None = Field(default=None, index=True)
    attempts: int = 0
    last_error: str | None = Field(default=None, max_length=1000)


_STAGED = "w4l.outbox_staged"
_WAKERS: "weakref.WeakKeyDictionary[Engine, Callable[[], None]]" = weakref.WeakKeyDictionary()


def wake_on_commit(engine: Engine, wake: Callable[[], None]) -> None:
    """Call `wake` after every commit, on `engine`, of a session that staged an event: the one place
    where publishing follows a commit (no route, use case or consumer has to remember it)."""
    _WAKERS[engine] = wake


@event.listens_for(OrmSession, "after_commit")
def _committed(session: OrmSession) -> None:
    if session.info.pop(_STAGED, False):
        bind = session.get_bind()
        wake = _WAKERS.get(bind) if isinstance(bind, Engine) else None
        if wake is not None:
            wake()


@event.listens_for(OrmSession, "after_rollback")
def _rolled_back(session: OrmSession) -> None:
    session.info.pop(_STAGED, None)  # what was staged is gone: nothing to publish


def add_to_outbox(session: Session, topic: str, envelope: Envelope[Any]) -> OutboxMessage:
    """Stage an event in the caller's transaction; it is published only if that transaction commits,
    and the relay is woken as soon as it does (`wake_on_commit`)."""
    import json

    row = OutboxMessage(
        event_id=envelope.event_id,
        topic=topic,
        key=envelope.key,
        event_type=envelope.event_type,
        payload=encode(envelope),
        headers=json.dumps(headers_for(envelope)),
        created_at=datetime.now(UTC),
    )
    session.add(row)
    session.info[_STAGED] = True
    return row


FoundOnTopic = Callable[[list["OutboxMessage"], int], set[UUID]]
"""(pending rows, how many records to look back per partition) -> the ids among them already on
their topics. Blocking (it reads Kafka); run in a thread."""

Publish = Callable[[OutboxMessage], Awaitable[Awaitable[Any] | None]]
"""Hands one row to the Kafka producer, in call order; returns an awaitable that completes when
the broker acknowledged it (or None when it already has). A round hands over all its rows, then
awaits their acknowledgements: one round trip per batch, not per row."""

PRODUCER_LOST = {
    "OutOfOrderSequenceNumber",
    "UnknownProducerId",
    "InvalidProducerEpoch",
    "ProducerFenced",
    "ProducerClosed",
}
"""Errors after which an idempotent producer never succeeds again (its sequence numbers no longer
match the broker's, e.g. after a broker restart lost a batch): it must be replaced."""


class OutboxRelay:
    def __init__(
        self,
        engine: Engine,
        publish: Publish,
        metrics: ServiceMetrics,
        *,
        batch_size: int = 500,
        poll_interval_s: float = 0.05,
        max_backoff_s: float = 10.0,
        reset_producer: Callable[[], Awaitable[None]] | None = None,
        found_on_topic: FoundOnTopic | None = None,
    ) -> None:
        self.engine = engine
        self.found_on_topic = found_on_topic
        self._reconciled = False
        self.reconciled_rows = 0
        self.publish = publish
        self.reset_producer = reset_producer
        self.metrics = metrics
        self.batch_size = batch_size
        self.poll_interval_s = poll_interval_s
        self.max_backoff_s = max_backoff_s
        self._wake = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping = False
        self.consecutive_failures = 0
        self._leader_connection: Connection | None = None
        wake_on_commit(engine, self.notify)
        self.is_leader = engine.dialect.name != "postgresql"
        self.metrics.outbox_leader.set(1 if self.is_leader else 0)

    def notify(self) -> None:
        """Something was just committed to the outbox: publish without waiting for the next poll.
        Safe to call from any thread (sync HTTP handlers run in a thread pool)."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            self._wake.set()
        else:
            loop.call_soon_threadsafe(self._wake.set)

    def stop(self) -> None:
        self._stopping = True
        self.notify()

    async def run(self) -> None:
        self._loop = asyncio.get_running_loop()
        log.info("outbox relay started")
        try:
            await self._run()
        finally:
            await asyncio.to_thread(self._resign)
        log.info("outbox relay stopped")

    LOCK_KEY = 0x57344C4F  # "W4LO": one outbox per database

    def _try_lead(self) -> bool:
        """Take the advisory lock if no other relay holds it (PostgreSQL only)."""
        if self.is_leader:
            return True
        connection = self.engine.connect()
        try:
            taken = connection.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": self.LOCK_KEY}).scalar()
            connection.commit()
        except Exception:
            connection.close()
            raise
        if taken:
            self._leader_connection = connection
            self.is_leader = True
            self._reconciled = False
            self.metrics.outbox_leader.set(1)
            log.info("outbox relay is the leader for this database")
        else:
            connection.close()
        return bool(taken)

    def _still_leading(self) -> bool:
        if self._leader_connection is None:
            return self.is_leader
        try:
            self._leader_connection.execute(text("SELECT 1")).scalar()
            self._leader_connection.commit()
            return True
        except Exception:
            log.warning("outbox relay lost its leader connection; standing by")
            self._resign()
            return False

    def _resign(self) -> None:
        if self._leader_connection is not None:
            try:
                # Invalidate, not just close: a pooled connection would keep the session, and the lock.
                self._leader_connection.invalidate()
                self._leader_connection.close()
            finally:
                self._leader_connection = None
                self.is_leader = False
                self.metrics.outbox_leader.set(0)

    async def _run(self) -> None:
        while not self._stopping:
            if not await asyncio.to_thread(self._try_lead):
                await self._sleep(1.0)
                continue
            try:
                if not self._reconciled:
                    await self.reconcile()
                published = await self.publish_pending()
            except Exception:  # the database itself failed; keep trying
                log.exception("outbox relay round failed")
                published = 0
                self.consecutive_failures += 1
            if self.consecutive_failures:
                # Not woken by new writes: while Kafka refuses, retrying on every commit hammers it.
                await self._back_off(min(self.max_backoff_s, 0.1 * 2 ** min(self.consecutive_failures, 10)))
            elif published < self.batch_size:
                await self._sleep(self.poll_interval_s)

    async def _back_off(self, seconds: float) -> None:
        deadline = asyncio.get_running_loop().time() + seconds
        while not self._stopping and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(min(0.1, seconds))

    async def _sleep(self, seconds: float) -> None:
        try:
            await asyncio.wait_for(self._wake.wait(), timeout=seconds)
        except TimeoutError:
            pass
        self._wake.clear()

    async def reconcile(self) -> int:
        """Mark the pending rows that a previous leader published without marking them (its last
        round: rounds are marked before the next one starts, so one round's worth of records per
        partition is enough to look back). Returns how many it marked."""
        marked = 0
        if self.found_on_topic is not None:
            rows = await asyncio.to_thread(self._pending_batch)
            if rows:
                found = await asyncio.to_thread(self.found_on_topic, rows, self.batch_size)
                seqs = [row.seq for row in rows if row.seq is not None and row.event_id in found]
                if seqs:
                    await asyncio.to_thread(self._mark_published, seqs)
                    log.warning(
                        "outbox: %s events were on Kafka but not marked published (the previous relay "
                        "stopped between the two): marked now, not sent again",
                        len(seqs),
                    )
                marked = len(seqs)
        self._reconciled = True
        self.reconciled_rows += marked
        return marked

    async def publish_pending(self) -> int:
        """One round: publish up to a batch of pending rows in order. Returns how many were confirmed."""
        if self._leader_connection is not None and not await asyncio.to_thread(self._still_leading):
            return 0
        rows = await asyncio.to_thread(self._pending_batch)
        confirmed: list[int] = []
        error: Exception | None = None
        handed: list[Awaitable[Any] | None] = []
        for row in rows:
            try:
                handed.append(await self.publish(row))
            except Exception as exc:  # Kafka unreachable or refused: retry this row later
                error = exc
                break
        acknowledgements = await asyncio.gather(
            *(ack if ack is not None else _confirmed() for ack in handed), return_exceptions=True
        )
        for row, outcome in zip(rows, acknowledgements, strict=False):
            if isinstance(outcome, BaseException):  # this row and the rest are sent again later
                error = outcome if isinstance(outcome, Exception) else RuntimeError(repr(outcome))
                break
            if row.seq is not None:  # read from the table, so numbered
                confirmed.append(row.seq)
        if confirmed:
            await asyncio.to_thread(self._mark_published, confirmed)
            self.metrics.outbox_published.inc(len(confirmed))
        if error is not None:
            self.consecutive_failures += 1
            self.metrics.outbox_failures.inc()
            failed = rows[len(confirmed)]
            await asyncio.to_thread(self._record_failure, failed.seq, repr(error))
            if self.consecutive_failures in (1, 10) or self.consecutive_failures % 100 == 0:
                log.warning(
                    "outbox: publishing %s failed (%s attempts): %r", failed.event_id, self.consecutive_failures, error
                )
            if type(error).__name__ in PRODUCER_LOST and self.reset_producer is not None:
                log.warning("outbox: the Kafka producer is unusable (%r): replacing it", error)
                await self.reset_producer()
        else:
            self.consecutive_failures = 0
        await asyncio.to_thread(self.refresh_metrics)
        return len(confirmed)

    def _pending_batch(self) -> list[OutboxMessage]:
        with Session(self.engine) as session:
            query = (
                select(OutboxMessage)
                .where(col(OutboxMessage.published_at).is_(None))
                .order_by(col(OutboxMessage.seq))
                .limit(self.batch_size)
            )
            return list(session.exec(query))

    def _mark_published(self, seqs: list[int]) -> None:
        with Session(self.engine) as session:
            session.exec(
                update(OutboxMessage)
                .where(col(OutboxMessage.seq).in_(seqs))
                .values(published_at=datetime.now(UTC), attempts=OutboxMessage.attempts + 1)
            )
            session.commit()

    def _record_failure(self, seq: int | None, error: str) -> None:
        with Session(self.engine) as session:
            row = session.get(OutboxMessage, seq)
            if row is not None:
                row.attempts += 1
                row.last_error = error[:1000]
                session.commit()

    def backlog(self) -> tuple[int, float]:
        """(pending rows, age in seconds of the oldest pending row)."""
        with Session(self.engine) as session:
            count, oldest = session.exec(
                select(func.count(), func.min(OutboxMessage.created_at)).where(
                    col(OutboxMessage.published_at).is_(None)
                )
            ).one()
        age = (datetime.now(UTC) - oldest).total_seconds() if oldest else 0.0
        return int(count), max(age, 0.0)

    def refresh_metrics(self) -> None:
        count, age = self.backlog()
        self.metrics.outbox_pending.set(count)
        self.metrics.outbox_oldest_age.set(age)


async def _confirmed() -> None:
    return None


def tail_event_ids(rows: list[OutboxMessage], lookback: int, **client_options: Any) -> set[UUID]:
    """The event ids among `rows` found in the last `lookback` records of each partition of their
    topics (read with kafka-python; `client_options` as `broker.kafka_options` gives them)."""
    from kafka import KafkaConsumer, TopicPartition

    from work4life.contracts.envelope import HEADER_EVENT_ID

    wanted = {str(row.event_id) for row in rows}
    found: set[UUID] = set()
    consumer = KafkaConsumer(
        client_id="w4l-outbox-reconcile", group_id=None, enable_auto_commit=False, **client_options
    )
    try:
        for topic in sorted({row.topic for row in rows}):
            partitions = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or ())]
            if not partitions:
                continue
            consumer.assign(partitions)
            beginning, end = consumer.beginning_offsets(partitions), consumer.end_offsets(partitions)
            for tp in partitions:
                consumer.seek(tp, max(beginning[tp], end[tp] - lookback))
            remaining = {tp for tp in partitions if consumer.position(tp) < end[tp]}
            for _ in range(60):
                if not remaining:
                    break
                for records in consumer.poll(timeout_ms=500).values():
                    for record in records:
                        value = dict(record.headers or []).get(HEADER_EVENT_ID, b"").decode()
                        if value in wanted:
                            found.add(UUID(value))
                remaining = {tp for tp in remaining if consumer.position(tp) < end[tp]}
            if remaining:
                raise TimeoutError(f"could not read the tail of {topic} to reconcile the outbox")
    finally:
        consumer.close()
    return found
