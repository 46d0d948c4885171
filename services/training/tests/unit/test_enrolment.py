"""Candidates from referrals, enrolment with capacity, the waiting list and overlaps."""

from datetime import timedelta
from uuid import uuid4

import pytest

from work4life.contracts.intake import ReferralReason

from ..conftest import START, cohort_body, course_body, new_cohort, started_training


@pytest.fixture
async def training(sqlite_url):
    async with started_training(sqlite_url) as running:
        yield running


async def test_a_referral_with_consent_becomes_a_pending_candidate_of_suitable_cohorts(training):
    client, intake, _, _ = training
    _, cohort = await new_cohort(client)
    sewing, referral = await intake.refer()
    await intake.refer(reason=ReferralReason.LANGUAGE)  # suits a language course, not this one
    await intake.refer(region="oriental")  # lives elsewhere

    pool = (await client.get("/v1/candidates")).json()
    assert pool["total"] == 3 and {c["status"] for c in pool["items"]} == {"pending"}

    mine = (await client.get(f"/v1/cohorts/{cohort['cohort_id']}/candidates")).json()
    assert [(c["beneficiary_id"], c["referral_id"]) for c in mine["items"]] == [(str(sewing), str(referral))]
    anywhere = (await client.get(f"/v1/cohorts/{cohort['cohort_id']}/candidates", params={"any_region": True})).json()
    assert anywhere["total"] == 2


async def test_a_referral_to_another_service_is_not_a_candidate(training):
    client, intake, _, _ = training
    from work4life.contracts.intake import ReferralMade

    who = uuid4()
    await intake.send(
        ReferralMade(
            referral_id=uuid4(),
            beneficiary_id=who,
            service="employment",
            reason=ReferralReason.JOB_PLACEMENT,
            made_on=START,
            partner_organisation="amappe-rabat",
        ),
        who,
    )
    assert (await client.get("/v1/candidates")).json()["total"] == 0


async def test_enrolment_accepts_the_referral_and_publishes_the_enrolment(training):
    client, intake, published, _ = training
    course, cohort = await new_cohort(client)
    who, referral = await intake.refer()
    response = await client.post(f"/v1/cohorts/{cohort['cohort_id']}/enrolments", json={"beneficiary_id": str(who)})
    assert response.status_code == 201, response.text
    place = response.json()
    assert place["status"] == "enrolled" and place["referral_id"] == str(referral)

    [enrolled] = await published.settle("training.enrolled")
    assert enrolled["key"] == str(who)
    assert enrolled["data"]["course_kind"] == "vocational" and enrolled["data"]["region"] == "rabat_sale_kenitra"
    assert enrolled["data"]["course_id"] == course["course_id"] and enrolled["data"]["organisation"] == "ofppt-rabat"
    [answer] = await published.settle("training.referral_answered")
    assert answer["data"] == {
        "referral_id": str(referral),
        "beneficiary_id": str(who),
        "answer": "accepted",
        "answered_on": enrolled["data"]["enrolled_on"],
    }
    assert (await client.get(f"/v1/cohorts/{cohort['cohort_id']}")).json()["seats_left"] == 2


async def test_nobody_is_enrolled_without_a_referral_to_training(training):
    client, _, _, _ = training
    _, cohort = await new_cohort(client)
    response = await client.post(f"/v1/cohorts/{cohort['cohort_id']}/enrolments", json={"beneficiary_id": str(uuid4())})
    assert response.status_code == 409
    assert "no standing referral to training" in response.json()["detail"]


async def test_a_referral_without_known_consent_goes_to_the_dead_letters_not_to_the_candidates(training):
    client, intake, published, _ = training
    _, referral = await intake.refer(consent=False)
    assert (await client.get("/v1/candidates")).json()["total"] == 0
    [letter] = published.dead_letters
    assert letter["w4l-dlq-reason"] == "handler_error"
    assert f"referral {referral}: no consent" in letter["w4l-dlq-error"]
    assert letter["w4l-dlq-source-topic"] == "intake.beneficiaries"


