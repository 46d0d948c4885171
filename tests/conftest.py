"""Shared by the cross-service tests: services as real processes, and brokers of their own."""

import os
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from work4life.runtime.processes import ServiceProcess, free_port_run, start_together
from work4life.runtime.testing import REQUIRE_REAL, TEST_JWT_SECRET, fresh_postgres_database

REPO = Path(__file__).resolve().parents[1]


def eventually(fetch, accept, timeout: float = 60.0, what: str = ""):
    """Call `fetch` until `accept` holds for its result (an HTTP error counts as not yet)."""
    deadline, last = time.monotonic() + timeout, None
    while time.monotonic() < deadline:
        try:
            last = fetch()
            if accept(last):
                return last
        except httpx.HTTPError as exc:
            last = repr(exc)
        time.sleep(0.3)
    raise AssertionError(f"{what or 'the condition'} not reached within {timeout}s; last: {last!r}")


def caught_up(services) -> bool:
    """Every service's consumer has committed all it was sent and its outbox is empty (read from
    /metrics, as `w4l-status` does)."""
    from work4life.runtime.status import probe

    for service in services:
        seen = probe(service.name, service.url)
        if seen.error or seen.lag != 0 or (seen.outbox_pending or 0) != 0:
            return False
    return True


def topic_records(bootstrap: str, topic: str, **client_options) -> list:
    """Every record of a topic now, read from the beginning of each partition."""
    from kafka import KafkaConsumer, TopicPartition

    consumer = KafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False, **client_options)
    try:
        partitions = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or ())]
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        ends = consumer.end_offsets(partitions)
        records = []
        for _ in range(240):
            records += [r for batch in consumer.poll(timeout_ms=500).values() for r in batch]
            if all(consumer.position(tp) >= ends[tp] for tp in partitions):
                break
        return records
    finally:
        consumer.close()


class LocalBroker:
    """A Kafka broker of a test's own (deploy/kafka/kafka.sh on a free port, state in a temporary
    folder), which the test may stop, restart or secure without disturbing the shared one."""

    def __init__(self, state_dir: Path, *, secure: bool = False, heap: str = "384m", nodes: int = 1) -> None:
        """`nodes`: 3 (or more) for a cluster (W4L_KAFKA_NODES): 3 replicas, min.insync.replicas 2."""
        self.port = free_port_run(2 * nodes)
        self.nodes = nodes
        self.bootstrap = ",".join(f"127.0.0.1:{self.port + 2 * i}" for i in range(nodes))
        self.state_dir = state_dir
        self.env = {
            **os.environ,
            "W4L_KAFKA_PORT": str(self.port),
            "W4L_STATE_DIR": str(state_dir),
            "W4L_KAFKA_SECURE": "1" if secure else "0",
            "W4L_KAFKA_HEAP": heap,
            "W4L_KAFKA_NODES": str(nodes),
        }

    def kill_node(self, node: int) -> None:
        """SIGKILL one node of a cluster (1-based)."""
        self._check(self._run("kill-node", str(node)))

    def start_node(self, node: int) -> None:
        self._check(self._run("start-node", str(node)))

    @staticmethod
    def _check(result: subprocess.CompletedProcess[str]) -> None:
        assert result.returncode == 0, result.stderr[-2000:]

    def _run(self, *command: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["bash", str(REPO / "deploy/kafka/kafka.sh"), *command],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=180,
        )

    def start(self) -> "LocalBroker":
        result = self._run("start")
        if result.returncode != 0:
            message = f"needs a local broker of its own (deploy/kafka/kafka.sh start failed: {result.stderr[-500:]})"
            if REQUIRE_REAL:
                pytest.fail(message)
            pytest.skip(message)
        return self

    def stop(self) -> None:
        self._run("stop")

    @property
    def admin_password(self) -> str:
        return (self.state_dir / f"kafka-{self.port}" / "admin-password").read_text().strip()

    @property
    def ca_file(self) -> str:
        """The CA that signed a secure broker's certificate."""
        return str(self.state_dir / f"kafka-{self.port}" / "tls" / "ca.crt")


