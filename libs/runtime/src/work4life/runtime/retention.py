"""How long Kafka keeps each kind of topic (ADR 13), and the check that a topic will not lose the
programme's history.

An event topic is the record of what happened: reporting rebuilds its figures from it and a partner's
service that joins in its second year reads it from the start. Kafka's default (`retention.ms` of 7
days) would delete that history without a word, so event topics are created to keep every record
(`retention.ms=-1`, `retention.bytes=-1`, `cleanup.policy=delete`: compaction would keep only a
person's last event). A dead-letter topic holds messages set aside until someone replays them; it
expires after `dead_letter_retention_days`.

A service checks the event topics it produces and consumes when it connects to Kafka and refuses to
start on one that would lose history (`TopicRetentionError`): a topic created by hand, by an older
version or by a cluster's defaults. `python -m work4life.runtime.topics retain` sets the policy on
existing topics.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

KEEP_FOREVER: Mapping[str, str] = {"retention.ms": "-1", "retention.bytes": "-1", "cleanup.policy": "delete"}
DAY_MS = 24 * 3600 * 1000


class TopicRetentionError(RuntimeError):
    """A topic that must keep the programme's history is configured to delete some of it."""


def policy(keeps_history: bool, dead_letter_retention_days: int = 90) -> dict[str, str]:
    """The configuration a topic of this kind (`Topic.keeps_history`) is created with."""
    if keeps_history:
        return dict(KEEP_FOREVER)
    return {"retention.ms": str(dead_letter_retention_days * DAY_MS), "cleanup.policy": "delete"}


def _duration(ms: int) -> str:
    if ms % DAY_MS == 0:
        days = ms // DAY_MS
        return f"{days} day{'s' if days != 1 else ''}"
    hours = ms / 3_600_000
    if hours >= 1:
        return f"{hours:g} hour{'s' if hours != 1 else ''}"
    return f"{ms} ms"


def problems(configs: Mapping[str, str]) -> list[str]:
    """What in a topic's configuration (Kafka's names and values) would delete history."""
    found = []
    retention_ms = int(configs.get("retention.ms", "604800000"))
    if retention_ms >= 0:
        found.append(f"deletes records after {_duration(retention_ms)} (retention.ms={retention_ms})")
    retention_bytes = int(configs.get("retention.bytes", "-1"))
    if retention_bytes >= 0:
        found.append(f"deletes the oldest records beyond {retention_bytes} bytes a partition (retention.bytes)")
    if "compact" in configs.get("cleanup.policy", "delete"):
        found.append(f"keeps only the last record of each key (cleanup.policy={configs['cleanup.policy']})")
    return found


def describe(admin: Any, names: Sequence[str]) -> dict[str, dict[str, str]]:
    """Each topic's effective configuration (defaults included), through a kafka-python admin client."""
    from kafka.admin import ConfigResource, ConfigResourceType

    if not names:
        return {}
    described = admin.describe_configs(
        [ConfigResource(ConfigResourceType.TOPIC, name) for name in names], config_filter="all"
    )
    return {
        name: {key: entry["value"] for key, entry in configs.items() if entry.get("value") is not None}
        for name, configs in described.get("topic", {}).items()
    }


@dataclass(frozen=True)
class Finding:
    topic: str
    problems: tuple[str, ...]

    def __str__(self) -> str:
        return f"{self.topic} {'; '.join(self.problems)}"


def check(admin: Any, history_topics: Iterable[str]) -> list[Finding]:
    """The history topics (among those that exist) that would lose records."""
    existing = set(admin.list_topics())
    names = sorted(n for n in set(history_topics) if n in existing)
    return [
        Finding(name, tuple(found)) for name, configs in describe(admin, names).items() if (found := problems(configs))
    ]


def refusal(findings: Sequence[Finding], bootstrap: str, namespace: str = "") -> str:
    """The message a service stops with."""
    fix = f"python -m work4life.runtime.topics retain --bootstrap-servers {bootstrap}"
    if namespace:
        fix += f" --namespace {namespace}"
    listed = "\n".join(f"  - {finding}" for finding in findings)
    return (
        f"refusing to start: {len(findings)} event topic(s) would lose the programme's history "
        f"(event topics keep every record, ADR 13):\n{listed}\n"
        f"Set the retention with `{fix}` (or retention.ms=-1, retention.bytes=-1, cleanup.policy=delete), "
        "then start the service again."
    )


def retain(admin: Any, configs: Mapping[str, Mapping[str, str]]) -> list[str]:
    """Set each existing topic's retention policy (incrementally: its other settings stay).
    Returns the topics changed."""
    from kafka.admin import ConfigResource, ConfigResourceType

    existing = set(admin.list_topics())
    current = describe(admin, [name for name in configs if name in existing])
    changes = {
        name: changed
        for name, wanted in configs.items()
        if name in current and (changed := {k: v for k, v in wanted.items() if current[name].get(k) != v})
    }
    if changes:
        # kafka-python checks keys against the topic's *dynamic* (already overridden) configs only,
        # so a first override would be refused on the client side: the broker checks them anyway.
        result = admin.alter_configs(
            [ConfigResource(ConfigResourceType.TOPIC, name, configs=dict(c)) for name, c in changes.items()],
            raise_on_unknown=False,
            incremental=True,
        )
        failed = {
            name: error
            for name, error in (result or {}).get("topic", {}).items()
            if getattr(error, "errno", 0) not in (0, None)
        }
        if failed:
            raise RuntimeError(f"Kafka refused the retention of {len(failed)} topic(s): {failed}")
    return sorted(changes)
