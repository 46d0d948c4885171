"""Changing a person's details and legal status: what is published, what is refused."""

import asyncio
import json

import pytest

from ..conftest import started_intake, valid_registration


@pytest.fixture
async def intake(sqlite_url):
    async with started_intake(sqlite_url) as (client, _app, _broker, published):
        yield client, published.events


async def settle(events: list, count: int) -> list[dict]:
    """The events other than consents (they have their own tests), once `count` of them arrived."""

    def relevant() -> list[dict]:
        return [e for e in events if not e["event_type"].startswith("intake.consent_")]

    for _ in range(250):
        if len(relevant()) >= count:
            break
        await asyncio.sleep(0.02)
    await asyncio.sleep(0.1)
    return relevant()


async def registered(client) -> str:
    response = await client.post("/v1/beneficiaries", json=valid_registration())
    assert response.status_code == 201, response.text
    return response.json()["beneficiary_id"]


async def test_the_registration_keeps_documents_in_intake_and_publishes_household_size(intake):
    client, events = intake
    person = (await client.post("/v1/beneficiaries", json=valid_registration())).json()
    assert person["document_number"] == "MA-2026/00417" and person["household_size"] == 3
    [event] = await settle(events, 1)
    assert event["data"]["household_size"] == 3
    assert "MA-2026/00417" not in json.dumps(event) and "document" not in json.dumps(event["data"])


async def test_changing_a_shared_attribute_publishes_the_profile(intake):
    client, events = intake
    person = await registered(client)
    response = await client.patch(
        f"/v1/beneficiaries/{person}", json={"region": "casablanca_settat", "city": "Casablanca"}
    )
    assert response.status_code == 200 and response.json()["city"] == "Casablanca"
    _registered, updated = await settle(events, 2)
    assert updated["event_type"] == "intake.beneficiary_updated"
    assert sorted(updated["data"]["changed_fields"]) == ["city", "region"]
    assert updated["data"]["region"] == "casablanca_settat" and updated["data"]["sex"] == "female"
    assert updated["key"] == person


async def test_a_programme_city_is_kept_under_its_one_name_however_it_is_written(intake):
    client, events = intake
    person = await registered(client)  # in Rabat
    same = await client.patch(f"/v1/beneficiaries/{person}", json={"city": "  RABAT "})
    assert same.status_code == 200 and same.json()["city"] == "Rabat"
    moved = await client.patch(
        f"/v1/beneficiaries/{person}", json={"city": "طنجة", "region": "tanger_tetouan_al_hoceima"}
    )
    assert moved.status_code == 200 and moved.json()["city"] == "Tanger"
    elsewhere = await client.patch(f"/v1/beneficiaries/{person}", json={"city": "Larache"})
    assert elsewhere.json()["city"] == "Larache", "a city outside the footprint stays as written"
    published = await settle(events, 3)
    assert [e["data"].get("city") for e in published[1:]] == ["Tanger", "Larache"], (
        "writing Rabat again changed nothing"
    )


async def test_changing_only_personal_data_publishes_nothing(intake):
    client, events = intake
    person = await registered(client)
    response = await client.patch(f"/v1/beneficiaries/{person}", json={"phone": "+212 700 000 001", "email": None})
    assert response.status_code == 200
    assert response.json()["phone"] == "+212700000001" and response.json()["email"] is None
    assert len(await settle(events, 2)) == 1


async def test_a_corrected_birth_date_in_the_same_year_is_not_announced(intake):
    client, events = intake
    person = await registered(client)
    assert (await client.patch(f"/v1/beneficiaries/{person}", json={"date_of_birth": "1996-09-30"})).status_code == 200
    assert len(await settle(events, 2)) == 1
    assert (await client.patch(f"/v1/beneficiaries/{person}", json={"date_of_birth": "1995-09-30"})).status_code == 200
    events = await settle(events, 2)
    assert events[1]["data"]["changed_fields"] == ["birth_year"] and events[1]["data"]["birth_year"] == 1995


