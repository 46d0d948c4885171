"""Rebuild: replaying every topic from the beginning into an empty database gives the same read
model as the live consumer built (on the real broker, SQLite and PostgreSQL)."""

import asyncio
from datetime import UTC, datetime

import pytest
from sqlalchemy import func
from sqlmodel import Session, select

from work4life.reporting.adapters.orm import Target, TargetChange
from work4life.reporting.entrypoints.consumer import CONSUMES
from work4life.reporting.entrypoints.rebuild import rebuild
from work4life.runtime import db
from work4life.runtime.broker import ensure_topics
from work4life.runtime.events import encode, headers_for
from work4life.runtime.inbox import ProcessedEvent
from work4life.runtime.testing import produce_raw

from ..conftest import reporting_settings, running, snapshot
from ..programme import generate

pytestmark = pytest.mark.integration


def processed(url: str) -> int:
    engine = db.make_engine(url)
    with Session(engine) as session:
        count = session.exec(select(func.count()).select_from(ProcessedEvent)).one()
    engine.dispose()
    return count


@pytest.mark.parametrize("processes", [1, 2], ids=["one-process", "two-processes"])
async def test_a_rebuild_from_the_topics_equals_the_live_read_model(
    kafka_bootstrap, database_url, second_database, topic_namespace, processes, capsys
):
    """With two processes (PostgreSQL), each replays half of the partitions into the same database."""
    settings = reporting_settings(
        kafka_bootstrap_servers=kafka_bootstrap,
        database_url=database_url,
        topic_namespace=topic_namespace,
        topic_partitions=3,
        consumer_retry_backoff_s=0,
    )
    if processes > 1 and database_url.startswith("sqlite"):  # one writer at a time: refused, with its reason
        assert await asyncio.to_thread(rebuild, settings, second_database, processes) == 2
        assert "--processes above 1 needs PostgreSQL" in capsys.readouterr().err
        return
    ensure_topics(kafka_bootstrap, [settings.topic(t.name) for t in CONSUMES], partitions=3)
    programme = generate(people=120, seed=5)
    by_topic: dict[str, list] = {}
    for topic, envelope in programme.events:
        record = (envelope.key.encode(), encode(envelope), [(k, v.encode()) for k, v in headers_for(envelope).items()])
        by_topic.setdefault(topic, []).append(record)
    for topic, records in by_topic.items():
        produce_raw(kafka_bootstrap, settings.topic(topic), records)

    async with running(settings) as (client, _):
        entered = {"code": "1.4", "year": 2025, "region": "oriental", "target": 300, "baseline": 20, "note": "logframe"}
        assert (await client.put("/v1/targets", json=entered)).status_code == 201
        for _ in range(600):
            if processed(database_url) >= len(programme.events):
                break
            await asyncio.sleep(0.1)
    assert processed(database_url) == len(programme.events)

    assert await asyncio.to_thread(rebuild, settings, second_database, processes) == 0
    live, rebuilt = snapshot(database_url), snapshot(second_database)
    assert sum(live["activity"].values()) > 500 and sum(live["statistics_consent"].values()) > 30
    for table in live:
        only_live, only_rebuilt = live[table] - rebuilt[table], rebuilt[table] - live[table]
        assert not only_live and not only_rebuilt, (table, list(only_live)[:3], list(only_rebuilt)[:3])
    assert await asyncio.to_thread(rebuild, settings, second_database) == 2, "a rebuild refuses a used database"
    for table in (Target, TargetChange):  # what staff entered is carried over; no event could bring it back
        assert rows_of(database_url, table) == rows_of(second_database, table) != []
    engine = db.make_engine(second_database)
    with Session(engine) as session:  # and the rebuilt database takes new ones after them
        session.add(Target(code="1.4", year=2026, target_hundredths=1, changed_at=datetime.now(UTC), changed_by="x"))
        session.commit()
    engine.dispose()


def rows_of(url: str, table: type) -> list[dict]:
    engine = db.make_engine(url)
    with Session(engine) as session:
        rows = [row.model_dump() for row in session.exec(select(table))]
    engine.dispose()
    return rows
