"""Reading some topics' backlog first (`ReadFirst`), with aiokafka's consumer on a real broker."""

import time
from collections import Counter

import pytest
from aiokafka import AIOKafkaConsumer
from kafka import KafkaProducer

from work4life.runtime.broker import ensure_topics
from work4life.runtime.service import ReadFirst

pytestmark = pytest.mark.integration

EACH = 300
"""Records on each topic, half on each of its two partitions."""
POLL = 40


async def read_all(
    bootstrap: str, topics: list[str], group: str, steering: ReadFirst | None
) -> list[tuple[str, int, int]]:
    """Every record of `topics` as (topic, partition, offset), in the order a consumer group reads
    them in polls of `POLL`, steered after each poll if asked."""
    consumer = AIOKafkaConsumer(
        *topics,
        bootstrap_servers=bootstrap,
        group_id=group,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        max_partition_fetch_bytes=4096,  # small fetches: a backlog that takes many of them
    )
    await consumer.start()
    read: list[tuple[str, int, int]] = []
    deadline = time.monotonic() + 120
    try:
        while len(read) < 2 * EACH and time.monotonic() < deadline:
            polled = await consumer.getmany(timeout_ms=1000, max_records=POLL)
            read += [(r.topic, r.partition, r.offset) for records in polled.values() for r in records]
            if steering is not None:
                await steering.steer(consumer)
    finally:
        await consumer.stop()
    return read


def others_before_caught_up(read: list[tuple[str, int, int]], first: str) -> int:
    """How many records of the other topic came before `first` was within a poll of its end on
    each of its two partitions (as many of its records read as that allows at the least)."""
    firsts = [n for n, (topic, _, _) in enumerate(read) if topic == first]
    return sum(1 for topic, _, _ in read[: firsts[EACH - 2 * POLL - 1]] if topic != first)


@pytest.fixture
def backlog(kafka_bootstrap, topic_namespace):
    first, other = f"{topic_namespace}people", f"{topic_namespace}facts"
    ensure_topics(kafka_bootstrap, [first, other], partitions=2)
    producer = KafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
    for i in range(EACH):
        for topic in (first, other):
            producer.send(topic, value=b"x" * 100, partition=i % 2)
    producer.flush(10)
    producer.close()
    return first, other


async def test_a_backlog_of_the_topics_read_first_comes_before_the_others_and_nothing_is_lost(
    kafka_bootstrap, topic_namespace, backlog
):
    first, other = backlog
    steering = ReadFirst({first}, behind_by=POLL)
    read = await read_all(kafka_bootstrap, [first, other], f"{topic_namespace}steered", steering)

    assert sorted(read) == sorted({*read}), "a record was read twice"
    assert Counter(topic for topic, _, _ in read) == {first: EACH, other: EACH}, "a record was lost"
    # Until each partition of `first` is within a poll of its end, the other topic is held: only
    # the polls before the first fetch told the partitions' ends may bring some of it.
    early = others_before_caught_up(read, first)
    assert early <= 2 * POLL, f"{early} records of the other topic came before the first's backlog"
    assert steering.holding is False  # resumed once caught up


async def test_without_steering_a_consumer_reads_the_topics_interleaved(kafka_bootstrap, topic_namespace, backlog):
    """The control: what the test above rules out does happen without `ReadFirst`."""
    first, other = backlog
    read = await read_all(kafka_bootstrap, [first, other], f"{topic_namespace}plain", None)
    assert others_before_caught_up(read, first) > 2 * POLL
