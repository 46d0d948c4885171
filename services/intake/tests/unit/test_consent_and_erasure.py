"""Consent per purpose gates what is shared; erasure deletes personal data and is announced."""

import asyncio

import pytest
from sqlalchemy import text

from work4life.runtime.testing import bearer

from ..conftest import started_intake, valid_registration

MANAGER = bearer("programme_manager", "lead-ngo", "nadia")


@pytest.fixture
async def intake(sqlite_url):
    async with started_intake(sqlite_url, consent_notice_version="2026-02") as (client, app, _broker, published):
        yield client, published.events, app


async def settle(events: list, count: int) -> list[dict]:
    for _ in range(250):
        if len(events) >= count:
            break
        await asyncio.sleep(0.02)
    await asyncio.sleep(0.1)
    return events


async def test_registration_without_consent_to_service_delivery_is_refused(intake):
    client, events, _ = intake
    response = await client.post("/v1/beneficiaries", json=valid_registration(consents=[{"purpose": "statistics"}]))
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {
            "field": "consents",
            "reason": "consent to service delivery is required to register a person",
            "type": "value_error",
        }
    ]
    assert await settle(events, 1) == []


async def test_a_referral_consent_must_name_its_recipient(intake):
    client, _, _ = intake
    body = valid_registration(consents=[{"purpose": "service_delivery"}, {"purpose": "referral"}])
    response = await client.post("/v1/beneficiaries", json=body)
    assert response.status_code == 422
    assert "must name the organisation" in response.json()["errors"][0]["reason"]


async def test_consents_given_at_registration_are_recorded_and_announced(intake):
    client, events, _ = intake
    person = (await client.post("/v1/beneficiaries", json=valid_registration())).json()["beneficiary_id"]
    consents = (await client.get(f"/v1/beneficiaries/{person}/consents")).json()
    assert [(c["purpose"], c["notice_version"], c["recorded_by"], c["active"]) for c in consents] == [
        ("service_delivery", "2026-01", "tester", True),
        ("statistics", "2026-02", "tester", True),
    ]
    published = await settle(events, 3)
    assert [e["event_type"] for e in published] == [
        "intake.beneficiary_registered",
        "intake.consent_given",
        "intake.consent_given",
    ]
    assert {e["data"]["purpose"] for e in published[1:]} == {"service_delivery", "statistics"}


async def test_a_consent_to_referral_is_given_then_withdrawn(intake):
    client, events, _ = intake
    person = (await client.post("/v1/beneficiaries", json=valid_registration())).json()["beneficiary_id"]
    given = await client.post(
        f"/v1/beneficiaries/{person}/consents", json={"purpose": "referral", "organisation": "ANAPEC"}
    )
    assert given.status_code == 201
    consent = given.json()
    again = await client.post(
        f"/v1/beneficiaries/{person}/consents", json={"purpose": "referral", "organisation": "anapec"}
    )
    assert again.status_code == 409

    withdrawn = await client.post(f"/v1/beneficiaries/{person}/consents/{consent['consent_id']}/withdraw")
    assert withdrawn.status_code == 200 and withdrawn.json()["active"] is False
    assert withdrawn.json()["withdrawn_on"] == "2026-11-28"
    twice = await client.post(f"/v1/beneficiaries/{person}/consents/{consent['consent_id']}/withdraw")
    assert twice.status_code == 409 and "already withdrawn" in twice.json()["detail"]

    published = await settle(events, 5)
    assert published[-1]["event_type"] == "intake.consent_withdrawn"
    assert published[-1]["data"] == {
        "beneficiary_id": person,
        "consent_id": consent["consent_id"],
        "purpose": "referral",
        "organisation": "ANAPEC",
        "withdrawn_on": "2026-11-28",
    }


async def test_withdrawing_an_unknown_consent_is_a_404(intake):
    client, _, _ = intake
    person = (await client.post("/v1/beneficiaries", json=valid_registration())).json()["beneficiary_id"]
    response = await client.post(f"/v1/beneficiaries/{person}/consents/00000000-0000-4000-8000-000000000000/withdraw")
    assert response.status_code == 404


async def test_erasure_deletes_personal_data_keeps_the_pseudonymous_record_and_is_announced(intake):
    client, events, app = intake
    person = (await client.post("/v1/beneficiaries", json=valid_registration())).json()["beneficiary_id"]
    await client.post(
        f"/v1/beneficiaries/{person}/legal-status",
        json={
            "legal_status": "refugee",
            "effective_on": "2026-11-28",
            "reason": "status_recognised",
            "document_type": "refugee_card",
            "document_number": "UNHCR-777",
        },
    )
    assert (await client.delete(f"/v1/beneficiaries/{person}")).status_code == 403  # caseworkers may not erase

    erased = await client.delete(f"/v1/beneficiaries/{person}", headers=MANAGER)
    assert erased.status_code == 200
    body = erased.json()
    assert body["status"] == "erased" and body["given_name"] == "(erased)" and body["phone"] is None
    assert body["date_of_birth"] == "1996-01-01" and body["region"] == "rabat_sale_kenitra"

    # Nothing personal is left anywhere in intake's database.
    with app.state.runtime.engine.connect() as connection:
        dump = "\n".join(
            str(row)
            for table in ("beneficiary", "legal_status_record", "consent", "audit_entry", "outbox")
            for row in connection.execute(text(f"SELECT * FROM {table}"))
        )
    for personal in ("Aminata", "Traoré", "أميناتا", "612345678", "example.org", "1996-04-02", "UNHCR", "MA-2026"):
        assert personal not in dump, f"{personal!r} survived the erasure"

    assert (await client.get("/v1/beneficiaries")).json()["total"] == 0
    listed = (await client.get("/v1/beneficiaries", params={"status": "erased"}, headers=MANAGER)).json()
    assert listed["total"] == 1
    assert (await client.delete(f"/v1/beneficiaries/{person}", headers=MANAGER)).status_code == 409
    assert (await client.patch(f"/v1/beneficiaries/{person}", json={"city": "Fes"})).status_code == 409

    published = await settle(events, 6)
    assert published[-1]["event_type"] == "intake.beneficiary_erased"
    assert published[-1]["data"] == {"beneficiary_id": person, "erased_on": "2026-11-28"}
    consents = (await client.get(f"/v1/beneficiaries/{person}/consents", headers=MANAGER)).json()
    assert all(not c["active"] for c in consents)
