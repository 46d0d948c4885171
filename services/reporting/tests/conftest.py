from contextlib import asynccontextmanager
from datetime import UTC, date, datetime
from uuid import UUID, uuid4

from work4life.contracts.envelope import Producer
from work4life.contracts.intake import BeneficiaryRegistered
from work4life.reporting.bootstrap import build
from work4life.reporting.config import ReportingSettings
from work4life.runtime.events import encode, headers_for, new_envelope
from work4life.runtime.testing import TEST_JWT_SECRET, app_client, bearer


def registration(*, beneficiary_id: UUID | None = None, occurred_at: datetime | None = None, **overrides):
    """A registration event's envelope, as intake would publish it."""
    data = {
        "beneficiary_id": beneficiary_id or uuid4(),
        "registered_on": date(2026, 3, 1),
        "sex": "female",
        "birth_year": 1995,
        "nationality": "CMR",
        "legal_status": "refugee",
        "disability": False,
        "region": "oriental",
        "city": "Oujda",
        "partner_organisation": "org-a",
    }
    data.update(overrides)
    event = BeneficiaryRegistered(**data)
    return new_envelope(
        event,
        key=str(event.beneficiary_id),
        producer=Producer(service="intake", organisation="org-a"),
        occurred_at=occurred_at or datetime.now(UTC),
    )


def wire(envelope) -> tuple[bytes, bytes, dict[str, str]]:
    return encode(envelope), envelope.key.encode(), headers_for(envelope)


@asynccontextmanager
async def running(settings: ReportingSettings, broker=None, today=None):
    app = build(settings, broker=broker, **({"today": today} if today else {}))
    async with app_client(app, "http://reporting") as client:
        client.headers.update(bearer("me_viewer", "lead-ngo"))
        yield client, app


def reporting_settings(**overrides) -> ReportingSettings:
    return ReportingSettings(auth_jwt_secret=TEST_JWT_SECRET, log_json=False, **overrides)
