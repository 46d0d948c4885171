"""Operations on a running system: a real Prometheus (Debian's package, started by
deploy/prometheus/prometheus.sh) scrapes all five services, evaluates the project's alert rules,
and answers for a business counter, a consumer-lag figure and every Grafana dashboard query;
`w4l-status` and `w4l-dead-letters` read the same system."""

import importlib.util
import json
import os
import subprocess
import time
from pathlib import Path

import httpx
import pytest
from kafka import KafkaProducer

from work4life.runtime import dead_letters, status
from work4life.runtime.processes import free_port
from work4life.runtime.testing import bearer

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
CASEWORKER = bearer("caseworker", "work4life")
SERVICES = ("intake", "training", "enterprise", "employment", "reporting")


def _dashboard_queries() -> list[tuple[str, str, str]]:
    spec = importlib.util.spec_from_file_location("w4l_dashboards", REPO / "deploy/grafana/dashboards.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.queries(list(SERVICES))


@pytest.fixture
def prometheus(tmp_path):
    """Start a Prometheus with the committed config and rules; yields a query function."""
    started: dict[str, object] = {}

    def start(targets: dict[str, str]) -> "Prometheus":
        port = free_port()
        env = {
            **os.environ,
            "W4L_STATE_DIR": str(tmp_path / "prom"),
            "W4L_PROMETHEUS_PORT": str(port),
            "W4L_PROMETHEUS_INTERVAL": "1s",
            "W4L_PROMETHEUS_TARGETS": ",".join(f"{name}={address}" for name, address in targets.items()),
        }
        script = REPO / "deploy/prometheus/prometheus.sh"
        subprocess.run(["bash", str(script), "start"], env=env, check=True, timeout=120)
        started["stop"] = lambda: subprocess.run(["bash", str(script), "stop"], env=env, timeout=60)
        return Prometheus(f"http://127.0.0.1:{port}")

    yield start
    if "stop" in started:
        started["stop"]()  # type: ignore[operator]


class Prometheus:
    def __init__(self, url: str) -> None:
        self.url = url

    def query(self, expr: str) -> list[dict]:
        body = httpx.get(f"{self.url}/api/v1/query", params={"query": expr}, timeout=10).json()
        assert body["status"] == "success", f"{expr}: {body}"
        return body["data"]["result"]

    def wait_for(self, expr: str, accept, timeout: float = 60.0) -> list[dict]:
        deadline = time.monotonic() + timeout
        result: list[dict] = []
        while time.monotonic() < deadline:
            result = self.query(expr)
            if accept(result):
                return result
            time.sleep(0.5)
        raise AssertionError(f"{expr} never satisfied the condition; last result {result}")


def values(result: list[dict], label: str) -> dict[str, float]:
    return {r["metric"].get(label, ""): float(r["value"][1]) for r in result}


@pytest.mark.parametrize("database_for", ["sqlite"], indirect=True)  # the databases are not what is tested here
def test_prometheus_scrapes_every_service_and_alerts_on_dead_letters(
    start_services, prometheus, kafka_bootstrap, topic_namespace, capsys
):
    running = start_services(*SERVICES, env={"LAG_REFRESH_INTERVAL_S": "1"})
    by_name = {s.name: s for s in running}
    prom = prometheus({s.name: f"127.0.0.1:{s.port}" for s in running})

    # Every service is scraped.
    up = prom.wait_for("up", lambda r: values(r, "job") == dict.fromkeys(SERVICES, 1.0))
    assert len(up) == 5

    # Two registrations: the business counter says 2.
    person = {
        "given_name": "Amina",
        "family_name": "Diallo",
        "sex": "female",
        "date_of_birth": "1995-03-14",
        "nationality": "GIN",
        "legal_status": "refugee",
        "region": "rabat_sale_kenitra",
        "city": "Rabat",
        "consents": [{"purpose": "service_delivery"}, {"purpose": "statistics"}],
    }
    for given in ("Amina", "Fatou"):
        r = httpx.post(
            f"{by_name['intake'].url}/v1/beneficiaries", json={**person, "given_name": given}, headers=CASEWORKER
        )
        assert r.status_code == 201, r.text
    registrations = prom.wait_for("sum(w4l_intake_registrations_total)", lambda r: r and float(r[0]["value"][1]) == 2.0)
    assert float(registrations[0]["value"][1]) == 2.0
    people = prom.wait_for('w4l_reporting_people{service="reporting"}', lambda r: r and float(r[0]["value"][1]) == 2)
    assert float(people[0]["value"][1]) == 2.0

    # Consumer lag: reporting's group, every partition of intake's beneficiaries topic, back to 0.
    beneficiaries = f"{topic_namespace}intake.beneficiaries"
    lag = prom.wait_for(
        f'w4l_consumer_lag_messages{{service="reporting", topic="{beneficiaries}"}}',
        lambda r: len(r) == 6 and sum(float(x["value"][1]) for x in r) == 0,
    )
    assert {x["metric"]["group"] for x in lag} == {"reporting"}

    # A malformed message on a topic that training consumes: dead-lettered, counted, alerted.
    producer = KafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
    producer.send(beneficiaries, key=b"x", value=b"{not json")
    producer.flush(10)
    producer.close()
    dead = prom.wait_for('w4l_dead_letters_total{service="training"}', lambda r: r and float(r[0]["value"][1]) == 1)
    assert dead[0]["metric"]["source_topic"] == beneficiaries
    alert = prom.wait_for(
        'ALERTS{alertname="W4LDeadLetters", service="training", alertstate="firing"}', lambda r: len(r) == 1
    )
    assert alert[0]["metric"]["reason"] == dead[0]["metric"]["reason"]
    assert prom.query('ALERTS{alertname="W4LServiceDown"}') == []
    rules = httpx.get(f"{prom.url}/api/v1/rules").json()["data"]["groups"]
    assert sum(len(g["rules"]) for g in rules) >= 10
    assert all(rule["health"] == "ok" for g in rules for rule in g["rules"]), rules

    # Every Grafana query is valid PromQL over metrics that exist on this system.
    queries = _dashboard_queries()
    empty = [(file, title) for file, title, expr in queries if not prom.query(expr)]
    # Panels on events that did not happen here (no grant paid, no placement...) may be empty,
    # but most of them must show data from this system.
    assert len(empty) < len(queries) / 2, empty
    print(f"\n{len(queries)} dashboard queries ran; {len(queries) - len(empty)} returned data")
    capsys.readouterr()

    # The status command sees the same system, counting dead letters in Kafka.
    args = [f"--service={s.name}={s.url}" for s in running]
    code = status.main([*args, "--bootstrap", kafka_bootstrap, "--namespace", topic_namespace, "--json"])
    report = {s["service"]: s for s in json.loads(capsys.readouterr().out)}
    assert code == 0
    assert all(report[name]["ready"] for name in SERVICES)
    assert report["intake"]["headline"] == "2 registrations"
    assert report["training"]["dead_letters"] == 1 and report["training"]["dead_letters_source"] == "kafka"
    assert report["reporting"]["lag"] == 0
    assert report["intake"]["dead_letters"] == 0  # intake does not read its own beneficiaries topic
    assert status.main([*args, "--bootstrap", ""]) == 0
    table = capsys.readouterr().out
    assert "2 registrations" in table and "training    yes    ready" in table

    # ...and the dead-letter tool lists it, with the reason and the source offset.
    assert dead_letters.main(["--bootstrap", kafka_bootstrap, "--namespace", topic_namespace, "list", "training"]) == 0
    listing = capsys.readouterr().out
    assert dead[0]["metric"]["reason"] in listing and f"{beneficiaries}[" in listing

    # A stopped service is seen as down by the status command.
    by_name["employment"].stop()
    assert status.main([*args, "--bootstrap", ""]) == 1
    assert "employment  NO" in capsys.readouterr().out
