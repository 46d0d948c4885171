"""Kafka with TLS, authentication and per-service ACLs, on a real broker of its own started by
deploy/kafka/kafka.sh with W4L_KAFKA_SECURE=1 (SASL_SSL with SCRAM-SHA-512 and a local CA,
StandardAuthorizer, nothing allowed without an ACL): each service's principal writes only its own
topics and reads only what it consumes, with its own consumer group; a real service connects with
its principal over TLS."""

import asyncio
import uuid
from dataclasses import dataclass

import pytest
from kafka import KafkaConsumer, KafkaProducer
from kafka.errors import GroupAuthorizationFailedError, KafkaError, TopicAuthorizationFailedError

from work4life.runtime import acls
from work4life.runtime.testing import TEST_JWT_SECRET, app_client

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def secure_kafka(secure_broker):
    """(bootstrap, admin password, CA file) of a broker that requires TLS, SASL/SCRAM and ACLs
    (shared with the end-to-end run on the secure broker)."""
    return secure_broker.bootstrap, secure_broker.admin_password, secure_broker.ca_file


@dataclass(frozen=True)
class Cluster:
    """The secure broker with every service's principal, topics and ACLs in place."""

    bootstrap: str
    namespace: str
    passwords: dict[str, str]
    grants: list[acls.Grant]
    ca_file: str

    def client(self, service: str, password: str | None = None) -> dict:
        """kafka-python options of a service's principal (over TLS)."""
        return {
            "bootstrap_servers": self.bootstrap,
            "security_protocol": "SASL_SSL",
            "ssl_cafile": self.ca_file,
            "sasl_mechanism": "SCRAM-SHA-512",
            "sasl_plain_username": acls.principal(service),
            "sasl_plain_password": self.passwords[service] if password is None else password,
        }


@pytest.fixture(scope="module")
def principals(secure_kafka) -> Cluster:
    bootstrap, admin_password, ca_file = secure_kafka
    namespace = f"s{uuid.uuid4().hex[:6]}."
    passwords = {s: f"pw-{s}-{uuid.uuid4().hex[:8]}" for s in acls.SERVICES}
    grants = acls.apply(bootstrap, admin_password, acls.SERVICES, passwords, namespace, partitions=1, cafile=ca_file)
    return Cluster(bootstrap, namespace, passwords, grants, ca_file)


def send(options: dict, topic: str, value: bytes = b"{}") -> None:
    producer = KafkaProducer(acks="all", max_block_ms=10_000, **options)
    try:
        producer.send(topic, key=b"k", value=value).get(timeout=15)
    finally:
        producer.close(timeout=5)


def test_a_service_writes_its_own_topics_and_is_refused_anothers(principals):
    c = principals
    intake = c.client("intake")
    training = c.client("training")
    send(intake, f"{c.namespace}intake.beneficiaries")
    send(training, f"{c.namespace}training.enrolments")
    with pytest.raises(TopicAuthorizationFailedError):
        send(training, f"{c.namespace}intake.beneficiaries")  # training may read intake's topic, never write it
    with pytest.raises(TopicAuthorizationFailedError):
        send(c.client("reporting"), f"{c.namespace}enterprise.ventures")


def test_a_service_reads_what_it_consumes_with_its_own_group_only(principals):
    c = principals
    topic = f"{c.namespace}intake.beneficiaries"
    send(c.client("intake"), topic, b'{"n": 1}')
    consumer = KafkaConsumer(
        topic,
        group_id="training",
        auto_offset_reset="earliest",
        **c.client("training"),
    )
    try:
        records = []
        for _ in range(30):
            records += [r for batch in consumer.poll(timeout_ms=500).values() for r in batch]
            if records:
                break
        assert records, "training read nothing from intake's topic"
    finally:
        consumer.close()
    intruder = KafkaConsumer(
        topic,
        group_id="reporting",
        auto_offset_reset="earliest",
        **c.client("training"),
    )
    try:
        with pytest.raises(GroupAuthorizationFailedError):
            for _ in range(20):
                intruder.poll(timeout_ms=500)
    finally:
        intruder.close()


def topics_seen(options: dict) -> set[str]:
    consumer = KafkaConsumer(request_timeout_ms=4000, bootstrap_timeout_ms=4000, **options)
    try:
        return consumer.topics()
    finally:
        consumer.close()


def test_a_principal_sees_only_its_topics_and_a_wrong_password_or_none_gets_nothing(principals):
    c = principals
    seen = {t.removeprefix(c.namespace) for t in topics_seen(c.client("training"))}
    assert {"intake.beneficiaries", "training.enrolments", "training.dead_letters"} <= seen
    assert "enterprise.ventures" not in seen and "reporting.dead_letters" not in seen
    with pytest.raises(KafkaError):
        topics_seen(c.client("intake", "not-the-password"))
    with pytest.raises(KafkaError):
        topics_seen({"bootstrap_servers": c.bootstrap})  # no TLS, no credentials
    with pytest.raises(KafkaError):  # the right password, but without TLS
        topics_seen({**c.client("training"), "security_protocol": "SASL_PLAINTEXT"})


def test_the_grants_follow_what_each_service_declares(principals):
    grants = principals.grants
    training = {(g.operation, g.resource, g.name.split(".", 1)[-1]) for g in grants if g.principal == "w4l-training"}
    assert ("READ", "topic", "intake.beneficiaries") in training
    assert ("WRITE", "topic", "training.enrolments") in training
    assert ("WRITE", "topic", "training.dead_letters") in training
    assert ("READ", "group", "training") in training
    assert not any(op == "WRITE" and name.startswith("intake.") for op, _, name in training)


async def test_a_service_runs_on_the_secure_broker_with_its_principal(principals, tmp_path):
    """Training with TLS and SASL settings: topics checked, consumer joined, lag measured."""
    from work4life.training.bootstrap import build
    from work4life.training.config import TrainingSettings

    c = principals
    settings = TrainingSettings(
        database_url=f"sqlite:///{tmp_path}/training.db",
        auth_jwt_secret=TEST_JWT_SECRET,
        kafka_bootstrap_servers=c.bootstrap,
        kafka_security_protocol="SASL_SSL",
        kafka_ssl_cafile=c.ca_file,
        kafka_sasl_mechanism="SCRAM-SHA-512",
        kafka_sasl_username="w4l-training",
        kafka_sasl_password=c.passwords["training"],
        topic_namespace=c.namespace,
        topic_partitions=1,
        lag_refresh_interval_s=0.5,
    )
    app = build(settings)
    async with app_client(app) as client:
        for _ in range(200):
            ready = (await client.get("/ready")).json()
            metrics = (await client.get("/metrics")).text
            if ready["status"] == "ready" and 'w4l_consumer_lag_messages{group="training"' in metrics:
                break
            await asyncio.sleep(0.1)
        assert ready == {"status": "ready", "checks": {"database": "ok", "kafka": "ok"}}
        assert f'topic="{c.namespace}intake.beneficiaries"' in metrics
