"""Training against a real Kafka broker, on SQLite and on PostgreSQL."""

import asyncio
import json
from uuid import uuid4

import pytest

from work4life.contracts.envelope import Producer
from work4life.contracts.intake import ConsentGiven, ConsentPurpose, ReferralMade, ReferralReason
from work4life.runtime.broker import ensure_topics
from work4life.runtime.events import encode, headers_for, new_envelope
from work4life.runtime.testing import produce_raw, read_topic

from ..conftest import START, new_cohort, running, training_settings

pytestmark = pytest.mark.integration

INTAKE = Producer(service="intake", organisation="amappe-rabat")


def record(data, who):
    envelope = new_envelope(data, key=str(who), producer=INTAKE)
    return str(who).encode(), encode(envelope), [(k, v.encode()) for k, v in headers_for(envelope).items()]


def referral_records(who, referral_id):
    consent = ConsentGiven(
        beneficiary_id=who,
        consent_id=uuid4(),
        purpose=ConsentPurpose.REFERRAL,
        organisation="training",
        notice_version="2026-01",
        given_on=START,
    )
    referral = ReferralMade(
        referral_id=referral_id,
        beneficiary_id=who,
        service="training",
        reason=ReferralReason.VOCATIONAL_TRAINING,
        made_on=START,
        partner_organisation="amappe-rabat",
        region="rabat_sale_kenitra",
    )
    return [record(consent, who), record(referral, who)]


async def candidates(client, expected: int, timeout: float = 30.0) -> list[dict]:
    items: list[dict] = []
    for _ in range(int(timeout / 0.1)):
        items = (await client.get("/v1/candidates")).json()["items"]
        if len(items) >= expected:
            return items
        await asyncio.sleep(0.1)
    raise AssertionError(f"{len(items)} candidates arrived (expected {expected})")


async def test_a_referral_read_from_kafka_becomes_an_enrolment_published_to_kafka(
    kafka_bootstrap, database_url, topic_namespace
):
    settings = training_settings(
        kafka_bootstrap_servers=kafka_bootstrap,
        database_url=database_url,
        topic_namespace=topic_namespace,
        topic_partitions=3,
        consumer_retry_backoff_s=0,
    )
    source = settings.topic("intake.beneficiaries")
    ensure_topics(kafka_bootstrap, [source], partitions=3)
    who, referral_id = uuid4(), uuid4()
    consent, referral = referral_records(who, referral_id)
    garbage = (str(who).encode(), b"{not json", [])
    # Same key, same partition, in this order: the garbage is dead-lettered, the replayed referral ignored.
    produce_raw(kafka_bootstrap, source, [consent, garbage, referral, referral])

    async with running(settings) as (client, _app):
        [candidate] = await candidates(client, 1)
        assert candidate["referral_id"] == str(referral_id)
        _, cohort = await new_cohort(client)
        enrolment = {"beneficiary_id": str(who), "enrolled_on": str(START)}  # entered after the cohort
        enrolled = await client.post(f"/v1/cohorts/{cohort['cohort_id']}/enrolments", json=enrolment)
        assert enrolled.status_code == 201, enrolled.text
        enrolments = await asyncio.to_thread(
            read_topic, kafka_bootstrap, settings.topic("training.enrolments"), expected=1
        )
        answers = await asyncio.to_thread(
            read_topic, kafka_bootstrap, settings.topic("training.referral_answers"), expected=1
        )
        dead = await asyncio.to_thread(read_topic, kafka_bootstrap, settings.topic("training.dead_letters"), expected=1)
        await asyncio.sleep(0.5)
        assert len((await client.get("/v1/candidates", params={"status": "accepted"})).json()["items"]) == 1

    [event] = [json.loads(r.value) for r in enrolments]
    assert event["event_type"] == "training.enrolled" and enrolments[0].key == str(who).encode()
    assert event["data"]["referral_id"] == str(referral_id)
    [answer] = [json.loads(r.value) for r in answers]
    assert answer["data"]["answer"] == "accepted" and answer["producer"]["service"] == "training"
    [letter] = dead
    assert letter.value == b"{not json"
    assert dict(letter.headers)["w4l-dlq-reason"] == b"invalid_envelope"
