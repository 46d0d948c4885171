from contextlib import asynccontextmanager
from datetime import date

from work4life.intake.bootstrap import build
from work4life.intake.config import IntakeSettings
from work4life.runtime.testing import app_client

TODAY = date(2026, 11, 28)


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
        "languages": ["fr", "BM"],
        "education_level": "upper_secondary",
    }
    body.update(overrides)
    return body


@asynccontextmanager
async def running(settings: IntakeSettings, broker=None):
    """Intake in this event loop: its lifespan (schema, relay, Kafka supervisor) and an HTTP client."""
    app = build(settings, broker=broker, today=lambda: TODAY)
    async with app_client(app, "http://intake") as client:
        yield client, app
