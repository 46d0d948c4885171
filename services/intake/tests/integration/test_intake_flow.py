"""Intake's whole flow over HTTP, on a real Kafka broker, with SQLite and PostgreSQL."""

import asyncio
import json
from datetime import date

import pytest

from work4life.contracts.envelope import Producer
from work4life.contracts.referrals import TrainingReferralAnswered
from work4life.runtime.broker import ensure_topics
from work4life.runtime.events import encode, headers_for, new_envelope
from work4life.runtime.testing import bearer, produce_raw, read_topic

from ..conftest import intake_settings, running, valid_registration

pytestmark = pytest.mark.integration

MANAGER = bearer("programme_manager", "lead-ngo", "nadia")


async def test_the_intake_flow_reaches_kafka_and_closes_the_referral_loop(
    kafka_bootstrap, database_url, topic_namespace
):
    settings = intake_settings(
        kafka_bootstrap_servers=kafka_bootstrap,
        database_url=database_url,
        topic_namespace=topic_namespace,
        topic_partitions=2,
        consumer_retry_backoff_s=0,
    )
    answers_topic = settings.topic("training.referral_answers")
    ensure_topics(kafka_bootstrap, [answers_topic], partitions=2)
    async with running(settings) as (client, _app):
        body = valid_registration()
        body["consents"].append({"purpose": "referral", "organisation": "training"})
        person = (await client.post("/v1/beneficiaries", json=body)).json()["beneficiary_id"]
        assert (await client.patch(f"/v1/beneficiaries/{person}", json={"city": "Salé"})).status_code == 200
        status_change = {"legal_status": "refugee", "effective_on": "2026-11-28", "reason": "status_recognised"}
        assert (await client.post(f"/v1/beneficiaries/{person}/legal-status", json=status_change)).status_code == 201
        assessment = {
            "digital_skills": "basic",
            "aspirations": ["training"],
            "occupations": [{"isco08": "7531", "years": 3}],
        }
        assert (await client.post(f"/v1/beneficiaries/{person}/assessments", json=assessment)).status_code == 201
        referral = (
            await client.post(
                f"/v1/beneficiaries/{person}/referrals", json={"service": "training", "reason": "vocational_training"}
            )
        ).json()
        outreach = {
            "campaign": "c",
            "held_on": "2026-11-20",
            "region": "oriental",
            "city": "Oujda",
            "topic": "rights",
            "people_reached": 30,
            "registered_attendees": [person],
        }
        assert (await client.post("/v1/outreach-sessions", json=outreach)).status_code == 201

        # The training service answers through Kafka; intake closes the loop.
        answer = TrainingReferralAnswered(
            referral_id=referral["referral_id"],
            beneficiary_id=person,
            answer="accepted",
            answered_on=date(2026, 11, 28),
        )
        envelope = new_envelope(answer, key=person, producer=Producer(service="training", organisation="ofppt"))
        headers = [(k, v.encode()) for k, v in headers_for(envelope).items()]
        await asyncio.to_thread(
            produce_raw, kafka_bootstrap, answers_topic, [(person.encode(), encode(envelope), headers)]
        )
        for _ in range(300):
            listed = (await client.get("/v1/referrals", params={"beneficiary_id": person})).json()
            if listed["items"][0]["status"] == "accepted":
                break
            await asyncio.sleep(0.1)
        assert listed["items"][0]["status"] == "accepted"

        # A second registration of the same person is flagged and merged.
        twin = (await client.post("/v1/beneficiaries", json=valid_registration(phone="+212699999999"))).json()
        assert [d["beneficiary_id"] for d in twin["possible_duplicates"]] == [person]
        candidate = (await client.get("/v1/duplicates", headers=MANAGER)).json()["items"][0]
        merge = await client.post(
            f"/v1/duplicates/{candidate['candidate_id']}/merge", json={"keep": person}, headers=MANAGER
        )
        assert merge.status_code == 200

        csv = "given_name,family_name,sex,date_of_birth,nationality,legal_status,region,city,consent_service_delivery\n"
        csv += "Awa,Diop,female,1990-05-17,SEN,refugee,oriental,Oujda,yes\n"
        started = (await client.post("/v1/imports", files={"file": ("p.csv", csv.encode())})).json()
        for _ in range(300):
            job = (await client.get(f"/v1/imports/{started['job_id']}")).json()
            if job["status"] != "running":
                break
            await asyncio.sleep(0.05)
        assert (job["status"], job["imported"]) == ("finished", 1)

        assert (await client.delete(f"/v1/beneficiaries/{person}", headers=MANAGER)).status_code == 200

        expected = {
            "intake.beneficiary_registered": 3,
            "intake.consent_given": 6,
            "intake.beneficiary_updated": 1,
            "intake.legal_status_changed": 1,
            "intake.skills_assessed": 1,
            "intake.referral_made": 1,
            "intake.referral_status_changed": 1,
            "intake.beneficiaries_merged": 1,
            "intake.beneficiary_erased": 1,
        }
        records = await asyncio.to_thread(
            read_topic,
            kafka_bootstrap,
            settings.topic("intake.beneficiaries"),
            expected=sum(expected.values()),
            timeout_s=30,
        )
        outreach_records = await asyncio.to_thread(
            read_topic, kafka_bootstrap, settings.topic("intake.outreach"), expected=1
        )
    seen: dict[str, int] = {}
    for record in records:
        event_type = json.loads(record.value)["event_type"]
        seen[event_type] = seen.get(event_type, 0) + 1
    assert seen == expected
    assert len(outreach_records) == 1
    everything = b"".join(r.value for r in [*records, *outreach_records]).decode()
    for personal in ("Aminata", "Traoré", "612345678", "example.org", "1996-04-02", "MA-2026", "Awa", "Diop"):
        assert personal not in everything, f"{personal!r} left intake"
