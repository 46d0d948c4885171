"""Consumer lag measured from Kafka on a real broker: what the group has not committed."""

import pytest
from kafka import KafkaConsumer, KafkaProducer, TopicPartition

from work4life.runtime.broker import ensure_topics
from work4life.runtime.lag import LagProbe
from work4life.runtime.metrics import ServiceMetrics

pytestmark = pytest.mark.integration


def test_lag_counts_uncommitted_records_per_partition_and_falls_to_zero_once_committed(
    kafka_bootstrap, topic_namespace
):
    topic = f"{topic_namespace}lag.source"
    ensure_topics(kafka_bootstrap, [topic], partitions=2)
    producer = KafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
    for i in range(7):
        producer.send(topic, value=b"x", partition=i % 2)
    producer.flush(10)
    producer.close()

    probe = LagProbe(f"{topic_namespace}group", [topic], bootstrap_servers=kafka_bootstrap)
    try:
        before = {(p.topic, p.partition): (p.committed, p.lag) for p in probe.measure()}
        assert before == {(topic, 0): (None, 4), (topic, 1): (None, 3)}  # never committed: all of it

        consumer = KafkaConsumer(
            bootstrap_servers=kafka_bootstrap, group_id=f"{topic_namespace}group", enable_auto_commit=False
        )
        partition = TopicPartition(topic, 0)
        consumer.assign([partition])
        consumer.seek_to_beginning(partition)
        read = 0
        while read < 4:
            read += sum(len(r) for r in consumer.poll(timeout_ms=1000).values())
        consumer.commit()
        consumer.close()

        after = {(p.topic, p.partition): (p.committed, p.lag) for p in probe.measure()}
        assert after == {(topic, 0): (4, 0), (topic, 1): (None, 3)}

        metrics = ServiceMetrics("reporting")
        metrics.record_lag(f"{topic_namespace}group", probe.measure())
        samples = {s.labels["partition"]: s.value for s in metrics.consumer_lag.collect()[0].samples}
        assert samples == {"0": 0.0, "1": 3.0}
        assert metrics.consumer_lag_measured._value.get() > 0
    finally:
        probe.close()
