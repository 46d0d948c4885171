"""The ceiling: how fast the local broker takes and gives envelope-sized records with the client
library the services use (aiokafka, under FastStream), producer settings as theirs (acks=all,
idempotent). The records are a generated programme's real events, written to the topics reporting
reads, so the same topics then serve the projection and rebuild benchmarks."""

import asyncio
import time
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from work4life.runtime.broker import ensure_topics
from work4life.runtime.events import encode, headers_for

KafkaRecord = tuple[str, bytes, bytes, list[tuple[str, bytes]]]  # topic, key, value, headers


@dataclass
class Loaded:
    topics: list[str]
    records: int
    mean_bytes: float
    produce_per_s: float


def as_records(namespace: str, events: list[tuple[str, Any]]) -> list[KafkaRecord]:
    return [
        (
            f"{namespace}{topic}",
            envelope.key.encode(),
            encode(envelope),
            [(name, value.encode()) for name, value in headers_for(envelope).items()],
        )
        for topic, envelope in events
    ]


async def produce(bootstrap: str, records: list[KafkaRecord], in_flight: int = 20_000) -> float:
    """Write the records as fast as the producer allows; returns records per second."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True)
    await producer.start()
    try:
        started = time.perf_counter()
        for first in range(0, len(records), in_flight):
            sent = [
                await producer.send(topic, value=value, key=key, headers=headers)
                for topic, key, value, headers in records[first : first + in_flight]
            ]
            await asyncio.gather(*sent)
        return len(records) / (time.perf_counter() - started)
    finally:
        await producer.stop()


def preload(bootstrap: str, namespace: str, events: list[tuple[str, Any]]) -> Loaded:
    records = as_records(namespace, events)
    topics = sorted({topic for topic, *_ in records})
    ensure_topics(bootstrap, topics, 6, 1)
    rate = asyncio.run(produce(bootstrap, records))
    return Loaded(topics, len(records), sum(len(r[2]) for r in records) / len(records), rate)


async def consume(bootstrap: str, topics: list[str], expected: int, group_id: str) -> float:
    """Read every record of the topics from the beginning, as a consumer group does (polls of up to
    500 records); records per second from the first record received to the last."""
    consumer = AIOKafkaConsumer(
        *topics,
        bootstrap_servers=bootstrap,
        group_id=group_id,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    try:
        total, timed, first_at = 0, 0, None
        deadline = time.monotonic() + 600
        while total < expected and time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=500, max_records=500)
            count = sum(len(records) for records in batch.values())
            total += count
            if first_at is None:
                if count:
                    first_at = time.perf_counter()  # the clock starts after the first poll
            else:
                timed += count
        if first_at is None or total < expected:
            raise RuntimeError(f"read {total} of {expected} records")
        return timed / (time.perf_counter() - first_at)
    finally:
        await consumer.stop()


async def round_trip_ms(bootstrap: str, topic: str, rate: float, seconds: float, value: bytes) -> list[float]:
    """The bus's own latency: records of `value`'s size produced at `rate` per second (acks=all,
    idempotent, each awaited as the outbox relay does) and read by a consumer that is already
    polling; milliseconds from the send to the receipt of each."""
    ensure_topics(bootstrap, [topic], 6, 1)
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=None, auto_offset_reset="latest")
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True)
    await consumer.start()
    await producer.start()
    try:
        sent: dict[bytes, float] = {}
        received: list[float] = []
        total = int(rate * seconds)

        async def read() -> None:
            while len(received) < total:
                for records in (await consumer.getmany(timeout_ms=100)).values():
                    now = time.perf_counter()
                    received.extend((now - sent[r.key]) * 1000 for r in records if r.key in sent)

        reader = asyncio.create_task(read())
        await asyncio.sleep(1.0)  # the consumer has its partitions and is polling
        started = time.perf_counter()
        for i in range(total):
            delay = started + i / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            key = f"rt-{i}".encode()
            sent[key] = time.perf_counter()
            await producer.send_and_wait(topic, value=value, key=key)
        await asyncio.wait_for(reader, timeout=60)
        return received
    finally:
        await producer.stop()
        await consumer.stop()


def decode_rate(records: list[KafkaRecord]) -> float:
    """Envelopes decoded and validated per second by reporting's decoder (no Kafka, no database):
    what any consumer that checks each event against its contract pays before doing anything."""
    from work4life.reporting.entrypoints.consumer import EVENT_HANDLERS
    from work4life.runtime.events import EventTypes

    types = EventTypes.of(EVENT_HANDLERS)
    started = time.perf_counter()
    for _topic, _key, value, _headers in records:
        types.decode(value)
    return len(records) / (time.perf_counter() - started)
