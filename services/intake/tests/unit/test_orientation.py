"""Skills assessments, referrals closed by the receiving service's answer, and outreach sessions."""

import asyncio
import json
from datetime import date

import pytest

from work4life.contracts.envelope import Producer
from work4life.contracts.referrals import TrainingReferralAnswered
from work4life.runtime.events import encode, headers_for, new_envelope
from work4life.runtime.testing import bearer

from ..conftest import started_intake, valid_registration

VIEWER = bearer("me_viewer", "lead-ngo", "omar")


@pytest.fixture
async def intake(sqlite_url):
    async with started_intake(sqlite_url) as (client, _app, broker, published):
        yield client, broker, published.events


async def settle(events: list, event_type: str, count: int = 1) -> list[dict]:
    for _ in range(250):
        found = [e for e in events if e["event_type"] == event_type]
        if len(found) >= count:
            return found
        await asyncio.sleep(0.02)
    return [e for e in events if e["event_type"] == event_type]


async def person(client, **consents) -> str:
    body = valid_registration()
    body["consents"] = [
        *body["consents"],
        *({"purpose": "referral", "organisation": o} for o in consents.get("to", [])),
    ]
    response = await client.post("/v1/beneficiaries", json=body)
    assert response.status_code == 201, response.text
    return response.json()["beneficiary_id"]


ASSESSMENT = {
    "languages": [{"code": "fr", "level": "fluent"}, {"code": "ar", "level": "basic"}],
    "education_level": "upper_secondary",
    "occupations": [{"isco08": "7531", "years": 4}],
    "skills": ["Sewing", "pattern  making", "sewing"],
    "digital_skills": "basic",
    "aspirations": ["self_employment", "training"],
    "notes": "Worked in a tailoring shop in Abidjan; wants her own workshop.",
}


async def test_a_skills_assessment_is_recorded_and_published_without_notes(intake):
    client, _, events = intake
    who = await person(client)
    response = await client.post(f"/v1/beneficiaries/{who}/assessments", json=ASSESSMENT)
    assert response.status_code == 201, response.text
    assert response.json()["skills"] == ["sewing", "pattern making"]
    [event] = await settle(events, "intake.skills_assessed")
    assert event["data"]["occupations"] == [{"isco08": "7531", "years": 4.0}]
    assert event["data"]["aspirations"] == ["self_employment", "training"]
    assert "Abidjan" not in json.dumps(event)
    listed = (await client.get(f"/v1/beneficiaries/{who}/assessments")).json()
    assert [a["assessment_id"] for a in listed] == [response.json()["assessment_id"]]


async def test_a_referral_consent_given_after_an_assessment_shares_the_latest_one_again(intake):
    """A partner drops an assessment it may not keep yet; once the person agrees to be referred,
    the latest assessment is announced again so that the partner can rank them on it."""
    client, _, events = intake
    who = await person(client)
    first = await client.post(f"/v1/beneficiaries/{who}/assessments", json=ASSESSMENT)
    assert first.status_code == 201, first.text
    newest = await client.post(f"/v1/beneficiaries/{who}/assessments", json=ASSESSMENT)
    await settle(events, "intake.skills_assessed", 2)
    given = await client.post(
        f"/v1/beneficiaries/{who}/consents", json={"purpose": "referral", "organisation": "employment"}
    )
    assert given.status_code == 201, given.text
    shared = await settle(events, "intake.skills_assessed", 3)
    assert shared[-1]["data"]["assessment_id"] == newest.json()["assessment_id"]
    consent = next(
        e for e in events if e["event_type"] == "intake.consent_given" and e["data"]["purpose"] == "referral"
    )
    assert events.index(consent) < events.index(shared[-1]), "after the consent, so the partner keeps it"
    statistics = await client.post(f"/v1/beneficiaries/{who}/consents", json={"purpose": "statistics"})
    assert statistics.status_code in (201, 409)
    await asyncio.sleep(0.3)
    assert len([e for e in events if e["event_type"] == "intake.skills_assessed"]) == 3, "only a referral consent"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"occupations": [{"isco08": "75311", "years": 1}]}, "occupations.0.isco08"),
        ({"aspirations": []}, "aspirations"),
        ({"digital_skills": "guru"}, "digital_skills"),
        ({"skills": ["<script>"]}, "skills"),
        ({"assessed_on": "2030-01-01"}, "assessed_on"),
    ],
)
async def test_an_invalid_assessment_names_the_field(intake, change, field):
    client, _, _ = intake
    who = await person(client)
    response = await client.post(f"/v1/beneficiaries/{who}/assessments", json={**ASSESSMENT, **change})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == field


async def test_no_referral_without_consent_to_it(intake):
    client, _, events = intake
    who = await person(client)
    response = await client.post(
        f"/v1/beneficiaries/{who}/referrals", json={"service": "training", "reason": "vocational_training"}
    )
    assert response.status_code == 409
    assert "no active consent to referral to training" in response.json()["detail"]
    assert await settle(events, "intake.referral_made") == []


