"""Shared by the cross-service tests: services as real processes, and brokers of their own."""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from work4life.runtime.testing import REQUIRE_REAL, TEST_JWT_SECRET, fresh_postgres_database


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


REPO = Path(__file__).resolve().parents[1]


def free_port_pair() -> int:
    """A free port whose successor is free too (Kafka's controller listens on port + 1)."""
    for _ in range(50):
        port = free_port()
        try:
            with socket.socket() as s:
                s.bind(("127.0.0.1", port + 1))
            return port
        except OSError:
            continue
    raise RuntimeError("no two free ports in a row")


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


class LocalBroker:
    """A Kafka broker of a test's own (deploy/kafka/kafka.sh on a free port, state in a temporary
    folder), which the test may stop, restart or secure without disturbing the shared one."""

    def __init__(self, state_dir: Path, *, secure: bool = False, heap: str = "384m") -> None:
        self.port = free_port_pair()
        self.bootstrap = f"127.0.0.1:{self.port}"
        self.state_dir = state_dir
        self.env = {
            **os.environ,
            "W4L_KAFKA_PORT": str(self.port),
            "W4L_STATE_DIR": str(state_dir),
            "W4L_KAFKA_SECURE": "1" if secure else "0",
            "W4L_KAFKA_HEAP": heap,
        }

    def _run(self, command: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["bash", str(REPO / "deploy/kafka/kafka.sh"), command],
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


class ServiceProcess:
    """One service started with `python -m work4life.<name>`; logs go to a file in tmp_path."""

    def __init__(self, name: str, env: dict[str, str], log_dir: Path) -> None:
        self.name = name
        self.port = free_port()
        prefix = f"W4L_{name.upper()}_"
        self.env = {**os.environ, **{f"{prefix}{k}": v for k, v in env.items()}, f"{prefix}HTTP_PORT": str(self.port)}
        self.log_path = log_dir / f"{name}.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.url = f"http://127.0.0.1:{self.port}"
        self.database_url = env.get("DATABASE_URL", "")

    def start(self, wait_ready: bool = True) -> "ServiceProcess":
        """Start and wait until it answers; a service that does not come up is killed, not left behind."""
        try:
            return self._start(wait_ready)
        except BaseException:
            if self.process is not None and self.process.poll() is None:
                self.process.kill()
                self.process.wait(timeout=10)
            raise

    def _start(self, wait_ready: bool) -> "ServiceProcess":
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", f"work4life.{self.name}"], env=self.env, stdout=log, stderr=log
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"{self.name} exited at start-up:\n{self.log_path.read_text()[-3000:]}")
            try:
                path = "/ready" if wait_ready else "/health"
                if httpx.get(self.url + path, timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise AssertionError(f"{self.name} not ready after 60 s:\n{self.log_path.read_text()[-3000:]}")

    def kill(self) -> None:
        """SIGKILL: no shutdown hook runs, nothing is flushed or committed."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> int:
        if self.process is None or self.process.poll() is not None:
            return self.process.returncode if self.process else 0
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return -9


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

    def start(*names: str, env: dict[str, str] | None = None) -> list[ServiceProcess]:
        """`env` adds settings (without the service's prefix) to each of them."""
        for name in names:
            settings = {**common, "DATABASE_URL": database_for(name), **(env or {})}
            service = ServiceProcess(name, settings, tmp_path)
            started.append(service.start())
        return started[-len(names) :]

    try:
        yield start
    finally:
        for service in started:
            service.stop()


@pytest.fixture
def services(start_services):
    """Intake and reporting processes."""
    return start_services("intake", "reporting")
