"""The web application in this event loop, over intake in the same loop (FastStream's in-memory
broker, a SQLite file): fast tests of the pages, forms, sessions and languages. The browser tests
(tests/browser) run the real processes, broker and identity provider."""

import re
from contextlib import asynccontextmanager
from datetime import date

import httpx
import pytest

from work4life.runtime.testing import TEST_JWT_SECRET, kafka_connected
from work4life.web.app import create_app
from work4life.web.config import WebSettings

TODAY = date(2026, 11, 28)


def person_form(**overrides):
    form = {
        "given_name": "Aminata",
        "family_name": "Traoré",
        "given_name_ar": "أميناتا",
        "sex": "female",
        "date_of_birth": "1996-04-02",
        "nationality": "civ",
        "legal_status": "asylum_seeker",
        "region": "rabat_sale_kenitra",
        "city": "Rabat",
        "phone": "+212 612 345 678",
        "languages": "fr, bm",
        "consent_service_delivery": "on",
        "consent_statistics": "on",
    }
    form.update(overrides)
    return form


class Browser:
    """An HTTP client with cookies, as a browser keeps them, that reads each page's CSRF token."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client
        self.csrf = ""

    async def get(self, url: str, **kwargs) -> httpx.Response:
        response = await self.client.get(url, **kwargs)
        found = re.search(r'name="csrf" content="([^"]+)"', response.text)
        if found:
            self.csrf = found.group(1)
        return response

    async def post(self, url: str, data: dict | None = None, **kwargs) -> httpx.Response:
        if not self.csrf:
            await self.get("/sign-in")
        return await self.client.post(url, data={"csrf": self.csrf, **(data or {})}, **kwargs)

    async def sign_in(self, role: str = "caseworker", organisation: str = "amappe-rabat", name: str = "Aïcha") -> None:
        await self.get("/sign-in")
        answer = await self.post("/sign-in/development", {"name": name, "role": role, "organisation": organisation})
        assert answer.status_code == 303, answer.text
        await self.get("/people/new")

    async def set_language(self, language: str) -> None:
        await self.post("/language", {"language": language, "next": "/"})


@asynccontextmanager
async def web_over_intake(tmp_path, **web_overrides):
    from faststream.kafka import KafkaBroker, TestKafkaBroker

    from work4life.intake.bootstrap import build
    from work4life.intake.config import IntakeSettings

    broker = KafkaBroker()
    intake_settings = IntakeSettings(
        auth_jwt_secret=TEST_JWT_SECRET,
        log_json=False,
        database_url=f"sqlite:///{tmp_path}/intake.db",
        create_topics=False,
        consumer_retry_backoff_s=0,
    )
    intake = build(intake_settings, broker=broker, today=lambda: TODAY)
    settings = WebSettings(
        intake_url="http://intake",
        dev_jwt_secret=TEST_JWT_SECRET,
        log_json=False,
        environment="test",
        **web_overrides,
    )
    web = create_app(settings, transports={"intake": httpx.ASGITransport(app=intake)})
    async with (
        TestKafkaBroker(broker),
        intake.router.lifespan_context(intake),
        web.router.lifespan_context(web),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=web), base_url="http://web") as client,
    ):
        await kafka_connected(intake)
        yield Browser(client), intake


@pytest.fixture
async def browser(tmp_path):
    async with web_over_intake(tmp_path) as (b, _intake):
        yield b


@pytest.fixture
async def web_and_intake(tmp_path):
    async with web_over_intake(tmp_path) as pair:
        yield pair
