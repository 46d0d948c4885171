from collections import Counter
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime
from uuid import UUID, uuid4

import pytest
from sqlalchemy import or_
from sqlmodel import Session, select

from work4life.contracts.envelope import Producer
from work4life.contracts.intake import BeneficiaryRegistered
from work4life.reporting.adapters.orm import (
    Activity,
    ErasedPerson,
    IndicatorUnit,
    MergedPerson,
    PeopleMonth,
    Person,
    PersonMonth,
    RetentionMonth,
    RetentionPerson,
    StatisticsConsent,
    SummedMonth,
    SummedUnit,
    UnitMonth,
    VentureState,
)
from work4life.reporting.bootstrap import build
from work4life.reporting.config import ReportingSettings
from work4life.reporting.service_layer import rollups
from work4life.reporting.service_layer.rollups import SUM_AMOUNTS
from work4life.runtime import db
from work4life.runtime.db import table
from work4life.runtime.events import encode, headers_for, new_envelope
from work4life.runtime.testing import TEST_JWT_SECRET, app_client, bearer, fresh_postgres_database


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
        # Exact figures by default (the tests count); the tests of small cells ask as an M&E viewer.
        client.headers.update(bearer("programme_manager", "lead-ngo"))
        yield client, app


def reporting_settings(**overrides) -> ReportingSettings:
    return ReportingSettings(auth_jwt_secret=TEST_JWT_SECRET, log_json=False, **overrides)


@pytest.fixture
def second_database(request, database_url, tmp_path):
    if database_url.startswith("sqlite"):
        return f"sqlite:///{tmp_path}/rebuilt.db"
    return fresh_postgres_database(request.getfixturevalue("postgres_server_url"))


def _rollups(connection) -> dict[str, list[tuple]]:
    """The roll-ups' rows, sorted (a month's cell emptied by moves may stay with 0 people)."""
    check_months, unit_months = table(RetentionMonth), table(UnitMonth)
    sum_months, people_months = table(SummedMonth), table(PeopleMonth)
    return {
        "person_month": sorted(tuple(r) for r in connection.execute(select(table(PersonMonth)))),
        "people_month": sorted(
            tuple(r) for r in connection.execute(select(people_months).where(people_months.c.people != 0))
        ),
        "retention_person": sorted(tuple(r) for r in connection.execute(select(table(RetentionPerson)))),
        "retention_month": sorted(
            tuple(r) for r in connection.execute(select(check_months).where(check_months.c.checks != 0))
        ),
        "indicator_unit": sorted(tuple(r) for r in connection.execute(select(table(IndicatorUnit)))),
        "unit_month": sorted(tuple(r) for r in connection.execute(select(unit_months).where(unit_months.c.units != 0))),
        "summed_unit": sorted(tuple(r) for r in connection.execute(select(table(SummedUnit)))),
        "summed_month": sorted(
            tuple(r)
            for r in connection.execute(select(sum_months).where(or_(*(sum_months.c[n] != 0 for n in SUM_AMOUNTS))))
        ),
    }


def rollups_and_a_recount(url: str) -> tuple[dict[str, list[tuple]], dict[str, list[tuple]]]:
    """The roll-ups as the projection kept them, and as a build from every fact makes them (in a
    transaction rolled back)."""
    engine = db.make_engine(url)
    with Session(engine) as session:
        connection = session.connection()
        kept = _rollups(connection)
        rollups.build(connection)
        recounted = _rollups(connection)
        session.rollback()
    engine.dispose()
    return kept, recounted


def snapshot(url: str) -> dict[str, Counter]:
    """The read model's rows, with each erased person's random stand-in replaced by their hash."""
    engine = db.make_engine(url)
    with Session(engine) as session:
        stand_ins = {str(e.stand_in): e.id_hash for e in session.exec(select(ErasedPerson))}

        def norm(value: object) -> str:
            text = str(value)
            for stand_in, hashed in stand_ins.items():
                text = text.replace(stand_in, f"erased-{hashed[:12]}")
            return text

        result = {
            "person": Counter(norm(p.model_dump(exclude={"as_of"})) for p in session.exec(select(Person))),
            "activity": Counter(norm(a.model_dump(exclude={"id"})) for a in session.exec(select(Activity))),
            "venture_state": Counter(  # stand-ins are random, so members are compared as sorted after renaming
                norm({**v.model_dump(), "members": sorted(norm(m) for m in v.members)})
                for v in session.exec(select(VentureState))
            ),
            "merged_person": Counter(str(m.model_dump()) for m in session.exec(select(MergedPerson))),
            "erased_person": Counter(e.id_hash for e in session.exec(select(ErasedPerson))),
            "statistics_consent": Counter(norm(c.model_dump()) for c in session.exec(select(StatisticsConsent))),
            **{name: Counter(norm(row) for row in rows) for name, rows in _rollups(session.connection()).items()},
        }
    engine.dispose()
    return result
