"""The web application in this event loop, over intake in the same loop (FastStream's in-memory
broker, a SQLite file): fast tests of the pages, forms, sessions and languages. The browser tests
(tests/browser) run the real processes, broker and identity provider."""

import re
from contextlib import AsyncExitStack, asynccontextmanager
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


class Clock:
    """The services' 'today', moved by a test."""

    def __init__(self, today: date) -> None:
        self.value = today

    def __call__(self) -> date:
        return self.value


@asynccontextmanager
async def web_over_services(
    tmp_path,
    with_training: bool = False,
    with_enterprise: bool = False,
    with_employment: bool = False,
    with_reporting: bool = False,
    clock: Clock | None = None,
    enterprise_settings: dict | None = None,
    **web_overrides,
):
    """The app over intake (and training, enterprise: on the same in-memory broker, so that a
    referral made in intake reaches them and their answers reach intake)."""
    from faststream.kafka import KafkaBroker, TestKafkaBroker

    from work4life.intake.bootstrap import build
    from work4life.intake.config import IntakeSettings

    clock = clock or Clock(TODAY)
    broker = KafkaBroker()
    intake_settings = IntakeSettings(
        auth_jwt_secret=TEST_JWT_SECRET,
        log_json=False,
        database_url=f"sqlite:///{tmp_path}/intake.db",
        create_topics=False,
        consumer_retry_backoff_s=0,
    )
    intake = build(intake_settings, broker=broker, today=clock)
    apps = {"intake": intake}
    if with_training:
        from work4life.training.bootstrap import build as build_training
        from work4life.training.config import TrainingSettings

        training_settings = TrainingSettings(
            auth_jwt_secret=TEST_JWT_SECRET,
            log_json=False,
            database_url=f"sqlite:///{tmp_path}/training.db",
            create_topics=False,
            consumer_retry_backoff_s=0,
            organisation="ofppt-rabat",
        )
        apps["training"] = build_training(training_settings, broker=broker, today=clock)
    if with_enterprise:
        from work4life.enterprise.bootstrap import build as build_enterprise
        from work4life.enterprise.config import EnterpriseSettings

        settings_of_enterprise = EnterpriseSettings(
            auth_jwt_secret=TEST_JWT_SECRET,
            log_json=False,
            database_url=f"sqlite:///{tmp_path}/enterprise.db",
            create_topics=False,
            consumer_retry_backoff_s=0,
            **(enterprise_settings or {}),
        )
        apps["enterprise"] = build_enterprise(settings_of_enterprise, broker=broker, today=clock)
    if with_employment:
        from work4life.employment.bootstrap import build as build_employment
        from work4life.employment.config import EmploymentSettings

        settings_of_employment = EmploymentSettings(
            auth_jwt_secret=TEST_JWT_SECRET,
            log_json=False,
            database_url=f"sqlite:///{tmp_path}/employment.db",
            create_topics=False,
            consumer_retry_backoff_s=0,
        )
        apps["employment"] = build_employment(settings_of_employment, broker=broker, today=clock)
    if with_reporting:
        from work4life.reporting.bootstrap import build as build_reporting
        from work4life.reporting.config import ReportingSettings

        settings_of_reporting = ReportingSettings(
            auth_jwt_secret=TEST_JWT_SECRET,
            log_json=False,
            database_url=f"sqlite:///{tmp_path}/reporting.db",
            create_topics=False,
            consumer_retry_backoff_s=0,
            targets={"3.2": 10, "1.4": 4},
        )
        apps["reporting"] = build_reporting(settings_of_reporting, broker=broker, today=clock)
    settings = WebSettings(
        dev_jwt_secret=TEST_JWT_SECRET,
        log_json=False,
        environment="test",
        **{f"{name}_url": f"http://{name}" for name in apps},
        **web_overrides,
    )
    web = create_app(settings, transports={name: httpx.ASGITransport(app=app) for name, app in apps.items()})
    async with AsyncExitStack() as stack:
        await stack.enter_async_context(TestKafkaBroker(broker))
        for app in apps.values():
            await stack.enter_async_context(app.router.lifespan_context(app))
        await stack.enter_async_context(web.router.lifespan_context(web))
        client = await stack.enter_async_context(
            httpx.AsyncClient(transport=httpx.ASGITransport(app=web), base_url="http://web")
        )
        for app in apps.values():
            await kafka_connected(app)
        yield Browser(client), apps


@asynccontextmanager
async def web_over_intake(tmp_path, **web_overrides):
    async with web_over_services(tmp_path, **web_overrides) as (browser, apps):
        yield browser, apps["intake"]


@pytest.fixture
async def browser(tmp_path):
    async with web_over_intake(tmp_path) as (b, _intake):
        yield b


@pytest.fixture
async def web_and_intake(tmp_path):
    async with web_over_intake(tmp_path) as pair:
        yield pair