async def test_a_referral_needs_exactly_one_recipient(intake):
    client, _, _ = intake
    who = await person(client, to=["training"])
    both = {"service": "training", "organisation": "anapec", "reason": "job_placement"}
    response = await client.post(f"/v1/beneficiaries/{who}/referrals", json=both)
    assert response.status_code == 422 and "exactly one recipient" in response.json()["errors"][0]["reason"]


async def test_the_training_services_answer_closes_the_loop(intake):
    client, broker, events = intake
    who = await person(client, to=["training"])
    made = await client.post(
        f"/v1/beneficiaries/{who}/referrals",
        json={"service": "training", "reason": "vocational_training", "note": "tailoring"},
    )
    assert made.status_code == 201
    referral = made.json()
    [event] = await settle(events, "intake.referral_made")
    assert event["data"]["service"] == "training" and "note" not in event["data"]

    async def answer(word: str) -> None:
        data = TrainingReferralAnswered(
            referral_id=referral["referral_id"], beneficiary_id=who, answer=word, answered_on=date(2026, 11, 28)
        )
        envelope = new_envelope(data, key=who, producer=Producer(service="training", organisation="ofppt"))
        await broker.publish(
            encode(envelope), topic="training.referral_answers", key=who.encode(), headers=headers_for(envelope)
        )

    await answer("accepted")
    await answer("accepted")  # a duplicate answer changes nothing
    await answer("completed")
    listed = (await client.get("/v1/referrals", params={"beneficiary_id": who})).json()
    assert listed["items"][0]["status"] == "completed"
    changes = await settle(events, "intake.referral_status_changed", 2)
    assert [c["data"]["status"] for c in changes] == ["accepted", "completed"]
    assert all(c["causation_id"] for c in changes)

    refused = await client.post(f"/v1/referrals/{referral['referral_id']}/status", json={"status": "declined"})
    assert refused.status_code == 409


async def test_a_caseworker_records_the_outcome_of_an_outside_referral(intake):
    client, _, events = intake
    who = await person(client, to=["ANAPEC"])
    made = (
        await client.post(
            f"/v1/beneficiaries/{who}/referrals", json={"organisation": "anapec", "reason": "job_placement"}
        )
    ).json()
    step = await client.post(f"/v1/referrals/{made['referral_id']}/status", json={"status": "accepted"})
    assert step.status_code == 200 and step.json()["status"] == "accepted"
    back = await client.post(f"/v1/referrals/{made['referral_id']}/status", json={"status": "pending"})
    assert back.status_code == 409 and "cannot become pending" in back.json()["detail"]
    assert (await client.get("/v1/referrals", params={"status": "accepted"})).json()["total"] == 1
    assert [c["data"]["status"] for c in await settle(events, "intake.referral_status_changed")] == ["accepted"]


async def test_a_withdrawn_referral_consent_stops_new_referrals(intake):
    client, _, _ = intake
    who = await person(client, to=["employment"])
    consents = (await client.get(f"/v1/beneficiaries/{who}/consents")).json()
    referral_consent = next(c for c in consents if c["purpose"] == "referral")
    await client.post(f"/v1/beneficiaries/{who}/consents/{referral_consent['consent_id']}/withdraw")
    response = await client.post(
        f"/v1/beneficiaries/{who}/referrals", json={"service": "employment", "reason": "job_placement"}
    )
    assert response.status_code == 409


async def test_an_outreach_session_is_recorded_and_published(intake):
    client, _, events = intake
    attendee = await person(client)
    session = {
        "campaign": "Know your rights 2026",
        "held_on": "2026-11-20",
        "region": "oriental",
        "city": "Oujda",
        "topic": "rights",
        "people_reached": 64,
        "registered_attendees": [attendee],
    }
    response = await client.post("/v1/outreach-sessions", json=session)
    assert response.status_code == 201, response.text
    assert response.json()["partner_organisation"] == "amappe-rabat"
    [event] = await settle(events, "intake.outreach_session_held")
    assert event["data"]["people_reached"] == 64 and event["data"]["registered_attendees"] == [attendee]
    listed = await client.get("/v1/outreach-sessions", params={"region": "oriental"}, headers=VIEWER)
    assert listed.status_code == 200 and listed.json()["total"] == 1


@pytest.mark.parametrize(
    ("change", "field", "reason"),
    [
        ({"people_reached": 0}, "(body)", "must count the registered attendees"),
        ({"registered_attendees": ["00000000-0000-4000-8000-000000000000"]}, "registered_attendees", "not registered"),
        ({"held_on": "2027-01-01"}, "held_on", "future"),
        ({"city": "   "}, "city", "must not be blank"),  # found by the fuzz test (was a 500)
    ],
)
async def test_an_impossible_outreach_session_is_refused(intake, change, field, reason):
    client, _, _ = intake
    attendee = await person(client)
    session = {
        "campaign": "c",
        "held_on": "2026-11-20",
        "region": "oriental",
        "city": "Oujda",
        "topic": "rights",
        "people_reached": 10,
        "registered_attendees": [attendee],
        **change,
    }
    response = await client.post("/v1/outreach-sessions", json=session)
    assert response.status_code == 422
    error = response.json()["errors"][0]
    assert error["field"] == field and reason in error["reason"]
