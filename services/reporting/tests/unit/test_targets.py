"""Targets and baselines entered through the API (audited), and the progress the indicator table,
its exports and the snapshot measure against them; on SQLite and PostgreSQL."""

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from faststream.kafka import KafkaBroker, TestKafkaBroker
from openpyxl import load_workbook

from work4life.reporting.service_layer.targets import Goal
from work4life.runtime.testing import bearer, kafka_connected

from ..conftest import registration, reporting_settings, running, wire

MANAGER = bearer("programme_manager", "lead-ngo", "leila")
ME = bearer("me_viewer", "lead-ngo", "samira")
CASEWORKER = bearer("caseworker", "org-a", "karim")


@pytest.fixture
async def reporting(database_url):
    """Twelve people registered in March 2026: eight in the Oriental with org-a, four in Rabat with org-b."""
    settings = reporting_settings(
        database_url=database_url, create_topics=False, consumer_retry_backoff_s=0, targets={"1.4": 40}
    )
    broker = KafkaBroker()
    async with TestKafkaBroker(broker), running(settings, broker, today=lambda: date(2026, 11, 30)) as (client, app):
        await kafka_connected(app)
        for region, organisation, n in (("oriental", "org-a", 8), ("rabat_sale_kenitra", "org-b", 4)):
            for _ in range(n):
                event = registration(region=region, partner_organisation=organisation, registered_on=date(2026, 3, 1))
                value, key, headers = wire(event)
                await broker.publish(value, topic="intake.beneficiaries", key=key, headers=headers)
        yield client


async def put(client, headers=MANAGER, **body):
    return await client.put("/v1/targets", json=body, headers=headers)


