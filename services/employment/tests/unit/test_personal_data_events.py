"""Consent withdrawal, erasure, merges and replays, as intake announces them."""

from uuid import UUID

import pytest
from sqlmodel import Session, create_engine, select

from work4life.employment.adapters.orm import JobApplication, Jobseeker, Placement, TrainingRecord

from ..conftest import hired, new_offer, started_employment


@pytest.fixture
async def employment(sqlite_url):
    async with started_employment(sqlite_url) as running:
        yield (*running, sqlite_url)


async def test_a_withdrawn_consent_empties_the_pool_withdraws_applications_and_stops_the_checks(employment):
    client, upstream, _, _, _ = employment
    offer = await new_offer(client, positions=3)
    applying = await upstream.jobseeker()
    placed = await upstream.jobseeker()
    await client.post(f"/v1/offers/{offer['offer_id']}/applications", json={"beneficiary_id": str(applying)})
    placement = await hired(client, offer, placed)
    for who in (applying, placed):
        await upstream.withdraw(who)
    assert (await client.get(f"/v1/offers/{offer['offer_id']}/matches")).json()["total"] == 0
    applications = (await client.get(f"/v1/offers/{offer['offer_id']}/applications")).json()["items"]
    assert {a["beneficiary_id"]: a["status"] for a in applications} == {
        str(applying): "withdrawn",
        str(placed): "hired",
    }
    checks = (await client.get(f"/v1/placements/{placement['placement_id']}")).json()["retention_checks"]
    assert {c["status"] for c in checks} == {"not_needed"}, "no one is contacted any more"


async def test_a_referral_without_known_consent_is_dead_lettered_and_nothing_is_kept(employment):
    client, upstream, published, _, url = employment
    who = await upstream.jobseeker(consent=False)
    assert (await client.get("/v1/candidates")).json()["total"] == 0
    [letter] = published.dead_letters
    assert "no consent" in letter["w4l-dlq-error"]
    engine = create_engine(url)
    with Session(engine) as db:
        assert db.get(Jobseeker, who) is None, "the assessment of someone without consent is not kept"
    engine.dispose()


async def test_erasure_replaces_the_person_by_a_stand_in_and_deletes_the_assessment(employment):
    client, upstream, _, _, url = employment
    offer = await new_offer(client)
    who = await upstream.jobseeker()
    await upstream.certify(who)
    await hired(client, offer, who)
    await upstream.erase(who)
    engine = create_engine(url)
    with Session(engine) as db:
        assert db.get(Jobseeker, who) is None
        for table in (JobApplication, Placement, TrainingRecord):
            assert db.exec(select(table).where(table.beneficiary_id == who)).all() == []
        [placement] = db.exec(select(Placement)).all()
        assert placement.anonymised and placement.beneficiary_id != who
    engine.dispose()
    assert (await client.get(f"/v1/offers/{offer['offer_id']}")).json()["hired"] == 1, "the totals stay right"


async def test_a_merge_moves_everything_to_the_kept_id(employment):
    client, upstream, _, _, url = employment
    offer = await new_offer(client, positions=3)
    kept = await upstream.jobseeker()
    retired = await upstream.jobseeker()
    await upstream.certify(retired)
    await client.post(f"/v1/offers/{offer['offer_id']}/applications", json={"beneficiary_id": str(kept)})
    await client.post(f"/v1/offers/{offer['offer_id']}/applications", json={"beneficiary_id": str(retired)})
    await upstream.merge(kept, retired)
    await upstream.resend()
    applications = (await client.get(f"/v1/offers/{offer['offer_id']}/applications")).json()["items"]
    assert sorted((a["beneficiary_id"], a["status"]) for a in applications) == sorted(
        [(str(kept), "shortlisted"), (str(kept), "withdrawn")]
    )
    ranked = (await client.get(f"/v1/jobseekers/{kept}/matches")).json()
    training = {p["factor"]: p for p in ranked["items"][0]["explanation"]}["training"]
    assert "certified" in training["why"], "the retired id's certificate counts for the kept person"
    engine = create_engine(url)
    with Session(engine) as db:
        assert db.get(Jobseeker, UUID(str(retired))) is None
    engine.dispose()


async def test_a_replayed_referral_and_assessment_change_nothing(employment):
    client, upstream, _, _, _ = employment
    await upstream.jobseeker()
    await upstream.resend()
    await upstream.resend(-2)
    assert (await client.get("/v1/candidates")).json()["total"] == 1
