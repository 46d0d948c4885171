"""How fast reporting answers for a whole programme.

    uv run python services/reporting/benchmarks/indicators.py [--people 15000] [--database-url URL]

Generates a programme's events (the generator of the reconciliation test: every path, with
erasures and merges), applies them through reporting's handlers into a fresh database (SQLite in
a temporary folder unless --database-url points elsewhere, e.g. an empty PostgreSQL database),
then times the HTTP answers: the indicator table (programme to date, and broken down by sex and
region), one indicator by three dimensions, the funnel and the dashboard page. It prints the
median and the slowest of five calls each. Figures, not assertions: nothing here fails on time.
"""

import argparse
import asyncio
import importlib.util
import statistics
import sys
import tempfile
import time
from pathlib import Path
from types import ModuleType

import httpx
from sqlmodel import Session

from work4life.reporting.bootstrap import build
from work4life.reporting.config import ReportingSettings
from work4life.reporting.entrypoints.consumer import EVENT_HANDLERS
from work4life.runtime import db, migrations
from work4life.runtime.testing import TEST_JWT_SECRET, bearer

HERE = Path(__file__).resolve().parent


def load_generator() -> ModuleType:
    path = HERE.parent / "tests" / "programme.py"
    spec = importlib.util.spec_from_file_location("programme", path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def feed(url: str, events: list) -> float:
    engine = db.make_engine(url)
    migrations.upgrade(engine, "work4life.reporting")
    handlers = {(e.EVENT_TYPE, e.SCHEMA_VERSION): h for e, h in EVENT_HANDLERS.items()}
    started = time.perf_counter()
    with Session(engine) as session:
        for i, (_topic, envelope) in enumerate(events, start=1):
            handlers[(envelope.event_type, envelope.schema_version)](envelope, session)
            if i % 2000 == 0:
                session.commit()
                print(f"\rapplied {i:,} of {len(events):,} events", end="", file=sys.stderr, flush=True)
        session.commit()
    print(file=sys.stderr)
    engine.dispose()
    return time.perf_counter() - started


async def timings(url: str) -> None:
    settings = ReportingSettings(auth_jwt_secret=TEST_JWT_SECRET, database_url=url, log_json=False, create_topics=False)
    app = build(settings)
    headers = bearer("programme_manager", "lead-ngo", "bench")
    calls = {
        "indicator table, programme to date": "/v1/indicators",
        "indicator table by sex and region": "/v1/indicators?by=sex,region",
        "1.4 by sex, age band and region": "/v1/indicators/1.4?by=sex,age_band,region",
        "funnel": "/v1/funnel",
        "dashboard page": "/dashboard",
    }
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://reporting", headers=headers) as client:
        print(f"{'request':40} {'median ms':>10} {'slowest ms':>11}")
        for name, path in calls.items():
            spent = []
            for _ in range(5):
                started = time.perf_counter()
                response = await client.get(path)
                spent.append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200, response.text
            print(f"{name:40} {statistics.median(spent):10.0f} {max(spent):11.0f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=15_000)
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--database-url", help="an empty database (default: SQLite in a temporary folder)")
    args = parser.parse_args()
    programme = load_generator().generate(people=args.people, seed=args.seed)
    print(f"{args.people:,} people, {len(programme.events):,} events")
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite:///{folder}/reporting.db"
        print(f"applied through the handlers in {feed(url, programme.events):.1f} s ({url.split(':')[0]})")
        asyncio.run(timings(url))


if __name__ == "__main__":
    main()
