"""Registration through the HTTP API, with the in-memory broker standing in for Kafka."""

import asyncio
import json

import pytest
from faststream.kafka import KafkaBroker, KafkaMessage, TestKafkaBroker
from sqlmodel import Session, select

from work4life.runtime.outbox import OutboxMessage

from ..conftest import intake_settings, running, valid_registration


@pytest.fixture
async def intake(sqlite_url):
    settings = intake_settings(database_url=sqlite_url, create_topics=False)
    broker = KafkaBroker()
    published: list = []

    @broker.subscriber("intake.beneficiaries")
    async def capture(msg: KafkaMessage) -> None:
        # Registrations only: each also publishes one consent event per consent given.
        if dict(msg.raw_message.headers)["w4l-event-type"] == b"intake.beneficiary_registered":
            published.append(msg.raw_message)

    async with TestKafkaBroker(broker), running(settings, broker) as (client, app):
        yield client, app, published


async def wait_for(predicate, timeout=5.0):
    for _ in range(int(timeout / 0.02)):
        if predicate():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("timed out")


def outbox_rows(app) -> list[OutboxMessage]:
    with Session(app.state.runtime.engine) as session:
        return list(session.exec(select(OutboxMessage)))


async def test_registering_a_person_publishes_a_pseudonymous_event(intake):
    client, app, published = intake
    response = await client.post("/v1/beneficiaries", json=valid_registration())
    assert response.status_code == 201, response.text
    person = response.json()
    assert person["nationality"] == "CIV" and person["phone"] == "+212612345678"
    assert (
        person["languages"] == [{"code": "fr", "level": "fluent"}, {"code": "bm", "level": None}]
        and person["email"] == "aminata.t@example.org"
    )

    await wait_for(lambda: len(published) == 1)
    record = published[0]
    assert record.key == person["beneficiary_id"].encode()
    event = json.loads(record.value)
    assert event["event_type"] == "intake.beneficiary_registered"
    assert event["data"]["beneficiary_id"] == person["beneficiary_id"]
    assert event["data"]["birth_year"] == 1996
    assert event["producer"] == {"service": "intake", "organisation": "work4life"}
    for personal in ("Aminata", "Traoré", "أميناتا", "612345678", "example.org", "1996-04-02"):
        assert personal not in record.value.decode(), f"{personal!r} leaked into the event"
    headers = dict(record.headers)
    assert headers["w4l-event-type"] == b"intake.beneficiary_registered"
    await wait_for(lambda: outbox_rows(app)[0].published_at is not None)


async def test_the_correlation_id_of_the_request_travels_with_the_event(intake):
    client, _app, published = intake
    cid = "2f1e4d3c-5b6a-4789-8a0b-1c2d3e4f5a6b"
    response = await client.post("/v1/beneficiaries", json=valid_registration(), headers={"X-Correlation-ID": cid})
    assert response.headers["X-Correlation-ID"] == cid
    await wait_for(lambda: len(published) == 1)
    assert json.loads(published[0].value)["correlation_id"] == cid


async def test_invalid_fields_are_refused_with_the_field_and_the_reason_and_nothing_is_published(intake):
    client, app, published = intake
    body = valid_registration(sex="f", nationality="C1V", phone="0612", given_name="  ", given_name_ar="Aminata")
    del body["city"]
    response = await client.post("/v1/beneficiaries", json=body)
    assert response.status_code == 422
    errors = {e["field"]: e["reason"] for e in response.json()["errors"]}
    assert set(errors) == {"sex", "nationality", "phone", "given_name", "given_name_ar", "city"}
    assert "alpha-3" in errors["nationality"] and "international" in errors["phone"]
    assert "Arabic script" in errors["given_name_ar"] and "required" in errors["city"].lower()
    assert outbox_rows(app) == [] and published == []


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("given_name", "أمينة", "Latin script"),  # the Arabic spelling has its own field
        ("family_name", "😀😀", "must hold letters"),
        ("family_name", "Traoré 2", "Latin script"),
        ("given_name", "Ami\u202enata", "U+202E"),  # a right-to-left override
        ("given_name", "Ami\u0007nata", "U+0007"),  # a bell
        ("city", "🏙", "must hold letters"),
        ("nationality", "XXX", "ISO 3166-1"),
        ("nationality", "ZZZ", "ISO 3166-1"),
        ("phone", "+212 000 000 000", "numbering plan"),
        ("phone", "+2126123", "numbering plan"),
        ("phone", "0612345678", "international"),
        ("household_size", True, "valid integer"),
        ("household_size", "3", "valid integer"),
        ("disability", "yes", "valid boolean"),
        ("date_of_birth", 0, "YYYY-MM-DD"),
        ("date_of_birth", "1996-04-02T00:00:00", "YYYY-MM-DD"),
        # The city travels to every service: what a person typed in it must not carry contacts.
        ("city", "Rabat, appeler le 06 12 34 56 78", "a phone number"),
        ("city", "Rabat (aminata@example.org)", "an e-mail address"),
    ],
)
async def test_input_outside_the_documented_rules_is_refused_by_name(intake, field, value, reason):
    client, app, published = intake
    response = await client.post("/v1/beneficiaries", json=valid_registration(**{field: value}))
    assert response.status_code == 422, response.text
    [error] = response.json()["errors"]
    assert error["field"] == field and reason in error["reason"], error
    assert outbox_rows(app) == [] and published == []


