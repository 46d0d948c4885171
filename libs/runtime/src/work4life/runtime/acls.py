"""`w4l-kafka-acls`: one Kafka principal per service, and ACLs so that a service writes only its
own topics and reads only the topics it consumes.

    w4l-kafka-acls print                                     # every grant, one line each
    w4l-kafka-acls apply --admin-password-file .state/kafka-9092/admin-password
    w4l-kafka-acls apply --service training --passwords-dir secrets/   # one partner's service

`apply` (as the broker's super user `admin`, over SASL/SCRAM-SHA-512) creates the principal
`w4l-<service>` with a new random password (written to `<passwords-dir>/w4l-<service>`, mode
600, unless one is there already), creates every catalogue topic and the services' dead-letter
topics, and grants, for each service:

- WRITE, DESCRIBE and CREATE on the topics it produces and on its dead-letter topic;
- READ and DESCRIBE on the topics it consumes, and READ and DESCRIBE on its consumer group
  (named after the service, e.g. `training`);
- READ on its dead-letter topic (it counts the letters not replayed yet);
- DESCRIBE_CONFIGS on all of those topics: at start the service checks that no event topic would
  lose history (ADR 13). Changing a topic's configuration stays with the super user.

Nothing else: with the broker's `allow.everyone.if.no.acl.found=false`, a service that writes
another's topic, or reads with another's group, is refused. What each service produces and
consumes comes from the service itself (`PRODUCES` in its bootstrap, `CONSUMES` in its
consumer), so the ACLs follow the code.
"""

import argparse
import importlib
import os
import secrets
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from work4life.contracts.topics import CATALOGUE, Topic

SERVICES = ("intake", "training", "enterprise", "employment", "reporting")


@dataclass(frozen=True, order=True)
class Grant:
    principal: str
    resource: str  # "topic" or "group"
    name: str
    operation: str  # READ, WRITE, DESCRIBE, CREATE, DESCRIBE_CONFIGS

    def __str__(self) -> str:
        return f"{self.principal:16} {self.operation:8} {self.resource} {self.name}"


def principal(service: str) -> str:
    return f"w4l-{service}"


def grants_for(service: str, produces: Sequence[Topic], consumes: Sequence[Topic], namespace: str = "") -> list[Grant]:
    user = principal(service)
    owned = [f"{namespace}{t.name}" for t in produces]
    if consumes:
        owned.append(f"{namespace}{service}.dead_letters")
    found = [
        Grant(user, "topic", name, op) for name in owned for op in ("WRITE", "DESCRIBE", "CREATE", "DESCRIBE_CONFIGS")
    ]
    for topic in consumes:
        found += [
            Grant(user, "topic", f"{namespace}{topic.name}", op) for op in ("READ", "DESCRIBE", "DESCRIBE_CONFIGS")
        ]
    if consumes:  # it reads its own dead letters: what waits is counted from the topic itself
        found.append(Grant(user, "topic", f"{namespace}{service}.dead_letters", "READ"))
    if consumes:  # the consumer group is named after the service, without the namespace
        found += [Grant(user, "group", service, op) for op in ("READ", "DESCRIBE")]
    return sorted(set(found))


class UndeclaredTopics(LookupError):
    """A service's bootstrap does not say, in the checked way, which topics it uses."""


def declared(service: str) -> tuple[Sequence[Topic], Sequence[Topic]]:
    """What the service's code says it produces and consumes: `PRODUCES` and `CONSUMES` in its
    bootstrap module, the same tuples it builds its runtime with. Both must be there (an empty
    tuple says "none"), and it may produce only the catalogue topics it owns."""
    bootstrap = importlib.import_module(f"work4life.{service}.bootstrap")
    missing = [name for name in ("PRODUCES", "CONSUMES") if not hasattr(bootstrap, name)]
    if missing:
        raise UndeclaredTopics(f"work4life.{service}.bootstrap declares no {' or '.join(missing)}")
    produces, consumes = tuple(bootstrap.PRODUCES), tuple(bootstrap.CONSUMES)
    for topic in (*produces, *consumes):
        if topic not in CATALOGUE:
            raise UndeclaredTopics(f"{service} uses {topic.name!r}, which is not in the topic catalogue")
    foreign = [t.name for t in produces if t.owner != service]
    if foreign:
        raise UndeclaredTopics(f"{service} declares that it produces {', '.join(foreign)}, owned by another service")
    return produces, consumes


def all_grants(services: Sequence[str], namespace: str = "") -> list[Grant]:
    return sorted(g for s in services for g in grants_for(s, *declared(s), namespace=namespace))