async def indicator(client, code, headers=MANAGER, **params):
    response = await client.get(f"/v1/indicators/{code}", params=params, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


async def test_targets_by_region_add_up_and_each_region_shows_its_progress(reporting):
    client = reporting
    first = await put(client, code="3.2", year=2026, region="oriental", target=20, note="logframe v2")
    assert first.status_code == 201, first.text
    assert (await put(client, code="3.2", year=2026, region="rabat_sale_kenitra", target=10)).status_code == 201
    changed = await put(client, code="3.2", year=2026, region="oriental", target="16.00", note="revised")
    assert (
        changed.status_code == 200
        and changed.json()["target"] == "16.00"
        and changed.json()["id"] == first.json()["id"]
    )

    year = await indicator(client, "3.2", period="year:2026", by="region")
    assert year["total"] == 12 and year["target"] == 26.0 and year["progress_percent"] == pytest.approx(46.2)
    cells = {c["region"]: c for c in year["breakdown"]}
    assert cells["oriental"]["target"] == 16.0 and cells["oriental"]["progress_percent"] == 50.0
    assert cells["rabat_sale_kenitra"]["progress_percent"] == 40.0

    quarter = await indicator(client, "3.2", period="quarter:2026-Q1")
    assert quarter["target"] == 26.0  # a quarter is measured against its year's target

    assert (await put(client, code="3.2", year=2025, target=100, baseline=0)).status_code == 201
    to_date = await indicator(client, "3.2")
    assert to_date["target"] == 126.0 and to_date["baseline"] == 0.0  # 2025's own, plus 2026's regions

    viewer = await indicator(client, "3.2", headers=ME, period="year:2026", by="region")
    assert {c["value"] for c in viewer["breakdown"]} == {"suppressed"}  # Rabat's 4, and the Oriental that gives it back
    assert all("progress_percent" not in c for c in viewer["breakdown"])


async def test_progress_runs_from_the_baseline_and_never_shows_a_hidden_count():
    assert Goal(Decimal(60), Decimal(40)).progress(55) == 75.0
    assert Goal(Decimal(200)).progress(50) == 25.0
    assert Goal(Decimal(10), Decimal(10)).progress(12) is None
    assert Goal(Decimal(10)).progress(None) is None


async def test_a_small_total_hides_its_progress_below_programme_manager(reporting):
    client = reporting
    await put(client, code="3.2", year=2026, organisation="org-b", target=8)
    exact = await indicator(client, "3.2", period="year:2026", organisation="org-b")
    assert exact["total"] == 4 and exact["progress_percent"] == 50.0
    shown = await indicator(client, "3.2", headers=ME, period="year:2026", organisation="org-b")
    assert shown["total"] == "<5" and shown["target"] == 8.0 and shown["progress_percent"] is None


async def test_the_configured_target_stays_the_default_until_one_is_entered(reporting):
    client = reporting
    assert (await indicator(client, "1.4"))["target"] == 40.0
    assert (await indicator(client, "1.4", organisation="org-a"))["target"] is None  # a programme-wide figure
    await put(client, headers=ME, code="1.4", year=2026, target=30)
    assert (await indicator(client, "1.4", period="year:2026"))["target"] == 30.0


async def test_every_change_is_audited_and_a_target_can_be_removed(reporting):
    client = reporting
    made = (await put(client, headers=ME, code="placements", year=2026, target=100)).json()
    await put(client, code="placements", year=2026, target=120, baseline=10)
    assert (await client.delete(f"/v1/targets/{made['id']}", headers=MANAGER)).status_code == 204
    assert (await client.delete(f"/v1/targets/{made['id']}", headers=MANAGER)).status_code == 404

    trail = (await client.get("/v1/targets/changes", params={"code": "placements"}, headers=ME)).json()
    assert trail["total"] == 3
    removed, raised, entered = trail["items"]
    assert (entered["by"], entered["role"], entered["action"], entered["before"]) == (
        "samira",
        "me_viewer",
        "set",
        None,
    )
    assert entered["after"] == {"target": "100.00", "baseline": None, "note": None}
    assert raised["by"] == "leila" and raised["before"]["target"] == "100.00"
    assert raised["after"] == {"target": "120.00", "baseline": "10.00", "note": None}
    assert removed["action"] == "removed" and removed["after"] is None and removed["before"]["target"] == "120.00"
    assert (await client.get("/v1/targets", params={"code": "placements"}, headers=ME)).json()["total"] == 0


async def test_the_targets_list_is_filtered_and_paged(reporting):
    client = reporting
    for year in (2024, 2025, 2026):
        await put(client, code="1.4", year=year, target=100 * (year - 2023))
    await put(client, code="1.4", year=2026, organisation="ORG-A", target=50)
    page = (await client.get("/v1/targets", params={"code": "1.4", "limit": 2}, headers=CASEWORKER)).json()
    assert page["total"] == 4 and [t["year"] for t in page["items"]] == [2024, 2025]
    mine = (await client.get("/v1/targets", params={"organisation": "org-a"}, headers=ME)).json()
    assert [(t["year"], t["organisation"], t["target"]) for t in mine["items"]] == [(2026, "ORG-A", "50.00")]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"code": "9.9", "year": 2026, "target": 1}, "code"),
        ({"code": "3.2", "year": 1999, "target": 1}, "year"),
        ({"code": "3.2", "year": "2026", "target": 1}, "year"),
        ({"code": "3.2", "year": 2026, "target": -1}, "target"),
        ({"code": "3.2", "year": 2026, "target": 1, "region": "casablanca"}, "region"),
        ({"code": "retention_3m", "year": 2026, "target": 150}, "target"),
        ({"code": "retention_3m", "year": 2026, "target": 60, "baseline": 101}, "baseline"),
        ({"code": "3.2", "year": 2026, "target": 1, "colour": "red"}, "colour"),
        ({"code": "3.2", "year": 2026}, "target"),
    ],
)
async def test_a_bad_target_is_refused_naming_its_field(reporting, body, field):
    response = await reporting.put("/v1/targets", json=body, headers=MANAGER)
    assert response.status_code == 422, response.text
    assert field in {e["field"].split(".")[-1] for e in response.json()["errors"]}, response.json()


async def test_caseworkers_read_the_targets_but_do_not_set_them(reporting):
    refused = await put(reporting, headers=CASEWORKER, code="3.2", year=2026, target=5)
    assert refused.status_code == 403


async def test_exports_carry_the_targets_baselines_and_progress(reporting):
    client = reporting
    await put(client, code="3.2", year=2026, target=24, baseline=0)
    await put(client, code="3.2", year=2026, region="oriental", target=16)
    text = (await client.get("/v1/indicators.csv", params={"period": "year:2026", "by": "region"})).text
    rows = [r for r in csv.DictReader(io.StringIO(text)) if r["code"] == "3.2"]
    total = next(r for r in rows if not r["region"])
    assert (total["value"], total["target"], total["baseline"], total["progress_percent"]) == (
        "12",
        "24.0",
        "0.0",
        "50.0",
    )
    oriental = next(r for r in rows if r["region"] == "oriental")
    assert (oriental["target"], oriental["progress_percent"]) == ("16.0", "50.0")

    book = load_workbook(io.BytesIO((await client.get("/v1/indicators.xlsx", params={"period": "year:2026"})).content))
    header = [c.value for c in book["Summary"][6]]
    row = next(r for r in book["Summary"].iter_rows(min_row=7, values_only=True) if r[0] == "3.2")
    assert (row[header.index("Target")], row[header.index("Baseline")], row[header.index("Progress %")]) == (24, 0, 50)
    by_region = [r for r in book["3_2"].iter_rows(values_only=True) if r and r[0] == "oriental"]
    assert by_region and by_region[0][2:5] == (16, None, 50)
