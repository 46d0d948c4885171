"""The statistics purpose (ADR 23): it lets a person's pseudonymous record into the research extract,
and changes no count; withdrawal, erasure and merges are followed; on SQLite and PostgreSQL."""

import csv
import io
from datetime import UTC, date, datetime, timedelta
from uuid import uuid4

import pytest
from faststream.kafka import KafkaBroker, TestKafkaBroker

from work4life.contracts.envelope import Producer
from work4life.contracts.intake import (
    BeneficiariesMerged,
    BeneficiaryErased,
    ConsentGiven,
    ConsentPurpose,
    ConsentWithdrawn,
)
from work4life.runtime.events import new_envelope
from work4life.runtime.testing import bearer, kafka_connected

from ..conftest import registration, reporting_settings, running, wire

MANAGER = bearer("programme_manager", "lead-ngo", "leila")
CLOCK = [datetime(2026, 3, 1, 9, tzinfo=UTC)]


def told(data, who):
    CLOCK[0] += timedelta(minutes=1)
    return new_envelope(
        data, key=str(who), producer=Producer(service="intake", organisation="org-a"), occurred_at=CLOCK[0]
    )


def given(who, purpose=ConsentPurpose.STATISTICS, consent_id=None):
    data = ConsentGiven(
        beneficiary_id=who,
        consent_id=consent_id or uuid4(),
        purpose=purpose,
        notice_version="v2",
        given_on=date(2026, 3, 1),
    )
    return told(data, who)


@pytest.fixture
async def reporting(database_url):
    settings = reporting_settings(database_url=database_url, create_topics=False, consumer_retry_backoff_s=0)
    broker = KafkaBroker()
    async with TestKafkaBroker(broker), running(settings, broker) as (client, app):
        await kafka_connected(app)

        async def publish(*envelopes):
            for envelope in envelopes:
                value, key, headers = wire(envelope)
                await broker.publish(value, topic="intake.beneficiaries", key=key, headers=headers)

        yield client, publish


async def extract(client, headers=MANAGER) -> list[dict]:
    answer = await client.get("/v1/research/extract.csv", headers=headers)
    assert answer.status_code == 200, answer.text
    return list(csv.DictReader(io.StringIO(answer.text)))


async def test_only_people_whose_statistics_consent_stands_are_extracted_and_everyone_is_counted(reporting):
    client, publish = reporting
    a, b, c, d, e, f = (uuid4() for _ in range(6))
    await publish(*(registration(beneficiary_id=who, registered_on=date(2026, 3, 1)) for who in (a, b, c, d, e, f)))
    withdrawn = uuid4()
    await publish(
        given(a),
        given(b, consent_id=withdrawn),
        told(
            ConsentWithdrawn(
                beneficiary_id=b, consent_id=withdrawn, purpose=ConsentPurpose.STATISTICS, withdrawn_on=date(2026, 4, 1)
            ),
            b,
        ),
        given(c),
        told(BeneficiaryErased(beneficiary_id=c, erased_on=date(2026, 4, 2)), c),
        given(c),  # late: an erased person is in no extract
        given(d),
        told(BeneficiariesMerged(kept_beneficiary_id=e, merged_beneficiary_id=d, merged_on=date(2026, 4, 3)), d),
        given(f, ConsentPurpose.SERVICE_DELIVERY),
        given(f, ConsentPurpose.REFERRAL),
    )
    rows = await extract(client)
    assert len(rows) == 2, rows  # a, and e (d's consent moved to e with the merge)
    assert {r["registered_quarter"] for r in rows} == {"2026-Q1"} and {r["region"] for r in rows} == {"oriental"}
    assert {r["nationality"] for r in rows} == {"other"}, "two people of one nationality are too few to name it"
    assert all(len(r["research_id"]) == 20 and r["placed"] == "False" for r in rows)
    assert {r["research_id"] for r in await extract(client)}.isdisjoint({r["research_id"] for r in rows}), (
        "without a configured key, each extract's ids are its own"
    )

    counted = (await client.get("/v1/indicators/3.2", params={"period": "year:2026"}, headers=MANAGER)).json()
    assert counted["total"] == 5, "the six registered, one merged away: consent to statistics changes no count"
    log = (await client.get("/v1/research/extracts", headers=MANAGER)).json()
    assert [item["people"] for item in log["items"]] == [2, 2] and log["items"][0]["by"] == "leila"


@pytest.mark.parametrize("role", ["me_viewer", "caseworker"])
async def test_only_programme_managers_and_admins_take_an_extract(reporting, role):
    client, _ = reporting
    refused = await client.get("/v1/research/extract.csv", headers=bearer(role, "org-a"))
    assert refused.status_code == 403
    assert (await client.get("/v1/research/extracts", headers=bearer(role, "org-a"))).status_code == 403
