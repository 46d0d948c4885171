"""What keeping the roll-ups costs the projection, and where that cost goes.

    uv run python services/reporting/benchmarks/rollup_cost.py [--people 2000] [--database-url URL]
        [--kafka HOST:PORT] [--commit-every N] [--interleaved]

Generates a programme's events (every path), applies them through reporting's handlers in
process, committing every N events as the consumer does (N: reporting's `CONSUMER_BATCH_SIZE`,
2000 by default). They come in the order generated, or with `--kafka` in the polls a consumer
group reads them in from reporting's topics on that broker, which interleave the topics: a
person's facts may come before their registration, as in a projection of a backlog. They go into
a fresh database each time (SQLite in a temporary folder unless --database-url names a PostgreSQL
server, in which a fresh database is made for each run), with the roll-ups on and off in
alternation, twice each. No consumer, no decoding in the timed runs (Kafka, if asked, only orders
the events first): the handlers and the database only, where the roll-ups' cost lands.
With `--kafka`, the consumer reads intake's people first as the service does (`ReadFirst`, ADR 27)
unless `--interleaved` says to read every topic as Kafka hands it out: what the roll-ups cost when
registrations come after their people's facts.

For the runs with the roll-ups it times their commit hook (`rollups.refresh`); what the runs with
them take beyond the hook and the runs without is spent outside it (noting the facts the hooks
need, committing the pages the roll-ups dirtied). A fifth run, with the roll-ups, times every
statement inside the hook by what it does: rows written to each roll-up table (INSERT, DELETE,
UPDATE), and reads; the rest of the hook is Python (SQLAlchemy's share of each statement among
it). That run is kept out of the rates: timing every statement slows every statement. It prints
the rate with and without, their ratio, the hook's parts, the ratio the projection would keep
if the hook did nothing but write its rows, and if it ran only the statements that write the
roll-up tables' own rows. Those rows any way of keeping these tables must write, so that ratio is
about the best this design of tables allows (a little under it: the statements also find which rows
differ). Figures, not assertions.
"""

import argparse
import asyncio
import collections
import json
import re
import sys
import tempfile
import time
import uuid
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from indicators import load_generator  # this folder's: the script's own directory is on the path
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session

from work4life.reporting.adapters import write_behind
from work4life.reporting.config import ReportingSettings
from work4life.reporting.entrypoints.consumer import EVENT_HANDLERS, READS_FIRST
from work4life.reporting.service_layer import rollups
from work4life.runtime import db, migrations
from work4life.runtime.broker import ensure_topics
from work4life.runtime.events import encode
from work4life.runtime.service import ReadFirst
from work4life.runtime.testing import fresh_postgres_database

COMMIT_EVERY = ReportingSettings.model_fields["consumer_batch_size"].default
"""Records a transaction: the service's own default, unless `--commit-every` says otherwise."""
ROLLUP_TABLES = {
    rollup.name
    for rollup in (*rollups.TABLES, *(t for shape in rollups.SHAPES for t in (shape.recount, shape.changes)))
}
WRITE = re.compile(r"^\s*(?:WITH\b[\s\S]*?\)\s*)?(?:INSERT INTO|DELETE FROM|UPDATE)\s+\"?(\w+)", re.IGNORECASE)
"""A statement that writes, and the table it writes (after the common table expressions it may
start with)."""


class HookTimer:
    """Times the roll-ups' commit hook and, if it `listen`s to an engine, each statement the hook
    runs by the table it writes."""

    def __init__(self) -> None:
        self.inside = False
        self.hook = 0.0
        self.spent: collections.Counter[str] = collections.Counter()
        self.rows: collections.Counter[str] = collections.Counter()
        self._started: list[float] = []

    def refresh(self, session: Session) -> None:
        started = time.perf_counter()
        self.inside = True
        try:
            rollups.refresh(session)
        finally:
            self.inside = False
            self.hook += time.perf_counter() - started

    def listen(self, engine: Engine) -> None:
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)

    def _before(self, *_: Any) -> None:
        self._started.append(time.perf_counter())

    def _after(self, _conn: Any, cursor: Any, statement: str, parameters: Any, _context: Any, many: bool) -> None:
        spent = time.perf_counter() - self._started.pop()
        if not self.inside:
            return
        written = WRITE.match(statement)
        if written is None:
            what = "reads"
        elif written.group(1) in ROLLUP_TABLES:
            what = f"writes to {written.group(1)}"
        else:  # the handlers' own rows (ORM objects), flushed before recounting
            what = "the handlers' other rows, flushed first"
        self.spent[what] += spent
        if written:
            self.rows[what] += max(cursor.rowcount, 0)


