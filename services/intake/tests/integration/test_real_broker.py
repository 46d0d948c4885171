"""Intake against a real Kafka broker, on SQLite and on PostgreSQL."""

import asyncio
import json
import os
import subprocess
from pathlib import Path

import pytest

from work4life.runtime.processes import free_port_pair
from work4life.runtime.testing import read_topic

from ..conftest import intake_settings, running, valid_registration

pytestmark = pytest.mark.integration

KAFKA_SCRIPT = Path(__file__).resolve().parents[4] / "deploy" / "kafka" / "kafka.sh"


async def test_a_registration_is_published_to_kafka_keyed_by_the_pseudonymous_id(
    kafka_bootstrap, database_url, topic_namespace
):
    settings = intake_settings(
        kafka_bootstrap_servers=kafka_bootstrap,
        database_url=database_url,
        topic_namespace=topic_namespace,
        topic_partitions=3,
    )
    async with running(settings) as (client, _app):
        ids = []
        for _ in range(3):
            response = await client.post("/v1/beneficiaries", json=valid_registration())
            assert response.status_code == 201
            ids.append(response.json()["beneficiary_id"])
        records = await asyncio.to_thread(
            read_topic, kafka_bootstrap, settings.topic("intake.beneficiaries"), expected=9
        )
    records = [r for r in records if dict(r.headers)["w4l-event-type"] == b"intake.beneficiary_registered"]
    assert sorted(r.key.decode() for r in records) == sorted(ids)
    assert all(json.loads(r.value)["data"]["beneficiary_id"] == r.key.decode() for r in records)


@pytest.fixture
def own_kafka(tmp_path):
    """A broker of this test's own, on a free port, not started yet: (port, start, stop)."""
    if not KAFKA_SCRIPT.exists():
        pytest.skip("needs deploy/kafka/kafka.sh (run from the repository)")
    port = free_port_pair()
    env = {**os.environ, "W4L_KAFKA_PORT": str(port), "W4L_STATE_DIR": str(tmp_path), "W4L_KAFKA_HEAP": "256m"}

    def run(command: str) -> None:
        subprocess.run([str(KAFKA_SCRIPT), command], env=env, check=True, timeout=300)

    yield port, (lambda: run("start")), (lambda: run("stop"))
    run("stop")


async def test_the_outbox_holds_an_event_while_kafka_is_down_and_publishes_it_when_kafka_is_back(
    own_kafka, database_url
):
    port, start_kafka, _stop = own_kafka
    bootstrap = f"127.0.0.1:{port}"
    settings = intake_settings(
        kafka_bootstrap_servers=bootstrap,
        database_url=database_url,
        topic_partitions=1,
        outbox_max_backoff_s=1.0,
    )
    async with running(settings) as (client, _app):
        response = await client.post("/v1/beneficiaries", json=valid_registration())
        assert response.status_code == 201, "intake must take writes while Kafka is down"
        beneficiary_id = response.json()["beneficiary_id"]
        await asyncio.sleep(2.0)
        metrics = (await client.get("/metrics")).text
        assert 'w4l_outbox_pending_events{service="intake"} 3.0' in metrics
        assert (await client.get("/ready")).status_code == 503

        await asyncio.to_thread(start_kafka)
        for _ in range(600):
            metrics = (await client.get("/metrics")).text
            if 'w4l_outbox_pending_events{service="intake"} 0.0' in metrics:
                break
            await asyncio.sleep(0.1)
        else:
            raise AssertionError("the outbox was not drained after Kafka came back")
        # Ready once the consumer has joined its group too (slower on a broker that just started).
        for _ in range(600):
            if (await client.get("/ready")).status_code == 200:
                break
            await asyncio.sleep(0.1)
        assert (await client.get("/ready")).status_code == 200
    records = await asyncio.to_thread(read_topic, bootstrap, "intake.beneficiaries", expected=3)
    # The registration and its two consents, in the order they were committed.
    assert [r.key.decode() for r in records] == [beneficiary_id] * 3
    assert [dict(r.headers)["w4l-event-type"] for r in records] == [
        b"intake.beneficiary_registered",
        b"intake.consent_given",
        b"intake.consent_given",
    ]
