"""What keeping the roll-ups costs the projection, and where that cost goes.

    uv run python services/reporting/benchmarks/rollup_cost.py [--people 2000] [--database-url URL]

Generates a programme's events (every path), applies them through reporting's handlers in
process, committing every 500 events as the consumer does, into a fresh database each time (SQLite
in a temporary folder unless --database-url names a PostgreSQL server, in which a fresh database is
made for each run), with the roll-ups on and off in alternation, twice each. No Kafka, no decoding:
the handlers and the database only, where the roll-ups' cost lands.

For the runs with the roll-ups it times their commit hook (`rollups.refresh`) and, inside it,
every statement by what it does: rows written to each roll-up table (INSERT, DELETE, UPDATE), and
reads. The rest of the hook is Python: diffing the recounted rows against the kept ones. It prints
the rate with and without, their ratio, the hook's parts, and the ratio the projection would keep
if the hook did nothing but write its rows. Figures, not assertions.
"""

import argparse
import collections
import re
import sys
import tempfile
import time
from typing import Any

from indicators import load_generator  # this folder's: the script's own directory is on the path
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session

from work4life.reporting.adapters import write_behind
from work4life.reporting.entrypoints.consumer import EVENT_HANDLERS
from work4life.reporting.service_layer import rollups
from work4life.runtime import db, migrations
from work4life.runtime.testing import fresh_postgres_database

COMMIT_EVERY = 500
ROLLUP_TABLES = {rollup.name for rollup in (*rollups.TABLES, *(shape.recount for shape in rollups.SHAPES))}
WRITE = re.compile(r"^\s*(?:INSERT INTO|DELETE FROM|UPDATE)\s+\"?(\w+)", re.IGNORECASE)


class HookTimer:
    """Times the roll-ups' commit hook and, while it runs, each statement by the table it writes."""

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


def run(url: str, events: list, on: bool, timer: HookTimer | None) -> float:
    engine = db.make_engine(url)
    migrations.upgrade(engine, "work4life.reporting")
    rollups.prepare(engine, on)
    if timer is not None:
        timer.listen(engine)
    handlers = {(e.EVENT_TYPE, e.SCHEMA_VERSION): handle for e, handle in EVENT_HANDLERS.items()}
    started = time.perf_counter()
    with Session(engine) as session:
        for i, (_, envelope) in enumerate(events, 1):
            handlers[(envelope.event_type, envelope.schema_version)](envelope, session)
            if i % COMMIT_EVERY == 0:
                session.commit()
        session.commit()
    spent = time.perf_counter() - started
    engine.dispose()
    return spent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--database-url", help="a PostgreSQL server (a fresh database per run); SQLite if not given")
    args = parser.parse_args()
    events = load_generator().generate(people=args.people, seed=args.seed).events
    folder = tempfile.mkdtemp(prefix="w4l-rollup-cost-")
    timer = HookTimer()
    write_behind.COMMIT_HOOKS[:] = [timer.refresh if h is rollups.refresh else h for h in write_behind.COMMIT_HOOKS]
    seconds: dict[bool, list[float]] = {True: [], False: []}
    for n, on in enumerate((True, False, True, False)):
        url = fresh_postgres_database(args.database_url) if args.database_url else f"sqlite:///{folder}/r{n}.db"
        seconds[on].append(run(url, events, on, timer if on else None))
        print(f"  roll-ups {'on ' if on else 'off'}: {len(events) / seconds[on][-1]:,.0f} events/s", file=sys.stderr)
    with_, without = (sum(seconds[on]) / 2 for on in (True, False))
    hook = timer.hook / 2
    written = sum(t for what, t in timer.spent.items() if what.startswith("writes")) / 2
    database = "postgresql" if args.database_url else "sqlite"
    print(
        f"{len(events):,} events of {args.people:,} people into {database}, commits of {COMMIT_EVERY}, mean of 2 runs"
    )
    print(
        f"with the roll-ups {len(events) / with_:,.0f} /s, without {len(events) / without:,.0f} /s: ratio {without / with_:.2f}"
    )
    print(f"the roll-ups' commit hook: {hook * 1000:,.0f} ms a run ({hook / with_:.0%} of the run)")
    for what, spent in sorted(timer.spent.items(), key=lambda item: -item[1]):
        rows = f", {timer.rows[what] // 2:,} rows" if what in timer.rows else ""
        print(f"  {what}: {spent / 2 * 1000:,.0f} ms{rows}")
    python = hook - sum(timer.spent.values()) / 2
    print(f"  the rest (Python: recounting, diffing): {python * 1000:,.0f} ms")
    print(f"if the hook only wrote its rows, the ratio would be {without / (without + written):.2f}")


if __name__ == "__main__":
    main()
