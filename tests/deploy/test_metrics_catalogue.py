"""The metrics catalogue (docs/METRICS.md) is what the services expose: no undocumented `w4l_`
metric, no documented one that nothing exposes; the business figures' SQL runs on SQLite and
PostgreSQL; the dashboards and alert rules use only catalogued metrics."""

import importlib
import re
from pathlib import Path

import httpx
import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from work4life.runtime import migrations
from work4life.runtime.testing import NO_BROKER, TEST_JWT_SECRET

REPO = Path(__file__).resolve().parents[2]
SERVICES = ("intake", "training", "enterprise", "employment", "reporting")
CATALOGUE = (REPO / "docs/METRICS.md").read_text()
DOCUMENTED = set(re.findall(r"`((?:w4l|faststream)_[a-z0-9_]+)`", CATALOGUE))
SUFFIXES = ("_bucket", "_count", "_sum", "_created")


def base_name(name: str) -> str:
    for suffix in SUFFIXES:
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


async def exposed(service: str, database_url: str) -> dict[str, set[str]]:
    """Metric families (and their sample names) served at /metrics by a freshly migrated service."""
    config = importlib.import_module(f"work4life.{service}.config")
    settings_class = next(getattr(config, n) for n in dir(config) if n.endswith("Settings") and n != "ServiceSettings")
    settings = settings_class(database_url=database_url, auth_jwt_secret=TEST_JWT_SECRET, **NO_BROKER)
    app = importlib.import_module(f"work4life.{service}.bootstrap").build(settings)
    migrations.upgrade(app.state.runtime.engine, f"work4life.{service}")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        response = await client.get("/metrics")
    assert response.status_code == 200
    families = {}
    for family in text_string_to_metric_families(response.text):
        if family.name.endswith("_created"):  # the creation time of a counter, parsed as its own family
            continue
        families[family.name + ("_total" if family.type == "counter" else "")] = {s.name for s in family.samples}
    return families


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
async def test_every_exposed_metric_is_in_the_catalogue_and_every_catalogued_one_is_exposed(
    database, tmp_path, request
):
    from work4life.runtime.testing import fresh_postgres_database

    seen: set[str] = set()
    for service in SERVICES:
        if database == "sqlite":
            url = f"sqlite:///{tmp_path}/{service}.db"
        else:
            url = fresh_postgres_database(request.getfixturevalue("postgres_server_url"))
        families = await exposed(service, url)
        own = {n for n in families if n.startswith("w4l_")}
        undocumented = own - DOCUMENTED
        assert not undocumented, f"{service} exposes metrics missing from docs/METRICS.md: {sorted(undocumented)}"
        seen |= own
        # A business figure was read from the database (its samples are there, zero or more).
        business = [n for n in own if n.startswith(f"w4l_{service}_")]
        assert business, f"{service} exposes no business figure"
        assert any(families[n] for n in business), f"{service}: no business figure has a value"
    documented_w4l = {n for n in DOCUMENTED if n.startswith("w4l_")}
    assert documented_w4l - seen == set(), f"documented but exposed by no service: {sorted(documented_w4l - seen)}"


def test_dashboards_and_alert_rules_use_only_catalogued_metrics():
    texts = [p.read_text() for p in (REPO / "deploy/grafana/dashboards").glob("*.json")]
    rules = yaml.safe_load((REPO / "deploy/prometheus/alerts.yml").read_text())
    texts += [rule["expr"] for group in rules["groups"] for rule in group["rules"]]
    used = {base_name(m) for text in texts for m in re.findall(r"\b((?:w4l|faststream)_[a-z0-9_]+)", text)}
    assert used, "no metric found in the dashboards and rules"
    assert used - DOCUMENTED == set(), f"used but not in docs/METRICS.md: {sorted(used - DOCUMENTED)}"
