"""Consumer lag: how many records of each partition a consumer group has not committed yet.

Measured from Kafka itself (the group's committed offsets against each partition's end), so
every replica of a service reports the same, group-wide figure; aggregate with `max by (group,
topic, partition)` in Prometheus. A partition the group never committed counts from its first
retained record.
"""

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from kafka import KafkaAdminClient, KafkaConsumer, TopicPartition
from kafka.errors import CoordinatorLoadInProgressError, CoordinatorNotAvailableError, NotCoordinatorError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PartitionLag:
    topic: str
    partition: int
    committed: int | None
    end: int
    lag: int


class LagProbe:
    """Keeps one admin client and one group-less consumer open between measurements."""

    def __init__(self, group_id: str, topics: Sequence[str], **client_options: Any) -> None:
        self.group_id = group_id
        self.topics = list(topics)
        self.client_options = client_options
        self._admin: KafkaAdminClient | None = None
        self._consumer: KafkaConsumer | None = None

    def measure(self) -> list[PartitionLag]:
        try:
            return self._measure()
        except Exception:
            self.close()  # reconnect next time
            raise

    def _measure(self) -> list[PartitionLag]:
        if self._admin is None:
            self._admin = KafkaAdminClient(client_id="w4l-lag", request_timeout_ms=10_000, **self.client_options)
        if self._consumer is None:
            self._consumer = KafkaConsumer(
                client_id="w4l-lag", group_id=None, enable_auto_commit=False, **self.client_options
            )
        consumer = self._consumer
        partitions = [
            TopicPartition(topic, p)
            for topic in self.topics
            for p in sorted(consumer.partitions_for_topic(topic) or ())
        ]
        if not partitions:
            return []
        committed = self._committed(partitions)
        ends = consumer.end_offsets(partitions)
        beginnings = consumer.beginning_offsets(partitions)
        result = []
        for tp in partitions:
            offset = committed.get(tp)
            position = offset.offset if offset is not None and offset.offset >= 0 else None
            start = position if position is not None else beginnings[tp]
            result.append(PartitionLag(tp.topic, tp.partition, position, ends[tp], max(ends[tp] - start, 0)))
        return result

    def _committed(self, partitions: list[TopicPartition], attempts: int = 20) -> dict[TopicPartition, Any]:
        """The group's committed offsets. On a new cluster the group coordinator (the offsets topic)
        appears a moment after the first request: that retriable error is waited out briefly."""
        assert self._admin is not None
        for attempt in range(attempts):
            try:
                by_group: dict[str, dict[TopicPartition, Any]] = self._admin.list_group_offsets(
                    {self.group_id: partitions}
                )
                return by_group.get(self.group_id, {})
            except (CoordinatorNotAvailableError, NotCoordinatorError, CoordinatorLoadInProgressError):
                if attempt == attempts - 1:
                    raise
                time.sleep(0.5)
        raise AssertionError("unreachable")

    def close(self) -> None:
        for client in (self._admin, self._consumer):
            if client is not None:
                try:
                    client.close()
                except Exception:
                    log.debug("error while closing a lag client", exc_info=True)
        self._admin = None
        self._consumer = None
