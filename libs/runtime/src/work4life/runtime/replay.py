"""Replaying topics from the beginning into a service's database: the way a read model is rebuilt.

Every record of the topics, up to the end offsets seen when the replay starts, goes through the
same `EventConsumer` as live consumption (decode, handlers, inbox; one transaction per poll of up
to `batch_size` records), so the result is what the live consumer would have built. Records that
cannot be processed are counted and reported, not dead-lettered again (the live consumer already
did that).
"""

import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine

from work4life.contracts.envelope import EventData

from .consumer import EventConsumer, Handler
from .metrics import ServiceMetrics


@dataclass
class ReplayResult:
    records: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


def print_progress(done: int, total: int) -> None:
    share = 100 * done / total if total else 100.0
    print(f"\rreplayed {done:,} of {total:,} records ({share:.0f}%)", end="", file=sys.stderr, flush=True)


async def replay(
    *,
    kafka: Mapping[str, Any],
    topics: Sequence[str],
    engine: Engine,
    handlers: Mapping[type[EventData], Handler],
    group_id: str,
    service: str,
    progress: Callable[[int, int], None] | None = print_progress,
    every_s: float = 1.0,
    batch_size: int = 500,
    member: int = 0,
    members: int = 1,
) -> ReplayResult:
    """`kafka`: the client's connection options (`broker.kafka_options`: bootstrap servers, TLS,
    SASL). Reads with aiokafka, whose fetcher keeps fetching while a batch is being applied.
    `member` of `members`: replay only every `members`-th of the topics' partitions from the
    `member`-th, as one member of a consumer group would (the others are replayed by the others)."""
    from aiokafka import AIOKafkaConsumer, TopicPartition
    from aiokafka.admin import AIOKafkaAdminClient

    result = ReplayResult()

    async def not_again(*_: Any) -> None:  # the live consumer dead-lettered it already
        return None

    consumer_logic = EventConsumer(
        group_id=group_id,
        engine=engine,
        handlers=handlers,
        dead_letter_topic="(replay)",
        publish_dead_letter=not_again,
        metrics=ServiceMetrics(f"{service}_replay"),
        retry_backoff_s=0.0,
    )
    admin = AIOKafkaAdminClient(**kafka)
    await admin.start()
    try:
        described = await admin.describe_topics(list(topics))
    finally:
        await admin.close()
    partitions = [
        TopicPartition(topic["topic"], p["partition"])
        for topic in described
        if topic["error_code"] == 0
        for p in sorted(topic["partitions"], key=lambda p: p["partition"])
    ][member::members]
    consumer = AIOKafkaConsumer(
        **kafka,
        group_id=None,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        max_partition_fetch_bytes=4 << 20,
    )
    await consumer.start()
    started = time.perf_counter()
    try:
        consumer.assign(partitions)
        first = await consumer.beginning_offsets(partitions)
        end = await consumer.end_offsets(partitions)
        for tp in partitions:
            consumer.seek(tp, first[tp])
        total = sum(end[tp] - first[tp] for tp in partitions)
        remaining = {tp for tp in partitions if end[tp] > first[tp]}
        shown = 0.0
        while remaining:
            batch = []
            for tp, records in (await consumer.getmany(*remaining, timeout_ms=500, max_records=batch_size)).items():
                for record in records:
                    if record.offset >= end[tp]:
                        remaining.discard(tp)
                        break
                    batch.append(record)
                    if record.offset + 1 >= end[tp]:
                        remaining.discard(tp)
            for outcome in await consumer_logic.handle_batch(batch) if batch else ():
                result.outcomes[outcome] = result.outcomes.get(outcome, 0) + 1
                result.records += 1
            for tp in list(remaining):  # a partition may end in records no fetch returns (markers)
                if await consumer.position(tp) >= end[tp]:
                    remaining.discard(tp)
            if progress and time.perf_counter() - shown >= every_s:
                progress(result.records, total)
                shown = time.perf_counter()
        if progress:
            progress(result.records, total)
            print(file=sys.stderr)
    finally:
        await consumer.stop()
    result.seconds = time.perf_counter() - started
    return result