async def test_an_invalid_update_names_the_field_and_changes_nothing(intake):
    client, events = intake
    person = await registered(client)
    response = await client.patch(f"/v1/beneficiaries/{person}", json={"nationality": "XX", "given_name": None})
    assert response.status_code == 422
    assert {e["field"] for e in response.json()["errors"]} == {"nationality", "given_name"}
    unknown = await client.patch(f"/v1/beneficiaries/{person}", json={"favourite_colour": "blue"})
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "favourite_colour"
    assert (await client.get(f"/v1/beneficiaries/{person}")).json()["nationality"] == "CIV"
    assert len(await settle(events, 2)) == 1


async def test_a_legal_status_change_is_kept_in_the_timeline_and_published_without_documents(intake):
    client, events = intake
    person = await registered(client)
    change = {
        "legal_status": "refugee",
        "effective_on": "2026-11-28",
        "reason": "status_recognised",
        "document_type": "refugee_card",
        "document_number": "UNHCR 123-456",
        "document_expiry": "2029-10-01",
    }
    response = await client.post(f"/v1/beneficiaries/{person}/legal-status", json=change)
    assert response.status_code == 201, response.text
    timeline = (await client.get(f"/v1/beneficiaries/{person}/legal-status")).json()
    assert [(t["legal_status"], t["reason"]) for t in timeline] == [
        ("asylum_seeker", None),
        ("refugee", "status_recognised"),
    ]
    assert timeline[1]["document_number"] == "UNHCR123-456"
    assert (await client.get(f"/v1/beneficiaries/{person}")).json()["legal_status"] == "refugee"

    _, changed = await settle(events, 2)
    assert changed["event_type"] == "intake.legal_status_changed"
    assert changed["data"] == {
        "beneficiary_id": person,
        "legal_status": "refugee",
        "previous_legal_status": "asylum_seeker",
        "effective_on": "2026-11-28",
        "reason": "status_recognised",
    }


async def test_a_renewed_permit_keeps_the_status_and_is_recorded(intake):
    client, _ = intake
    person = await registered(client)
    renewal = {"legal_status": "asylum_seeker", "effective_on": "2026-11-28", "reason": "permit_renewed"}
    assert (await client.post(f"/v1/beneficiaries/{person}/legal-status", json=renewal)).status_code == 201
    assert len((await client.get(f"/v1/beneficiaries/{person}/legal-status")).json()) == 2


@pytest.mark.parametrize(
    ("change", "field", "reason"),
    [
        ({"effective_on": "2027-01-01"}, "effective_on", "in the future"),
        ({"effective_on": "2026-01-01"}, "effective_on", "before the last recorded change"),
        ({"document_number": "AB123"}, "document_type", "required"),
        ({"document_type": "passport", "document_number": "#!"}, "document_number", "letters, digits"),
    ],
)
async def test_an_impossible_legal_status_change_is_refused(intake, change, field, reason):
    client, _ = intake
    person = await registered(client)
    body = {"legal_status": "regular_migrant", "effective_on": "2026-11-28", "reason": "permit_issued", **change}
    response = await client.post(f"/v1/beneficiaries/{person}/legal-status", json=body)
    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert error["field"] == field and reason in error["reason"]


async def test_people_can_be_found_by_part_of_a_name_in_either_script(intake):
    client, _ = intake
    await registered(client)
    assert (await client.get("/v1/beneficiaries", params={"name": "amina"})).json()["total"] == 1
    assert (await client.get("/v1/beneficiaries", params={"name": "أمينا"})).json()["total"] == 1
    assert (await client.get("/v1/beneficiaries", params={"name": "zzz"})).json()["total"] == 0


async def test_the_list_filters_by_registration_period_and_refuses_an_inverted_one(intake):
    client, _ = intake
    await registered(client)
    inside = {"registered_from": "2026-11-01", "registered_to": "2026-11-30"}
    assert (await client.get("/v1/beneficiaries", params=inside)).json()["total"] == 1
    before = {"registered_to": "2026-10-31"}
    assert (await client.get("/v1/beneficiaries", params=before)).json()["total"] == 0
    inverted = await client.get(
        "/v1/beneficiaries", params={"registered_from": "2026-12-01", "registered_to": "2026-11-01"}
    )
    assert inverted.status_code == 422 and inverted.json()["errors"][0]["field"] == "registered_from"
