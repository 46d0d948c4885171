"""Projection and rebuild: reporting turning a pre-loaded backlog of mixed events into its read
model, as a running service (its own consumer, batches, inbox) and as the rebuild command."""

import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass

from sqlalchemy import create_engine, text

from work4life.reporting.service_layer import rollups
from work4life.runtime.testing import TEST_JWT_SECRET

from .harness import Environment


@dataclass
class Projection:
    events_per_s: float
    seconds: float
    peak_rss_mb: float
    cpu_seconds: float
    """CPU time of reporting's processes over the same span (not the database server's)."""

    @property
    def events_per_cpu_s(self) -> float:
        return self.events_per_s * self.seconds / max(self.cpu_seconds, 0.01)  # a clock tick at least


def project(
    env: Environment,
    namespace: str,
    database_url: str,
    expected: int,
    timeout_s: float = 1800,
    replicas: int = 1,
    **settings: str,
) -> Projection:
    """Start reporting (`replicas` processes in one consumer group, sharing the partitions; with
    `settings`) on topics that already hold `expected` events and time it to the last one. The
    clock starts at the last sample that found no event applied, or at the start if the first
    sample found some. Start-up and the group join are thus not counted, as the raw consume rate
    does not count them either, but up to one interval between samples is, and with two processes
    any pause while the group rebalances as the second joins: a small run's rate is low (most of
    the 2,000 events may be applied before the pause), never zero. The peak memory is the first
    process's; the CPU time is all of them's over the same span: the time they worked, without
    their waits (for the disk, for a core another program held)."""
    empty_at = time.perf_counter()
    started = [env.start("reporting", namespace, database_url, **settings) for _ in range(replicas)]
    reporting = started[0]
    engine = create_engine(database_url)
    peak_rss = 0
    empty_cpu = sum(process.cpu_seconds() for process in started)
    try:
        first_at, first_cpu, cpu, done = None, 0.0, empty_cpu, 0
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            with engine.connect() as connection:
                done = connection.execute(text("SELECT count(*) FROM inbox")).scalar_one()
            now, cpu = time.perf_counter(), sum(process.cpu_seconds() for process in started)
            peak_rss = max(peak_rss, reporting.rss_bytes())
            if not done:
                empty_at, empty_cpu = now, cpu
            elif first_at is None:
                first_at, first_cpu = empty_at, empty_cpu
            if done >= expected:
                break
            print(f"\r  projected {done:,} of {expected:,}", end="", file=sys.stderr, flush=True)
            time.sleep(0.1)
        print(file=sys.stderr)
        if done < expected or first_at is None:
            raise RuntimeError(f"reporting applied {done} of {expected} events in {timeout_s:.0f} s")
        seconds = time.perf_counter() - first_at
        return Projection(expected / seconds, seconds, peak_rss / 2**20, cpu - first_cpu)
    finally:
        engine.dispose()
        for process in started:
            env.stop(process)


def rebuild(env: Environment, namespace: str, database_url: str, expected: int, processes: int = 1) -> float:
    """`python -m work4life.reporting rebuild` into an empty database (by `processes` processes);
    events per second as the command reports them (replay time and the roll-ups' build, start-up
    excluded)."""
    command = ["rebuild", "--database-url", database_url, "--processes", str(processes)]
    completed = subprocess.run(
        [sys.executable, "-m", "work4life.reporting", *command],
        env={
            **os.environ,
            "W4L_REPORTING_KAFKA_BOOTSTRAP_SERVERS": env.bootstrap,
            "W4L_REPORTING_TOPIC_NAMESPACE": namespace,
            "W4L_REPORTING_AUTH_JWT_SECRET": TEST_JWT_SECRET,
            "W4L_REPORTING_LOG_LEVEL": "WARNING",
        },
        capture_output=True,
        text=True,
        timeout=3600,
    )
    found = re.search(r"done: ([\d,]+) records in ([\d.]+) s", completed.stderr)
    if completed.returncode != 0 or found is None:
        raise RuntimeError(f"rebuild failed ({completed.returncode}):\n{completed.stderr[-3000:]}")
    records = int(found.group(1).replace(",", ""))
    if records != expected:
        raise RuntimeError(f"rebuild replayed {records} records, {expected} expected")
    built = re.search(r"roll-ups built in ([\d.]+) s", completed.stderr)
    replayed, building = float(found.group(2)), float(built.group(1)) if built else 0.0
    print(f"  replayed in {replayed:.1f} s, roll-ups built in {building:.1f} s", file=sys.stderr)
    return records / (replayed + building)


def rows_per_fact(database_url: str) -> float:
    """How many rows the roll-ups keep for each row of facts and people in a projected database:
    what the projection writes for them beside what it writes without them."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:

            def rows(names: list[str]) -> int:
                return sum(connection.execute(text(f"SELECT count(*) FROM {name}")).scalar_one() for name in names)

            return rows([rollup.name for rollup in rollups.TABLES]) / rows(["activity", "person"])
    finally:
        engine.dispose()
