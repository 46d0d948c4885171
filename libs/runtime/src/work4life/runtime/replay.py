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
    bootstrap: str,
    topics: Sequence[str],
    engine: Engine,
    handlers: Mapping[type[EventData], Handler],
    group_id: str,
    service: str,
    progress: Callable[[int, int], None] | None = print_progress,
    every_s: float = 1.0,
    batch_size: int = 500,
) -> ReplayResult:
    from kafka import KafkaConsumer, TopicPartition

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
    kafka = KafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False)
    started = time.perf_counter()
    try:
        partitions = [
            TopicPartition(topic, p) for topic in topics for p in sorted(kafka.partitions_for_topic(topic) or ())
        ]
        kafka.assign(partitions)
        kafka.seek_to_beginning(*partitions)
        first = kafka.beginning_offsets(partitions)
        end = kafka.end_offsets(partitions)
        total = sum(end[tp] - first[tp] for tp in partitions)
        remaining = {tp for tp in partitions if end[tp] > first[tp]}
        shown = 0.0
        while remaining:
            batch = []
            for tp, records in kafka.poll(timeout_ms=500, max_records=batch_size).items():
                for record in records:
                    if record.offset >= end[tp]:
                        remaining.discard(tp)
                        continue
                    batch.append(record)
                    if record.offset + 1 >= end[tp]:
                        remaining.discard(tp)
            for outcome in await consumer_logic.handle_batch(batch) if batch else ():
                result.outcomes[outcome] = result.outcomes.get(outcome, 0) + 1
                result.records += 1
            for tp in list(remaining):  # a partition may end in records no poll returns (markers)
                if kafka.position(tp) >= end[tp]:
                    remaining.discard(tp)
            if progress and time.perf_counter() - shown >= every_s:
                progress(result.records, total)
                shown = time.perf_counter()
        if progress:
            progress(result.records, total)
            print(file=sys.stderr)
    finally:
        kafka.close()
    result.seconds = time.perf_counter() - started
    return result
