"""`python -m work4life.reporting` (or `w4l-reporting`): run the reporting service.

`python -m work4life.reporting rebuild --database-url URL` replays every topic reporting consumes
from the beginning into an empty database, with a progress display; point the service at it once
it is done (the live read model is left untouched).
"""

import argparse
import asyncio
import sys

from sqlalchemy import func
from sqlmodel import Session, select

from work4life.runtime import db, migrations
from work4life.runtime.broker import kafka_options
from work4life.runtime.inbox import ProcessedEvent
from work4life.runtime.replay import replay
from work4life.runtime.serve import serve

from .bootstrap import build
from .config import ReportingSettings
from .entrypoints.consumer import CONSUMES, EVENT_HANDLERS


def rebuild(settings: ReportingSettings, database_url: str) -> int:
    engine = db.make_engine(database_url, settings.database_pool_size)
    migrations.upgrade(engine, "work4life.reporting")
    with Session(engine) as session:
        already = session.exec(select(func.count()).select_from(ProcessedEvent)).one()
    if already:
        print(
            f"error: {database_url} already holds {already:,} processed events: rebuild into an empty database",
            file=sys.stderr,
        )
        return 2
    topics = [settings.topic(t.name) for t in CONSUMES]
    print(f"rebuilding the read model from {', '.join(topics)} at {settings.kafka_bootstrap_servers}", file=sys.stderr)
    result = asyncio.run(
        replay(
            kafka=kafka_options(settings),
            topics=topics,
            engine=engine,
            handlers=EVENT_HANDLERS,
            group_id=settings.service_name,
            service=settings.service_name,
        )
    )
    outcomes = ", ".join(f"{n:,} {what}" for what, n in sorted(result.outcomes.items()))
    rate = result.records / result.seconds if result.seconds else 0.0
    print(
        f"done: {result.records:,} records in {result.seconds:.2f} s, {rate:,.0f} per second ({outcomes})",
        file=sys.stderr,
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m work4life.reporting", description=__doc__)
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("serve", help="run the service (the default)")
    again = sub.add_parser("rebuild", help="replay every consumed topic into an empty database")
    again.add_argument("--database-url", required=True, help="the empty database to build, e.g. sqlite:///rebuilt.db")
    args = parser.parse_args(argv)
    settings = ReportingSettings()
    if args.command == "rebuild":
        return rebuild(settings, args.database_url)
    serve(settings, build)
    return 0


if __name__ == "__main__":
    sys.exit(main())
