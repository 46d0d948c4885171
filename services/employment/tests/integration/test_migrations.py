"""The employment service's migrations build exactly the schema its models describe."""

import pytest

from work4life.employment.adapters import orm
from work4life.runtime import inbox, outbox
from work4life.runtime.testing import schema_drift, tables_of

pytestmark = pytest.mark.integration

TABLES = tables_of(orm, outbox, inbox)


def test_migrations_build_exactly_the_tables_of_the_models(database_url):
    assert schema_drift(database_url, "work4life.employment", TABLES) == []


def test_migrating_twice_changes_nothing(database_url):
    assert schema_drift(database_url, "work4life.employment", TABLES) == []
    assert schema_drift(database_url, "work4life.employment", TABLES) == []
