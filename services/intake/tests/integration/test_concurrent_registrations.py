"""Registrations made at the same moment, on SQLite and PostgreSQL."""

import asyncio

import pytest

from work4life.runtime.testing import bearer

from ..conftest import started_intake, valid_registration

pytestmark = pytest.mark.integration

MANAGER = bearer("programme_manager", "lead-ngo", "nadia")


async def test_one_person_registered_ten_times_at_once_gets_ten_answers_and_one_queue_entry_per_pair(database_url):
    async with started_intake(database_url) as (client, _app, _broker, _published):
        bodies = [valid_registration(phone=f"+21260000{i:04d}") for i in range(10)]
        responses = await asyncio.gather(*(client.post("/v1/beneficiaries", json=b) for b in bodies))
        assert [r.status_code for r in responses] == [201] * 10, [r.text for r in responses if r.status_code != 201]
        queue = (await client.get("/v1/duplicates", params={"limit": 500}, headers=MANAGER)).json()
        pairs = [frozenset((c["newer"], c["older"])) for c in queue["items"]]
        assert len(pairs) == len(set(pairs)), "a pair was queued twice"
        # Racing registrations may each miss the other; a scan completes the queue: all 45 pairs.
        job = (await client.post("/v1/duplicates/scans", headers=MANAGER)).json()
        for _ in range(300):
            job = (await client.get(f"/v1/duplicates/scans/{job['job_id']}", headers=MANAGER)).json()
            if job["status"] != "running":
                break
            await asyncio.sleep(0.05)
        assert job["status"] == "finished"
        assert (await client.get("/v1/duplicates", headers=MANAGER)).json()["total"] == 45
