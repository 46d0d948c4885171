"""The deployment files are checked by whatever this machine allows without Docker or a cluster:
promtool for the Prometheus config and alert rules (with the rules' unit tests), the Compose
specification's JSON schema for the compose file, Kubernetes' own schemas (strict) for the
manifests, a parse of each Dockerfile plus its install step run outside Docker, and drift checks
for every generated file (dashboards, manifests, AsyncAPI documents)."""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
SERVICES = {"intake": 8001, "training": 8002, "enterprise": 8003, "employment": 8004, "reporting": 8005}
REQUIRE_REAL = os.environ.get("W4L_TEST_REQUIRE_REAL") == "1"


def run(*args: str, cwd: Path = REPO, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=300)
    if check:
        assert result.returncode == 0, f"{' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
    return result


def tool(name: str) -> str:
    path = shutil.which(name) or shutil.which(name, path=str(Path(sys.executable).parent))
    if path is None:
        message = f"needs {name} (scripts/setup.sh installs it)"
        if REQUIRE_REAL:
            pytest.fail(message)
        pytest.skip(message)
    return path


# -- Prometheus -------------------------------------------------------------------------------


def test_promtool_accepts_the_config_and_the_alert_rules_pass_their_unit_tests():
    promtool = tool("promtool")
    out = run(promtool, "check", "config", "deploy/prometheus/prometheus.yml").stdout
    assert "SUCCESS" in out and "rules found" in out
    out = run(promtool, "test", "rules", "alerts.test.yml", cwd=REPO / "deploy/prometheus").stdout
    assert "SUCCESS" in out


def test_promtool_rejects_a_broken_rule(tmp_path):
    """The check above can fail: a rule with a PromQL syntax error is refused."""
    promtool = tool("promtool")
    rules = yaml.safe_load((REPO / "deploy/prometheus/alerts.yml").read_text())
    rules["groups"][0]["rules"][0]["expr"] = "up{job= == 0"
    (tmp_path / "alerts.yml").write_text(yaml.safe_dump(rules))
    assert run(promtool, "check", "rules", str(tmp_path / "alerts.yml"), check=False).returncode != 0


def test_prometheus_scrapes_every_service_and_alerts_cover_the_issue():
    config = yaml.safe_load((REPO / "deploy/prometheus/prometheus.yml").read_text())
    jobs = {job["job_name"]: job["static_configs"][0]["targets"] for job in config["scrape_configs"]}
    assert jobs == {name: [f"{name}:{port}"] for name, port in SERVICES.items()}
    alerts = {
        rule["alert"]
        for group in yaml.safe_load((REPO / "deploy/prometheus/alerts.yml").read_text())["groups"]
        for rule in group["rules"]
    }
    assert {
        "W4LServiceDown",
        "W4LConsumerLagGrowing",
        "W4LDeadLetters",
        "W4LOutboxBacklog",
        "W4LOutboxStale",
        "W4LRetentionChecksOverdue",
    } <= alerts


# -- generated files --------------------------------------------------------------------------


def test_generated_files_match_their_generators():
    """Dockerfiles, manifests, dashboards and AsyncAPI documents for every service under services/,
    and the counting rules in reporting's README."""
    result = run(sys.executable, "scripts/generate.py", "--check", check=False)
    assert result.returncode == 0, result.stderr
    assert "24 generated files are current" in result.stdout


async def test_each_service_serves_the_committed_asyncapi_document():
    """What GET /asyncapi.json serves is what docs/asyncapi/ holds."""
    import importlib

    import httpx

    from work4life.runtime.testing import NO_BROKER, TEST_JWT_SECRET

    for service in SERVICES:
        config = importlib.import_module(f"work4life.{service}.config")
        settings_class = next(
            getattr(config, n) for n in dir(config) if n.endswith("Settings") and n != "ServiceSettings"
        )
        settings = settings_class(
            database_url="sqlite://", auth_jwt_secret=TEST_JWT_SECRET, **{**NO_BROKER, "topic_namespace": ""}
        )
        app = importlib.import_module(f"work4life.{service}.bootstrap").build(settings)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
            served = (await client.get("/asyncapi.json")).json()
        committed = json.loads((REPO / f"docs/asyncapi/{service}.json").read_text())
        assert served["channels"] == committed["channels"], service
        assert served["operations"] == committed["operations"], service
        assert served["components"] == committed["components"], service