async def test_a_full_cohort_refuses_clearly_or_puts_the_person_on_the_waiting_list(training):
    client, intake, _, _ = training
    _, cohort = await new_cohort(client, capacity=2)
    url = f"/v1/cohorts/{cohort['cohort_id']}/enrolments"
    people = [(await intake.refer())[0] for _ in range(4)]
    for who in people[:2]:
        assert (await client.post(url, json={"beneficiary_id": str(who)})).status_code == 201

    full = await client.post(url, json={"beneficiary_id": str(people[2])})
    assert full.status_code == 409
    assert "is full (2 seats taken)" in full.json()["detail"] and "join_waiting_list=true" in full.json()["detail"]

    third = await client.post(url, json={"beneficiary_id": str(people[2]), "join_waiting_list": True})
    fourth = await client.post(url, json={"beneficiary_id": str(people[3]), "join_waiting_list": True})
    assert third.status_code == fourth.status_code == 201
    assert (third.json()["status"], third.json()["waiting_position"]) == ("waitlisted", 1)
    assert fourth.json()["waiting_position"] == 2
    summary = (await client.get(f"/v1/cohorts/{cohort['cohort_id']}")).json()
    assert (summary["enrolled"], summary["waiting"], summary["seats_left"]) == (2, 2, 0)


async def test_a_freed_seat_goes_to_the_next_in_line(training):
    client, intake, published, _ = training
    _, cohort = await new_cohort(client, capacity=1)
    url = f"/v1/cohorts/{cohort['cohort_id']}/enrolments"
    first, second, third = [(await intake.refer())[0] for _ in range(3)]
    seated = (await client.post(url, json={"beneficiary_id": str(first)})).json()
    await client.post(url, json={"beneficiary_id": str(second), "join_waiting_list": True})
    await client.post(url, json={"beneficiary_id": str(third), "join_waiting_list": True})

    left = await client.post(f"/v1/enrolments/{seated['enrolment_id']}/dropout", json={"reason": "found_work"})
    assert left.status_code == 200, left.text
    assert left.json()["status"] == "dropped_out"

    listed = {e["beneficiary_id"]: e for e in (await client.get(url)).json()["items"]}
    assert listed[str(second)]["status"] == "enrolled" and listed[str(second)]["from_waiting_list"] is True
    assert listed[str(third)]["status"] == "waitlisted" and listed[str(third)]["waiting_position"] == 1
    enrolled = await published.settle("training.enrolled", 2)
    assert [e["data"]["beneficiary_id"] for e in enrolled] == [str(first), str(second)]
    assert enrolled[1]["data"]["from_waiting_list"] is True
    [dropped] = await published.settle("training.dropped_out")
    assert dropped["data"]["reason"] == "found_work"


async def test_raising_the_capacity_seats_the_waiting_list(training):
    client, intake, _, _ = training
    _, cohort = await new_cohort(client, capacity=1)
    url = f"/v1/cohorts/{cohort['cohort_id']}/enrolments"
    people = [(await intake.refer())[0] for _ in range(3)]
    await client.post(url, json={"beneficiary_id": str(people[0])})
    for who in people[1:]:
        await client.post(url, json={"beneficiary_id": str(who), "join_waiting_list": True})
    changed = await client.patch(f"/v1/cohorts/{cohort['cohort_id']}", json={"capacity": 3})
    assert changed.status_code == 200, changed.text
    assert (changed.json()["enrolled"], changed.json()["waiting"]) == (3, 0)

    lowered = await client.patch(f"/v1/cohorts/{cohort['cohort_id']}", json={"capacity": 2})
    assert lowered.status_code == 409 and "below the 3 seats already taken" in lowered.json()["detail"]


async def test_no_double_enrolment_in_the_same_or_an_overlapping_cohort(training):
    client, intake, _, _ = training
    course, spring = await new_cohort(client)
    overlapping = await client.post(
        f"/v1/courses/{course['course_id']}/cohorts",
        json=cohort_body(
            session_count=0,
            label="Couture soir",
            starts_on=(START + timedelta(days=5)).isoformat(),
            ends_on="2026-04-30",
        ),
    )
    later = await client.post(
        f"/v1/courses/{course['course_id']}/cohorts",
        json=cohort_body(session_count=0, label="Couture été", starts_on="2026-07-01", ends_on="2026-08-31"),
    )
    assert overlapping.status_code == later.status_code == 201, (overlapping.text, later.text)
    who, _ = await intake.refer()
    body = {"beneficiary_id": str(who)}
    assert (await client.post(f"/v1/cohorts/{spring['cohort_id']}/enrolments", json=body)).status_code == 201

    again = await client.post(f"/v1/cohorts/{spring['cohort_id']}/enrolments", json=body)
    assert again.status_code == 409 and "already enrolled in this cohort" in again.json()["detail"]
    clash = await client.post(f"/v1/cohorts/{overlapping.json()['cohort_id']}/enrolments", json=body)
    assert clash.status_code == 409
    assert f"cohort {spring['cohort_id']} (Couture Rabat printemps 2026), which overlaps" in clash.json()["detail"]
    assert (await client.post(f"/v1/cohorts/{later.json()['cohort_id']}/enrolments", json=body)).status_code == 201


