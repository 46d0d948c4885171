"""Consent withdrawal, erasure and merges announced by intake."""

from uuid import UUID, uuid4

import pytest
from sqlmodel import Session, create_engine, select

from work4life.contracts.intake import BeneficiaryUpdated, ConsentPurpose, ConsentWithdrawn
from work4life.training.adapters.orm import Candidate, Enrolment, Trainee

from ..conftest import new_cohort, started_training


@pytest.fixture
async def training(sqlite_url):
    async with started_training(sqlite_url) as running:
        yield (*running, sqlite_url)


async def seated(client, intake, cohort, waiting: bool = False) -> UUID:
    who, _ = await intake.refer()
    response = await client.post(
        f"/v1/cohorts/{cohort['cohort_id']}/enrolments",
        json={"beneficiary_id": str(who), "join_waiting_list": waiting},
    )
    assert response.status_code == 201, response.text
    return who


async def statuses(client, cohort) -> dict[str, str]:
    listed = (await client.get(f"/v1/cohorts/{cohort['cohort_id']}/enrolments")).json()["items"]
    return {e["beneficiary_id"]: e["status"] for e in listed}


@pytest.mark.parametrize("purpose", [ConsentPurpose.REFERRAL, ConsentPurpose.SERVICE_DELIVERY])
async def test_a_withdrawn_consent_ends_the_seat_and_gives_it_to_the_next_in_line(training, purpose):
    client, intake, published, _, _ = training
    _, cohort = await new_cohort(client, capacity=1)
    leaving = await seated(client, intake, cohort)
    next_in_line = await seated(client, intake, cohort, waiting=True)
    pending, _ = await intake.refer()

    await intake.withdraw(leaving, purpose)
    await intake.withdraw(pending, purpose)

    assert await statuses(client, cohort) == {str(leaving): "dropped_out", str(next_in_line): "enrolled"}
    [dropped] = await published.settle("training.dropped_out")
    assert dropped["data"]["beneficiary_id"] == str(leaving) and dropped["data"]["reason"] == "consent_withdrawn"
    assert dropped["causation_id"] == str(intake.sent[-2].event_id)
    pool = (await client.get("/v1/candidates", params={"beneficiary_id": str(pending), "status": "cancelled"})).json()
    assert pool["total"] == 1
    again = await client.post(f"/v1/cohorts/{cohort['cohort_id']}/enrolments", json={"beneficiary_id": str(leaving)})
    assert again.status_code == 409, "without consent there is no enrolling again"


async def test_withdrawing_consent_to_another_organisation_changes_nothing_here(training):
    client, intake, _, _, _ = training
    _, cohort = await new_cohort(client)
    who = await seated(client, intake, cohort)
    await intake.send(
        ConsentWithdrawn(
            beneficiary_id=who, consent_id=uuid4(), purpose="referral", organisation="ANAPEC", withdrawn_on="2026-03-01"
        ),
        who,
    )
    assert await statuses(client, cohort) == {str(who): "enrolled"}


async def test_erasure_anonymises_what_training_holds_and_keeps_the_totals(training):
    client, intake, published, _, url = training
    _, cohort = await new_cohort(client, capacity=2)
    erased = await seated(client, intake, cohort)
    stays = await seated(client, intake, cohort)
    await intake.erase(erased)

    listed = await statuses(client, cohort)
    assert str(erased) not in listed and listed[str(stays)] == "enrolled"
    assert sorted(listed.values()) == ["dropped_out", "enrolled"], "the erased person still counts, under a stand-in"
    assert published.of_type("training.dropped_out") == [], "nothing is published about an erased person"
    engine = create_engine(url)
    with Session(engine) as db:
        assert db.get(Trainee, erased) is None
        assert db.exec(select(Candidate).where(Candidate.beneficiary_id == erased)).all() == []
        assert db.exec(select(Enrolment).where(Enrolment.beneficiary_id == erased)).all() == []
        assert len(db.exec(select(Enrolment).where(Enrolment.anonymised)).all()) == 1
    engine.dispose()
    summary = (await client.get(f"/v1/cohorts/{cohort['cohort_id']}")).json()
    assert (summary["enrolled"], summary["dropped_out"]) == (1, 1)


async def test_a_merge_repoints_candidates_and_enrolments_and_frees_a_doubled_seat(training):
    client, intake, published, _, _ = training
    _, cohort = await new_cohort(client, capacity=2)
    _, other = await new_cohort(client, label="Autre", starts_on="2026-09-01", ends_on="2026-09-30", sessions=0)
    kept = await seated(client, intake, cohort)
    retired = await seated(client, intake, cohort)  # the same person, registered twice
    waiting = await seated(client, intake, cohort, waiting=True)
    other_place = await client.post(
        f"/v1/cohorts/{other['cohort_id']}/enrolments", json={"beneficiary_id": str(retired)}
    )
    assert other_place.status_code == 201

    await intake.merge(kept, retired)
    await intake.resend()  # a replayed merge changes nothing

    listed = (await client.get(f"/v1/cohorts/{cohort['cohort_id']}/enrolments")).json()["items"]
    assert sorted((e["beneficiary_id"], e["status"]) for e in listed) == sorted(
        [(str(kept), "enrolled"), (str(kept), "merged"), (str(waiting), "enrolled")]
    )
    assert await statuses(client, other) == {str(kept): "enrolled"}
    candidates = (await client.get("/v1/candidates", params={"beneficiary_id": str(kept), "status": "accepted"})).json()
    assert candidates["total"] == 2
    assert (await client.get("/v1/candidates", params={"beneficiary_id": str(retired)})).json()["total"] == 0
    enrolled = await published.settle("training.enrolled", 4)
    assert len(enrolled) == 4
    assert enrolled[-1]["data"]["beneficiary_id"] == str(waiting)


async def test_a_move_to_another_region_is_followed_for_people_referred_here_only(training):
    client, intake, _, _, url = training
    who, _ = await intake.refer()
    stranger = uuid4()
    for person in (who, stranger):
        await intake.send(
            BeneficiaryUpdated(
                beneficiary_id=person,
                sex="female",
                birth_year=1996,
                nationality="CIV",
                disability=False,
                region="oriental",
                city="Oujda",
                partner_organisation="amappe-rabat",
                changed_fields=["region", "city"],
            ),
            person,
        )
    _, cohort = await new_cohort(client, region="oriental")
    found = (await client.get(f"/v1/cohorts/{cohort['cohort_id']}/candidates")).json()
    assert [c["beneficiary_id"] for c in found["items"]] == [str(who)]
    engine = create_engine(url)
    with Session(engine) as db:
        assert db.get(Trainee, stranger) is None, "training keeps nothing about people not referred to it"
    engine.dispose()
