"""Schema-driven fuzzing of reporting's HTTP API over a read model fed with a generated programme:
whatever the period, breakdown, filter or indicator code asked for, never a 5xx (sent as an
admin, who may reach every route)."""

import asyncio

from faststream.kafka import KafkaBroker, TestKafkaBroker
from sqlalchemy import create_engine, text

from work4life.reporting.bootstrap import build
from work4life.runtime.events import encode, headers_for
from work4life.runtime.testing import NO_BROKER, bearer, fuzz_api, kafka_connected

from ..conftest import reporting_settings, running
from ..programme import generate

ADMIN = bearer("admin", "lead-ngo", "fuzzer")
CODES = ["1.1", "1.2", "1.3", "1.4", "3.2", "3.3", "3.11", "placements", "financial_volume", "retention", "survival"]


async def feed(url: str) -> None:
    """The read model of a generated programme, through the service's own consumer."""
    settings = reporting_settings(database_url=url, create_topics=False)
    broker = KafkaBroker()
    async with TestKafkaBroker(broker), running(settings, broker) as (_, app):
        await kafka_connected(app)
        for topic, envelope in generate(people=120, seed=5).events:
            await broker.publish(
                encode(envelope), topic=topic, key=envelope.key.encode(), headers=headers_for(envelope)
            )


def test_no_request_makes_reporting_fail_with_a_server_error(tmp_path):
    url = f"sqlite:///{tmp_path}/reporting.db"
    asyncio.run(feed(url))
    with create_engine(url).connect() as connection:
        assert connection.execute(text("SELECT COUNT(*) FROM activity")).scalar() > 100
    app = build(reporting_settings(database_url=url, **NO_BROKER))
    tried = fuzz_api(
        app, ADMIN, min_operations=18, path_values={"code": CODES, "target_id": [1, 2, 999], "approval_id": [1, 999]}
    )
    print(f"\nfuzzed {len(tried)} operations")
