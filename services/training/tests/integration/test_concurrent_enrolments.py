"""Capacity holds when many caseworkers enrol people into the same cohort at once."""

import asyncio

import pytest

from ..conftest import new_cohort, started_training

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
