"""Paper records entered later keep the day they happened (ADR 16): an enrolment, a drop-out and a
completion count on their own day, never in the future, within the programme, not before what
they follow."""

from datetime import date, timedelta

from work4life.runtime.testing import refusal

from ..conftest import START, Clock, new_cohort, started_training

AFTER = START + timedelta(days=40)  # the ten-session cohort ended weeks ago


async def test_an_enrolment_entered_after_the_cohort_keeps_its_day_and_so_do_its_dropout_and_completion(database_url):
    async with started_training(database_url, clock=Clock(AFTER)) as (client, intake, published, clock):
        _, cohort = await new_cohort(client)
        url = f"/v1/cohorts/{cohort['cohort_id']}/enrolments"
        stays, _ = await intake.refer()  # referred on START - 7
        leaves, _ = await intake.refer()

        late = await client.post(url, json={"beneficiary_id": str(stays)})
        assert "is after the cohort's last day" in refusal(late, "enrolled_on")
        future = await client.post(url, json={"beneficiary_id": str(stays), "enrolled_on": "2031-01-01"})
        assert refusal(future, "enrolled_on").startswith("is in the future")
        early = await client.post(url, json={"beneficiary_id": str(stays), "enrolled_on": str(START - timedelta(8))})
        assert refusal(early, "enrolled_on") == f"is before the referral ({START - timedelta(days=7)})"

        places = {}
        for who in (stays, leaves):
            made = await client.post(url, json={"beneficiary_id": str(who), "enrolled_on": str(START - timedelta(1))})
            assert made.status_code == 201, made.text
            places[who] = made.json()["enrolment_id"]
        enrolled = await published.settle("training.enrolled", 2)
        assert {e["data"]["enrolled_on"] for e in enrolled} == {str(START - timedelta(days=1))}

        before = await client.post(
            f"/v1/enrolments/{places[leaves]}/dropout",
            json={"reason": "health", "dropped_on": str(START - timedelta(2))},
        )
        assert refusal(before, "dropped_on") == f"is before the enrolment ({START - timedelta(days=1)})"
        left = await client.post(
            f"/v1/enrolments/{places[leaves]}/dropout",
            json={"reason": "health", "dropped_on": str(START + timedelta(3))},
        )
        assert left.status_code == 200, left.text
        [dropped] = await published.settle("training.dropped_out")
        assert dropped["data"]["dropped_on"] == str(START + timedelta(days=3))

        for session in (await client.get(f"/v1/cohorts/{cohort['cohort_id']}/sessions")).json():
            sheet = {"entries": [{"beneficiary_id": str(stays), "mark": "present"}]}
            put = await client.put(
                f"/v1/cohorts/{cohort['cohort_id']}/sessions/{session['session_id']}/attendance", json=sheet
            )
            assert put.status_code == 200, put.text
        assessed = await client.put(
            f"/v1/enrolments/{places[stays]}/final-assessment", json={"score": 80, "assessed_on": cohort["ends_on"]}
        )
        assert assessed.status_code == 200, assessed.text
        clock.value = AFTER + timedelta(days=20)  # the cohort is closed three weeks after its last day
        closed = await client.post(f"/v1/cohorts/{cohort['cohort_id']}/close")
        assert closed.status_code == 200 and closed.json()["completed"] == 1, closed.text
        [completed] = await published.settle("training.course_completed")
        assert completed["data"]["completed_on"] == cohort["ends_on"], "counted on the day it happened"


async def test_days_outside_the_programme_are_refused(database_url):
    starts = START - timedelta(days=5)
    programme = {"programme_starts_on": starts, "programme_ends_on": date(2027, 12, 31)}
    async with started_training(database_url, clock=Clock(AFTER), **programme) as (client, intake, _, _):
        _, cohort = await new_cohort(client)
        who, _ = await intake.refer()  # referred on START - 7, before the programme's first day
        response = await client.post(
            f"/v1/cohorts/{cohort['cohort_id']}/enrolments",
            json={"beneficiary_id": str(who), "enrolled_on": str(starts - timedelta(days=1))},
        )
        assert refusal(response, "enrolled_on") == f"is before the programme started ({starts})"
        beyond = await client.post(
            "/v1/courses",
            json={
                "title": "x",
                "kind": "vocational",
                "provider": "p",
                "hours": 10,
                "certifying": False,
                "sector": "cross_sector",
            },
        )
        made = await client.post(
            f"/v1/courses/{beyond.json()['course_id']}/cohorts",
            json={**cohort_of(cohort), "starts_on": "2028-01-03", "ends_on": "2028-01-04", "sessions": []},
        )
        assert refusal(made, "starts_on") == "is after the programme ended (2027-12-31)"


def cohort_of(cohort: dict) -> dict:
    return {k: cohort[k] for k in ("label", "region", "place", "capacity", "trainer")}
