"""`w4l-status`: one screen on a running Work4Life system.

    w4l-status                                   # the five services of scripts/run.sh (ports 8001-8005)
    w4l-status --service intake=http://10.0.0.5:8001 --service reporting=http://10.0.0.9:8005
    w4l-status --json                            # the same, for scripts

For each service: is it alive (/health) and ready (/ready: database and Kafka), how many events its
consumer group has not handled yet (lag, from its /metrics), its outbox backlog and the age of the
oldest unpublished event, how many messages wait in its dead-letter topic, not replayed yet (read
in Kafka when `--bootstrap` reaches it, otherwise as the service last read its topic), whether its
event topics keep their history (ADR 13; read from Kafka with `--bootstrap`) and its headline
figure. Exit status 0 when every service is ready and no event topic would lose history, 1
otherwise.
"""

import argparse
import json
import os
import sys
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from prometheus_client.parser import text_string_to_metric_families

if TYPE_CHECKING:
    from .retention import Finding

DEFAULT_SERVICES = {
    "intake": "http://127.0.0.1:8001",
    "training": "http://127.0.0.1:8002",
    "enterprise": "http://127.0.0.1:8003",
    "employment": "http://127.0.0.1:8004",
    "reporting": "http://127.0.0.1:8005",
}

HEADLINE = {
    "intake": ("w4l_intake_registrations_total", "registrations"),
    "training": ("w4l_training_enrolments_total", "enrolments"),
    "enterprise": ("w4l_enterprise_grants_disbursed_mad_total", "MAD disbursed"),
    "employment": ("w4l_employment_placements_total", "placements"),
    "reporting": ("w4l_reporting_people", "people counted"),
}


@dataclass
class ServiceStatus:
    service: str
    url: str
    alive: bool = False
    ready: bool = False
    checks: dict[str, str] = field(default_factory=dict)
    lag: int | None = None
    outbox_pending: int | None = None
    outbox_oldest_age_s: float | None = None
    dead_letters: int | None = None
    dead_letters_source: str = ""
    history: str = ""
    """"kept" when every event topic the service produces keeps its records for good, else what
    would be lost; "" when Kafka was not asked."""
    headline: str = ""
    error: str = ""


def _get(url: str, timeout_s: float) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=timeout_s) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def _samples(text: str) -> dict[str, list[tuple[dict[str, str], float]]]:
    """Samples by name; a family exposed without samples (nothing counted yet) maps to []."""
    samples: dict[str, list[tuple[dict[str, str], float]]] = {}
    for family in text_string_to_metric_families(text):
        if family.type == "counter":
            samples.setdefault(f"{family.name}_total", [])
        samples.setdefault(family.name, [])
        for sample in family.samples:
            samples.setdefault(sample.name, []).append((sample.labels, sample.value))
    return samples


def probe(service: str, url: str, timeout_s: float = 3.0) -> ServiceStatus:
    status = ServiceStatus(service, url)
    try:
        code, _ = _get(f"{url}/health", timeout_s)
        status.alive = code == 200
        code, body = _get(f"{url}/ready", timeout_s)
        status.ready = code == 200
        status.checks = json.loads(body).get("checks", {})
        code, body = _get(f"{url}/metrics", timeout_s)
    except (OSError, ValueError) as exc:
        status.error = str(getattr(exc, "reason", exc))
        return status
    samples = _samples(body.decode())
    if samples.get("w4l_consumer_lag_measured_timestamp_seconds", [({}, 0.0)])[0][1] > 0:
        status.lag = int(sum(v for _, v in samples.get("w4l_consumer_lag_messages", [])))
    if pending := samples.get("w4l_outbox_pending_events"):
        status.outbox_pending = int(pending[0][1])
    if age := samples.get("w4l_outbox_oldest_pending_age_seconds"):
        status.outbox_oldest_age_s = age[0][1]
    if "w4l_dead_letters_waiting" in samples:
        status.dead_letters = int(sum(v for _, v in samples["w4l_dead_letters_waiting"]))
        status.dead_letters_source = "service"
    name, label = HEADLINE.get(service, ("", ""))
    if name in samples:
        total = sum(v for _, v in samples[name])
        status.headline = f"{total:,.2f} {label}" if "MAD" in label else f"{total:,.0f} {label}"
    return status


def count_dead_letters(bootstrap: str, topics: dict[str, str], timeout_s: float = 5.0) -> dict[str, int]:
    """Messages waiting (not replayed) in each service's dead-letter topic, read from Kafka."""
    from .dead_letters import read

    return {
        service: sum(not d.replayed for d in read(bootstrap, topic, timeout_s)) for service, topic in topics.items()
    }


