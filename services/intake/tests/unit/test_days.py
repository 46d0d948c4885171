"""A paper registration entered later keeps the day it happened (ADR 16), and so do the legal
status, the assessment and the referral recorded with it; a day in the future or outside the
programme is a 422 naming the field, and nothing is stored. On SQLite and PostgreSQL."""

from datetime import timedelta

from work4life.runtime.testing import refusal

from ..conftest import TODAY, started_intake, valid_registration
from .test_orientation import ASSESSMENT
from .test_profile import settle

PROGRAMME = {"programme_starts_on": TODAY - timedelta(days=400), "programme_ends_on": TODAY + timedelta(days=400)}


async def test_a_paper_registration_keeps_its_day_and_what_follows_it_may_be_dated_from_it(database_url):
    async with started_intake(database_url, **PROGRAMME) as (client, _app, _broker, published):
        paper_day = TODAY - timedelta(days=30)
        future = await client.post(
            "/v1/beneficiaries", json=valid_registration(registered_on=str(TODAY + timedelta(1)))
        )
        assert refusal(future, "registered_on").startswith(f"is in the future (today is {TODAY})")
        before = await client.post(
            "/v1/beneficiaries", json=valid_registration(registered_on=str(TODAY - timedelta(days=401)))
        )
        assert refusal(before, "registered_on") == f"is before the programme started ({TODAY - timedelta(400)})"
        assert (await client.get("/v1/beneficiaries")).json()["total"] == 0, "nothing refused is stored"

        consents = [{"purpose": "service_delivery"}, {"purpose": "referral", "organisation": "training"}]
        made = await client.post(
            "/v1/beneficiaries", json=valid_registration(registered_on=str(paper_day), consents=consents)
        )
        assert made.status_code == 201, made.text
        person = made.json()
        assert person["registered_on"] == str(paper_day)
        who = person["beneficiary_id"]
        [registered] = [e for e in await settle(published.events, 1) if e["event_type"].endswith("registered")]
        assert registered["data"]["registered_on"] == str(paper_day), "the other services count the day it happened"
        consents = (await client.get(f"/v1/beneficiaries/{who}/consents")).json()
        assert {c["given_on"] for c in consents} == {str(paper_day)}

        timeline = f"/v1/beneficiaries/{who}/legal-status"
        early = {
            "legal_status": "refugee",
            "effective_on": str(paper_day - timedelta(1)),
            "reason": "status_recognised",
        }
        assert refusal(await client.post(timeline, json=early), "effective_on") == (
            f"is before the last recorded change ({paper_day})"
        )
        changed = await client.post(timeline, json={**early, "effective_on": str(paper_day + timedelta(days=2))})
        assert changed.status_code == 201, changed.text

        assessment = {**ASSESSMENT, "assessed_on": str(paper_day - timedelta(1))}
        answer = await client.post(f"/v1/beneficiaries/{who}/assessments", json=assessment)
        assert refusal(answer, "assessed_on") == f"is before the person's registration ({paper_day})"
        answer = await client.post(
            f"/v1/beneficiaries/{who}/assessments", json={**assessment, "assessed_on": str(paper_day)}
        )
        assert answer.status_code == 201, answer.text

        referral = {"service": "training", "reason": "vocational_training"}
        for day, reason in [
            (paper_day - timedelta(days=1), f"is before the person's registration ({paper_day})"),
            (TODAY + timedelta(days=1), f"is in the future (today is {TODAY}): record it once it has happened"),
        ]:
            answer = await client.post(f"/v1/beneficiaries/{who}/referrals", json={**referral, "made_on": str(day)})
            assert refusal(answer, "made_on") == reason
        answer = await client.post(
            f"/v1/beneficiaries/{who}/referrals", json={**referral, "made_on": str(paper_day + timedelta(1))}
        )
        assert answer.status_code == 201, answer.text
        assert answer.json()["made_on"] == str(paper_day + timedelta(days=1))