async def test_a_cohort_closed_to_enrolment_or_cancelled_refuses_enrolments(training):
    client, intake, published, _ = training
    _, cohort = await new_cohort(client)
    who, _ = await intake.refer()
    other, _ = await intake.refer()
    url = f"/v1/cohorts/{cohort['cohort_id']}"
    await client.post(f"{url}/enrolments", json={"beneficiary_id": str(who)})

    assert (await client.patch(url, json={"status": "enrolment_closed"})).json()["status"] == "enrolment_closed"
    refused = await client.post(f"{url}/enrolments", json={"beneficiary_id": str(other)})
    assert refused.status_code == 409 and "enrolment closed: it takes no enrolments" in refused.json()["detail"]

    cancelled = await client.patch(url, json={"status": "cancelled"})
    assert cancelled.status_code == 200 and cancelled.json()["dropped_out"] == 1
    [dropped] = await published.settle("training.dropped_out")
    assert dropped["data"]["reason"] == "cohort_cancelled"
    assert (await client.patch(url, json={"status": "open"})).status_code == 409


async def test_declining_a_candidate_answers_intake(training):
    client, intake, published, _ = training
    _, referral = await intake.refer()
    declined = await client.post(f"/v1/candidates/{referral}/decline", json={"note": "Already trained as a tailor"})
    assert declined.status_code == 200 and declined.json()["status"] == "declined"
    [answer] = await published.settle("training.referral_answered")
    assert answer["data"]["answer"] == "declined" and "note" not in answer["data"]
    assert (await client.post(f"/v1/candidates/{referral}/decline", json={})).status_code == 409
    assert (await client.post(f"/v1/candidates/{uuid4()}/decline", json={})).status_code == 404


async def test_a_referral_cancelled_in_intake_leaves_the_pool_and_the_waiting_list(training):
    client, intake, _, _ = training
    _, cohort = await new_cohort(client, capacity=1)
    url = f"/v1/cohorts/{cohort['cohort_id']}/enrolments"
    first, _ = await intake.refer()
    waiting, referral = await intake.refer()
    await client.post(url, json={"beneficiary_id": str(first)})
    await client.post(url, json={"beneficiary_id": str(waiting), "join_waiting_list": True})
    await intake.cancel(waiting, referral)
    listed = {e["beneficiary_id"]: e["status"] for e in (await client.get(url)).json()["items"]}
    assert listed[str(waiting)] == "cancelled"
    pool = (await client.get("/v1/candidates", params={"status": "cancelled"})).json()
    assert [c["referral_id"] for c in pool["items"]] == [str(referral)]


async def test_replayed_and_duplicated_intake_events_change_nothing(training):
    client, intake, _, _ = training
    await intake.refer()
    await intake.resend()  # the same referral event again (same event id)
    await intake.resend(-2)  # and the consent
    assert (await client.get("/v1/candidates")).json()["total"] == 1


async def test_course_kinds_and_reasons_meet_for_language_courses(training):
    client, intake, _, _ = training
    _, cohort = await new_cohort(client, course=course_body(kind="language", sector="cross_sector", certifying=False))
    _, wanted = await intake.refer(reason=ReferralReason.LANGUAGE)
    await intake.refer(reason=ReferralReason.VOCATIONAL_TRAINING)
    await intake.refer(reason=ReferralReason.OTHER)  # suits any kind
    found = (await client.get(f"/v1/cohorts/{cohort['cohort_id']}/candidates")).json()
    assert found["total"] == 2 and str(wanted) in {c["referral_id"] for c in found["items"]}
