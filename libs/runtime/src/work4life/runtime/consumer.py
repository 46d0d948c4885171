"""Idempotent consumption with bounded retries and dead letters.

For each Kafka record, `EventConsumer.handle_record`:

1. decodes the envelope; a record that is not a valid event goes to the dead-letter topic;
   a valid event of a type this service does not handle is skipped (tolerant reader);
2. applies the handler and records the event id in the inbox in one database transaction;
   an event id already in the inbox is skipped (duplicate);
3. retries a failing handler a bounded number of times, then dead-letters the record with the
   error;
4. returns normally in all these cases, and only then is the Kafka offset committed.

`EventConsumer.handle_batch` does the same for the records of one poll with a single database
transaction: the batch's events are recorded in the inbox in one statement that also tells which
of them are new (`inbox.claim`), the handlers of those run, one commit. If any handler fails, the transaction is rolled back and the batch is handled
again one record at a time as above, so only the failing event is retried and dead-lettered. Dead
letters of a batch are sent after its commit; when the infrastructure fails part-way,
`InfrastructureFailure.unfinished` names the records to read again (the rest are done).

It raises only when the infrastructure failed (the database is unreachable, or the dead-letter
topic could not be written): the subscriber then seeks back and reads the same record again
after a pause, so nothing is skipped. This avoids the traps of FastStream's default policies:
auto-commit before processing (loses a failing message) and nack on every error (loops forever
on a poison message).
"""

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Protocol
from uuid import UUID

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError, DisconnectionError, OperationalError
from sqlmodel import Session

from work4life.contracts.envelope import HEADER_CORRELATION_ID, Envelope, EventData
from work4life.contracts.topics import (
    CATALOGUE,
    DEAD_LETTER_HEADER_CONSUMER_GROUP,
    DEAD_LETTER_HEADER_ERROR,
    DEAD_LETTER_HEADER_FAILED_AT,
    DEAD_LETTER_HEADER_REASON,
    DEAD_LETTER_HEADER_SOURCE_OFFSET,
    DEAD_LETTER_HEADER_SOURCE_PARTITION,
    DEAD_LETTER_HEADER_SOURCE_TOPIC,
)

from . import inbox, logs
from .events import EventTypes, UndecodableEvent, UnknownEvent
from .metrics import ServiceMetrics

log = logging.getLogger(__name__)

KNOWN_EVENTS = frozenset((e.EVENT_TYPE, e.SCHEMA_VERSION) for topic in CATALOGUE for e in topic.events)
"""Every event type and version of the contracts this service was built with."""

Handler = Callable[[Envelope[Any], Session], None]
"""Applies one event inside the consumer's transaction. Runs in a worker thread; must not commit."""


