"""The rebuild: every topic reporting consumes replayed from the beginning into an empty database
(`python -m work4life.reporting rebuild`), by one process or by several sharing the partitions. In
a module of its own so that the processes a rebuild spawns can import what they run."""

import asyncio
import multiprocessing
import sys
import time
from concurrent.futures import ProcessPoolExecutor

from sqlalchemy import Engine, func, inspect, text
from sqlmodel import Session, select

from work4life.runtime import db, migrations
from work4life.runtime.broker import kafka_options
from work4life.runtime.inbox import ProcessedEvent
from work4life.runtime.replay import ReplayResult, print_progress, replay

from ..adapters.orm import PublishedSnapshot, Target, TargetChange
from ..config import ReportingSettings
from ..service_layer import rollups
from .consumer import CONSUMES, EVENT_HANDLERS

ENTERED = (Target, TargetChange, PublishedSnapshot)
"""Reporting's tables that no event fills: a rebuild copies them from the live database."""


def carry_over(live_url: str, engine: Engine) -> dict[str, int]:
    """Copy what staff entered from the live database into the rebuilt one; a live database that is
    missing or not migrated yet has nothing to give."""
    live = db.make_engine(live_url)
    copied: dict[str, int] = {}
    try:
        with Session(live) as source, Session(engine) as target:
            for table in ENTERED:
                if not inspect(live).has_table(table.__tablename__):
                    continue
                rows = source.exec(select(table)).all()
                for row in rows:
                    target.add(table.model_validate(row.model_dump()))
                copied[str(table.__tablename__)] = len(rows)
            target.commit()
            if engine.dialect.name == "postgresql":  # the copied ids were given: move each sequence past them
                for table in (Target, TargetChange):
                    name = table.__tablename__
                    move = f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), coalesce(max(id), 0) + 1, false)"
                    target.connection().execute(text(f"{move} FROM {name}"))
                target.commit()
    finally:
        live.dispose()
    return copied


def rebuild(settings: ReportingSettings, database_url: str, processes: int = 1) -> int:
    engine = db.make_engine(database_url, settings.database_pool_size)
    if processes > 1 and engine.dialect.name != "postgresql":
        print("error: --processes above 1 needs PostgreSQL (SQLite takes one writer at a time)", file=sys.stderr)
        return 2
    migrations.upgrade(engine, "work4life.reporting")
    with Session(engine) as session:
        already = session.exec(select(func.count()).select_from(ProcessedEvent)).one()
    if already:
        print(
            f"error: {database_url} already holds {already:,} processed events: rebuild into an empty database",
            file=sys.stderr,
        )
        return 2
    if settings.database_url != database_url:
        copied = carry_over(settings.database_url, engine)
        print(f"kept from the live database: {', '.join(f'{n} {t}' for t, n in copied.items())}", file=sys.stderr)
    topics = [settings.topic(t.name) for t in CONSUMES]
    print(f"rebuilding the read model from {', '.join(topics)} at {settings.kafka_bootstrap_servers}", file=sys.stderr)
    if processes > 1:
        spawn = multiprocessing.get_context("spawn")  # a fresh interpreter each: no engine or loop shared
        with ProcessPoolExecutor(processes, mp_context=spawn) as pool:
            parts = list(pool.map(_replay_member, [(settings, database_url, i, processes) for i in range(processes)]))
        result = ReplayResult(seconds=max(end for _, _, end in parts) - min(start for _, start, _ in parts))
        for part, _, _ in parts:
            result.records += part.records
            for outcome, n in part.outcomes.items():
                result.outcomes[outcome] = result.outcomes.get(outcome, 0) + n
    else:
        result = _replay(settings, engine, 0, 1)
    started_rollups = time.perf_counter()
    rollups.prepare(engine, settings.rollups)
    print(f"roll-ups built in {time.perf_counter() - started_rollups:.2f} s", file=sys.stderr)
    outcomes = ", ".join(f"{n:,} {what}" for what, n in sorted(result.outcomes.items()))
    rate = result.records / result.seconds if result.seconds else 0.0
    print(
        f"done: {result.records:,} records in {result.seconds:.2f} s, {rate:,.0f} per second ({outcomes})",
        file=sys.stderr,
    )
    return 0


def _replay(settings: ReportingSettings, engine: Engine, member: int, members: int) -> ReplayResult:
    """Replay this member's share of the topics' partitions (all of them for a single process)."""
    rollups.maintain(False)  # built once from every fact at the end, not batch by batch

    def progress(done: int, total: int) -> None:
        if members == 1:
            print_progress(done, total)
        else:  # one line each, so that the processes' displays do not overwrite each other
            print(f"process {member + 1} of {members}: replayed {done:,} of {total:,} records", file=sys.stderr)

    return asyncio.run(
        replay(
            kafka=kafka_options(settings),
            topics=[settings.topic(t.name) for t in CONSUMES],
            engine=engine,
            handlers=EVENT_HANDLERS,
            group_id=settings.service_name,
            service=settings.service_name,
            progress=progress,
            every_s=1.0 if members == 1 else 10.0,
            member=member,
            members=members,
        )
    )


def _replay_member(job: tuple[ReportingSettings, str, int, int]) -> tuple[ReplayResult, float, float]:
    """One process of a rebuild with several: its share replayed, and the wall-clock times it
    started and ended replaying (its start-up excluded, as a single process's figure excludes it)."""
    settings, database_url, member, members = job
    engine = db.make_engine(database_url, settings.database_pool_size)
    started = time.time()
    try:
        result = _replay(settings, engine, member, members)
    finally:
        engine.dispose()
    return result, started, time.time()