async def test_names_accents_a_stateless_person_and_a_phone_as_typed_are_taken(intake):
    client, _app, _ = intake
    body = valid_registration(
        given_name="Zoé-Marie", family_name="N’Guessan Koné", nationality="xxa", phone="+212 6 61-23.45.67"
    )
    response = await client.post("/v1/beneficiaries", json=body)
    assert response.status_code == 201, response.text
    person = response.json()
    assert (person["given_name"], person["family_name"]) == ("Zoé-Marie", "N’Guessan Koné")
    assert person["nationality"] == "XXA" and person["phone"] == "+212661234567"


async def test_a_registration_date_filter_takes_a_day_not_a_timestamp(intake):
    client, _app, _ = intake
    response = await client.get("/v1/beneficiaries", params={"registered_to": "0"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "registered_to"
    assert (await client.get("/v1/beneficiaries", params={"registered_to": "2026-01-31"})).status_code == 200


@pytest.mark.parametrize(
    ("date_of_birth", "reason"),
    [("2015-01-01", "the person is 11"), ("2027-01-01", "is in the future"), ("1899-12-31", "before 1900")],
)
async def test_an_implausible_date_of_birth_is_refused(intake, date_of_birth, reason):
    client, app, _ = intake
    response = await client.post("/v1/beneficiaries", json=valid_registration(date_of_birth=date_of_birth))
    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert error["field"] == "date_of_birth" and reason in error["reason"]
    assert outbox_rows(app) == []


async def test_a_body_that_is_not_json_gets_a_4xx_not_a_500(intake):
    client, _, _ = intake
    response = await client.post(
        "/v1/beneficiaries", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 422
    assert response.json()["errors"]


async def test_beneficiaries_are_listed_page_by_page_and_filtered(intake):
    client, _, _ = intake
    for i in range(5):
        region = "oriental" if i % 2 else "rabat_sale_kenitra"
        assert (
            await client.post("/v1/beneficiaries", json=valid_registration(region=region, given_name=f"P{'abcde'[i]}"))
        ).status_code == 201
    page = (await client.get("/v1/beneficiaries", params={"limit": 2, "offset": 2})).json()
    assert page["total"] == 5 and page["limit"] == 2 and [p["given_name"] for p in page["items"]] == ["Pc", "Pd"]
    oriental = (await client.get("/v1/beneficiaries", params={"region": "oriental"})).json()
    assert oriental["total"] == 2 and {p["given_name"] for p in oriental["items"]} == {"Pb", "Pd"}
    bad = await client.get("/v1/beneficiaries", params={"limit": 0, "region": "atlantis"})
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json()["errors"]} == {"limit", "region"}


async def test_one_beneficiary_by_id_and_a_clear_404_for_an_unknown_id(intake):
    client, _, _ = intake
    created = (await client.post("/v1/beneficiaries", json=valid_registration())).json()
    created.pop("possible_duplicates")
    assert (await client.get(f"/v1/beneficiaries/{created['beneficiary_id']}")).json() == created
    missing = await client.get("/v1/beneficiaries/00000000-0000-4000-8000-000000000000")
    assert missing.status_code == 404 and "no beneficiary" in missing.json()["detail"]
    malformed = await client.get("/v1/beneficiaries/not-a-uuid")
    assert malformed.status_code == 422 and malformed.json()["errors"][0]["field"] == "beneficiary_id"


async def test_operations_endpoints(intake):
    client, app, published = intake
    await client.post("/v1/beneficiaries", json=valid_registration())
    await wait_for(lambda: len(published) == 1)
    # Kafka's acknowledgement comes before the relay marks the row published.
    await wait_for(lambda: outbox_rows(app)[0].published_at is not None)
    assert (await client.get("/health")).json()["status"] == "ok"
    metrics = (await client.get("/metrics")).text
    assert 'w4l_outbox_pending_events{service="intake"} 0.0' in metrics
    assert (
        'w4l_http_requests_total{method="POST",route="/v1/beneficiaries",service="intake",status="201"} 1.0' in metrics
    )
    spec = (await client.get("/asyncapi.json")).json()
    assert "intake.beneficiaries:intake.beneficiary_registered" in spec["channels"]
