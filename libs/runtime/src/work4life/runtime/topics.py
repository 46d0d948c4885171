"""`python -m work4life.runtime.topics list|create`: the contracts' topic catalogue on a broker.

Services create the topics they use at start-up (`create_topics`, on by default). Where a
deployment turns that off (a managed cluster where services may not create topics), ops create
them all from the catalogue with this command.
"""

import argparse
import sys

from kafka import KafkaAdminClient

from work4life.contracts.topics import CATALOGUE

from .broker import ensure_topics


def catalogue_names(namespace: str = "") -> list[str]:
    return [f"{namespace}{topic.name}" for topic in CATALOGUE]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m work4life.runtime.topics", description=__doc__)
    parser.add_argument("command", choices=["list", "create"])
    parser.add_argument("--bootstrap-servers", default="127.0.0.1:9092")
    parser.add_argument("--namespace", default="", help="prefix of every topic name, e.g. staging.")
    parser.add_argument("--partitions", type=int, default=6)
    parser.add_argument("--replication-factor", type=int, default=1)
    args = parser.parse_args(argv)

    names = catalogue_names(args.namespace)
    if args.command == "create":
        created = ensure_topics(args.bootstrap_servers, names, args.partitions, args.replication_factor)
        print(f"{len(created)} topic(s) created, {len(names) - len(created)} already there")
    admin = KafkaAdminClient(bootstrap_servers=args.bootstrap_servers, client_id="w4l-admin")
    try:
        existing = set(admin.list_topics())
    finally:
        admin.close()
    for topic, name in zip(CATALOGUE, names, strict=True):
        state = "present" if name in existing else "MISSING"
        print(f"{name:40} {state:8} producer={topic.owner:10} key={topic.key}")
    return 0 if all(n in existing for n in names) else 1


if __name__ == "__main__":
    sys.exit(main())
