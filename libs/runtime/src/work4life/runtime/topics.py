"""`python -m work4life.runtime.topics list|create|retain`: the contracts' topic catalogue on a broker.

Services create the topics they use at start-up (`create_topics`, on by default), each with the
retention of its kind (ADR 13: event topics keep every record, dead-letter topics expire). Where a
deployment turns that off (a managed cluster where services may not create topics), ops create
them all from the catalogue with `create`. `retain` sets that retention on topics that exist
already (created by hand, by an older version or with a cluster's defaults): a service refuses to
start on an event topic that would lose history. `list` shows each topic and its retention.
"""

import argparse
import sys

from kafka import KafkaAdminClient

from work4life.contracts.topics import CATALOGUE

from . import retention
from .broker import ensure_topics


def catalogue_names(namespace: str = "") -> list[str]:
    return [f"{namespace}{topic.name}" for topic in CATALOGUE]


def catalogue_configs(namespace: str = "", dead_letter_retention_days: int = 90) -> dict[str, dict[str, str]]:
    """Every catalogue topic with the configuration of its kind."""
    return {
        f"{namespace}{topic.name}": retention.policy(topic.keeps_history, dead_letter_retention_days)
        for topic in CATALOGUE
    }


def _kept(configs: dict[str, str], keeps_history: bool) -> str:
    if keeps_history:
        found = retention.problems(configs)
        return "kept for good" if not found else "LOSES HISTORY: " + "; ".join(found)
    ms = int(configs.get("retention.ms", "-1"))
    return "kept for good" if ms < 0 else f"expires after {ms // retention.DAY_MS} days"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m work4life.runtime.topics", description=__doc__)
    parser.add_argument("command", choices=["list", "create", "retain"])
    parser.add_argument("--bootstrap-servers", default="127.0.0.1:9092")
    parser.add_argument("--namespace", default="", help="prefix of every topic name, e.g. staging.")
    parser.add_argument("--partitions", type=int, default=6)
    parser.add_argument("--replication-factor", type=int, default=1)
    parser.add_argument("--dead-letter-retention-days", type=int, default=90)
    args = parser.parse_args(argv)

    configs = catalogue_configs(args.namespace, args.dead_letter_retention_days)
    names = list(configs)
    if args.command == "create":
        created = ensure_topics(
            args.bootstrap_servers, names, args.partitions, args.replication_factor, configs=configs
        )
        print(f"{len(created)} topic(s) created, {len(names) - len(created)} already there")
    admin = KafkaAdminClient(bootstrap_servers=args.bootstrap_servers, client_id="w4l-admin")
    try:
        if args.command == "retain":
            changed = retention.retain(admin, configs)
            print(f"retention set on {len(changed)} topic(s)" + (f": {', '.join(changed)}" if changed else ""))
        existing = set(admin.list_topics())
        described = retention.describe(admin, [n for n in names if n in existing])
    finally:
        admin.close()
    losing = 0
    for topic, name in zip(CATALOGUE, names, strict=True):
        if name in existing:
            kept = _kept(described.get(name, {}), topic.keeps_history)
            losing += kept.startswith("LOSES")
        else:
            kept = "MISSING"
        print(f"{name:40} producer={topic.owner:10} key={topic.key:26} {kept}")
    return 0 if all(n in existing for n in names) and not losing else 1


if __name__ == "__main__":
    sys.exit(main())