def _age(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    if seconds < 120:
        return f"{seconds:.0f}s"
    if seconds < 7200:
        return f"{seconds / 60:.0f}m"
    return f"{seconds / 3600:.1f}h"


def render(statuses: Sequence[ServiceStatus]) -> str:
    header = ("service", "alive", "ready", "lag", "outbox", "oldest", "dead letters", "history", "figure")
    rows = [header]
    for s in statuses:
        if s.error:
            ready = f"unreachable ({s.error})"
        elif s.ready:
            ready = "ready"
        else:
            ready = "NOT READY: " + ", ".join(f"{k} {v}" for k, v in s.checks.items() if v != "ok")
        dead = (
            "-"
            if s.dead_letters is None
            else f"{s.dead_letters}" + (" (as the service last read)" if s.dead_letters_source == "service" else "")
        )
        rows.append(
            (
                s.service,
                "yes" if s.alive else "NO",
                ready,
                "-" if s.lag is None else str(s.lag),
                "-" if s.outbox_pending is None else str(s.outbox_pending),
                _age(s.outbox_oldest_age_s),
                dead,
                s.history or "-",
                s.headline or "-",
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def collect(
    services: dict[str, str], bootstrap: str | None = None, namespace: str = "", timeout_s: float = 3.0
) -> list[ServiceStatus]:
    statuses = [probe(name, url, timeout_s) for name, url in services.items()]
    if bootstrap:
        consuming = {s.service: f"{namespace}{s.service}.dead_letters" for s in statuses if s.dead_letters is not None}
        try:
            counts = count_dead_letters(bootstrap, consuming, timeout_s)
        except Exception as exc:  # Kafka unreachable from here: keep the services' own counts
            print(
                f"(dead letters counted by the services since they started: Kafka at {bootstrap}: {exc!r})",
                file=sys.stderr,
            )
            counts = {}
        for s in statuses:
            if s.service in counts:
                s.dead_letters, s.dead_letters_source = counts[s.service], "kafka"
        try:
            losing = history_findings(bootstrap, namespace, timeout_s)
        except Exception as exc:
            print(f"(topic retention not checked: Kafka at {bootstrap}: {exc!r})", file=sys.stderr)
        else:
            for s in statuses:
                found = losing.get(s.service, [])
                s.history = "kept" if not found else "LOSES HISTORY: " + "; ".join(str(f) for f in found)
    return statuses


def history_findings(bootstrap: str, namespace: str = "", timeout_s: float = 5.0) -> "dict[str, list[Finding]]":
    """By producing service, its event topics (those that exist) that would lose records."""
    from kafka import KafkaAdminClient

    from work4life.contracts.topics import CATALOGUE

    from . import retention

    owner = {f"{namespace}{t.name}": t.owner for t in CATALOGUE if t.keeps_history}
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=int(timeout_s * 1000) + 1000)
    try:
        findings = retention.check(admin, owner)
    finally:
        admin.close()
    by_service: dict[str, list[Finding]] = {}
    for finding in findings:
        by_service.setdefault(owner[finding.topic], []).append(finding)
    return by_service


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="w4l-status", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--service",
        action="append",
        default=[],
        metavar="NAME=URL",
        help="a service and its base URL (repeatable); default: the five services on 127.0.0.1:8001-8005",
    )
    parser.add_argument(
        "--bootstrap",
        default=os.environ.get("W4L_KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092"),
        help="Kafka, to count the dead-letter topics ('' to skip)",
    )
    parser.add_argument("--namespace", default="", help="the deployment's topic prefix")
    parser.add_argument("--timeout", type=float, default=3.0, help="seconds to wait for each answer")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args(argv)
    services: dict[str, str] = {}
    for item in args.service:
        name, sep, url = item.partition("=")
        if not sep or not url.startswith(("http://", "https://")):
            parser.error(f"--service {item!r}: expected NAME=http://host:port")
        services[name] = url.rstrip("/")
    statuses = collect(services or DEFAULT_SERVICES, args.bootstrap or None, args.namespace, args.timeout)
    if args.json:
        print(json.dumps([asdict(s) for s in statuses], indent=2))
    else:
        print(f"Work4Life status at {datetime.now(UTC):%Y-%m-%d %H:%M:%S} UTC")
        print(render(statuses))
    return 0 if all(s.ready and not s.history.startswith("LOSES") for s in statuses) else 1


if __name__ == "__main__":
    sys.exit(main())