@pytest.fixture(params=["sqlite", "postgresql"])
def database_for(request, tmp_path):
    """A function giving each service its own database: SQLite files, or PostgreSQL databases."""
    if request.param == "sqlite":
        return lambda service: f"sqlite:///{tmp_path}/{service}.db"
    server = request.getfixturevalue("postgres_server_url")
    return lambda _service: fresh_postgres_database(server)


@pytest.fixture
def start_services(kafka_bootstrap, database_for, topic_namespace, tmp_path):
    """Start the named services as processes on one real broker, each with its own database;
    they are stopped after the test."""
    common = {
        "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
        "TOPIC_NAMESPACE": topic_namespace,
        "TOPIC_PARTITIONS": "6",
        "LOG_JSON": "true",
        "AUTH_JWT_SECRET": TEST_JWT_SECRET,
    }
    started: list[ServiceProcess] = []

    def start(
        *names: str, env: dict[str, str] | None = None, database_url: str | None = None, wait_ready: bool = True
    ) -> list[ServiceProcess]:
        """`env` adds settings (without the service's prefix) to each of them. `database_url`: the
        database to share (replicas of one service); by default each start gets a new one."""
        services = []
        for name in names:
            settings = {**common, "DATABASE_URL": database_url or database_for(name), **(env or {})}
            logs = (
                tmp_path / f"{name}-{sum(s.name == name for s in [*started, *services])}" if database_url else tmp_path
            )
            logs.mkdir(exist_ok=True)
            services.append(ServiceProcess(name, settings, logs))
        if database_url:  # replicas of one database: one after the other, as they would be deployed
            for service in services:
                started.append(service.start(wait_ready=wait_ready))
        else:  # each its own database: at once, their start-ups overlapping
            started.extend(start_together(services, wait_ready))
        return started[-len(names) :]

    try:
        yield start
    finally:
        for service in started:
            service.stop()


@pytest.fixture(scope="session")
def secure_broker(tmp_path_factory):
    """A broker of its own that requires TLS, SASL/SCRAM and ACLs (W4L_KAFKA_SECURE=1)."""
    broker = LocalBroker(tmp_path_factory.mktemp("secure-kafka"), secure=True).start()
    try:
        yield broker
    finally:
        broker.stop()


@pytest.fixture
def start_secure_services(secure_broker, tmp_path):
    """Like `start_services`, on the secure broker: each service with its own principal over TLS,
    allowed only what `w4l-kafka-acls` grants it, each with its own SQLite database. The fixture's
    value also says how to reach the broker as the super user (`admin_client`)."""
    import uuid

    from work4life.runtime import acls

    namespace = f"s{uuid.uuid4().hex[:6]}."
    passwords = {s: f"pw-{s}-{uuid.uuid4().hex[:8]}" for s in acls.SERVICES}
    acls.apply(
        secure_broker.bootstrap,
        secure_broker.admin_password,
        acls.SERVICES,
        passwords,
        namespace,
        partitions=2,
        cafile=secure_broker.ca_file,
    )
    started: list[ServiceProcess] = []

    def start(*names: str) -> list[ServiceProcess]:
        services = []
        for name in names:
            settings = {
                "KAFKA_BOOTSTRAP_SERVERS": secure_broker.bootstrap,
                "KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
                "KAFKA_SSL_CAFILE": secure_broker.ca_file,
                "KAFKA_SASL_MECHANISM": "SCRAM-SHA-512",
                "KAFKA_SASL_USERNAME": acls.principal(name),
                "KAFKA_SASL_PASSWORD": passwords[name],
                "TOPIC_NAMESPACE": namespace,
                "TOPIC_PARTITIONS": "2",
                "LAG_REFRESH_INTERVAL_S": "1",
                "LOG_JSON": "true",
                "AUTH_JWT_SECRET": TEST_JWT_SECRET,
                "DATABASE_URL": f"sqlite:///{tmp_path}/{name}.db",
            }
            services.append(ServiceProcess(name, settings, tmp_path))
        started.extend(start_together(services))
        return started[-len(names) :]

    start.namespace = namespace  # type: ignore[attr-defined]
    start.passwords = passwords  # type: ignore[attr-defined]
    start.broker = secure_broker  # type: ignore[attr-defined]
    try:
        yield start
    finally:
        for service in started:
            service.stop()


@pytest.fixture
def services(start_services):
    """Intake and reporting processes."""
    return start_services("intake", "reporting")
