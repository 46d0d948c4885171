"""The HTTP request slots: a burst waits its turn, a request that waits too long gets a 503 that
says why, and the operations endpoints never wait."""

import asyncio

import httpx
from fastapi import FastAPI

from work4life.runtime.http import ConcurrencyLimit
from work4life.runtime.metrics import ServiceMetrics


def limited_app(limit: int, queue_timeout_s: float) -> tuple[FastAPI, asyncio.Event, ServiceMetrics]:
    release = asyncio.Event()
    app = FastAPI()
    metrics = ServiceMetrics("svc")

    @app.get("/slow")
    async def slow() -> dict[str, str]:
        await release.wait()
        return {"done": "yes"}

    @app.get("/fails")
    async def fails() -> dict[str, str]:
        raise RuntimeError("handler bug")

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    app.add_middleware(ConcurrencyLimit, limit=limit, queue_timeout_s=queue_timeout_s, metrics=metrics)
    return app, release, metrics


def client_of(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app, raise_app_exceptions=False), base_url="http://t")


async def test_requests_beyond_the_limit_wait_for_a_slot_and_are_all_answered():
    app, release, metrics = limited_app(limit=2, queue_timeout_s=5)
    async with client_of(app) as client:
        calls = [asyncio.create_task(client.get("/slow")) for _ in range(6)]
        await asyncio.sleep(0.2)
        assert metrics.http_waiting._value.get() == 4  # two handled, four in line
        release.set()
        responses = await asyncio.gather(*calls)
    assert [r.status_code for r in responses] == [200] * 6
    assert metrics.http_waiting._value.get() == 0


async def test_a_request_that_waits_longer_than_the_queue_timeout_gets_503_with_retry_after_and_the_reason():
    app, release, metrics = limited_app(limit=1, queue_timeout_s=0.2)
    async with client_of(app) as client:
        first = asyncio.create_task(client.get("/slow"))
        await asyncio.sleep(0.05)
        refused = await client.get("/slow")
        release.set()
        assert (await first).status_code == 200
    assert refused.status_code == 503
    assert refused.headers["retry-after"] == "1"
    assert "busy" in refused.json()["detail"] and "0.2 s" in refused.json()["detail"]
    assert metrics.http_shed._value.get() == 1


async def test_health_is_answered_while_every_slot_is_taken():
    app, release, _metrics = limited_app(limit=1, queue_timeout_s=5)
    async with client_of(app) as client:
        busy = asyncio.create_task(client.get("/slow"))
        await asyncio.sleep(0.05)
        health = await asyncio.wait_for(client.get("/health"), timeout=1)
        release.set()
        await busy
    assert health.status_code == 200


async def test_a_failing_request_gives_its_slot_back():
    app, release, _metrics = limited_app(limit=1, queue_timeout_s=0.5)
    release.set()
    async with client_of(app) as client:
        assert (await client.get("/fails")).status_code == 500
        assert (await client.get("/slow")).status_code == 200
