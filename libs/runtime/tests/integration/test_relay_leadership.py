"""Several replicas share one PostgreSQL database: one relay publishes, a standby takes over."""

import asyncio
from datetime import date
from uuid import uuid4

import pytest
from sqlmodel import Session

from work4life.contracts.envelope import Producer
from work4life.contracts.intake import BeneficiaryRegistered
from work4life.runtime import db
from work4life.runtime.events import new_envelope
from work4life.runtime.metrics import ServiceMetrics
from work4life.runtime.outbox import OutboxRelay, add_to_outbox
from work4life.runtime.testing import fresh_postgres_database

pytestmark = pytest.mark.integration


def stage(engine, count: int) -> list[str]:
    keys = []
    with Session(engine) as session:
        for _ in range(count):
            data = BeneficiaryRegistered(
                beneficiary_id=uuid4(),
                registered_on=date(2026, 3, 1),
                sex="female",
                birth_year=1990,
                nationality="SEN",
                legal_status="refugee",
                disability=False,
                region="oriental",
                city="Oujda",
                partner_organisation="org",
            )
            producer = Producer(service="intake", organisation="org")
            add_to_outbox(
                session, "intake.beneficiaries", new_envelope(data, key=str(data.beneficiary_id), producer=producer)
            )
            keys.append(str(data.beneficiary_id))
        session.commit()
    return keys


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
    first = stage(engines[0], 5)
    task_a = asyncio.create_task(a.run())
    await until(lambda: a.is_leader)
    task_b = asyncio.create_task(b.run())
    await until(lambda: len(sent["a"]) == 5)
    await asyncio.sleep(0.5)
    assert sent == {"a": first, "b": []} and not b.is_leader

    a.stop()
    await task_a
    later = stage(engines[0], 3)
    await until(lambda: len(sent["b"]) == 3)
    assert sent["b"] == later and b.is_leader
    b.stop()
    await task_b
    for engine in engines:
        engine.dispose()
