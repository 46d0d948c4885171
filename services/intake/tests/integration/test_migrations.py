"""The intake service's migrations build exactly the schema its models describe."""

from datetime import date

import pytest

from work4life.intake.adapters import orm
from work4life.runtime import inbox, outbox
from work4life.runtime.testing import schema_drift, tables_of

pytestmark = pytest.mark.integration

TABLES = tables_of(orm, outbox, inbox)


def test_migrations_build_exactly_the_tables_of_the_models(database_url):
    assert schema_drift(database_url, "work4life.intake", TABLES) == []


def test_migrating_twice_changes_nothing(database_url):
    assert schema_drift(database_url, "work4life.intake", TABLES) == []
    assert schema_drift(database_url, "work4life.intake", TABLES) == []


def test_upgrading_a_database_that_holds_people_keeps_them_and_fills_the_new_columns(database_url):
    from alembic import command
    from sqlalchemy import text

    from work4life.intake.domain.model import fingerprint
    from work4life.runtime import db, migrations

    engine = db.make_engine(database_url)
    config = migrations.alembic_config("work4life.intake")
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0002")
        connection.execute(
            text(
                "INSERT INTO beneficiary (given_name, family_name, sex, date_of_birth, nationality, legal_status, "
                "disability, region, city, partner_organisation, languages, beneficiary_id, registered_on, created_at) "
                "VALUES ('Awa', 'Diop', 'female', '1990-05-17', 'SEN', 'refugee', false, 'oriental', 'Oujda', 'org', "
                "'[]', '0d9d8f7c6a524f3e8a555d7c3b1e2f90', '2026-01-10', '2026-01-10 09:00:00')"
            )
        )
    migrations.upgrade(engine, "work4life.intake")
    with engine.connect() as connection:
        row = connection.execute(text("SELECT birth_year, status, fingerprint FROM beneficiary")).one()
        timeline = connection.execute(text("SELECT legal_status, effective_on FROM legal_status_record")).all()
    engine.dispose()
    assert tuple(row[:2]) == (1990, "active")
    # 0007 keeps its own copy of the fingerprint; it still gives what the domain gives today
    assert row[2] == fingerprint("Awa", "Diop", date(1990, 5, 17), "SEN", "org")
    assert [(t[0], str(t[1])[:10]) for t in timeline] == [("refugee", "2026-01-10")]
