"""A registration taken offline on a tablet is sent with an idempotency key made on the device;
however often it arrives, intake holds one person and published one registration."""

import asyncio
import uuid

from sqlmodel import Session, func, select

from work4life.intake.adapters.orm import Beneficiary
from work4life.runtime.outbox import OutboxMessage
from work4life.runtime.testing import bearer

from ..conftest import started_intake, valid_registration


def counts(app) -> tuple[int, int]:
    with Session(app.state.runtime.engine) as session:
        people = session.exec(select(func.count()).select_from(Beneficiary)).one()
        registrations = session.exec(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.event_type == "intake.beneficiary_registered")
        ).one()
    return people, registrations


async def test_a_registration_sent_twice_with_its_key_creates_one_person_and_one_event(sqlite_url):
    async with started_intake(sqlite_url) as (client, app, _broker, _published):
        key = str(uuid.uuid4())
        first = await client.post("/v1/beneficiaries", json=valid_registration(), headers={"Idempotency-Key": key})
        assert first.status_code == 201, first.text
        assert counts(app) == (1, 1)

        again = await client.post("/v1/beneficiaries", json=valid_registration(), headers={"Idempotency-Key": key})
        assert again.status_code == 200, again.text
        assert again.headers["Idempotent-Replayed"] == "true"
        assert again.json()["beneficiary_id"] == first.json()["beneficiary_id"]
        assert counts(app) == (1, 1)

        # Without a key (or with another) the same person is a second registration, flagged as a duplicate.
        other = await client.post(
            "/v1/beneficiaries", json=valid_registration(), headers={"Idempotency-Key": str(uuid.uuid4())}
        )
        assert other.status_code == 201
        assert [d["beneficiary_id"] for d in other.json()["possible_duplicates"]] == [first.json()["beneficiary_id"]]
        assert counts(app) == (2, 2)


async def test_the_same_key_sent_at_once_from_two_connections_still_creates_one_person(sqlite_url):
    async with started_intake(sqlite_url) as (client, app, _broker, _published):
        key = str(uuid.uuid4())
        answers = await asyncio.gather(
            *(
                client.post("/v1/beneficiaries", json=valid_registration(), headers={"Idempotency-Key": key})
                for _ in range(4)
            )
        )
        assert sorted(a.status_code for a in answers) == [200, 200, 200, 201], [a.text for a in answers]
        assert len({a.json()["beneficiary_id"] for a in answers}) == 1
        assert counts(app) == (1, 1)


async def test_a_key_used_by_another_organisation_is_refused_without_disclosing_the_person(sqlite_url):
    async with started_intake(sqlite_url) as (client, app, _broker, _published):
        key = str(uuid.uuid4())
        assert (
            await client.post("/v1/beneficiaries", json=valid_registration(), headers={"Idempotency-Key": key})
        ).status_code == 201
        stranger = await client.post(
            "/v1/beneficiaries",
            json=valid_registration(partner_organisation="oujda-solidarite"),
            headers={"Idempotency-Key": key, **bearer("caseworker", "oujda-solidarite")},
        )
        assert stranger.status_code == 409
        assert "Traor" not in stranger.text and "beneficiary_id" not in stranger.text
        assert counts(app) == (1, 1)


async def test_a_malformed_key_is_a_422_naming_the_header(sqlite_url):
    async with started_intake(sqlite_url) as (client, app, _broker, _published):
        answer = await client.post("/v1/beneficiaries", json=valid_registration(), headers={"Idempotency-Key": "short"})
        assert answer.status_code == 422
        assert answer.json()["errors"][0]["field"] == "header.idempotency-key"
        assert counts(app) == (0, 0)