def admin_options(bootstrap: str, password: str, cafile: str | None = None) -> dict[str, Any]:
    """The super user's connection: over TLS (trusting `cafile`) when one is given."""
    return {
        "bootstrap_servers": bootstrap,
        "security_protocol": "SASL_SSL" if cafile else "SASL_PLAINTEXT",
        "sasl_mechanism": "SCRAM-SHA-512",
        "sasl_plain_username": "admin",
        "sasl_plain_password": password,
        **({"ssl_cafile": cafile} if cafile else {}),
    }


def apply(
    bootstrap: str,
    admin_password: str,
    services: Sequence[str],
    passwords: dict[str, str],
    namespace: str = "",
    partitions: int = 6,
    cafile: str | None = None,
) -> list[Grant]:
    """Create the principals (with the given passwords), the topics and the ACLs; safe to repeat."""
    from kafka import KafkaAdminClient
    from kafka.admin import (
        ACL,
        ACLOperation,
        ACLPermissionType,
        ResourcePattern,
        ResourceType,
        ScramMechanism,
        UserScramCredentialUpsertion,
    )

    from .broker import ensure_topics
    from .topics import catalogue_configs

    options = admin_options(bootstrap, admin_password, cafile)
    grants = all_grants(services, namespace)
    configs = catalogue_configs(namespace)
    topics = [f"{namespace}{t.name}" for t in CATALOGUE]
    topics += sorted({g.name for g in grants if g.resource == "topic"} - set(topics))
    ensure_topics(
        bootstrap,
        topics,
        partitions,
        configs=configs,
        **{k: v for k, v in options.items() if k != "bootstrap_servers"},
    )
    admin = KafkaAdminClient(client_id="w4l-acls", request_timeout_ms=15_000, **options)
    try:
        admin.alter_user_scram_credentials(
            [
                UserScramCredentialUpsertion(principal(s), ScramMechanism.SCRAM_SHA_512, passwords[s], iterations=8192)
                for s in services
            ]
        )
        kinds = {"topic": ResourceType.TOPIC, "group": ResourceType.GROUP}
        acls = [
            ACL(
                principal=f"User:{g.principal}",
                host="*",
                operation=ACLOperation[g.operation],
                permission_type=ACLPermissionType.ALLOW,
                resource_pattern=ResourcePattern(kinds[g.resource], g.name),
            )
            for g in grants
        ]
        result = admin.create_acls(acls)
        failed = result.get("failed", []) if isinstance(result, dict) else []
        if failed:
            raise RuntimeError(f"Kafka refused {len(failed)} ACLs: {failed[:3]}")
    finally:
        admin.close()
    return grants


def _password_for(service: str, directory: Path | None) -> str:
    if directory is None:
        return secrets.token_urlsafe(24)
    path = directory / principal(service)
    if path.exists():
        return path.read_text().strip()
    directory.mkdir(parents=True, exist_ok=True)
    password = secrets.token_urlsafe(24)
    path.touch(mode=0o600)
    path.write_text(password + "\n")
    return password


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="w4l-kafka-acls", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("command", choices=["print", "apply"])
    parser.add_argument("--service", action="append", choices=SERVICES, help="only these services (repeatable)")
    parser.add_argument("--namespace", default="", help="the deployment's topic prefix")
    parser.add_argument("--bootstrap", default=os.environ.get("W4L_KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092"))
    parser.add_argument("--admin-password-file", type=Path, help="the super user's password (apply)")
    parser.add_argument("--ca-file", type=Path, help="CA of the brokers' certificates: connect over TLS (SASL_SSL)")
    parser.add_argument(
        "--passwords-dir", type=Path, help="where each principal's password is kept (default .state/kafka-principals)"
    )
    args = parser.parse_args(argv)
    services = args.service or list(SERVICES)
    if args.command == "print":
        for grant in all_grants(services, args.namespace):
            print(grant)
        return 0
    if args.admin_password_file is None or not args.admin_password_file.exists():
        parser.error("apply needs --admin-password-file (deploy/kafka/kafka.sh writes it with W4L_KAFKA_SECURE=1)")
    directory = args.passwords_dir or Path(".state/kafka-principals")
    passwords = {s: _password_for(s, directory) for s in services}
    grants = apply(
        args.bootstrap,
        args.admin_password_file.read_text().strip(),
        services,
        passwords,
        args.namespace,
        cafile=str(args.ca_file) if args.ca_file else None,
    )
    print(f"{len(services)} principals, {len(grants)} ACLs applied; passwords in {directory}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
