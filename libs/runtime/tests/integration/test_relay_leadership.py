"""Several replicas share one PostgreSQL database: one relay publishes, a standby takes over."""

import asyncio

import pytest

from work4life.runtime import db
from work4life.runtime.metrics import ServiceMetrics
from work4life.runtime.outbox import OutboxRelay
from work4life.runtime.testing import fresh_postgres_database

from ..conftest import stage_outbox

pytestmark = pytest.mark.integration


async def until(predicate, timeout: float = 15.0) -> None:
    for _ in range(int(timeout / 0.05)):
        if predicate():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("timed out")


async def test_only_one_relay_publishes_and_a_standby_takes_over_when_it_stops(postgres_server_url):
    url = fresh_postgres_database(postgres_server_url)
    engines = [db.make_engine(url), db.make_engine(url)]  # two replicas: separate pools, separate sessions
    db.create_schema(engines[0])
    sent: dict[str, list[str]] = {"a": [], "b": []}

    def publisher(name):
        async def publish(row):
            sent[name].append(row.key)

        return publish

    a = OutboxRelay(engines[0], publisher("a"), ServiceMetrics("intake"), poll_interval_s=0.02)
    b = OutboxRelay(engines[1], publisher("b"), ServiceMetrics("intake"), poll_interval_s=0.02)
    first = stage_outbox(engines[0], 5)
    task_a = asyncio.create_task(a.run())
    await until(lambda: a.is_leader)
    task_b = asyncio.create_task(b.run())
    await until(lambda: len(sent["a"]) == 5)
    await asyncio.sleep(0.5)
    assert sent == {"a": first, "b": []} and not b.is_leader

    a.stop()
    await task_a
    later = stage_outbox(engines[0], 3)
    await until(lambda: len(sent["b"]) == 3)
    assert sent["b"] == later and b.is_leader
    b.stop()
    await task_b
    for engine in engines:
        engine.dispose()