class Record(Protocol):
    """What the consumer needs of a Kafka record (aiokafka's ConsumerRecord fits)."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: Any


PublishDeadLetter = Callable[[str, bytes | None, bytes | None, dict[str, str]], Awaitable[None]]
"""(dead-letter topic, key, original value, headers) -> returns once Kafka confirmed."""


class InfrastructureFailure(Exception):
    """The database or Kafka failed: the record must be read again, not skipped.

    Raised by `handle_batch`, `unfinished` lists the batch's records that are not done (every one
    when nothing was committed); the caller rewinds each partition to its first unfinished record."""

    unfinished: Sequence["Record"] = ()


def resume_offsets(unfinished: Sequence[Record]) -> dict[tuple[str, int], int]:
    """Per (topic, partition), the offset to read again from: its earliest unfinished record."""
    earliest: dict[tuple[str, int], int] = {}
    for record in unfinished:
        key = (record.topic, record.partition)
        earliest[key] = min(record.offset, earliest.get(key, record.offset))
    return earliest


ROLLED_BACK_ATTEMPTS = 5
"""How often a batch the database rolled back to break a deadlock is applied again."""


def rolled_back(exc: OperationalError) -> bool:
    """The database rolled the transaction back to break a deadlock or a serialisation conflict
    (SQLSTATE 40P01, 40001): applying it again is all it takes."""
    return getattr(exc.orig, "sqlstate", None) in ("40P01", "40001")


class EventConsumer:
    def __init__(
        self,
        *,
        group_id: str,
        engine: Engine,
        handlers: Mapping[type[EventData], Handler],
        dead_letter_topic: str,
        publish_dead_letter: PublishDeadLetter,
        metrics: ServiceMetrics,
        max_attempts: int = 3,
        retry_backoff_s: float = 0.2,
        infrastructure_backoff_s: float = 1.0,
    ) -> None:
        self.group_id = group_id
        self.engine = engine
        self.handlers = {(e.EVENT_TYPE, e.SCHEMA_VERSION): h for e, h in handlers.items()}
        self.types = EventTypes.of(handlers)
        self.dead_letter_topic = dead_letter_topic
        self.publish_dead_letter = publish_dead_letter
        self.metrics = metrics
        self.max_attempts = max_attempts
        self.retry_backoff_s = retry_backoff_s
        self.infrastructure_backoff_s = infrastructure_backoff_s
        self._unknown_seen: set[tuple[str, int]] = set()

    async def handle_record(self, record: Record) -> str:
        """Process one record. Returns the outcome; raises InfrastructureFailure to have it read again."""
        headers = dict(record.headers or ())
        header_cid = headers.get(HEADER_CORRELATION_ID)
        token = logs.correlation_id.set(
            header_cid.decode("utf-8", "replace") if isinstance(header_cid, bytes) else None
        )
        try:
            try:
                envelope = self.types.decode(record.value)
            except UnknownEvent as unknown:
                return self._skip(unknown)
            except UndecodableEvent as bad:
                await self.dead_letter(record, bad.reason, bad.detail)
                self.metrics.handled("(undecodable)", "dead_lettered")
                return "dead_lettered"
            logs.correlation_id.set(str(envelope.correlation_id))
            return await self._apply_with_retries(envelope, record)
        finally:
            logs.correlation_id.reset(token)

    def _skip(self, unknown: UnknownEvent) -> str:
        """A well-formed event this consumer does not apply (tolerant reader): "ignored" when the
        contracts know it (another service's business), "unknown" when they do not (a newer
        producer's type or version: counted by type and version, and logged once per kind)."""
        kind = (unknown.event_type, unknown.schema_version)
        if kind in KNOWN_EVENTS:
            self.metrics.handled(unknown.event_type, "ignored")
            return "ignored"
        self.metrics.handled(unknown.event_type, "unknown")
        self.metrics.events_unknown.labels(self.metrics.service, unknown.event_type, str(unknown.schema_version)).inc()
        if kind not in self._unknown_seen:
            self._unknown_seen.add(kind)
            log.warning(
                "skipping events of type %s version %s, which these contracts do not know (a newer "
                "producer?): upgrade this service's contracts to read them; w4l_events_unknown_total counts them",
                *kind,
            )
        return "unknown"

    async def handle_batch(self, records: Sequence[Record]) -> list[str]:
        """Process a poll's records in one transaction; the outcome of each, in order. Raises
        InfrastructureFailure (with the unfinished records) to have them read again."""
        outcomes: list[str] = ["" for _ in records]
        pending: list[tuple[int, Envelope[Any], Record]] = []
        undecodable: list[tuple[int, UndecodableEvent]] = []
        for index, record in enumerate(records):
            try:
                envelope = self.types.decode(record.value)
            except UnknownEvent as unknown:
                outcomes[index] = self._skip(unknown)
            except UndecodableEvent as bad:
                undecodable.append((index, bad))
            else:
                pending.append((index, envelope, record))
        try:
            if pending:
                await self._apply_pending(pending, outcomes)
            for index, problem in undecodable:
                await self.dead_letter(records[index], problem.reason, problem.detail)
                self.metrics.handled("(undecodable)", "dead_lettered")
                outcomes[index] = "dead_lettered"
        except InfrastructureFailure as failure:
            failure.unfinished = [record for record, outcome in zip(records, outcomes, strict=True) if not outcome]
            raise
        return outcomes

    async def _apply_pending(self, pending: list[tuple[int, Envelope[Any], Record]], outcomes: list[str]) -> None:
        started = time.perf_counter()
        batch = [(envelope, record) for _, envelope, record in pending]
        try:
            applied: list[str] | None = await self._apply_batch_again_if_rolled_back(batch)
        except (OperationalError, DisconnectionError) as exc:
            await self._infrastructure_pause("database unavailable", exc)
        except DBAPIError as exc:
            if exc.connection_invalidated:
                await self._infrastructure_pause("database connection lost", exc)
            applied = None
            log.info("a batch of %s events failed (%r): applying them one at a time", len(batch), exc)
        except Exception as exc:
            applied = None
            log.info("a batch of %s events failed (%r): applying them one at a time", len(batch), exc)
        if applied is None:
            for index, envelope, record in pending:
                token = logs.correlation_id.set(str(envelope.correlation_id))
                try:
                    outcomes[index] = await self._apply_with_retries(envelope, record)
                finally:
                    logs.correlation_id.reset(token)
            return
        share = (time.perf_counter() - started) / len(batch)
        for (index, _, _), outcome in zip(pending, applied, strict=True):
            outcomes[index] = outcome
        # the metrics once per event type and outcome, not once per event
        for event_type, times in Counter(envelope.event_type for _, envelope, _ in pending).items():
            duration = self.metrics.handler_duration.labels(self.metrics.service, event_type)
            for _ in range(times):
                duration.observe(share)
        for (event_type, outcome), times in Counter(
            (envelope.event_type, outcome) for (_, envelope, _), outcome in zip(pending, applied, strict=True)
        ).items():
            self.metrics.handled(event_type, outcome, times)

    async def _apply_batch_again_if_rolled_back(self, batch: list[tuple[Envelope[Any], Record]]) -> list[str]:
        """Apply the batch; again, up to `ROLLED_BACK_ATTEMPTS` times, when the database rolled it
        back to break a deadlock with another consumer (nothing of it was kept)."""
        for attempt in range(1, ROLLED_BACK_ATTEMPTS + 1):
            try:
                return await asyncio.to_thread(self._apply_batch, batch)
            except OperationalError as exc:
                if not rolled_back(exc) or attempt == ROLLED_BACK_ATTEMPTS:
                    raise
                log.info("a batch of %s events was rolled back (%r): applying it again", len(batch), exc)
        raise AssertionError("unreachable")

    def _apply_batch(self, batch: list[tuple[Envelope[Any], Record]]) -> list[str]:
        rows: dict[
            UUID, tuple[UUID, str, str, int, int]
        ] = {}  # the first record of each event (a batch may carry an event twice)
        for envelope, record in batch:
            rows.setdefault(
                envelope.event_id,
                (envelope.event_id, envelope.event_type, record.topic, record.partition, record.offset),
            )
        with Session(self.engine) as session:
            new = inbox.claim(session, self.group_id, list(rows.values()))
            outcomes = []
            for envelope, _ in batch:
                if envelope.event_id not in new:
                    outcomes.append("duplicate")
                    continue
                self.handlers[(envelope.event_type, envelope.schema_version)](envelope, session)
                new.discard(envelope.event_id)
                outcomes.append("processed")
            session.commit()
            return outcomes

    async def _apply_with_retries(self, envelope: Envelope[Any], record: Record) -> str:
        error: Exception | None = None
        for attempt in range(1, self.max_attempts + 1):
            started = time.perf_counter()
            try:
                outcome = await asyncio.to_thread(self._apply, envelope, record)
            except OperationalError as exc:
                if not rolled_back(exc):
                    await self._infrastructure_pause("database unavailable", exc)
                error = exc  # rolled back to break a deadlock: another attempt
            except DisconnectionError as exc:
                await self._infrastructure_pause("database unavailable", exc)
            except DBAPIError as exc:
                if exc.connection_invalidated:
                    await self._infrastructure_pause("database connection lost", exc)
                error = exc
            except Exception as exc:
                error = exc
            else:
                self.metrics.handler_duration.labels(self.metrics.service, envelope.event_type).observe(
                    time.perf_counter() - started
                )
                self.metrics.handled(envelope.event_type, outcome)
                return outcome
            log.warning(
                "handler for %s %s failed (attempt %s of %s): %r",
                envelope.event_type,
                envelope.event_id,
                attempt,
                self.max_attempts,
                error,
            )
            if attempt < self.max_attempts:
                await asyncio.sleep(self.retry_backoff_s * attempt)
        await self.dead_letter(record, "handler_error", repr(error))
        self.metrics.handled(envelope.event_type, "dead_lettered")
        return "dead_lettered"

    def _apply(self, envelope: Envelope[Any], record: Record) -> str:
        with Session(self.engine) as session:
            if inbox.already_processed(session, self.group_id, envelope.event_id):
                return "duplicate"
            self.handlers[(envelope.event_type, envelope.schema_version)](envelope, session)
            inbox.record_processed(
                session,
                self.group_id,
                envelope.event_id,
                envelope.event_type,
                record.topic,
                record.partition,
                record.offset,
            )
            session.commit()
            return "processed"

    async def _infrastructure_pause(self, what: str, exc: Exception) -> None:
        log.error("%s: will read the record again in %.1fs: %r", what, self.infrastructure_backoff_s, exc)
        await asyncio.sleep(self.infrastructure_backoff_s)
        raise InfrastructureFailure(what) from exc

    async def dead_letter(self, record: Record, reason: str, error: str) -> None:
        headers = {
            name: (value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value))
            for name, value in (record.headers or ())
        }
        headers.update(
            {
                DEAD_LETTER_HEADER_REASON: reason,
                DEAD_LETTER_HEADER_ERROR: error[:2000],
                DEAD_LETTER_HEADER_SOURCE_TOPIC: record.topic,
                DEAD_LETTER_HEADER_SOURCE_PARTITION: str(record.partition),
                DEAD_LETTER_HEADER_SOURCE_OFFSET: str(record.offset),
                DEAD_LETTER_HEADER_CONSUMER_GROUP: self.group_id,
                DEAD_LETTER_HEADER_FAILED_AT: datetime.now(UTC).isoformat(),
            }
        )
        try:
            await self.publish_dead_letter(self.dead_letter_topic, record.key, record.value, headers)
        except Exception as exc:
            await self._infrastructure_pause("dead-letter topic not writable", exc)
        self.metrics.dead_letters.labels(self.metrics.service, record.topic, reason).inc()
        log.warning(
            "dead-lettered %s[%s]@%s to %s: %s: %s",
            record.topic,
            record.partition,
            record.offset,
            self.dead_letter_topic,
            reason,
            error,
        )