def polled(bootstrap: str, events: list, every: int, read_first: bool) -> list[list]:
    """The events in the polls of up to `every` records that a consumer group reads them in,
    once written to fresh topics of their names (six partitions each, keyed as the services key
    them); reading reporting's `READS_FIRST` topics first if asked, as the service does."""
    namespace = f"rollup-cost-{uuid.uuid4().hex[:8]}."
    topics = sorted({namespace + topic for topic, _ in events})
    ensure_topics(bootstrap, topics, 6, 1)
    by_id = {str(envelope.event_id): envelope for _, envelope in events}

    async def write_and_read() -> list[list]:
        producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True)
        await producer.start()
        try:
            sent = [await producer.send(namespace + t, value=encode(e), key=e.key.encode()) for t, e in events]
            await asyncio.gather(*sent)
        finally:
            await producer.stop()
        consumer = AIOKafkaConsumer(
            *topics, bootstrap_servers=bootstrap, group_id=namespace, auto_offset_reset="earliest"
        )
        await consumer.start()
        first = {namespace + topic.name for topic in READS_FIRST} if read_first else set()
        steering = ReadFirst(first, every)
        batches: list[list] = []
        read, deadline = 0, time.monotonic() + 600
        try:
            while read < len(events):
                if time.monotonic() > deadline:
                    raise RuntimeError(f"read {read} of the {len(events)} events written in 600 s")
                records = await consumer.getmany(timeout_ms=1000, max_records=every)
                if batch := [by_id[json.loads(r.value)["event_id"]] for rs in records.values() for r in rs]:
                    batches.append(batch)
                    read += len(batch)
                if first:
                    await steering.steer(consumer)
        finally:
            await consumer.stop()
        return batches

    return asyncio.run(write_and_read())


def run(url: str, batches: list[list], on: bool, statements: HookTimer | None = None) -> float:
    engine = db.make_engine(url)
    migrations.upgrade(engine, "work4life.reporting")
    rollups.prepare(engine, on)
    if statements is not None:
        statements.listen(engine)
    handlers = {(e.EVENT_TYPE, e.SCHEMA_VERSION): handle for e, handle in EVENT_HANDLERS.items()}
    started = time.perf_counter()
    with Session(engine) as session:
        for batch in batches:
            for envelope in batch:
                handlers[(envelope.event_type, envelope.schema_version)](envelope, session)
            session.commit()
    spent = time.perf_counter() - started
    engine.dispose()
    return spent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--database-url", help="a PostgreSQL server (a fresh database per run); SQLite if not given")
    parser.add_argument("--kafka", help="a broker: apply the events in the polls a consumer reads them in from it")
    parser.add_argument(
        "--commit-every",
        type=int,
        default=COMMIT_EVERY,
        help=f"most records a transaction (reporting's CONSUMER_BATCH_SIZE, default {COMMIT_EVERY})",
    )
    parser.add_argument(
        "--interleaved", action="store_true", help="with --kafka, do not read intake's people first (ADR 27)"
    )
    args = parser.parse_args()
    events = load_generator().generate(people=args.people, seed=args.seed).events
    if args.kafka:
        batches = polled(args.kafka, events, args.commit_every, not args.interleaved)
        how = "every topic as Kafka handed them out" if args.interleaved else "intake's people first"
        order = f"in the {len(batches)} polls of up to {args.commit_every} a consumer read them in from Kafka ({how})"
    else:
        every = args.commit_every
        batches = [[e for _, e in events[i : i + every]] for i in range(0, len(events), every)]
        order = f"in the order generated, commits of {every}"
    folder = tempfile.mkdtemp(prefix="w4l-rollup-cost-")
    rates, timer = HookTimer(), HookTimer()  # the hook in the rate runs; the statements in a fifth
    current = rates

    def refresh(session: Session) -> None:
        current.refresh(session)

    write_behind.COMMIT_HOOKS[:] = [refresh if h is rollups.refresh else h for h in write_behind.COMMIT_HOOKS]
    seconds: dict[bool, list[float]] = {True: [], False: []}

    def fresh(n: int) -> str:
        return fresh_postgres_database(args.database_url) if args.database_url else f"sqlite:///{folder}/r{n}.db"

    for n, on in enumerate((True, False, True, False)):
        seconds[on].append(run(fresh(n), batches, on))
        print(f"  roll-ups {'on ' if on else 'off'}: {len(events) / seconds[on][-1]:,.0f} events/s", file=sys.stderr)
    current = timer
    run(fresh(4), batches, True, timer)
    with_, without = (sum(seconds[on]) / 2 for on in (True, False))
    hook = rates.hook / 2
    written = sum(t for what, t in timer.spent.items() if what.startswith("writes"))
    database = "postgresql" if args.database_url else "sqlite"
    print(f"{len(events):,} events of {args.people:,} people into {database}, {order}, mean of 2 runs")
    print(
        f"with the roll-ups {len(events) / with_:,.0f} /s, without {len(events) / without:,.0f} /s: ratio {without / with_:.2f}"
    )
    print(f"the roll-ups' commit hook: {hook * 1000:,.0f} ms a run ({hook / with_:.0%} of the run)")
    print(f"beyond the hook and the run without them: {(with_ - hook - without) * 1000:,.0f} ms a run")
    print(f"the hook's statements, one more run timing each ({timer.hook * 1000:,.0f} ms in the hook):")
    for what, spent in sorted(timer.spent.items(), key=lambda item: -item[1]):
        rows = f", {timer.rows[what]:,} rows" if what in timer.rows else ""
        print(f"  {what}: {spent * 1000:,.0f} ms{rows}")
    python = timer.hook - sum(timer.spent.values())
    print(f"  the rest (Python, SQLAlchemy): {python * 1000:,.0f} ms")
    print(f"if the hook only wrote its rows, the ratio would be {without / (without + written):.2f}")
    kept = sum(timer.spent[f"writes to {rollup.name}"] for rollup in rollups.TABLES)
    print(
        f"if it only ran the statements that write the roll-up tables' own rows (no recount table, no read),"
        f" {kept * 1000:,.0f} ms: {without / (without + kept):.2f}"
    )


if __name__ == "__main__":
    main()
