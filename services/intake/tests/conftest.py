from contextlib import asynccontextmanager
from datetime import date

from work4life.intake.bootstrap import build
from work4life.intake.config import IntakeSettings
from work4life.runtime.testing import TEST_JWT_SECRET, app_client, bearer, kafka_connected

TODAY = date(2026, 11, 28)
ORG = "amappe-rabat"


def valid_registration(**overrides):
    body = {
        "given_name": "Aminata",
        "family_name": "Traoré",
        "given_name_ar": "أميناتا",
        "sex": "female",
        "date_of_birth": "1996-04-02",
        "nationality": "CIV",
        "legal_status": "asylum_seeker",
        "region": "rabat_sale_kenitra",
        "city": "Rabat",
        "phone": "+212 612 345 678",
        "email": "Aminata.T@example.org",
        "partner_organisation": "amappe-rabat",
        "languages": [{"code": "fr", "level": "fluent"}, "BM"],
        "document_type": "asylum_seeker_certificate",
        "document_number": "ma-2026/00417",
        "document_expiry": "2027-03-31",
        "household_size": 3,
        "consents": [
            {"purpose": "service_delivery", "notice_version": "2026-01"},
            {"purpose": "statistics"},
        ],
        "education_level": "upper_secondary",
    }
    body.update(overrides)
    return body


@asynccontextmanager
async def running(settings: IntakeSettings, broker=None, as_role: str = "caseworker", organisation: str = ORG):
    """Intake in this event loop: its lifespan (schema, relay, Kafka supervisor) and an HTTP client
    authenticated as a caseworker of ORG (pass other headers per request to act as someone else)."""
    app = build(settings, broker=broker, today=lambda: TODAY)
    async with app_client(app, "http://intake") as client:
        client.headers.update(bearer(as_role, organisation))
        yield client, app


def intake_settings(**overrides) -> IntakeSettings:
    return IntakeSettings(auth_jwt_secret=TEST_JWT_SECRET, log_json=False, **overrides)


class Published:
    """What intake published on the in-memory broker: raw records and decoded events, in order."""

    def __init__(self) -> None:
        self.records: list = []
        self.events: list[dict] = []

    def add(self, record) -> None:
        import json

        self.records.append(record)
        self.events.append(json.loads(record.value))

    def of_type(self, event_type: str) -> list[dict]:
        return [e for e in self.events if e["event_type"] == event_type]


@asynccontextmanager
async def started_intake(database_url: str, **overrides):
    """Intake on FastStream's in-memory broker, recording everything it publishes:
    (client as a caseworker of ORG, app, broker, published)."""
    from faststream.kafka import KafkaBroker, KafkaMessage, TestKafkaBroker

    broker = KafkaBroker()
    published = Published()

    @broker.subscriber("intake.beneficiaries")
    async def people(msg: KafkaMessage) -> None:
        published.add(msg.raw_message)

    @broker.subscriber("intake.outreach")
    async def outreach(msg: KafkaMessage) -> None:
        published.add(msg.raw_message)

    settings = intake_settings(database_url=database_url, create_topics=False, consumer_retry_backoff_s=0, **overrides)
    async with TestKafkaBroker(broker), running(settings, broker) as (client, app):
        await kafka_connected(app)
        yield client, app, broker, published
