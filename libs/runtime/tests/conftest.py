import pytest

from work4life.runtime import db


def _with_tables(url):
    engine = db.make_engine(url)
    db.create_schema(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def engine(sqlite_url):
    """A SQLite database with every table imported so far."""
    yield from _with_tables(sqlite_url)


@pytest.fixture
def either_engine(database_url):
    """A database with every table imported so far: once SQLite, once PostgreSQL."""
    yield from _with_tables(database_url)


def registration(**overrides):
    """A sample `intake.beneficiary_registered` payload."""
    from datetime import date
    from uuid import uuid4

    from work4life.contracts.intake import BeneficiaryRegistered

    fields = dict(
        beneficiary_id=uuid4(),
        registered_on=date(2026, 3, 1),
        sex="female",
        birth_year=1990,
        nationality="SEN",
        legal_status="refugee",
        disability=False,
        region="oriental",
        city="Oujda",
        partner_organisation="org",
    )
    return BeneficiaryRegistered(**{**fields, **overrides})


def stage_outbox(engine, count: int, topic: str = "intake.beneficiaries") -> list[str]:
    """Commit `count` registration events to the outbox; returns their keys in order."""
    from sqlmodel import Session

    from work4life.contracts.envelope import Producer
    from work4life.runtime.events import new_envelope
    from work4life.runtime.outbox import add_to_outbox

    producer = Producer(service="intake", organisation="org")
    keys = []
    with Session(engine) as session:
        for _ in range(count):
            data = registration()
            add_to_outbox(session, topic, new_envelope(data, key=str(data.beneficiary_id), producer=producer))
            keys.append(str(data.beneficiary_id))
        session.commit()
    return keys
