"""Approval of a period (DHIS2's way): an approved month keeps its figures while late events arrive;
those show as adjustments, with their reasons, on the next open month; on SQLite and PostgreSQL."""

import asyncio
import io
import json
from datetime import UTC, date, datetime, timedelta
from uuid import uuid4

import pytest
from faststream.kafka import KafkaBroker, KafkaMessage, TestKafkaBroker
from openpyxl import load_workbook

from work4life.contracts.envelope import Producer
from work4life.contracts.intake import BeneficiariesMerged, BeneficiaryErased, BeneficiaryUpdated
from work4life.runtime.events import new_envelope
from work4life.runtime.testing import bearer, kafka_connected

from ..conftest import registration, reporting_settings, running, wire

MANAGER = bearer("programme_manager", "lead-ngo", "leila")
VIEWER = bearer("me_viewer", "donor", "marie")
TODAY = date(2026, 5, 10)
CLOCK = [datetime(2026, 3, 1, 9, tzinfo=UTC)]


def told(data, who):
    CLOCK[0] += timedelta(minutes=1)
    return new_envelope(
        data, key=str(who), producer=Producer(service="intake", organisation="org-a"), occurred_at=CLOCK[0]
    )


def registered(who, on: date, region: str = "oriental"):
    CLOCK[0] += timedelta(minutes=1)
    return registration(beneficiary_id=who, registered_on=on, region=region, occurred_at=CLOCK[0])


@pytest.fixture
async def reporting(database_url):
    settings = reporting_settings(database_url=database_url, create_topics=False, consumer_retry_backoff_s=0)
    broker = KafkaBroker()
    snapshots: list[dict] = []

    @broker.subscriber("reporting.snapshots")
    async def collect(msg: KafkaMessage) -> None:
        snapshots.append(json.loads(msg.raw_message.value))

    async with TestKafkaBroker(broker), running(settings, broker, today=lambda: TODAY) as (client, app):
        await kafka_connected(app)

        async def publish(*envelopes):
            for envelope in envelopes:
                value, key, headers = wire(envelope)
                await broker.publish(value, topic="intake.beneficiaries", key=key, headers=headers)

        yield client, publish, snapshots


async def figure(client, code, period, headers=MANAGER, **params):
    answer = await client.get(f"/v1/indicators/{code}", params={"period": period, **params}, headers=headers)
    assert answer.status_code == 200, answer.text
    return answer.json()


