"""Services as real processes on this machine, for the cross-service tests and the benchmarks:
`python -m work4life.<name>` on a free port, its logs in a file, started and stopped (or killed)
on demand, its resident memory read from /proc."""

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def free_port_run(count: int) -> int:
    """The first of `count` free ports in a row (a Kafka node's controller listens on port + 1; a
    local cluster of n nodes takes 2n ports)."""
    for _ in range(50):
        port = free_port()
        try:
            for offset in range(1, count):
                with socket.socket() as s:
                    s.bind(("127.0.0.1", port + offset))
            return port
        except OSError:
            continue
    raise RuntimeError(f"no {count} free ports in a row")


def free_port_pair() -> int:
    """A free port whose successor is free too (a Kafka broker's controller listens on port + 1)."""
    return free_port_run(2)


class ServiceProcess:
    """One service started with `python -m work4life.<name>`; logs go to a file in `log_dir`."""

    def __init__(self, name: str, env: dict[str, str], log_dir: Path, module: str | None = None) -> None:
        """`module`: run this module instead of `work4life.<name>` (with the service's settings)."""
        self.name = name
        self.module = module or f"work4life.{name}"
        self.port = free_port()
        prefix = f"W4L_{name.upper()}_"
        self.env = {**os.environ, **{f"{prefix}{k}": v for k, v in env.items()}, f"{prefix}HTTP_PORT": str(self.port)}
        self.log_path = log_dir / f"{name}.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.url = f"http://127.0.0.1:{self.port}"
        self.database_url = env.get("DATABASE_URL", "")

    def start(self, wait_ready: bool = True) -> "ServiceProcess":
        """Start and wait until it answers; a service that does not come up is killed, not left behind."""
        start_together([self], wait_ready)
        return self

    def launch(self) -> None:
        """Start the process, without waiting for it (`wait_until_up`)."""
        log = self.log_path.open("ab")
        self.process = subprocess.Popen([sys.executable, "-m", self.module], env=self.env, stdout=log, stderr=log)

    def wait_until_up(self, wait_ready: bool = True, timeout_s: float = 60) -> None:
        """Until it answers /ready (or only /health); an AssertionError with its log's end if it
        exits or does not answer in time."""
        assert self.process is not None
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"{self.name} exited at start-up:\n{self.log_path.read_text()[-3000:]}")
            try:
                path = "/ready" if wait_ready else "/health"
                if httpx.get(self.url + path, timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise AssertionError(f"{self.name} not ready after {timeout_s:.0f} s:\n{self.log_path.read_text()[-3000:]}")

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

    def rss_bytes(self) -> int:
        """Resident memory of the process now (Linux /proc), in bytes."""
        assert self.process is not None
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
        raise RuntimeError("VmRSS not found")


def start_together(services: Sequence[ServiceProcess], wait_ready: bool = True) -> list[ServiceProcess]:
    """Start the services at once and wait until each answers: their start-ups (imports,
    migrations, topics, the broker's connection) overlap instead of adding up. If one does not come
    up, every one started is killed, not left behind."""
    try:
        for service in services:
            service.launch()
        for service in services:
            service.wait_until_up(wait_ready, timeout_s=60 + 15 * (len(services) - 1))
    except BaseException:
        for service in services:
            if service.process is not None and service.process.poll() is None:
                service.process.kill()
                service.process.wait(timeout=10)
        raise
    return list(services)
