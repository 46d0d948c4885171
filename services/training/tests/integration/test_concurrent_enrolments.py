"""Capacity holds when many caseworkers enrol people into the same cohort at once, and concurrent
registers or completions for one person never double anything."""

import asyncio
from datetime import timedelta

import pytest

from ..conftest import START, Clock, course_body, new_cohort, started_training

pytestmark = pytest.mark.integration


async def test_concurrent_enrolments_never_take_more_seats_than_the_cohort_has(database_url):
    async with started_training(database_url) as (client, intake, published, _):
        _, cohort = await new_cohort(client, capacity=5)
        people = [(await intake.refer())[0] for _ in range(24)]
        url = f"/v1/cohorts/{cohort['cohort_id']}/enrolments"
        responses = await asyncio.gather(
            *(client.post(url, json={"beneficiary_id": str(who), "join_waiting_list": True}) for who in people)
        )
        assert [r.status_code for r in responses] == [201] * 24, {r.text for r in responses if r.status_code != 201}
        statuses = [r.json()["status"] for r in responses]
        assert statuses.count("enrolled") == 5 and statuses.count("waitlisted") == 19
        positions = sorted(r.json()["waiting_position"] for r in responses if r.json()["status"] == "waitlisted")
        assert positions == list(range(1, 20))
        summary = (await client.get(f"/v1/cohorts/{cohort['cohort_id']}")).json()
        assert (summary["enrolled"], summary["waiting"], summary["seats_left"]) == (5, 19, 0)
        assert len(await published.settle("training.enrolled", 5)) == 5


async def test_concurrent_registers_and_completions_for_one_person_give_one_certificate(database_url):
    rule = {"min_attendance_percent": 50, "final_assessment_required": False, "pass_mark": 50}
    clock = Clock(START + timedelta(days=60))
    async with started_training(database_url, clock=clock) as (client, intake, published, _):
        _, cohort = await new_cohort(client, capacity=2, course=course_body(completion_rule=rule), sessions=2)
        who, _ = await intake.refer()
        place = (
            await client.post(
                f"/v1/cohorts/{cohort['cohort_id']}/enrolments",
                json={"beneficiary_id": str(who), "enrolled_on": str(START - timedelta(days=1))},  # entered later
            )
        ).json()
        sessions = (await client.get(f"/v1/cohorts/{cohort['cohort_id']}/sessions")).json()
        sheet = {"entries": [{"beneficiary_id": str(who), "mark": "present"}]}
        registers = await asyncio.gather(
            *(
                client.put(f"/v1/cohorts/{cohort['cohort_id']}/sessions/{s['session_id']}/attendance", json=sheet)
                for s in sessions * 4
            )
        )
        assert [r.status_code for r in registers] == [200] * 8, [r.text for r in registers if r.status_code != 200]

        completions = await asyncio.gather(
            *(client.post(f"/v1/enrolments/{place['enrolment_id']}/complete") for _ in range(6))
        )
        codes = sorted(r.status_code for r in completions)
        assert codes == [200] + [409] * 5, [r.text for r in completions]
        assert len(await published.settle("training.course_completed", 2)) == 1