def test_the_channel_catalogue_names_a_producer_and_a_schema_for_every_event():
    catalogue = (REPO / "docs/asyncapi/README.md").read_text()
    rows = [line for line in catalogue.splitlines() if line.startswith("| `")]
    assert len(rows) >= 28
    for row in rows:
        topic, event, producer = (cell.strip(" `") for cell in row.strip("|").split("|")[:3])
        assert producer == topic.split(".")[0], row
        assert (REPO / f"contracts/schemas/{event}.v1.json").exists(), row


# -- Grafana ----------------------------------------------------------------------------------


def test_dashboards_are_valid_grafana_json_for_the_provisioned_datasource():
    datasource = yaml.safe_load((REPO / "deploy/grafana/provisioning/datasources/prometheus.yml").read_text())
    uid = datasource["datasources"][0]["uid"]
    boards = {p.stem: json.loads(p.read_text()) for p in (REPO / "deploy/grafana/dashboards").glob("*.json")}
    assert set(boards) == {"platform", *SERVICES}
    for name, board in boards.items():
        assert board["uid"] and board["title"] and board["panels"], name
        ids = [panel["id"] for panel in board["panels"]]
        assert len(ids) == len(set(ids)), f"{name}: duplicate panel ids"
        for panel in board["panels"]:
            assert panel["datasource"]["uid"] == uid
            assert all(t["expr"] and t["refId"] for t in panel["targets"]), (name, panel["title"])
            grid = panel["gridPos"]
            assert grid["x"] + grid["w"] <= 24, (name, panel["title"])


# -- Compose and Dockerfiles ------------------------------------------------------------------


def test_the_compose_file_matches_the_compose_specification(tmp_path):
    checker = tool("check-jsonschema")
    run(checker, "--builtin-schema", "vendor.compose-spec", "deploy/compose.yaml")
    compose = yaml.safe_load((REPO / "deploy/compose.yaml").read_text())
    assert {"kafka", "postgres", "prometheus", "grafana", "web", *SERVICES} == set(compose["services"])
    assert compose["services"]["web"]["build"]["dockerfile"] == "web/Dockerfile"
    assert compose["services"]["kafka"]["image"].startswith("apache/kafka:")
    for name, port in SERVICES.items():
        service = compose["services"][name]
        assert (REPO / "deploy" / service["build"]["context"] / service["build"]["dockerfile"]).exists()
        assert service["ports"] == [f"127.0.0.1:{port}:{port}"]
        assert service["environment"][f"W4L_{name.upper()}_DATABASE_URL"].endswith(f"/w4l_{name}")
    for service in compose["services"].values():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("./"):
                assert (REPO / "deploy" / source).exists(), volume
    # ...and the schema check can fail.
    broken = dict(compose, services={**compose["services"], "intake": {**compose["services"]["intake"], "ports": 8001}})
    (tmp_path / "compose.yaml").write_text(yaml.safe_dump(broken))
    assert run(
        checker, "--builtin-schema", "vendor.compose-spec", str(tmp_path / "compose.yaml"), check=False
    ).returncode


