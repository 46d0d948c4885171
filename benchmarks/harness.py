"""What every benchmark shares: where Kafka and PostgreSQL are, fresh databases and topic
namespaces, service processes, the programme generator, percentiles, and the table of figures."""

import importlib.util
import math
import os
import platform
import subprocess
import sys
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from work4life.runtime.processes import ServiceProcess
from work4life.runtime.testing import TEST_JWT_SECRET, fresh_postgres_database

REPO = Path(__file__).resolve().parents[1]


@dataclass
class Environment:
    bootstrap: str
    postgres_server: str | None
    workdir: Path
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:8])
    processes: list[ServiceProcess] = field(default_factory=list)

    def namespace(self, what: str) -> str:
        """A topic prefix of its own for one benchmark of this run."""
        return f"bench-{self.run_id}-{what}."

    def database_url(self, kind: str, name: str) -> str:
        if kind == "sqlite":
            return f"sqlite:///{self.workdir}/{name}.db"
        if self.postgres_server is None:
            raise SystemExit("PostgreSQL asked for but no server given (--postgres-url or W4L_BENCH_POSTGRES_URL)")
        return fresh_postgres_database(self.postgres_server)

    def start(
        self, name: str, namespace: str, database_url: str, module: str | None = None, **settings: str
    ) -> ServiceProcess:
        env = {
            "KAFKA_BOOTSTRAP_SERVERS": self.bootstrap,
            "TOPIC_NAMESPACE": namespace,
            "TOPIC_PARTITIONS": "6",
            "LOG_JSON": "true",
            "LOG_LEVEL": "WARNING",
            "AUTH_JWT_SECRET": TEST_JWT_SECRET,
            "DATABASE_URL": database_url,
            **settings,
        }
        process = ServiceProcess(name, env, self.workdir, module=module)
        process.env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), process.env.get("PYTHONPATH")]))
        self.processes.append(process.start())
        return process

    def stop(self, process: ServiceProcess) -> None:
        process.stop()
        self.processes.remove(process)

    def stop_all(self) -> None:
        for process in list(self.processes):
            self.stop(process)


def load_programme_generator() -> Any:
    """The generator of reporting's reconciliation test: every path, erasures and merges included."""
    path = REPO / "services" / "reporting" / "tests" / "programme.py"
    spec = importlib.util.spec_from_file_location("w4l_programme", path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def percentile(values: Sequence[float], q: float) -> float:
    """The nearest-rank percentile (q in 0..100) of the values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


@dataclass
class Figure:
    """One measured figure, with the reference it is compared with (measured in the same run)."""

    item: str
    what: str
    value: float
    unit: str
    reference: str = ""
    reference_value: float | None = None
    target: str = ""
    met: bool | None = None

    @property
    def ratio(self) -> float | None:
        if self.reference_value in (None, 0) or self.value != self.value:
            return None
        return self.value / self.reference_value


@dataclass
class Report:
    figures: list[Figure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, figure: Figure) -> Figure:
        self.figures.append(figure)
        print(f"  {figure.what}: {fmt(figure.value)} {figure.unit}", file=sys.stderr, flush=True)
        return figure

    def markdown(self) -> str:
        lines = [
            "| # | figure | value | reference | ratio | target | met |",
            "|---|---|---:|---|---:|---|---|",
        ]
        for f in self.figures:
            reference = f"{f.reference} {fmt(f.reference_value)}".strip() if f.reference else ""
            ratio = f"{f.ratio:.2f}" if f.ratio is not None else ""
            met = {True: "yes", False: "**no**", None: ""}[f.met]
            lines.append(
                f"| {f.item} | {f.what} | {fmt(f.value)} {f.unit} | {reference} | {ratio} | {f.target} | {met} |"
            )
        return "\n".join(lines + [""] + [f"- {note}" for note in self.notes])


def fmt(value: float | None) -> str:
    if value is None:
        return ""
    if value != value:
        return "n/a"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.1f}" if abs(value) >= 10 else f"{value:.2f}"


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        memory_kb = int(Path("/proc/meminfo").read_text().split()[1])
    except OSError:
        memory_kb = 0
    java = subprocess.run(["java", "-version"], capture_output=True, text=True).stderr.splitlines()
    return (
        f"{cpu}, {os.cpu_count()} cores, {memory_kb / 1024 / 1024:.0f} GiB; {platform.platform()}; "
        f"Python {platform.python_version()}; {java[0] if java else 'java: not found'}"
    )
