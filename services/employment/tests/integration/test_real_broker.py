"""Employment against a real Kafka broker, on SQLite and on PostgreSQL: an assessed and referred
person read from Kafka, a hire and its check published to Kafka, a malformed record
dead-lettered; and concurrent hires never fill more positions than an offer has."""

import asyncio
import json
from uuid import uuid4

import pytest

from work4life.contracts.envelope import Producer
from work4life.contracts.intake import ConsentGiven, ConsentPurpose, ReferralMade, ReferralReason, SkillsAssessed
from work4life.runtime.broker import ensure_topics
from work4life.runtime.events import encode, headers_for, new_envelope
from work4life.runtime.testing import produce_raw, read_topic

from ..conftest import ASSESSMENT, TODAY, employment_settings, hired, new_offer, running, started_employment

pytestmark = pytest.mark.integration


def record(data, who):
    envelope = new_envelope(data, key=str(who), producer=Producer(service="intake", organisation="amappe"))
    return str(who).encode(), encode(envelope), [(k, v.encode()) for k, v in headers_for(envelope).items()]


async def test_a_person_from_kafka_is_hired_and_checked_with_the_events_on_kafka(
    kafka_bootstrap, database_url, topic_namespace
):
    settings = employment_settings(
        kafka_bootstrap_servers=kafka_bootstrap,
        database_url=database_url,
        topic_namespace=topic_namespace,
        topic_partitions=3,
        consumer_retry_backoff_s=0,
    )
    source = settings.topic("intake.beneficiaries")
    ensure_topics(kafka_bootstrap, [source], partitions=3)
    who = uuid4()
    produce_raw(
        kafka_bootstrap,
        source,
        [
            record(
                ConsentGiven(
                    beneficiary_id=who,
                    consent_id=uuid4(),
                    purpose=ConsentPurpose.REFERRAL,
                    organisation="employment",
                    notice_version="2026-01",
                    given_on=TODAY,
                ),
                who,
            ),
            (str(who).encode(), b'{"event_type": "intake.skills_assessed"}', []),
            record(SkillsAssessed(beneficiary_id=who, assessment_id=uuid4(), assessed_on=TODAY, **ASSESSMENT), who),
            record(
                ReferralMade(
                    referral_id=uuid4(),
                    beneficiary_id=who,
                    service="employment",
                    reason=ReferralReason.JOB_PLACEMENT,
                    made_on=TODAY,
                    partner_organisation="amappe",
                    region="tanger_tetouan_al_hoceima",
                ),
                who,
            ),
        ],
    )
    async with running(settings) as (client, _app):
        offer = await new_offer(client)
        for _ in range(300):
            if (await client.get(f"/v1/offers/{offer['offer_id']}/matches")).json()["total"] == 1:
                break
            await asyncio.sleep(0.1)
        placement = await hired(client, offer, who)
        assert placement["beneficiary_id"] == str(who)
        events = await asyncio.to_thread(
            read_topic, kafka_bootstrap, settings.topic("employment.placements"), expected=1
        )
        answers = await asyncio.to_thread(
            read_topic, kafka_bootstrap, settings.topic("employment.referral_answers"), expected=2
        )
        dead = await asyncio.to_thread(
            read_topic, kafka_bootstrap, settings.topic("employment.dead_letters"), expected=1
        )
    [placed] = [json.loads(r.value) for r in events]
    assert placed["event_type"] == "employment.placed" and events[0].key == str(who).encode()
    assert [json.loads(r.value)["data"]["answer"] for r in answers] == ["accepted", "completed"]
    assert dict(dead[0].headers)["w4l-dlq-reason"] == b"invalid_envelope"


async def test_concurrent_hires_never_fill_more_positions_than_the_offer_has(database_url):
    async with started_employment(database_url) as (client, upstream, published, _):
        offer = await new_offer(client, positions=2)
        people = [await upstream.jobseeker() for _ in range(6)]
        ids = []
        for who in people:
            application = await client.post(
                f"/v1/offers/{offer['offer_id']}/applications", json={"beneficiary_id": str(who)}
            )
            ids.append(application.json()["application_id"])
            await client.post(f"/v1/applications/{ids[-1]}/steps", json={"to": "interviewed"})
        hire = {
            "contract_type": "fixed_term",
            "starts_on": "2026-05-04",
            "hours_per_week": 44,
            "wage_band": "3000_to_4500",
        }
        results = await asyncio.gather(*(client.post(f"/v1/applications/{i}/hire", json=hire) for i in ids))
        assert sorted(r.status_code for r in results) == [201, 201, 409, 409, 409, 409], [r.text for r in results]
        state = (await client.get(f"/v1/offers/{offer['offer_id']}")).json()
        assert (state["hired"], state["status"]) == (2, "filled")
        assert len(await published.settle("employment.placed", 3)) == 2