@pytest.mark.parametrize("service", SERVICES)
def test_the_dockerfile_builds_an_image_of_only_its_service(service, tmp_path):
    """Parsed, then its install step (`uv sync ... --package work4life-<service>`) is run outside
    Docker into an empty environment, which must import the service and nothing of the others."""
    from dockerfile_parse import DockerfileParser

    parser = DockerfileParser(str(REPO / f"services/{service}/Dockerfile"))
    instructions = [(i["instruction"], i["value"]) for i in parser.structure]
    stages = [v for k, v in instructions if k == "FROM"]
    assert len(stages) == 2 and all(s.startswith("python:3.11") for s in stages)
    final = instructions[max(i for i, (k, _) in enumerate(instructions) if k == "FROM") :]
    values = {k: v for k, v in final}
    assert values["USER"] == "10001"
    assert values["EXPOSE"] == str(SERVICES[service])
    assert json.loads(values["CMD"]) == ["python", "-m", f"work4life.{service}"]
    assert f"HTTP_PORT={SERVICES[service]}" in values["ENV"] and "HTTP_HOST=0.0.0.0" in values["ENV"]
    assert "/health" in values["HEALTHCHECK"]
    install = next(v for k, v in instructions if k == "RUN" and "uv sync" in v)
    assert f"--package work4life-{service}" in install
    uv = tool("uv")
    env = {**os.environ, "UV_PROJECT_ENVIRONMENT": str(tmp_path / "venv"), "UV_PYTHON_DOWNLOADS": "never"}
    args = re.sub(r"^uv ", "", install).split()
    result = subprocess.run([uv, *args, "--quiet"], cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    others = [s for s in SERVICES if s != service]
    probe = (
        "import importlib.util, sys; "
        f"import work4life.{service}.bootstrap; "
        f"present = [s for s in {others!r} + ['pytest'] if importlib.util.find_spec(s if s == 'pytest' else 'work4life.' + s)]; "
        "sys.exit(f'also installed: {present}' if present else 0)"
    )
    result = subprocess.run(
        [str(tmp_path / "venv/bin/python"), "-c", probe], capture_output=True, text=True, timeout=60, cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr


# -- Kubernetes -------------------------------------------------------------------------------


@pytest.mark.parametrize("service", SERVICES)
def test_the_kubernetes_manifests_of_a_service_pass_kubernetes_schema_validation(service):
    import kubernetes_validate

    documents = list(yaml.safe_load_all((REPO / f"deploy/kubernetes/{service}.yaml").read_text()))
    kinds = {d["kind"] for d in documents}
    assert kinds == {
        "ServiceAccount",
        "ConfigMap",
        "Deployment",
        "Service",
        "PodDisruptionBudget",
        "HorizontalPodAutoscaler",
    }
    for document in documents:
        kubernetes_validate.validate(document, "1.31.0", strict=True)
        assert document["metadata"]["name"].startswith(f"w4l-{service}"), "a file holds one service only"
    deployment = next(d for d in documents if d["kind"] == "Deployment")
    pod = deployment["spec"]["template"]["spec"]
    container = pod["containers"][0]
    assert container["readinessProbe"]["httpGet"]["path"] == "/ready"
    assert container["livenessProbe"]["httpGet"]["path"] == "/health"
    assert container["resources"]["requests"]["cpu"] and container["resources"]["requests"]["memory"]
    # Graceful stop: longer than uvicorn's own 20 s plus the pre-stop pause.
    assert pod["terminationGracePeriodSeconds"] > 20 + 5
    hpa = next(d for d in documents if d["kind"] == "HorizontalPodAutoscaler")
    assert hpa["spec"]["maxReplicas"] == int(
        next(d for d in documents if d["kind"] == "ConfigMap")["data"]["TOPIC_PARTITIONS"]
    ), "scale no further than the consumer group can use"


def test_kubernetes_validation_can_fail():
    import kubernetes_validate

    document = next(
        d for d in yaml.safe_load_all((REPO / "deploy/kubernetes/intake.yaml").read_text()) if d["kind"] == "Deployment"
    )
    document["spec"]["template"]["spec"]["containers"][0]["readinessProbe"]["httpGet"]["port"] = {"not": "a port"}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(document, "1.31.0", strict=True)
