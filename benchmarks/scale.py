"""Scale: reporting's full disaggregated indicator table over 100 times the real programme, in
PostgreSQL.

The read model of one real-size programme (15,000 people, every path) is built through reporting's
handlers, timed (the reference), then copied inside PostgreSQL: people 100 times (1.5 million,
each copy with ids of its own) and facts 300 times (each person three times the activity: about
20 million events' worth), then timed again.
"""

import asyncio
import importlib.util
import sys
import time
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import httpx
from sqlalchemy import text

from work4life.reporting.bootstrap import build
from work4life.reporting.config import ReportingSettings
from work4life.reporting.service_layer import rollups
from work4life.runtime import db
from work4life.runtime.testing import TEST_JWT_SECRET, bearer

from .harness import REPO, percentile

TABLE = "/v1/indicators?by=sex,region"
QUARTER = TABLE + "&period=quarter:2025-Q3"
"""A period that does not start at the programme's start: the roll-ups do not hold it (ADR 26)."""


@dataclass
class Scaled:
    people: int
    facts: int
    events_worth: int
    p50_ms: float
    p95_ms: float
    quarter_p95_ms: float
    rollups_built_s: float


def _indicator_benchmark() -> ModuleType:
    path = REPO / "services" / "reporting" / "benchmarks" / "indicators.py"
    spec = importlib.util.spec_from_file_location("w4l_indicator_benchmark", path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


async def time_table(database_url: str, calls: int, path: str = TABLE) -> list[float]:
    """Milliseconds of each call of the table, after one call to warm up, through the HTTP app."""
    settings = ReportingSettings(
        auth_jwt_secret=TEST_JWT_SECRET, database_url=database_url, log_json=False, create_topics=False
    )
    app = build(settings)
    headers = bearer("programme_manager", "lead-ngo", "bench")
    transport = httpx.ASGITransport(app=app)
    spent = []
    async with httpx.AsyncClient(
        transport=transport, base_url="http://reporting", headers=headers, timeout=600
    ) as client:
        for i in range(calls + 1):
            started = time.perf_counter()
            response = await client.get(path)
            if response.status_code != 200:
                raise RuntimeError(f"{path}: {response.status_code} {response.text[:300]}")
            if i:
                spent.append((time.perf_counter() - started) * 1000)
    app.state.runtime.engine.dispose()
    return spent


def scale_up(database_url: str, person_copies: int, fact_copies: int) -> tuple[int, int]:
    engine = db.make_engine(database_url)
    statements = [
        "CREATE TEMP TABLE tpl_person AS SELECT * FROM person",
        "CREATE TEMP TABLE tpl_activity AS SELECT * FROM activity",
        "TRUNCATE person, activity, person_month, people_month, retention_person, retention_month, rollup_state",
        "DROP INDEX IF EXISTS ix_activity_kind_day_person, ix_activity_beneficiary",
        f"""INSERT INTO person (beneficiary_id, registered_on, sex, birth_year, nationality, legal_status,
                disability, region, city, partner_organisation, as_of, anonymised)
            SELECT md5(c || ':' || beneficiary_id)::uuid, registered_on, sex, birth_year, nationality,
                legal_status, disability, region, city, partner_organisation, as_of, anonymised
            FROM tpl_person, generate_series(0, {person_copies - 1}) AS c""",
        f"""INSERT INTO activity (fact_id, kind, beneficiary_id, unit_id, occurred_on, organisation, region,
                category, venture_kind, employer_type, occupation_group, months, flag, value, value_eur, as_of)
            SELECT c || ':' || fact_id, kind,
                CASE WHEN beneficiary_id IS NULL THEN NULL
                     ELSE md5((c % {person_copies}) || ':' || beneficiary_id)::uuid END,
                CASE WHEN unit_id IS NULL THEN NULL ELSE md5(c || ':' || unit_id)::uuid END,
                occurred_on, organisation, region, category, venture_kind, employer_type, occupation_group, months,
                flag, value, value_eur, as_of
            FROM tpl_activity, generate_series(0, {fact_copies - 1}) AS c""",
        "CREATE INDEX ix_activity_kind_day_person ON activity (kind, occurred_on, beneficiary_id)",
        "CREATE INDEX ix_activity_beneficiary ON activity (beneficiary_id)",
        "ANALYZE person",
        "ANALYZE activity",
    ]

    def run_timed(connection: Any, statement: str) -> None:
        started = time.perf_counter()
        connection.execute(text(statement))
        print(f"  {' '.join(statement.split())[:60]}... {time.perf_counter() - started:.0f} s", file=sys.stderr)

    with engine.begin() as connection:
        for statement in statements:
            run_timed(connection, statement)
        people = connection.execute(text("SELECT count(*) FROM person")).scalar_one()
        facts = connection.execute(text("SELECT count(*) FROM activity")).scalar_one()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        run_timed(connection, "VACUUM activity")  # what autovacuum does in time: the index-only scans' visibility map
    engine.dispose()
    return people, facts


def build_rollups(database_url: str) -> float:
    """Build the roll-ups from every fact, as the service does when it starts; seconds taken."""
    engine = db.make_engine(database_url)
    started = time.perf_counter()
    with engine.begin() as connection:
        rollups.build(connection)
    spent = time.perf_counter() - started
    print(f"  roll-ups built in {spent:.1f} s", file=sys.stderr)
    engine.dispose()
    return spent


def without_rollups(database_url: str, calls: int) -> list[float]:
    """The table counted from the facts (the roll-ups forgotten), then the roll-ups built again."""
    engine = db.make_engine(database_url)
    rollups.prepare(engine, False)
    engine.dispose()
    spent = asyncio.run(time_table(database_url, calls=calls))
    build_rollups(database_url)
    return spent


def run(
    database_url: str, people: int, person_copies: int, fact_copies: int, calls: int
) -> tuple[Scaled, Scaled, list[float]]:
    """(the real-size programme, the scaled one, the real-size table's calls without roll-ups)."""
    benchmark = _indicator_benchmark()
    programme = benchmark.load_generator().generate(people=people, seed=3)
    events = len(programme.events)
    print(f"  building the 1x read model: {people:,} people, {events:,} events", file=sys.stderr)
    benchmark.feed(database_url, programme.events)
    engine = db.make_engine(database_url)
    with engine.connect() as connection:
        facts = connection.execute(text("SELECT count(*) FROM activity")).scalar_one()
        persons = connection.execute(text("SELECT count(*) FROM person")).scalar_one()
    engine.dispose()
    small_build = build_rollups(database_url)
    small = asyncio.run(time_table(database_url, calls=max(calls, 5)))
    small_quarter = asyncio.run(time_table(database_url, calls=max(calls, 5), path=QUARTER))
    small_plain = without_rollups(database_url, max(calls, 5))
    reference = Scaled(
        persons, facts, events, percentile(small, 50), percentile(small, 95), percentile(small_quarter, 95), small_build
    )
    scaled_people, scaled_facts = scale_up(database_url, person_copies, fact_copies)
    big_build = build_rollups(database_url)
    big = asyncio.run(time_table(database_url, calls=calls))
    big_quarter = asyncio.run(time_table(database_url, calls=calls, path=QUARTER))
    scaled = Scaled(
        scaled_people,
        scaled_facts,
        events * fact_copies,
        percentile(big, 50),
        percentile(big, 95),
        percentile(big_quarter, 95),
        big_build,
    )
    return reference, scaled, small_plain