async def test_an_approved_month_stays_as_approved_and_late_events_adjust_the_next_open_month(reporting):
    client, publish, snapshots = reporting
    march = [uuid4() for _ in range(8)]
    await publish(*(registered(who, date(2026, 3, 5)) for who in march))
    await publish(*(registered(uuid4(), date(2026, 4, 2)) for _ in range(3)))

    approved = await client.post("/v1/approvals", json={"period": "month:2026-03", "note": "checked"}, headers=MANAGER)
    assert approved.status_code == 201, approved.text
    assert approved.json() | {"approved_at": None, "id": None} == {
        "id": None,
        "period": "month:2026-03",
        "period_from": "2026-03-01",
        "period_to": "2026-03-31",
        "approved_at": None,
        "approved_by": "leila",
        "note": "checked",
        "facts": 8,
        "people": 8,
        "withdrawn_at": None,
        "withdrawn_by": None,
        "withdrawn_reason": None,
    }

    # Late events about March: two registrations entered late, a merge, an erasure, a move.
    kept, retired, erased, moved = march[:4]
    person = {k: v for k, v in registration().data.model_dump().items() if k not in ("registered_on", "legal_status")}
    await publish(
        *(registered(uuid4(), date(2026, 3, 20)) for _ in range(2)),
        told(BeneficiariesMerged(kept_beneficiary_id=kept, merged_beneficiary_id=retired, merged_on=TODAY), retired),
        told(BeneficiaryErased(beneficiary_id=erased, erased_on=TODAY), erased),
        told(
            BeneficiaryUpdated(
                **(person | {"beneficiary_id": moved, "region": "rabat_sale_kenitra", "city": "Rabat"}),
                changed_fields=["region"],
            ),
            moved,
        ),
    )
    for _ in range(100):  # the late events reach the live read model
        live = await figure(client, "3.2", "year:2026")
        if live["total"] == 11 + 2 - 1:
            break
        await asyncio.sleep(0.02)
    assert live["total"] == 12 and live["approved"] is False

    march_now = await figure(client, "3.2", "month:2026-03", by="region")
    assert (march_now["total"], march_now["approved"]) == (8, True), "served as approved"
    assert {c["region"]: c["value"] for c in march_now["breakdown"]} == {"oriental": 8}, "before the move"
    table = (await client.get("/v1/indicators", params={"period": "month:2026-03"}, headers=MANAGER)).json()
    assert table["approval"]["approved_by"] == "leila" and table["approval"]["period"] == "month:2026-03"
    funnel = (await client.get("/v1/funnel", params={"period": "month:2026-03"}, headers=MANAGER)).json()
    assert funnel["stages"][0]["people"] == 8

    april = await figure(client, "3.2", "month:2026-04")
    assert april["total"] == 3 and april["approved"] is False
    assert april["adjustments"] == [
        {
            "period": "month:2026-03",
            "approved": 8,
            "current": 9,
            "change": 1,
            "reasons": {"late entry": 2, "merge": 1, "erasure": 1, "profile change": 1},
        }
    ]
    assert (await figure(client, "3.2", "month:2026-05"))["adjustments"] == [], "only the next open month"
    assert (await figure(client, "3.3", "month:2026-04"))["adjustments"] == [], "outreach did not move"

    text = (await client.get("/v1/indicators.csv", params={"period": "month:2026-03"}, headers=MANAGER)).text
    assert text.splitlines()[0].endswith(",approved") and ",8," in text and text.splitlines()[1].endswith(",yes")
    book = load_workbook(
        io.BytesIO((await client.get("/v1/indicators.xlsx", params={"period": "month:2026-04"})).content)
    )
    rows = list(book["Adjustments"].iter_rows(min_row=3, values_only=True))
    assert ("3.2", "month:2026-03", 8, 9, 1) in {(r[0], r[2], r[3], r[4], r[5]) for r in rows}

    for _ in range(100):
        if any(s["data"]["trigger"] == "approved" for s in snapshots):
            break
        await asyncio.sleep(0.02)
    snapshot = next(s["data"] for s in snapshots if s["data"]["trigger"] == "approved")
    assert (snapshot["period"], snapshot["trigger"], snapshot["approved"]) == ("month:2026-03", "approved", True)
    assert {f["code"]: f["value"] for f in snapshot["figures"]}["3.2"] == "8"

    withdrawn = await client.post(
        f"/v1/approvals/{approved.json()['id']}/withdraw",
        json={"reason": "a partner's list came late"},
        headers=MANAGER,
    )
    assert withdrawn.status_code == 200 and withdrawn.json()["withdrawn_by"] == "leila"
    assert (await figure(client, "3.2", "month:2026-03"))["total"] == 9, "served live again"
    assert (await figure(client, "3.2", "month:2026-04"))["adjustments"] == []
    listed = (await client.get("/v1/approvals", params={"withdrawn": True}, headers=VIEWER)).json()
    assert [a["withdrawn_reason"] for a in listed["items"]] == ["a partner's list came late"]
    assert (await client.get("/v1/approvals", headers=VIEWER)).json()["total"] == 0


async def test_a_quarter_keeps_its_months_and_a_period_is_approved_once_and_only_when_over(reporting):
    client, publish, _ = reporting
    await publish(*(registered(uuid4(), date(2026, 2, 10)) for _ in range(6)))
    assert (await client.post("/v1/approvals", json={"period": "quarter:2026-Q1"}, headers=MANAGER)).status_code == 201
    await publish(registered(uuid4(), date(2026, 2, 11)))
    for _ in range(100):
        if (await figure(client, "3.2", "year:2026"))["total"] == 7:
            break
        await asyncio.sleep(0.02)
    february = await figure(client, "3.2", "month:2026-02")
    assert (february["total"], february["approved"]) == (6, True), "a month inside an approved quarter"
    again = await client.post("/v1/approvals", json={"period": "quarter:2026-Q1"}, headers=MANAGER)
    assert again.status_code == 409 and again.json()["code"] == "period_approved"
    ongoing = await client.post("/v1/approvals", json={"period": "month:2026-05"}, headers=MANAGER)
    assert ongoing.status_code == 409 and ongoing.json()["code"] == "period_not_over"
    year = await client.post("/v1/approvals", json={"period": "year:2025"}, headers=MANAGER)
    assert year.status_code == 422 and year.json()["errors"][0]["field"] == "period"
    for role in ("me_viewer", "caseworker"):
        refused = await client.post("/v1/approvals", json={"period": "month:2026-01"}, headers=bearer(role, "org-a"))
        assert refused.status_code == 403
