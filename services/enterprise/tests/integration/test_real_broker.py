"""Enterprise against a real Kafka broker, on SQLite and on PostgreSQL: referrals and training
completions read from Kafka, a venture's events published to Kafka, a malformed record
dead-lettered, and concurrent disbursements that never exceed a tranche."""

import asyncio
import json
from uuid import uuid4

import pytest

from work4life.contracts.envelope import Producer
from work4life.contracts.intake import ConsentGiven, ConsentPurpose, ReferralMade, ReferralReason
from work4life.contracts.training import CourseCompleted
from work4life.runtime.broker import ensure_topics
from work4life.runtime.events import encode, headers_for, new_envelope
from work4life.runtime.testing import produce_raw, read_topic

from ..conftest import APPLIED, GRANT, PLAN, enterprise_settings, running, started_enterprise, to_stage, venture_body

pytestmark = pytest.mark.integration


def record(data, who, service: str):
    envelope = new_envelope(data, key=str(who), producer=Producer(service=service, organisation="x"))
    return str(who).encode(), encode(envelope), [(k, v.encode()) for k, v in headers_for(envelope).items()]


async def test_a_venture_from_kafka_referrals_publishes_every_step_to_kafka(
    kafka_bootstrap, database_url, topic_namespace
):
    settings = enterprise_settings(
        kafka_bootstrap_servers=kafka_bootstrap,
        database_url=database_url,
        topic_namespace=topic_namespace,
        topic_partitions=3,
        consumer_retry_backoff_s=0,
    )
    people, trainings = settings.topic("intake.beneficiaries"), settings.topic("training.enrolments")
    ensure_topics(kafka_bootstrap, [people, trainings], partitions=3)
    who = uuid4()
    consent = ConsentGiven(
        beneficiary_id=who,
        consent_id=uuid4(),
        purpose=ConsentPurpose.REFERRAL,
        organisation="enterprise",
        notice_version="2026-01",
        given_on=APPLIED,
    )
    referral = ReferralMade(
        referral_id=uuid4(),
        beneficiary_id=who,
        service="enterprise",
        reason=ReferralReason.ENTERPRISE_SUPPORT,
        made_on=APPLIED,
        partner_organisation="amappe-oujda",
        region="oriental",
    )
    completed = CourseCompleted(
        enrolment_id=uuid4(),
        beneficiary_id=who,
        cohort_id=uuid4(),
        course_id=uuid4(),
        course_kind="financial_education",
        sector="cross_sector",
        region="oriental",
        organisation="ofppt",
        completed_on=APPLIED,
        hours=30,
        attendance_rate=1.0,
    )
    produce_raw(
        kafka_bootstrap,
        people,
        [record(consent, who, "intake"), (str(who).encode(), b"\xff\xfe", []), record(referral, who, "intake")],
    )
    produce_raw(kafka_bootstrap, trainings, [record(completed, who, "training")])

    async with running(settings) as (client, _app):
        for _ in range(300):
            if (await client.get("/v1/candidates")).json()["total"] == 1:
                break
            await asyncio.sleep(0.1)
        venture = (await client.post("/v1/ventures", json=venture_body([who]))).json()
        venture = await to_stage(client, venture, "pre_incubation", "incubation")
        url = f"/v1/ventures/{venture['venture_id']}"
        assert (await client.put(f"{url}/business-plan", json=PLAN)).status_code == 200
        for _ in range(300):  # the training completion may still be on its way
            granted = await client.post(f"{url}/grant", json=GRANT)
            if granted.status_code != 409:
                break
            await asyncio.sleep(0.1)
        assert granted.status_code == 201, granted.text
        events = await asyncio.to_thread(read_topic, kafka_bootstrap, settings.topic("enterprise.ventures"), expected=4)
        dead = await asyncio.to_thread(
            read_topic, kafka_bootstrap, settings.topic("enterprise.dead_letters"), expected=1
        )

    assert [json.loads(r.value)["event_type"] for r in events] == [
        "enterprise.venture_applied",
        "enterprise.venture_stage_changed",
        "enterprise.venture_stage_changed",
        "enterprise.grant_approved",
    ]
    assert {r.key for r in events} == {venture["venture_id"].encode()}
    assert [r.value for r in dead] == [b"\xff\xfe"]


async def test_concurrent_disbursements_never_pay_more_than_the_tranche(database_url):
    async with started_enterprise(database_url) as (client, upstream, published, _):
        who = await upstream.refer()
        venture = (await client.post("/v1/ventures", json=venture_body([who]))).json()
        venture = await to_stage(client, venture, "pre_incubation", "incubation")
        url = f"/v1/ventures/{venture['venture_id']}"
        await client.put(f"{url}/business-plan", json=PLAN)
        grant = (await client.post(f"{url}/grant", json=GRANT)).json()
        tranche = f"/v1/grants/{grant['grant_id']}/tranches/1"
        await client.post(f"{tranche}/milestone", json={"met_on": "2026-02-15", "evidence": "Lease"})
        payments = await asyncio.gather(
            *(client.post(f"{tranche}/disbursements", json={"amount_mad": "5000.00"}) for _ in range(10))
        )
        codes = sorted(p.status_code for p in payments)
        assert codes == [201] * 7 + [409] * 3, [p.text for p in payments if p.status_code not in (201, 409)]
        state = (await client.get(f"/v1/grants/{grant['grant_id']}")).json()
        assert state["tranches"][0]["disbursed_mad"] == "35000.00"
        assert len(await published.settle("enterprise.grant_disbursed", 7)) == 7
