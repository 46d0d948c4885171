"""The enterprise service's migrations build exactly the schema its models describe."""

import pytest

from work4life.enterprise.adapters import orm
from work4life.runtime import inbox, outbox
from work4life.runtime.testing import schema_drift, tables_of

pytestmark = pytest.mark.integration

TABLES = tables_of(orm, outbox, inbox)


def test_migrations_build_exactly_the_tables_of_the_models(database_url):
    assert schema_drift(database_url, "work4life.enterprise", TABLES) == []


def test_migrating_twice_changes_nothing(database_url):
    assert schema_drift(database_url, "work4life.enterprise", TABLES) == []
    assert schema_drift(database_url, "work4life.enterprise", TABLES) == []


def test_ventures_coached_before_the_coach_column_take_their_first_sessions_coach(database_url):
    from alembic import command
    from sqlalchemy import text

    from work4life.runtime import db
    from work4life.runtime.migrations import alembic_config, upgrade

    engine = db.make_engine(database_url)
    try:
        with engine.connect() as connection:
            config = alembic_config("work4life.enterprise")
            config.attributes["connection"] = connection
            command.upgrade(config, "0001")
            connection.commit()
            for pk, name in ((1, "Atelier Nour"), (2, "Couture Amal")):
                connection.execute(
                    text(
                        "INSERT INTO venture (id, venture_id, name, kind, sector, region, city, other_members, "
                        "organisation, stage, stage_changed_on, applied_on, created_at, created_by, revision) "
                        "VALUES (:pk, :uuid, :name, 'micro_enterprise', 'crafts', 'oriental', 'Oujda', 0, 'ong', "
                        "'incubation', '2026-02-01', '2026-02-01', '2026-02-01 10:00:00', 'tester', 0)"
                    ),
                    {"pk": pk, "uuid": f"00000000-0000-0000-0000-00000000000{pk}", "name": name},
                )
            for held_on, coach in (("2026-03-05", "Youssef Benali"), ("2026-03-01", "Samira El Idrissi")):
                connection.execute(
                    text(
                        "INSERT INTO coaching_session (venture_pk, held_on, minutes, topic, coach, recorded_by) "
                        "VALUES (1, :held_on, 60, 'Stock', :coach, 'tester')"
                    ),
                    {"held_on": held_on, "coach": coach},
                )
            connection.commit()
        upgrade(engine, "work4life.enterprise")
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT name, coach FROM venture ORDER BY id")).all()
        assert [tuple(r) for r in rows] == [("Atelier Nour", "Samira El Idrissi"), ("Couture Amal", None)]
    finally:
        engine.dispose()
