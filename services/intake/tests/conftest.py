from contextlib import asynccontextmanager
from datetime import date

from work4life.intake.bootstrap import build
from work4life.intake.config import IntakeSettings
from work4life.runtime.testing import TEST_JWT_SECRET, app_client, bearer

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
