"""Reporting against a real Kafka broker, on SQLite and on PostgreSQL."""

import asyncio

import pytest

from work4life.runtime.broker import ensure_topics
from work4life.runtime.testing import produce_raw, read_topic

from ..conftest import registration, reporting_settings, running, wire

pytestmark = pytest.mark.integration


@pytest.fixture
def settings(kafka_bootstrap, database_url, topic_namespace):
    return reporting_settings(
        kafka_bootstrap_servers=kafka_bootstrap,
        database_url=database_url,
        topic_namespace=topic_namespace,
        consumer_retry_backoff_s=0,
        topic_partitions=3,
    )


async def wait_for_total(client, expected: int, timeout: float = 30.0) -> dict:
    body: dict = {}
    for _ in range(int(timeout / 0.1)):
        body = (await client.get("/v1/registrations/summary")).json()
        if body["total"] >= expected:
            return body
        await asyncio.sleep(0.1)
    raise AssertionError(f"total stayed at {body.get('total')} (expected {expected})")


def record(envelope):
    value, key, headers = wire(envelope)
    return key, value, [(k, v.encode()) for k, v in headers.items()]


async def test_the_same_event_delivered_twice_through_kafka_is_counted_once(settings, kafka_bootstrap):
    source = settings.topic("intake.beneficiaries")
    ensure_topics(kafka_bootstrap, [source], partitions=3)
    first, second = registration(sex="female"), registration(sex="male")
    produce_raw(kafka_bootstrap, source, [record(first), record(first), record(second), record(first)])
    async with running(settings) as (client, _app):
        body = await wait_for_total(client, 2)
        await asyncio.sleep(1.0)  # let any further (duplicate) records arrive
        body = (await client.get("/v1/registrations/summary")).json()
        assert body == {"total": 2, "by_sex": {"female": 1, "male": 1}, "by_region": {"oriental": 2}}
        metrics = (await client.get("/metrics")).text
        assert 'outcome="duplicate",service="reporting"} 2.0' in metrics


async def test_a_malformed_message_lands_in_the_dead_letter_topic_and_the_next_is_processed(settings, kafka_bootstrap):
    source = settings.topic("intake.beneficiaries")
    ensure_topics(kafka_bootstrap, [source], partitions=3)
    good = registration()
    # Same key: same partition, so the good record comes after the malformed one.
    produce_raw(kafka_bootstrap, source, [(good.key.encode(), b"\x00\x01 definitely not an event", []), record(good)])
    async with running(settings) as (client, _app):
        await wait_for_total(client, 1)
        # Read in a thread: a minute of blocking reads on the event loop would starve the service's
        # own consumer of heartbeats (CI once saw its session expire that way).
        [dead] = await asyncio.to_thread(read_topic, kafka_bootstrap, settings.dead_letter_topic, expected=1)
        headers = {k: v.decode() for k, v in dead.headers}
        assert dead.value == b"\x00\x01 definitely not an event"
        assert dead.key == good.key.encode()
        assert headers["w4l-dlq-reason"] == "invalid_envelope"
        assert headers["w4l-dlq-source-topic"] == source
        assert headers["w4l-dlq-consumer-group"] == "reporting"
        assert int(headers["w4l-dlq-source-offset"]) >= 0


async def test_a_restarted_consumer_resumes_where_it_committed(settings, kafka_bootstrap):
    source = settings.topic("intake.beneficiaries")
    ensure_topics(kafka_bootstrap, [source], partitions=3)
    produce_raw(kafka_bootstrap, source, [record(registration()) for _ in range(20)])
    async with running(settings) as (client, _app):
        await wait_for_total(client, 20)
    produce_raw(kafka_bootstrap, source, [record(registration()) for _ in range(5)])
    async with running(settings) as (client, _app):
        await wait_for_total(client, 25)
        await asyncio.sleep(1.0)
        assert (await client.get("/v1/registrations/summary")).json()["total"] == 25
        metrics = (await client.get("/metrics")).text
        # The second run read only the five new records: the first run's offsets were committed.
        assert 'outcome="processed",service="reporting"} 5.0' in metrics
        assert 'outcome="duplicate"' not in metrics
