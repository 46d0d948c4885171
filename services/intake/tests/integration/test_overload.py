"""A burst of registrations far larger than intake's database pool, against the real service
process: every request is answered (201, or 503 when it waited too long for a slot), none fails
with a 500 or hangs, and intake answers normally afterwards.

Before the request slots (`http_max_concurrency`), 300 registrations at once deadlocked intake:
worker threads waited for database connections held by finished requests whose sessions could
only be closed on a worker thread; every request failed after 30 s and so did the next one."""

import asyncio
from collections import Counter

import httpx
import pytest

from work4life.runtime.processes import ServiceProcess
from work4life.runtime.testing import TEST_JWT_SECRET, bearer, letters_for

from ..conftest import valid_registration

pytestmark = pytest.mark.integration

BURST = 300
CLERK = bearer("caseworker", "amappe-rabat")


@pytest.mark.timeout(300)
async def test_a_burst_larger_than_the_pool_is_answered_and_intake_stays_responsive(
    kafka_bootstrap, database_url, topic_namespace, tmp_path
):
    settings = {
        "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
        "TOPIC_NAMESPACE": topic_namespace,
        "DATABASE_URL": database_url,
        "AUTH_JWT_SECRET": TEST_JWT_SECRET,
        "LOG_LEVEL": "WARNING",
    }
    intake = await asyncio.to_thread(ServiceProcess("intake", settings, tmp_path).start)
    try:
        limits = httpx.Limits(max_connections=BURST)
        async with httpx.AsyncClient(base_url=intake.url, headers=CLERK, timeout=90, limits=limits) as client:

            async def register(i: int) -> int | str:
                body = valid_registration(
                    given_name=f"Burst{letters_for(i).lower()}", phone=f"+2126{i:08d}", document_number=f"B-{i}"
                )
                try:
                    return (await client.post("/v1/beneficiaries", json=body)).status_code
                except httpx.TimeoutException:
                    return "timed out"

            answers = Counter(await asyncio.gather(*(register(i) for i in range(BURST))))
        assert set(answers) <= {201, 503}, answers
        assert answers[201] > 0, answers
        # a new client (the burst's idle connections may have been closed by the server meanwhile)
        async with httpx.AsyncClient(base_url=intake.url, headers=CLERK, timeout=10) as client:
            after = await client.post("/v1/beneficiaries", json=valid_registration(phone="+212699999999"))
            assert after.status_code == 201, after.text
            metrics = (await client.get("/metrics")).text
        shed = next(line for line in metrics.splitlines() if line.startswith("w4l_http_requests_shed_total{"))
        assert float(shed.rsplit(" ", 1)[1]) == answers[503]
    finally:
        intake.stop()
