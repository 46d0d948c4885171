"""Services as real processes on this machine, for the cross-service tests and the benchmarks:
`python -m work4life.<name>` on a free port, its logs in a file, started and stopped (or killed)
on demand, its resident memory read from /proc."""

import os
import random
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import httpx

# Not the module's generator: a test that seeds it must not make two runs choose the same ports.
_UNSEEDED = random.SystemRandom()


def _ports_the_kernel_keeps() -> range:
    """Ports below the kernel's ephemeral range: it never gives one of them to an outgoing
    connection, so a port chosen here stays free between the choice and a slow server's bind (a
    Kafka node's JVM takes seconds, and meanwhile the other services open connections)."""
    try:
        first_ephemeral = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        first_ephemeral = 32768
    return range(20000, max(first_ephemeral, 21000))


def _bindable(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def free_port() -> int:
    """A free port on 127.0.0.1 (see free_port_run)."""
    return free_port_run(1)


def free_port_run(count: int) -> int:
    """The first of `count` free ports in a row (a Kafka node's controller listens on port + 1; a
    local cluster of n nodes takes 2n ports), chosen at random among the ports the kernel does not
    hand out by itself, so that parallel test runs on one machine rarely meet."""
    ports = _ports_the_kernel_keeps()
    for _ in range(200):
        port = _UNSEEDED.randrange(ports.start, ports.stop - count)
        if all(_bindable(port + offset) for offset in range(count)):
            return port
    raise RuntimeError(f"no {count} free ports in a row among {ports.start}-{ports.stop - 1}")


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

    def cpu_seconds(self) -> float:
        """CPU time the process has used so far, user and system (Linux /proc), in seconds."""
        assert self.process is not None
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime

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
